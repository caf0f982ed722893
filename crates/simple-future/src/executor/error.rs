//! What can go wrong with a thread pool: starting it, and submitting work to
//! one that has shut down.

use std::error::Error;
use std::fmt;
use std::io;

/// Why [`ThreadPoolBuilder::build`](crate::ThreadPoolBuilder::build) (or
/// [`ThreadPoolExecutor::new`](crate::ThreadPoolExecutor::new)) made no
/// pool.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A pool needs at least one worker. Python raises `ValueError`.
    NoWorkers,
    /// The operating system refused to start a worker thread; the ones
    /// already started were stopped again. The cause is the
    /// [`source`](Error::source).
    Spawn(io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoWorkers => f.write_str("a thread pool needs at least one worker"),
            BuildError::Spawn(_) => f.write_str("failed to spawn a worker thread"),
        }
    }
}

impl Error for BuildError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BuildError::NoWorkers => None,
            BuildError::Spawn(e) => Some(e),
        }
    }
}

/// The pool has shut down and takes no more work. The closure comes back,
/// unrun. Python raises `RuntimeError` here.
pub struct SubmitError<F>(pub(crate) F);

impl<F> SubmitError<F> {
    /// The closure that was not submitted.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmitError(..)")
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot submit work after the pool has shut down")
    }
}

impl<F> Error for SubmitError<F> {}

/// The pool is broken: a worker's
/// [`initializer`](crate::ThreadPoolBuilder::initializer) panicked, so the
/// pool runs no more work. The work queued then fails with this exception,
/// and later submissions are refused. Python raises `BrokenThreadPool`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    message: Option<String>,
}

impl Broken {
    pub(crate) fn new(message: Option<String>) -> Broken {
        Broken { message }
    }

    /// The initializer's panic message, if it was a string.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a thread initializer panicked, the thread pool is not usable anymore")?;
        match &self.message {
            Some(message) => write!(f, ": {message}"),
            None => Ok(()),
        }
    }
}

impl Error for Broken {}
