//! The concurrency seam: the wake-up state machine takes its atomics and its
//! way of parking a thread from here, so that `loom` can replace them under
//! `--cfg loom`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread::{Thread, current, park};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread::{Thread, current, park, park_timeout};

/// loom has no timed park. A timeout is modelled as what it looks like to
/// the parked thread: an early return with no notification, which the state
/// machine must already handle as a spurious wake-up.
#[cfg(loom)]
pub(crate) fn park_timeout(_timeout: std::time::Duration) {
    loom::thread::yield_now();
}
