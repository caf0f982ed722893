//! The errors of this crate, one type per operation.

use std::error::Error;
use std::fmt;

use std::sync::{Mutex, PoisonError};

use simple_future::{Panicked, ResultError};

/// Why a loop could not run ([`run_forever`](crate::LoopHandle::run_forever),
/// [`run_until_idle`](crate::LoopHandle::run_until_idle)).
///
/// asyncio raises `RuntimeError` for all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunError {
    /// The loop is already running: a callback tried to run its own loop
    /// again. Running it re-entrantly would not return until the outer run
    /// ends, so it is refused instead.
    AlreadyRunning,
    /// Another event loop is running on this thread (this loop was asked to
    /// run from one of that loop's callbacks).
    AnotherLoopRunning,
    /// The loop was [closed](crate::LoopHandle::close).
    Closed,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunError::AlreadyRunning => "this event loop is already running",
            RunError::AnotherLoopRunning => {
                "cannot run the event loop while another loop is running"
            }
            RunError::Closed => "the event loop is closed",
        })
    }
}

impl Error for RunError {}

/// Why [`run_until_complete`](crate::LoopHandle::run_until_complete) gave no
/// value.
pub enum RunUntilCompleteError<E> {
    /// The loop could not run.
    Run(RunError),
    /// [`stop`](crate::LoopHandle::stop) was called before the future was
    /// done. The future is untouched; run the loop again to keep waiting.
    Stopped,
    /// The future is done without a value: cancelled, completed with an
    /// exception, or abandoned.
    Failed(ResultError<E>),
}

impl<E> From<RunError> for RunUntilCompleteError<E> {
    fn from(error: RunError) -> Self {
        RunUntilCompleteError::Run(error)
    }
}

impl<E> From<ResultError<E>> for RunUntilCompleteError<E> {
    fn from(error: ResultError<E>) -> Self {
        RunUntilCompleteError::Failed(error)
    }
}

impl<E> Clone for RunUntilCompleteError<E> {
    fn clone(&self) -> Self {
        match self {
            RunUntilCompleteError::Run(e) => RunUntilCompleteError::Run(*e),
            RunUntilCompleteError::Stopped => RunUntilCompleteError::Stopped,
            RunUntilCompleteError::Failed(e) => RunUntilCompleteError::Failed(e.clone()),
        }
    }
}

impl<E: PartialEq> PartialEq for RunUntilCompleteError<E> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RunUntilCompleteError::Run(a), RunUntilCompleteError::Run(b)) => a == b,
            (RunUntilCompleteError::Stopped, RunUntilCompleteError::Stopped) => true,
            (RunUntilCompleteError::Failed(a), RunUntilCompleteError::Failed(b)) => a == b,
            _ => false,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for RunUntilCompleteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunUntilCompleteError::Run(e) => f.debug_tuple("Run").field(e).finish(),
            RunUntilCompleteError::Stopped => f.write_str("Stopped"),
            RunUntilCompleteError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for RunUntilCompleteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Transparent: the inner error describes the failure itself.
            RunUntilCompleteError::Run(e) => fmt::Display::fmt(e, f),
            RunUntilCompleteError::Stopped => {
                f.write_str("the event loop stopped before the future completed")
            }
            RunUntilCompleteError::Failed(e) => fmt::Display::fmt(e, f),
        }
    }
}

// `E: Debug + Display`, like simple-future's `ResultError`, so that the
// default `Box<dyn Error + Send + Sync>` exception works.
impl<E: fmt::Debug + fmt::Display> Error for RunUntilCompleteError<E> {}

/// [`close`](crate::LoopHandle::close) was called while the loop was running
/// (from one of its callbacks). Stop it first and close it after the run
/// returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CloseError;

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot close a running event loop")
    }
}

impl Error for CloseError {}

/// [`call_soon_threadsafe`](crate::ThreadsafeHandle::call_soon_threadsafe)
/// or [`ThreadsafeHandle::spawn`](crate::ThreadsafeHandle::spawn) found the
/// loop closed. The callback or future comes back untouched.
///
/// It is `Send` and `Sync` whenever `F` is `Send`, as both of those calls
/// require, even if `F` is not `Sync` (most futures are not): it keeps `F`
/// behind a `Mutex`, which nothing but [`into_inner`](ScheduleError::into_inner)
/// ever locks. So `?` turns it into a `Box<dyn Error + Send + Sync>` (or an
/// `anyhow::Error`), dropping the future:
///
/// ```
/// use std::cell::Cell;
/// use std::error::Error;
/// use poll_loop::{EventLoop, ThreadsafeHandle};
///
/// fn start(remote: &ThreadsafeHandle) -> Result<(), Box<dyn Error + Send + Sync>> {
///     let not_sync = Cell::new(1); // the future is Send, not Sync
///     remote.spawn(async move { not_sync.get() })?;
///     Ok(())
/// }
///
/// let lp = EventLoop::new();
/// let remote = lp.threadsafe();
/// assert!(start(&remote).is_ok());
/// lp.close()?;
/// let error = start(&remote).unwrap_err();
/// assert_eq!(error.to_string(), "the event loop is closed");
/// # Ok::<(), Box<dyn Error>>(())
/// ```
pub struct ScheduleError<F>(Mutex<F>);

impl<F> ScheduleError<F> {
    pub(crate) fn new(rejected: F) -> ScheduleError<F> {
        ScheduleError(Mutex::new(rejected))
    }

    /// The callback or future that was not scheduled.
    pub fn into_inner(self) -> F {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<F> fmt::Debug for ScheduleError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ScheduleError(..)")
    }
}

impl<F> fmt::Display for ScheduleError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop is closed")
    }
}

impl<F> Error for ScheduleError<F> {}

/// Why awaiting a [`JoinHandle`](crate::JoinHandle) gave no output.
///
/// `Send + Sync + 'static`, so `?` turns it into a
/// `Box<dyn Error + Send + Sync>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// The task was cancelled before it finished. asyncio raises
    /// `CancelledError`.
    Cancelled,
    /// The task panicked; this is its panic.
    Panicked(Panicked),
    /// The task was dropped unfinished: its loop was closed.
    Abandoned,
    /// The output was moved out already, by a by-value `.await` of another
    /// handle of the same task.
    Taken,
    /// The output was handed to the many-reader [`Observer`](simple_future::Observer)
    /// view (by a read through it, such as `result()`), where it stays: read
    /// it there, or await `&handle` for a clone.
    Shared,
    /// A task awaited its own handle, which would never finish. asyncio
    /// raises `RuntimeError("Task cannot await on itself")`.
    AwaitedItself,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("the task was cancelled"),
            // Transparent: the panic describes itself.
            JoinError::Panicked(panicked) => fmt::Display::fmt(panicked, f),
            JoinError::Abandoned => {
                f.write_str("the task was dropped unfinished: its event loop was closed")
            }
            JoinError::Taken => f.write_str(
                "the task's output was moved out already, by an `.await` of another of its handles",
            ),
            JoinError::Shared => f.write_str(
                "the task's output went to its shared Observer view: read it there, or await `&handle`",
            ),
            JoinError::AwaitedItself => f.write_str("a task cannot await its own JoinHandle"),
        }
    }
}

impl Error for JoinError {}

/// Why [`block_on`](crate::LoopHandle::block_on) gave no output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockOnError {
    /// The loop could not run: most often `block_on` was called from a
    /// task or callback of the loop itself, which must never block it
    /// (`.await` the future there instead).
    Run(RunError),
    /// [`stop`](crate::LoopHandle::stop) was called before the future was
    /// done. The future has been dropped.
    Stopped,
}

impl From<RunError> for BlockOnError {
    fn from(error: RunError) -> Self {
        BlockOnError::Run(error)
    }
}

impl fmt::Display for BlockOnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockOnError::Run(error) => error.fmt(f),
            BlockOnError::Stopped => {
                f.write_str("the event loop stopped before the future was done")
            }
        }
    }
}

impl Error for BlockOnError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BlockOnError::Run(error) => Some(error),
            BlockOnError::Stopped => None,
        }
    }
}
