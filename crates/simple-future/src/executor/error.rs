//! What can go wrong with a thread pool: starting it, submitting work to
//! one that has shut down, and an initializer that panicked.

use std::error::Error;
use std::fmt;
use std::io;
use std::sync::{Mutex, PoisonError};

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

/// The pool takes no more work: it has shut down, or it is
/// [broken](SubmitError::broken). The closure comes back, unrun. Python
/// raises `RuntimeError` (or `BrokenThreadPool`) here.
///
/// It is `Send` and `Sync` whenever the closure is `Send`, as every
/// submitted closure is, so `?` turns it into a
/// `Box<dyn Error + Send + Sync>`:
///
/// ```
/// use std::cell::Cell;
/// use simple_future::ThreadPoolExecutor;
///
/// fn submit_late() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     let pool = ThreadPoolExecutor::new(1)?;
///     pool.shutdown(true);
///     let not_sync = Cell::new(1); // the closure is `Send` but not `Sync`
///     pool.submit(move || not_sync.get())?;
///     Ok(())
/// }
///
/// let error = submit_late().unwrap_err();
/// assert_eq!(error.to_string(), "cannot submit work after the pool has shut down");
/// ```
pub struct SubmitError<F> {
    // A mutex only so that the error is `Sync` for a closure that is just
    // `Send`; nothing ever locks it but `into_inner`.
    work: Mutex<F>,
    broken: Option<Broken>,
}

impl<F> SubmitError<F> {
    pub(crate) fn shut_down(work: F) -> SubmitError<F> {
        SubmitError {
            work: Mutex::new(work),
            broken: None,
        }
    }

    pub(crate) fn broken_pool(work: F, broken: Broken) -> SubmitError<F> {
        SubmitError {
            work: Mutex::new(work),
            broken: Some(broken),
        }
    }

    /// Why the pool is broken, if that is why it refused; `None` if it has
    /// shut down.
    pub fn broken(&self) -> Option<&Broken> {
        self.broken.as_ref()
    }

    /// The closure that was not submitted.
    pub fn into_inner(self) -> F {
        self.work
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.broken {
            None => f.write_str("SubmitError(..)"),
            Some(_) => f.write_str("SubmitError(Broken, ..)"),
        }
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.broken {
            None => f.write_str("cannot submit work after the pool has shut down"),
            Some(_) => f.write_str("cannot submit work to a broken thread pool"),
        }
    }
}

/// The [`Broken`] cause, if the pool is broken.
impl<F> Error for SubmitError<F> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.broken
            .as_ref()
            .map(|broken| broken as &(dyn Error + 'static))
    }
}

/// The pool is broken: a worker's
/// [`initializer`](crate::ThreadPoolBuilder::initializer) panicked, so the
/// pool runs no more work. The work queued then fails with this exception,
/// and later submissions are refused. Python raises `BrokenThreadPool`.
///
/// ```
/// use simple_future::{Broken, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::builder()
///     .initializer(|| panic!("no database"))
///     .build()?;
/// // The work queued before the pool broke fails; later work is refused.
/// let failed = match pool.submit(|| 1) {
///     Ok(future) => future.exception()?.map(|e| e.to_string()),
///     Err(refused) => refused.broken().map(Broken::to_string),
/// };
/// assert!(failed.unwrap().ends_with(": no database"));
/// # while !pool.is_broken() { std::thread::yield_now(); }
/// assert!(pool.submit(|| 2).unwrap_err().broken().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
