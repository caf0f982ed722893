//! Shared helpers for the behaviour tests: a recorder of events, a drop
//! guard, polling with a deadline, and a tiny pseudo-random generator.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

/// The helpers every crate's tests share (one source, in the workspace's
/// `test-support/`; linked here so the packaged crate's tests build alone).
pub(crate) mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{ManualClock, PanicReport, Scheduler};

// Each test binary uses some of them.
#[allow(unused_imports)]
pub(crate) use support::{DropFlag, DropGuard, drop_guard, wait_until, without_hanging};

/// `n` milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `n` seconds.
pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// How long a test waits for something that should happen "promptly" before
/// it calls it a failure. Generous: this is a hang detector, not a speed test.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

/// A scheduler on a fresh [`ManualClock`].
pub(crate) fn manual() -> (ManualClock, Scheduler) {
    let clock = ManualClock::new();
    let scheduler = Scheduler::builder()
        .name("cb-timer-test")
        .clock(clock.clone())
        .build()
        .expect("spawn the scheduler thread");
    (clock, scheduler)
}

/// A scheduler on a fresh [`ManualClock`] whose `on_panic` hook forwards
/// every report.
pub(crate) fn reporting() -> (ManualClock, Scheduler, mpsc::Receiver<PanicReport>) {
    let clock = ManualClock::new();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let scheduler = Scheduler::builder()
        .name("cb-timer-test")
        .clock(clock.clone())
        .on_panic(move |report| {
            let _ = tx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(report);
        })
        .build()
        .expect("spawn the scheduler thread");
    (clock, scheduler, rx)
}

/// Panics when dropped, with its message: capture one in a callback to see
/// the crate survive a `Drop` that panics. (Quiet while the thread is
/// already panicking, where a second panic would abort the test binary.)
#[derive(Debug)]
pub(crate) struct PanicOnDrop(pub(crate) &'static str);

impl PanicOnDrop {
    /// Does nothing; lets a `move` closure capture the whole value.
    pub(crate) fn touch(&self) {}
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

/// Collects events from any thread, each with the real time it happened.
#[derive(Debug)]
pub(crate) struct Recorder<T> {
    events: Arc<Mutex<Vec<(T, Instant)>>>,
}

impl<T> Clone for Recorder<T> {
    fn clone(&self) -> Self {
        Recorder {
            events: Arc::clone(&self.events),
        }
    }
}

impl<T: Clone + Send + 'static> Recorder<T> {
    pub(crate) fn new() -> Self {
        Recorder {
            events: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(T, Instant)>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `value` now.
    pub(crate) fn record(&self, value: T) {
        let now = Instant::now();
        self.lock().push((value, now));
    }

    /// A callback that records `value` when called.
    pub(crate) fn recording(&self, value: T) -> impl FnOnce() + Send + 'static {
        let recorder = self.clone();
        move || recorder.record(value)
    }

    /// The values recorded so far, in order.
    pub(crate) fn values(&self) -> Vec<T> {
        self.lock().iter().map(|(v, _)| v.clone()).collect()
    }

    /// The events recorded so far, with their times.
    pub(crate) fn events(&self) -> Vec<(T, Instant)> {
        self.lock().clone()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Waits until at least `n` events were recorded; false after `timeout`.
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.len() >= n)
    }
}

/// A shared flag a callback sets.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flag(Arc<AtomicBool>);

impl Flag {
    pub(crate) fn new() -> Self {
        Flag::default()
    }

    pub(crate) fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// xorshift64: deterministic "random" numbers without a dependency.
#[derive(Clone, Debug)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // Zero is the one state xorshift cannot leave.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A callback that says when it starts, runs for `runs_for`, then sets
/// `finished`: for tests about what happens while a callback is running.
pub(crate) fn slow_callback(
    runs_for: Duration,
) -> (mpsc::Receiver<()>, Flag, impl FnOnce() + Send + 'static) {
    let (started_tx, started_rx) = mpsc::channel();
    let finished = Flag::new();
    let callback = {
        let finished = finished.clone();
        move || {
            started_tx.send(()).unwrap();
            thread::sleep(runs_for);
            finished.set();
        }
    };
    (started_rx, finished, callback)
}
