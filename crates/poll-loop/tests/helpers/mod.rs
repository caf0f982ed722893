//! Shared helpers for the behaviour tests: a hang detector, an event log
//! for the loop's thread, a thread-safe counter, a drop guard, and a
//! `tracing` subscriber that records events.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

/// The helpers every crate's tests share (one source, in the workspace's
/// `test-support/`; linked here so the packaged crate's tests build alone).
pub(crate) mod support;

/// Connected TCP pairs, ours and a std peer (where `net` is built).
#[cfg(any(unix, windows))]
pub(crate) mod sockets;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

/// `n` milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How long a test waits for something that should happen "promptly"
/// before it calls it a failure. Generous: a hang detector, not a speed
/// test.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

/// Runs `scenario` on its own thread (where it creates its loop) and
/// returns what it returns; fails the test if it does not finish within
/// [`PATIENCE`], and passes its panic on.
pub(crate) fn without_hanging<R, F>(scenario: F) -> R
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    support::without_hanging(PATIENCE, scenario)
}

/// Events recorded on the loop's thread, in order.
#[derive(Debug)]
pub(crate) struct Log<T>(Rc<RefCell<Vec<T>>>);

impl<T> Clone for Log<T> {
    fn clone(&self) -> Self {
        Log(Rc::clone(&self.0))
    }
}

impl<T: Clone + 'static> Log<T> {
    pub(crate) fn new() -> Self {
        Log(Rc::new(RefCell::new(Vec::new())))
    }

    pub(crate) fn push(&self, value: T) {
        self.0.borrow_mut().push(value);
    }

    /// A callback that records `value`.
    pub(crate) fn recording(&self, value: T) -> impl FnOnce() + 'static {
        let log = self.clone();
        move || log.push(value)
    }

    pub(crate) fn events(&self) -> Vec<T> {
        self.0.borrow().clone()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

/// A subscriber that records every event and span. The loop runs on one
/// thread, so tests install it for that thread only
/// (`tracing::subscriber::with_default`).
// Each test binary uses some of them.
#[allow(unused_imports)]
pub(crate) use support::{Collector, Counter, DropFlag, DropGuard, drop_guard};

/// Fails the test, when dropped, if any callback of `lp` panicked: an
/// `assert!` inside a callback is caught by the loop like any panic, so
/// tests that assert inside callbacks hold one of these.
#[must_use]
pub(crate) struct Strict(Rc<RefCell<Vec<String>>>);

pub(crate) fn strict(lp: &poll_loop::LoopHandle) -> Strict {
    let panics: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = panics.clone();
    lp.set_exception_handler(move |_, context| sink.borrow_mut().push(context.to_string()));
    Strict(panics)
}

impl Drop for Strict {
    fn drop(&mut self) {
        if !thread::panicking() {
            let panics = self.0.borrow();
            assert!(panics.is_empty(), "callbacks panicked: {panics:#?}");
        }
    }
}
