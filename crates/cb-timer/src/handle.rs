//! `TimerHandle`: what scheduling a timer gives back.

use std::fmt;
use std::sync::{Arc, Weak};

use crate::scheduler::Shared;
use crate::state::{CancelOutcome, TimerState};
use crate::task::Task;

/// Identifies a timer within its scheduler, for logs and panic reports.
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
    pub fn cancel(&self) -> CancelOutcome {
        let outcome = self.task.header().state.cancel();
        if outcome.stopped_it() {
            if let Some(scheduler) = self.scheduler.upgrade() {
                scheduler.note_cancelled();
            }
            self.task.discard_callback();
            tracing::debug!(timer = self.task.header().id, "timer cancelled");
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
