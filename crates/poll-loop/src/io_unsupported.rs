//! Where the loop cannot watch file descriptors (not Linux): it always
//! parks, and `add_reader`, `poll_loop::net` and the rest do not exist.

use std::panic::Location;
use std::time::Duration;

use crate::event_loop::Inner;

/// Nothing to hold.
#[derive(Default)]
pub(crate) struct Io;

/// The loop's one wait: a park.
pub(crate) fn wait(inner: &Inner, timeout: Option<Duration>) -> bool {
    inner.remote.wake.park(timeout)
}

/// Nothing is registered.
pub(crate) fn take_all(_inner: &Inner) -> Vec<((), &'static Location<'static>)> {
    Vec::new()
}
