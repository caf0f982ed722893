//! `TimerHandle`: what scheduling a timer gives back.

use std::fmt;
use std::sync::{Arc, Weak};

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
/// or cancel it.
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
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("id", &self.id())
            .field("state", &self.state())
            .finish()
    }
}
