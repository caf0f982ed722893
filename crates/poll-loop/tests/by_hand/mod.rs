//! Polling futures by hand, with wakers that count their wake-ups: every
//! await point of a primitive can be reached, and cancelled, on purpose.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts how often it was woken.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counter(Arc<WakeCount>);

impl Counter {
    pub(crate) fn new() -> Counter {
        Counter::default()
    }

    pub(crate) fn waker(&self) -> Waker {
        Waker::from(Arc::clone(&self.0))
    }

    pub(crate) fn count(&self) -> usize {
        self.0.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Default)]
pub(crate) struct WakeCount(AtomicUsize);

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future under test, with its own counting waker.
pub(crate) struct Probe<F> {
    pub(crate) future: Pin<Box<F>>,
    pub(crate) woken: Counter,
}

impl<F: Future> Probe<F> {
    pub(crate) fn new(future: F) -> Probe<F> {
        Probe {
            future: Box::pin(future),
            woken: Counter::new(),
        }
    }

    /// Polls once.
    pub(crate) fn poll(&mut self) -> Poll<F::Output> {
        let waker = self.woken.waker();
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }

    /// Polls once and expects it pending.
    #[track_caller]
    pub(crate) fn pending(&mut self) {
        assert!(self.poll().is_pending(), "expected the future to wait");
    }

    /// Polls once and expects it ready.
    #[track_caller]
    pub(crate) fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }

    pub(crate) fn woken(&self) -> usize {
        self.woken.count()
    }
}

/// Polls a fresh future once, with a waker that does nothing.
pub(crate) fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = std::pin::pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
}

/// A tiny fixed-seed PRNG (xorshift64*), for randomized tests that repeat.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

thread_local! {
    static ON_WAKE: std::cell::RefCell<Vec<Box<dyn FnOnce()>>> =
        std::cell::RefCell::new(Vec::new());
}

/// Runs `action` on this thread the next time a [`reentrant_waker`] is
/// woken, from inside the wake-up.
pub(crate) fn on_next_wake(action: impl FnOnce() + 'static) {
    ON_WAKE.with(|actions| actions.borrow_mut().push(Box::new(action)));
}

struct Reentrant(Counter);

impl Wake for Reentrant {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.0.0.fetch_add(1, Ordering::SeqCst);
        let actions = ON_WAKE.with(|actions| std::mem::take(&mut *actions.borrow_mut()));
        actions.into_iter().for_each(|action| action());
    }
}

/// A waker that counts into `counter` and runs the [`on_next_wake`]
/// actions when woken.
pub(crate) fn reentrant_waker(counter: &Counter) -> Waker {
    Waker::from(Arc::new(Reentrant(counter.clone())))
}

/// Polls `future` once with `waker`.
pub(crate) fn poll_with<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}
