//! Shared helpers for the behaviour tests: a hang detector, a tiny
//! `block_on`, wakers that count, an event log, and a custom error type.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

/// The helpers every crate's tests share (one source, in the workspace's
/// `test-support/`; linked here so the packaged crate's tests build alone).
pub(crate) mod support;

use std::error::Error;
use std::fmt;
use std::future::{Future as StdFuture, IntoFuture};
use std::panic;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

// Each test binary uses some of them.
#[allow(unused_imports)]
pub(crate) use support::{Counter, wait_until};

/// `n` milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How long a test waits for something that should happen "promptly" before
/// it calls it a failure. Generous: this is a hang detector, not a speed
/// test. Miri runs a hundred times slower, and its clock jumps ahead when
/// every thread is blocked, so a real hang still ends quickly there.
pub(crate) const PATIENCE: Duration = if cfg!(miri) {
    Duration::from_secs(600)
} else {
    Duration::from_secs(5)
};

/// Runs `scenario` on its own thread and returns what it returns; fails the
/// test if it does not finish within [`PATIENCE`] (a deadlock), and passes
/// its panic on if it panics.
pub(crate) fn without_hanging<R, F>(scenario: F) -> R
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    support::without_hanging(PATIENCE, scenario)
}

/// A waker that unparks a thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` (or whatever `.await` would run) to completion on this thread, parking between polls: the
/// smallest executor there is, and enough to show that `.await` needs
/// nothing from a runtime but a `Waker`.
pub(crate) fn block_on<F: IntoFuture>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future.into_future());
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            // A spurious unpark only costs another poll.
            Poll::Pending => thread::park(),
        }
    }
}

/// Polls `future` once with `waker`.
pub(crate) fn poll_once<F: StdFuture + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Several futures polled as one task, outputs in the order given: many
/// `.await`s on one thread at once.
pub(crate) async fn join_all<F: StdFuture + Unpin>(futures: Vec<F>) -> Vec<F::Output> {
    let mut slots: Vec<(F, Option<F::Output>)> = futures.into_iter().map(|f| (f, None)).collect();
    std::future::poll_fn(move |cx| {
        let mut all_ready = true;
        for (future, out) in &mut slots {
            if out.is_none() {
                match Pin::new(future).poll(cx) {
                    Poll::Ready(value) => *out = Some(value),
                    Poll::Pending => all_ready = false,
                }
            }
        }
        if all_ready {
            Poll::Ready(
                slots
                    .iter_mut()
                    .map(|(_, out)| out.take().unwrap())
                    .collect(),
            )
        } else {
            Poll::Pending
        }
    })
    .await
}

/// A waker that counts its wakes. `Arc::strong_count` of the counter tells
/// how many clones of the waker are still alive (one is the `Waker` that
/// [`counting_waker`] returns).
#[derive(Debug)]
pub(crate) struct WakeCounter {
    wakes: AtomicUsize,
}

impl WakeCounter {
    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A fresh counting waker and its counter.
pub(crate) fn counting_waker() -> (Arc<WakeCounter>, Waker) {
    let counter = Arc::new(WakeCounter {
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(Arc::clone(&counter));
    (counter, waker)
}

/// Live clones of a counting waker besides the caller's own `Waker`.
pub(crate) fn registered_clones(counter: &Arc<WakeCounter>) -> usize {
    // One count is the test's `counter`, one the test's `Waker`.
    Arc::strong_count(counter) - 2
}

/// Collects events from any thread, in the order they happened.
#[derive(Debug)]
pub(crate) struct Log<T> {
    events: Arc<Mutex<Vec<T>>>,
}

impl<T> Clone for Log<T> {
    fn clone(&self) -> Self {
        Log {
            events: Arc::clone(&self.events),
        }
    }
}

impl<T: Clone> Log<T> {
    pub(crate) fn new() -> Self {
        Log {
            events: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub(crate) fn push(&self, event: T) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    /// The events so far, in order.
    pub(crate) fn events(&self) -> Vec<T> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Counts its drops: a value stored in a future tells when the future lets
/// it go.
#[derive(Debug)]
pub(crate) struct DropCounted {
    pub(crate) id: usize,
    drops: Counter,
}

impl DropCounted {
    pub(crate) fn new(id: usize, drops: &Counter) -> Self {
        DropCounted {
            id,
            drops: drops.clone(),
        }
    }
}

impl Drop for DropCounted {
    fn drop(&mut self) {
        self.drops.bump();
    }
}

/// A user-defined exception type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestError(pub(crate) &'static str);

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "test error: {}", self.0)
    }
}

impl Error for TestError {}

/// True if `text` is `<Future at 0x… ` + `rest`, with a hex address.
pub(crate) fn is_repr(text: &str, rest: &str) -> bool {
    let Some(tail) = text.strip_prefix("<Future at 0x") else {
        return false;
    };
    let hex_len = tail.chars().take_while(char::is_ascii_hexdigit).count();
    hex_len > 0 && tail[hex_len..] == format!(" {rest}")
}

/// The `0x…` address in a future's `Display`.
pub(crate) fn repr_address(text: &str) -> &str {
    let tail = text
        .strip_prefix("<Future at ")
        .unwrap_or_else(|| panic!("not a future's repr: {text}"));
    tail.split(' ').next().unwrap()
}
