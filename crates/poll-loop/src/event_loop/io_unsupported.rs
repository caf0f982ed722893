//! Where the loop cannot watch file descriptors (not Unix): it always
//! parks, and `add_reader`, `poll_loop::net` and the rest do not exist.

use std::panic::Location;
use std::time::Duration;

use crate::event_loop::inner::{Inner, LoopHandle};
use crate::state::wake::Woke;

/// Nothing to hold.
#[derive(Default)]
pub(crate) struct Io {}

/// What the loop's wait found.
pub(crate) struct Waited {
    /// A notification from another thread was consumed.
    pub(crate) notified: bool,
    /// The wait blocked (it did not find a notification already pending).
    pub(crate) slept: bool,
    /// Never: there are no descriptors.
    pub(crate) callbacks: bool,
}

impl LoopHandle {
    /// The loop's one wait: a park with `sleep`, otherwise only a look at
    /// the notification.
    pub(crate) fn wait(&self, timeout: Option<Duration>, sleep: bool) -> Waited {
        let wake = &self.inner.remote.wake;
        let woke = if sleep {
            wake.park(timeout)
        } else {
            Woke {
                notified: wake.take_notification(),
                blocked: false,
            }
        };
        Waited {
            notified: woke.notified,
            slept: woke.blocked,
            callbacks: false,
        }
    }
}

/// Nothing is registered.
pub(crate) fn take_all(_inner: &Inner) -> Vec<((), &'static Location<'static>)> {
    Vec::new()
}
