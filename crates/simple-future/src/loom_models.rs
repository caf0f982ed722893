//! loom models of the races at the heart of a future. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p simple-future --lib --release -- loom_models`.
//!
//! loom explores every interleaving of the threads below (bounded by
//! `LOOM_MAX_PREEMPTIONS`), with its own `Arc`, `Mutex`, `Condvar` and
//! atomics standing in through `crate::sync`.

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::error::ResultError;
use crate::future::Future;
use crate::state::State;
use crate::sync::Arc;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

/// A callback added while another thread completes the future runs exactly
/// once, and sees the value, whichever side wins.
#[test]
fn complete_races_add_done_callback() {
    model(|| {
        let future: Future<u32, ()> = Future::new();
        let runs = Arc::new(AtomicUsize::new(0));

        let producer = future.clone();
        let completer = thread::spawn(move || producer.set_result(7).unwrap());

        let counter = Arc::clone(&runs);
        future.add_done_callback(move |f| {
            assert_eq!(f.try_result().ok(), Some(&7));
            counter.fetch_add(1, Ordering::SeqCst);
        });

        completer.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

/// A thread that blocks in `result()` while another completes the future is
/// always woken: no lost wake-up.
#[test]
fn complete_races_a_blocking_wait() {
    model(|| {
        let future: Future<u32, ()> = Future::new();
        let observer = future.observer();
        let waiter = thread::spawn(move || *observer.result().unwrap());
        future.set_result(3).unwrap();
        assert_eq!(waiter.join().unwrap(), 3);
    });
}

/// `cancel` and `set_running_or_notify_cancel` agree on who won.
#[test]
fn cancel_races_set_running() {
    model(|| {
        let future: Future<u32, ()> = Future::new();
        let consumer = future.observer();
        let canceller = thread::spawn(move || consumer.cancel());
        let started = future.set_running_or_notify_cancel().unwrap();
        let cancelled = canceller.join().unwrap();

        assert_ne!(started, cancelled, "exactly one side wins");
        let expected = if started {
            State::Running
        } else {
            State::Cancelled
        };
        assert_eq!(future.state(), expected);
    });
}

/// One producer completes and drops its handle while the other handle is
/// dropped elsewhere: the value is never lost to abandonment.
#[test]
fn complete_races_abandonment() {
    model(|| {
        let future: Future<u32, ()> = Future::new();
        let observer = future.observer();
        let producer = future.clone();
        let completer = thread::spawn(move || {
            producer.set_result(5).unwrap();
            drop(producer);
        });
        let dropper = thread::spawn(move || drop(future));
        assert_eq!(observer.result(), Ok(&5));
        completer.join().unwrap();
        dropper.join().unwrap();
        assert_eq!(observer.state(), State::Finished);
    });
}

/// Two handles dropped on two threads while a third thread waits: the
/// waiter is woken with `Abandoned`, and only once every handle is gone.
#[test]
fn last_drop_abandons_a_waiter() {
    model(|| {
        let future: Future<u32, ()> = Future::new();
        let observer = future.observer();
        let other = future.clone();
        let waiter = thread::spawn(move || observer.result().map(|v| *v));
        let dropper = thread::spawn(move || drop(other));
        drop(future);
        dropper.join().unwrap();
        assert_eq!(waiter.join().unwrap(), Err(ResultError::Abandoned));
    });
}
