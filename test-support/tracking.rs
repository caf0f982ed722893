//! Values that report what happened to them: a counter shared between
//! threads and callbacks, and a guard that tells when it was dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A counter shared between threads and callbacks.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Counter::default()
    }

    /// Adds one.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// The count so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Sets its flag when dropped: capture one in a callback (or a future) to
/// see when the callback, and everything it owns, is dropped.
#[derive(Debug)]
pub struct DropGuard(Arc<AtomicBool>);

/// Whether the matching [`DropGuard`] was dropped.
#[derive(Clone, Debug)]
pub struct DropFlag(Arc<AtomicBool>);

/// A guard, and the flag that tells when it is dropped.
pub fn drop_guard() -> (DropGuard, DropFlag) {
    let flag = Arc::new(AtomicBool::new(false));
    (DropGuard(Arc::clone(&flag)), DropFlag(flag))
}

impl DropGuard {
    /// Does nothing; lets a `move` closure capture the whole guard.
    pub fn touch(&self) {}
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl DropFlag {
    /// True once the guard was dropped.
    pub fn dropped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
