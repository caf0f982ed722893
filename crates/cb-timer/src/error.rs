//! The errors of this crate, one type per operation.

use std::sync::{Mutex, PoisonError};
use std::{error::Error, fmt, io};

/// The operating system refused to start a thread.
#[derive(Debug)]
pub struct SpawnError(pub(crate) io::Error);

impl SpawnError {
    /// The operating system's error.
    pub fn into_inner(self) -> io::Error {
        self.0
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failed to spawn a timer thread")
    }
}

impl Error for SpawnError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

/// Why [`Timer::start`](crate::Timer::start) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// `start` was already called on this timer; a timer runs at most once.
    AlreadyStarted,
    /// No thread could be spawned. The timer keeps its callback and may be
    /// started again.
    Spawn(SpawnError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::AlreadyStarted => f.write_str("timer was already started"),
            // Transparent: the spawn error describes the failure itself.
            StartError::Spawn(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl Error for StartError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StartError::AlreadyStarted => None,
            StartError::Spawn(e) => e.source(),
        }
    }
}

impl From<SpawnError> for StartError {
    fn from(e: SpawnError) -> Self {
        StartError::Spawn(e)
    }
}

/// Why [`Timer::join`](crate::Timer::join) or
/// [`TimerHandle::join`](crate::TimerHandle::join) did not wait for the
/// timer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// The timer was never started, so there is nothing to wait for.
    NotStarted,
    /// `join` was called from the thread that must run the timer — a
    /// [`Timer`](crate::Timer)'s own callback, or any callback of the
    /// [`Scheduler`](crate::Scheduler) a pending timer is on — which would
    /// wait for itself forever.
    OwnThread,
    /// `join_timeout` gave up before the timer was done.
    Timeout,
    /// The callback panicked, or the `Drop` of the callback or of a value it
    /// captured did; the message is the panic's (`<non-string panic>` when
    /// it had none).
    Panicked(String),
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::NotStarted => f.write_str("timer was never started"),
            JoinError::OwnThread => {
                f.write_str("a timer cannot be joined from the thread that runs it")
            }
            JoinError::Timeout => f.write_str("timed out waiting for the timer"),
            JoinError::Panicked(msg) => write!(f, "timer callback panicked: {msg}"),
        }
    }
}

impl Error for JoinError {}

/// A [`SchedulerHandle`](crate::SchedulerHandle) could not schedule a timer
/// because its scheduler has shut down. The callback comes back untouched.
///
/// It is `Send + Sync` for any callback (callbacks are `Send`, but need not
/// be `Sync`), so `?` turns it into a `Box<dyn Error + Send + Sync>`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
/// use cb_timer::Scheduler;
///
/// fn schedule(handle: &cb_timer::SchedulerHandle) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     let calls = Cell::new(0); // `Send`, not `Sync`
///     handle.after(Duration::ZERO, move || calls.set(calls.get() + 1))?;
///     Ok(())
/// }
///
/// let scheduler = Scheduler::new()?;
/// let handle = scheduler.handle();
/// assert!(schedule(&handle).is_ok());
/// drop(scheduler);
/// let error = schedule(&handle).unwrap_err();
/// assert_eq!(error.to_string(), "the scheduler has shut down");
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
pub struct ScheduleError<F>(
    // Behind a lock so that the error is `Sync` whatever the callback: it
    // never lends out `&F`, only gives `F` back by value.
    Mutex<F>,
);

impl<F> ScheduleError<F> {
    pub(crate) fn new(callback: F) -> Self {
        ScheduleError(Mutex::new(callback))
    }

    /// The callback that was not scheduled.
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
        f.write_str("the scheduler has shut down")
    }
}

impl<F> Error for ScheduleError<F> {}
