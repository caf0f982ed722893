//! Shared helpers for the behaviour tests: a hang detector, an event log
//! for the loop's thread, a thread-safe counter, a drop guard, and a
//! `tracing` subscriber that records events.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::cell::RefCell;
use std::panic;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
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
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let out = scenario();
        let _ = done_tx.send(());
        out
    });
    match done_rx.recv_timeout(PATIENCE) {
        Ok(()) | Err(RecvTimeoutError::Disconnected) => worker
            .join()
            .unwrap_or_else(|payload| panic::resume_unwind(payload)),
        Err(RecvTimeoutError::Timeout) => {
            panic!("the scenario did not finish within {PATIENCE:?}: the loop hangs?")
        }
    }
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

/// A counter shared between threads and callbacks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub(crate) fn new() -> Self {
        Counter::default()
    }

    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Sets its flag when dropped: capture one in a callback to see when the
/// callback is dropped.
#[derive(Debug)]
pub(crate) struct DropGuard(Arc<AtomicBool>);

/// Whether the matching [`DropGuard`] was dropped.
#[derive(Clone, Debug)]
pub(crate) struct DropFlag(Arc<AtomicBool>);

pub(crate) fn drop_guard() -> (DropGuard, DropFlag) {
    let flag = Arc::new(AtomicBool::new(false));
    (DropGuard(Arc::clone(&flag)), DropFlag(flag))
}

impl DropGuard {
    /// Does nothing; lets a `move` closure capture the whole guard.
    pub(crate) fn touch(&self) {}
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl DropFlag {
    pub(crate) fn dropped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A subscriber that records every event and span. The loop runs on one
/// thread, so tests install it for that thread only
/// (`tracing::subscriber::with_default`).
// Only the tests about tracing use it.
#[allow(unused_imports)]
pub(crate) use test_support::Collector;

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
