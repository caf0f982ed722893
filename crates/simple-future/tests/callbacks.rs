//! Done-callbacks: run in the order added, on the completing thread, at once
//! when added to a done future, exactly once, whatever ends the future; a
//! panicking callback does not stop the rest.

mod helpers;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use simple_future::{Future, Observer, ResultError, State};

use helpers::{Counter, Log, TestError, ms};

#[test]
fn callbacks_run_in_the_order_added() {
    let future: Future<u32> = Future::new();
    let log = Log::new();
    for i in 0..20 {
        let log = log.clone();
        future.add_done_callback(move |_| log.push(i));
    }
    assert!(log.events().is_empty(), "nothing runs before completion");
    future.set_result(0).unwrap();
    assert_eq!(log.events(), (0..20).collect::<Vec<_>>());
}

#[test]
fn callbacks_have_run_when_set_result_returns() {
    let future: Future<u32> = Future::new();
    let ran = Counter::new();
    let counter = ran.clone();
    future.add_done_callback(move |_| counter.bump());
    future.set_result(1).unwrap();
    assert_eq!(ran.get(), 1);
}

#[test]
fn callbacks_run_on_the_completing_thread() {
    let future: Future<u32> = Future::new();
    let log = Log::new();
    for _ in 0..3 {
        let log = log.clone();
        future.add_done_callback(move |_| log.push(thread::current().id()));
    }
    let producer = future.clone();
    let completer = thread::spawn(move || {
        producer.set_result(1).unwrap();
        thread::current().id()
    })
    .join()
    .unwrap();
    assert_ne!(completer, thread::current().id());
    assert_eq!(log.events(), vec![completer; 3]);
}

#[test]
fn a_callback_added_after_done_runs_at_once_on_the_callers_thread() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    thread::spawn(move || producer.set_result(5).unwrap())
        .join()
        .unwrap();

    let log = Log::new();
    let recorder = log.clone();
    future
        .add_done_callback(move |f| recorder.push((thread::current().id(), *f.result().unwrap())));
    // It already ran, before add_done_callback returned.
    assert_eq!(log.events(), [(thread::current().id(), 5)]);
}

#[test]
fn a_callback_receives_the_done_future() {
    let future: Future<String, TestError> = Future::with_exception_type();
    let log = Log::new();
    let recorder = log.clone();
    let this = future.observer();
    future.add_done_callback(move |f: &Observer<String, TestError>| {
        recorder.push((
            f.state(),
            f.done(),
            f.same_future(&this),
            f.try_result().ok().cloned(),
        ));
    });
    future.set_result("hi".to_string()).unwrap();
    assert_eq!(
        log.events(),
        [(State::Finished, true, true, Some("hi".to_string()))]
    );
}

#[test]
fn a_callback_sees_the_exception_of_a_raised_future() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    let log = Log::new();
    let recorder = log.clone();
    future.add_done_callback(move |f| recorder.push(f.exception().unwrap()));
    future.set_exception(TestError("bad")).unwrap();
    assert_eq!(log.events(), [Some(Arc::new(TestError("bad")))]);
}

#[test]
fn a_panicking_callback_is_contained_and_the_rest_still_run() {
    let future: Future<u32> = Future::new();
    let log = Log::new();
    for i in 0..5 {
        let log = log.clone();
        future.add_done_callback(move |_| {
            if i == 2 {
                panic!("callback {i} panics");
            }
            log.push(i);
        });
    }
    future.set_result(1).unwrap();
    assert_eq!(log.events(), [0, 1, 3, 4]);
    assert_eq!(future.state(), State::Finished);
    assert_eq!(future.result().ok(), Some(&1));
}

#[test]
fn a_panicking_callback_added_after_done_does_not_unwind_into_the_caller() {
    let future: Future<u32> = Future::new();
    future.set_result(1).unwrap();
    future.add_done_callback(|_| panic!("late callback panics"));
    let ran = Counter::new();
    let counter = ran.clone();
    future.add_done_callback(move |_| counter.bump());
    assert_eq!(ran.get(), 1);
}

#[test]
fn a_panicking_callback_with_a_non_string_payload_is_contained() {
    let future: Future<u32> = Future::new();
    let ran = Counter::new();
    future.add_done_callback(|_| std::panic::panic_any(42_u8));
    let counter = ran.clone();
    future.add_done_callback(move |_| counter.bump());
    future.set_result(1).unwrap();
    assert_eq!(ran.get(), 1);
}

#[test]
fn callbacks_run_on_cancel_on_the_cancelling_thread() {
    let future: Future<u32> = Future::new();
    let log = Log::new();
    let recorder = log.clone();
    future.add_done_callback(move |f| {
        recorder.push((
            thread::current().id(),
            f.cancelled(),
            matches!(f.result(), Err(ResultError::Cancelled)),
        ));
    });
    let observer = future.observer();
    let canceller = thread::spawn(move || {
        assert!(observer.cancel());
        thread::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(log.events(), [(canceller, true, true)]);
}

#[test]
fn callbacks_run_on_abandonment_on_the_thread_dropping_the_last_handle() {
    let future: Future<u32> = Future::new();
    let log = Log::new();
    let recorder = log.clone();
    future.add_done_callback(move |f| {
        recorder.push((
            thread::current().id(),
            f.state(),
            matches!(f.result(), Err(ResultError::Abandoned)),
        ));
    });
    let observer = future.observer();
    let dropper = thread::spawn(move || {
        drop(future);
        thread::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(log.events(), [(dropper, State::Abandoned, true)]);
    assert_eq!(observer.state(), State::Abandoned);
}

#[test]
fn every_callback_runs_exactly_once_whatever_happens_after() {
    let future: Future<u32> = Future::new();
    let runs = Counter::new();
    for _ in 0..3 {
        let runs = runs.clone();
        future.add_done_callback(move |_| runs.bump());
    }
    let observer = future.observer();
    future.set_result(1).unwrap();
    assert_eq!(runs.get(), 3);

    // Nothing after completion runs them again.
    assert!(future.set_result(2).is_err());
    assert!(!observer.cancel());
    assert!(future.set_running_or_notify_cancel().is_err());
    drop(future);
    assert_eq!(observer.state(), State::Finished);
    assert_eq!(runs.get(), 3);
}

#[test]
fn callbacks_and_what_they_own_are_dropped_after_running() {
    let future: Future<u32> = Future::new();
    let token = Arc::new(());
    for _ in 0..3 {
        let token = Arc::clone(&token);
        future.add_done_callback(move |_| {
            let _ = &token;
        });
    }
    assert_eq!(Arc::strong_count(&token), 4);
    future.set_result(1).unwrap();
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "the future does not keep run callbacks"
    );
}

#[test]
fn callbacks_added_from_many_threads_all_run_once_in_order_per_thread() {
    let adders = if cfg!(miri) { 2 } else { 4 };
    let per_adder = if cfg!(miri) { 5 } else { 50 };
    let future: Future<u32> = Future::new();
    let log = Log::new();
    thread::scope(|scope| {
        for adder in 0..adders {
            let log = log.clone();
            let future = &future;
            scope.spawn(move || {
                for i in 0..per_adder {
                    let log = log.clone();
                    future.add_done_callback(move |_| log.push((adder, i)));
                }
            });
        }
    });
    future.set_result(1).unwrap();
    let events = log.events();
    assert_eq!(events.len(), adders * per_adder);
    for adder in 0..adders {
        let order: Vec<_> = events
            .iter()
            .filter(|(a, _)| *a == adder)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(order, (0..per_adder).collect::<Vec<_>>());
    }
}

#[test]
fn a_callback_added_while_another_thread_completes_runs_exactly_once() {
    let rounds = if cfg!(miri) { 5 } else { 200 };
    for _ in 0..rounds {
        let future: Future<u32> = Future::new();
        let runs = Counter::new();
        let producer = future.clone();
        let completer = thread::spawn(move || producer.set_result(1).unwrap());
        let counter = runs.clone();
        future.add_done_callback(move |f| {
            assert_eq!(f.result().ok(), Some(&1));
            counter.bump();
        });
        completer.join().unwrap();
        assert_eq!(runs.get(), 1);
    }
}

#[test]
fn a_running_callback_holds_up_set_result_but_not_other_readers() {
    let future: Future<u32> = Future::new();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    future.add_done_callback(move |_| {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    let producer = future.clone();
    let completer = thread::spawn(move || producer.set_result(3).unwrap());
    started_rx.recv().unwrap();
    // The callback is still running, yet the value is readable and no lock
    // is held: reading, adding a callback and cancelling all return.
    assert_eq!(future.try_result().ok(), Some(&3));
    assert_eq!(future.result().ok(), Some(&3));
    assert!(!future.cancel());
    let ran = Counter::new();
    let counter = ran.clone();
    future.add_done_callback(move |_| counter.bump());
    assert_eq!(ran.get(), 1, "a late callback does not queue behind it");
    thread::sleep(ms(10));
    assert!(
        !completer.is_finished(),
        "set_result waits for its callbacks"
    );
    release_tx.send(()).unwrap();
    completer.join().unwrap();
}

#[test]
fn a_removable_callback_is_removed_only_from_its_future_and_only_before_it_ran() {
    let ran = Arc::new(AtomicUsize::new(0));
    let counting = |ran: &Arc<AtomicUsize>| {
        let ran = Arc::clone(ran);
        move |_: &Observer<u8>| {
            ran.fetch_add(1, Ordering::SeqCst);
        }
    };
    let a: Future<u8> = Future::new();
    let b: Future<u8> = Future::new();
    let key_a = a.add_removable_done_callback(counting(&ran)).unwrap();
    let key_b = b.add_removable_done_callback(counting(&ran)).unwrap();
    assert!(!b.remove_done_callback(key_a), "another future's key");
    assert!(a.remove_done_callback(key_a));
    assert!(!a.remove_done_callback(key_a), "removed already");
    a.set_result(1).unwrap();
    b.set_result(2).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1, "only b's ran");
    assert!(!b.remove_done_callback(key_b), "it ran");
    // Added to a done future: it runs at once, and there is nothing to remove.
    assert!(a.add_removable_done_callback(counting(&ran)).is_none());
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}
