//! `TimerHandle`: what scheduling a timer gives back.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::error::JoinError;
use crate::panic;
use crate::scheduler::Shared;
use crate::state::{CancelOutcome, TimerState};
use crate::task::Task;

/// Identifies a timer within its scheduler, for logs and panic reports.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cb_timer::Scheduler;
///
/// let scheduler = Scheduler::new()?;
/// let first = scheduler.after(Duration::MAX, || {});
/// let second = scheduler.after(Duration::MAX, || {});
/// assert_ne!(first.id(), second.id());
/// assert_eq!(first.id(), first.clone().id()); // clones are the same timer
/// assert!(first.id().to_string().starts_with("timer#"));
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub(crate) u64);

impl fmt::Display for TimerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timer#{}", self.0)
    }
}

/// A timer scheduled on a [`Scheduler`](crate::Scheduler): ask its state,
/// wait until it is done ([`join`](TimerHandle::join), like Python's
/// `threading.Timer.join`), or cancel it.
///
/// Clones refer to the same timer. Dropping a handle does **not** cancel the
/// timer: fire-and-forget is `let _ = cb_timer::after(…)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cb_timer::{CancelOutcome, ManualClock, Scheduler, TimerState};
///
/// let clock = ManualClock::new();
/// let scheduler = Scheduler::builder().clock(clock.clone()).build()?;
/// let soon = scheduler.after(Duration::from_secs(1), || {});
/// let later = scheduler.after(Duration::from_secs(60), || unreachable!());
/// assert_eq!(soon.state(), TimerState::Pending);
///
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(soon.state(), TimerState::Fired);
/// assert_eq!(soon.cancel(), CancelOutcome::AlreadyFired);
///
/// // Changed our mind: `later` never runs.
/// assert_eq!(later.cancel(), CancelOutcome::Cancelled);
/// assert_eq!(later.state(), TimerState::Cancelled);
/// clock.advance(Duration::from_secs(60));
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
#[derive(Clone)]
pub struct TimerHandle {
    task: Arc<dyn Task>,
    scheduler: Weak<Shared>,
}

impl TimerHandle {
    pub(crate) fn new(task: Arc<dyn Task>, scheduler: Weak<Shared>) -> TimerHandle {
        TimerHandle { task, scheduler }
    }

    /// The timer's id.
    pub fn id(&self) -> TimerId {
        TimerId(self.task.header().id)
    }

    /// Where the timer is in its life.
    pub fn state(&self) -> TimerState {
        self.task.header().state.get()
    }

    /// Stops the timer if its callback has not begun, and says what happened.
    ///
    /// Never blocks. A callback that is running finishes; a repeating timer
    /// then stops. Safe to call from any callback, the timer's own included.
    ///
    /// A timer stopped here has its callback dropped before `cancel`
    /// returns, on the caller's thread. A panic in that `Drop` does not
    /// escape: it is reported like a callback panic (a `tracing` error event
    /// and the scheduler's [`on_panic`](crate::Builder::on_panic) hook, run
    /// on the caller's thread).
    pub fn cancel(&self) -> CancelOutcome {
        let outcome = self.task.header().state.cancel();
        if outcome.stopped_it() {
            let id = self.task.header().id;
            tracing::debug!(timer = id, "timer cancelled");
            match self.scheduler.upgrade() {
                Some(scheduler) => {
                    scheduler.note_cancelled(&*self.task);
                    scheduler.discard_callback(&*self.task);
                    // Threads in `join` wait for this.
                    scheduler.notify_progress();
                }
                None => {
                    if let Err(payload) = self.task.discard_callback() {
                        panic::log_panic(id, &*payload, panic::Phase::Drop);
                        panic::drop_payload(payload);
                    }
                }
            }
        }
        outcome
    }

    /// Cancels like [`cancel`](TimerHandle::cancel), and if the callback is
    /// running, waits until it has returned.
    ///
    /// After this returns the callback is not running and will not run
    /// again, so whatever it uses may be torn down. Called from the timer's
    /// own callback it cannot wait for itself and returns
    /// [`CancelOutcome::Running`] at once.
    pub fn cancel_and_wait(&self) -> CancelOutcome {
        let outcome = self.cancel();
        if outcome == CancelOutcome::Running {
            if let Some(scheduler) = self.scheduler.upgrade() {
                scheduler.wait_not_running(&*self.task);
            }
        }
        outcome
    }

    /// Blocks until the timer is done, and says how it ended:
    /// [`TimerState::Fired`] once its callback has returned (or panicked),
    /// [`TimerState::Cancelled`] if it was cancelled or its scheduler shut
    /// down first. Python's `threading.Timer.join`, for a scheduled timer.
    ///
    /// A repeating timer is done only when it is cancelled, and a timer at
    /// `Duration::MAX` only when cancelled too: wait for those with
    /// [`join_timeout`](TimerHandle::join_timeout). On a
    /// [`ManualClock`](crate::ManualClock), time moves only when another
    /// thread advances it.
    ///
    /// # Errors
    ///
    /// [`JoinError::OwnThread`] if the timer is not done and this is the
    /// scheduler's own thread (a callback of the same scheduler), which
    /// would have to run the timer: waiting there would never end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use cb_timer::{Scheduler, TimerState};
    ///
    /// let scheduler = Scheduler::new()?;
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// let timer = scheduler.after(Duration::from_millis(20), move || flag.store(true, Ordering::SeqCst));
    /// assert_eq!(timer.join(), Ok(TimerState::Fired)); // no sleep-and-guess
    /// assert!(ran.load(Ordering::SeqCst));
    /// # Ok::<(), cb_timer::SpawnError>(())
    /// ```
    pub fn join(&self) -> Result<TimerState, JoinError> {
        self.join_until(None)
    }

    /// Like [`join`](TimerHandle::join), but gives up with
    /// [`JoinError::Timeout`] after `timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cb_timer::{JoinError, Scheduler, TimerState};
    ///
    /// let scheduler = Scheduler::new()?;
    /// let ticking = scheduler.every(Duration::from_millis(5), || {});
    /// // A repeating timer is never done by itself.
    /// assert_eq!(ticking.join_timeout(Duration::from_millis(20)), Err(JoinError::Timeout));
    /// ticking.cancel();
    /// assert_eq!(ticking.join_timeout(Duration::from_millis(20)), Ok(TimerState::Cancelled));
    /// # Ok::<(), cb_timer::SpawnError>(())
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<TimerState, JoinError> {
        self.join_until(Instant::now().checked_add(timeout))
    }

    /// How the timer ended, if it is done; `None` while it may still run.
    /// Never blocks.
    pub fn try_join(&self) -> Option<TimerState> {
        match self.task.header().state.get() {
            state @ (TimerState::Fired | TimerState::Cancelled) => Some(state),
            TimerState::Pending | TimerState::Running => None,
        }
    }

    fn join_until(&self, deadline: Option<Instant>) -> Result<TimerState, JoinError> {
        if let Some(state) = self.try_join() {
            return Ok(state);
        }
        // A pending timer whose scheduler is gone was discarded by its
        // shut-down (which marks it cancelled): there is nothing to wait for.
        let Some(scheduler) = self.scheduler.upgrade() else {
            return Ok(self.try_join().unwrap_or(TimerState::Cancelled));
        };
        scheduler
            .wait_done(&*self.task, deadline)
            .map_err(|own_thread| {
                if own_thread {
                    JoinError::OwnThread
                } else {
                    JoinError::Timeout
                }
            })
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("id", &self.id())
            .field("state", &self.state())
            .finish()
    }
}
