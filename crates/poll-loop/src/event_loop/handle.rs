//! `Handle` and `TimerHandle`: what scheduling a callback gives back.

use std::fmt;
use std::rc::Weak;
use std::time::Instant;

use crate::event_loop::inner::Inner;
use crate::state::queue::TimerId;

/// A callback scheduled with [`call_soon`](crate::LoopHandle::call_soon):
/// cancel it before it runs.
///
/// Clones refer to the same callback. Dropping a handle does not cancel the
/// callback. Handles do not keep the loop alive.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let ran = Rc::new(Cell::new(false));
/// let r = ran.clone();
/// let handle = lp.call_soon(move || r.set(true));
/// assert!(handle.is_pending());
/// assert!(handle.cancel());
/// assert!(!handle.cancel(), "cancelled already");
/// lp.run_until_idle()?;
/// assert!(!ran.get());
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    seq: u64,
    inner: Weak<Inner>,
}

impl Handle {
    pub(crate) fn new(seq: u64, inner: Weak<Inner>) -> Handle {
        Handle { seq, inner }
    }

    /// Cancels the callback if it has not started: it never runs, and it is
    /// dropped now. Returns true if this call cancelled it; false if it
    /// already ran, is running (cancelling itself) or was cancelled.
    pub fn cancel(&self) -> bool {
        self.inner
            .upgrade()
            .is_some_and(|inner| inner.cancel_ready(self.seq))
    }

    /// True while the callback waits to run.
    pub fn is_pending(&self) -> bool {
        self.inner
            .upgrade()
            .is_some_and(|inner| inner.ready_is_pending(self.seq))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("id", &self.seq).finish()
    }
}

/// A callback scheduled with [`call_later`](crate::LoopHandle::call_later)
/// or [`call_at`](crate::LoopHandle::call_at): see when it is due, or cancel
/// it.
///
/// Clones refer to the same timer. Dropping a handle does not cancel the
/// timer. Handles do not keep the loop alive.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::{Duration, Instant};
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let start = Instant::now();
/// let never = lp.call_later(Duration::from_secs(60), || unreachable!());
/// assert!(never.when().unwrap() >= start + Duration::from_secs(60));
/// // A callback's panic would be caught by the loop: it records instead.
/// let cancelled = Rc::new(Cell::new(false));
/// let (timer, c) = (never.clone(), cancelled.clone());
/// lp.call_later(Duration::from_millis(10), move || c.set(timer.cancel()));
/// lp.run_until_idle()?; // returns once the cancel left nothing to wait for
/// assert!(cancelled.get(), "cancelled before it ran: it never will");
/// assert!(!never.is_pending());
/// assert!(start.elapsed() < Duration::from_secs(60));
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone)]
pub struct TimerHandle {
    id: TimerId,
    when: Option<Instant>,
    inner: Weak<Inner>,
}

impl TimerHandle {
    pub(crate) fn new(id: TimerId, when: Option<Instant>, inner: Weak<Inner>) -> TimerHandle {
        TimerHandle { id, when, inner }
    }

    /// When the timer is due; `None` if it never is (`Duration::MAX`).
    pub fn when(&self) -> Option<Instant> {
        self.when
    }

    /// Cancels the timer if its callback has not started: it never runs,
    /// and it is dropped now. Returns true if this call cancelled it; false
    /// if it already ran, is running (cancelling itself) or was cancelled.
    pub fn cancel(&self) -> bool {
        self.inner
            .upgrade()
            .is_some_and(|inner| inner.cancel_timer(self.when, self.id))
    }

    /// True while the timer waits to run.
    pub fn is_pending(&self) -> bool {
        self.inner
            .upgrade()
            .is_some_and(|inner| inner.timer_is_pending(self.id))
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("id", &self.id.seq)
            .field("when", &self.when)
            .finish()
    }
}
