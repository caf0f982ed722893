//! loom models of the races at the heart of a future. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p simple-future --lib --release -- loom_models`.
//!
//! loom explores every interleaving of the threads below (bounded by
//! `LOOM_MAX_PREEMPTIONS`), with its own `Arc`, `Mutex`, `Condvar` and
//! atomics standing in through `crate::sync`.

// The test waker below needs a raw vtable: loom's `Arc` cannot back
// `std::task::Wake`.
#![allow(unsafe_code)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::error::ResultError;
use std::future::IntoFuture;

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
        let future: Future<u32, ()> = Future::with_exception_type();
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
        let future: Future<u32, ()> = Future::with_exception_type();
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
        let future: Future<u32, ()> = Future::with_exception_type();
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
        let future: Future<u32, ()> = Future::with_exception_type();
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
        let future: Future<u32, ()> = Future::with_exception_type();
        let observer = future.observer();
        let other = future.clone();
        let waiter = thread::spawn(move || observer.result().map(|v| *v));
        let dropper = thread::spawn(move || drop(other));
        drop(future);
        dropper.join().unwrap();
        assert_eq!(waiter.join().unwrap(), Err(ResultError::Abandoned));
    });
}

/// Two completions race: exactly one wins, and the loser is told the state
/// the winner left (after waiting out its write), with its value back.
#[test]
fn set_result_races_set_result_and_cancel() {
    model(|| {
        let future: Future<u32, ()> = Future::with_exception_type();
        let other = future.clone();
        let observer = future.observer();
        let second = thread::spawn(move || other.set_result(2).map_err(|e| e.into_inner()));
        let canceller = thread::spawn(move || observer.cancel());
        let first = future
            .set_result(1)
            .map_err(|e| (e.state(), e.into_inner()));
        let second = second.join().unwrap();
        let cancelled = canceller.join().unwrap();

        let winners =
            usize::from(first.is_ok()) + usize::from(second.is_ok()) + usize::from(cancelled);
        assert_eq!(winners, 1, "exactly one completion wins");
        match future.try_result() {
            Ok(&1) => assert!(first.is_ok()),
            Ok(&2) => {
                assert_eq!(second, Ok(()));
                assert_eq!(first, Err((State::Finished, 1)));
            }
            Err(_) => {
                assert!(cancelled);
                assert_eq!(first, Err((State::Cancelled, 1)));
            }
            Ok(other) => panic!("unexpected value {other}"),
        }
    });
}

/// An async task registering its waker while another thread completes the
/// future is always woken (or sees the value on its first poll).
#[test]
fn complete_races_an_await() {
    use std::future::Future as _;
    use std::pin::pin;
    use std::task::{Context, Poll};

    model(|| {
        let future: Future<u32, ()> = Future::with_exception_type();
        let producer = future.clone();
        let completer = thread::spawn(move || producer.set_result(9).unwrap());

        let woken = Arc::new(AtomicUsize::new(0));
        let waker = counting_waker(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(future.observer().into_future());
        let first = wait.as_mut().poll(&mut cx);
        completer.join().unwrap();
        match first {
            Poll::Ready(value) => assert_eq!(value, Ok(9)),
            Poll::Pending => {
                assert_eq!(woken.load(Ordering::SeqCst), 1, "the waker was woken");
                assert_eq!(wait.as_mut().poll(&mut cx), Poll::Ready(Ok(9)));
            }
        }
    });
}

/// An `Observer` polled once and dropped while another thread completes
/// the future: its waker is either taken by the completion or removed by
/// the drop, never left behind.
#[test]
fn dropping_a_waiting_observer_races_completion() {
    use std::future::Future as _;
    use std::pin::Pin;
    use std::task::Context;

    model(|| {
        let future: Future<u32, ()> = Future::with_exception_type();
        let producer = future.clone();
        let completer = thread::spawn(move || producer.set_result(1).unwrap());

        let woken = Arc::new(AtomicUsize::new(0));
        let waker = counting_waker(Arc::clone(&woken));
        let mut observer = future.observer();
        let _ = Pin::new(&mut observer).poll(&mut Context::from_waker(&waker));
        drop(observer);
        completer.join().unwrap();
        drop(waker);
        assert_eq!(
            Arc::strong_count(&woken),
            1,
            "a waker clone was left behind"
        );
    });
}

/// A waker that counts its wakes (loom's `Arc` cannot back `std::task::Wake`).
fn counting_waker(count: Arc<AtomicUsize>) -> std::task::Waker {
    use std::task::{RawWaker, RawWakerVTable, Waker};

    // The data pointer is a leaked `Box<Arc<AtomicUsize>>`, freed on drop.
    fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` came from `Box::into_raw` below and is still live.
        let count = unsafe { &*data.cast::<Arc<AtomicUsize>>() };
        raw(Arc::clone(count))
    }
    fn wake(data: *const ()) {
        wake_by_ref(data);
        drop_waker(data);
    }
    fn wake_by_ref(data: *const ()) {
        // SAFETY: as in `clone`.
        let count = unsafe { &*data.cast::<Arc<AtomicUsize>>() };
        count.fetch_add(1, Ordering::SeqCst);
    }
    fn drop_waker(data: *const ()) {
        // SAFETY: every waker owns its box, dropped exactly once here.
        drop(unsafe { Box::from_raw(data.cast_mut().cast::<Arc<AtomicUsize>>()) });
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);
    fn raw(count: Arc<AtomicUsize>) -> RawWaker {
        RawWaker::new(Box::into_raw(Box::new(count)).cast::<()>(), &VTABLE)
    }
    // SAFETY: the vtable's functions uphold `RawWaker`'s contract above.
    unsafe { Waker::from_raw(raw(count)) }
}
