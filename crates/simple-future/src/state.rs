//! The states a future moves through.

use std::fmt;

/// Where a future is in its life.
///
/// ```text
/// Pending ──set_running_or_notify_cancel──▶ Running ──set_result / set_exception──▶ Finished
///    │ └──────────────────────set_result / set_exception────────────────────────▶ Finished
///    ├──cancel──▶ Cancelled
///    └──every Future handle dropped (also from Running)──▶ Abandoned
/// ```
///
/// `Cancelled`, `Finished` and `Abandoned` are final: the future is
/// [`done`](crate::Observer::done) and never changes again.
///
/// ```
/// use simple_future::{Future, State};
///
/// let future: Future<u8> = Future::new();
/// assert_eq!(future.state(), State::Pending);
/// future.set_running_or_notify_cancel().unwrap();
/// assert_eq!(future.state(), State::Running);
/// future.set_result(1).unwrap();
/// assert!(future.state().is_done());
/// assert_eq!(future.state().name(), "finished");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Nothing has happened yet; the future can still be cancelled.
    Pending,
    /// An executor has started the work; it can no longer be cancelled.
    Running,
    /// Cancelled before it ran.
    Cancelled,
    /// Completed with a result or an exception.
    Finished,
    /// Every [`Future`](crate::Future) handle, the ones able to complete it,
    /// was dropped while it was pending or running: no result will ever come.
    Abandoned,
}

impl State {
    pub(crate) const fn to_u8(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_u8(value: u8) -> State {
        match value {
            0 => State::Pending,
            1 => State::Running,
            2 => State::Cancelled,
            3 => State::Finished,
            _ => State::Abandoned,
        }
    }

    /// True for the final states.
    pub fn is_done(self) -> bool {
        matches!(self, State::Cancelled | State::Finished | State::Abandoned)
    }

    /// The lowercase name Python's repr uses (`pending`, `finished`, …).
    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Running => "running",
            State::Cancelled => "cancelled",
            State::Finished => "finished",
            State::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
