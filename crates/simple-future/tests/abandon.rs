//! Abandonment: when the last `Future` handle goes while the future is
//! pending or running, nobody can complete it, and every waiter learns so.

mod helpers;

use std::thread;
use std::time::{Duration, Instant};

use simple_future::{Future, ResultError, ResultTimeoutError, State};

use helpers::{Counter, Log, PATIENCE, ms};

#[test]
fn dropping_the_only_future_abandons_it() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    drop(future);
    assert_eq!(observer.state(), State::Abandoned);
    assert!(observer.done());
    assert!(!observer.cancelled());
    assert!(!observer.running());
    assert!(matches!(observer.result(), Err(ResultError::Abandoned)));
    assert!(matches!(
        observer.result_timeout(Duration::ZERO),
        Err(ResultTimeoutError::Failed(ResultError::Abandoned))
    ));
}

#[test]
fn dropping_a_running_future_abandons_it() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    future.set_running_or_notify_cancel().unwrap();
    drop(future);
    assert_eq!(observer.state(), State::Abandoned);
}

#[test]
fn dropping_one_clone_while_another_lives_does_not_abandon() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let observer = future.observer();
    drop(future);
    assert_eq!(observer.state(), State::Pending);
    producer.set_result(8).unwrap();
    assert_eq!(observer.result().ok(), Some(&8));
}

#[test]
fn the_last_of_many_clones_abandons() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let clones: Vec<_> = (0..5).map(|_| future.clone()).collect();
    drop(future);
    for clone in clones {
        assert_eq!(observer.state(), State::Pending);
        drop(clone);
    }
    assert_eq!(observer.state(), State::Abandoned);
}

#[test]
fn into_observer_of_the_last_future_abandons() {
    let future: Future<u32> = Future::new();
    let observer = future.into_observer();
    assert_eq!(observer.state(), State::Abandoned);
    assert!(matches!(observer.result(), Err(ResultError::Abandoned)));
}

#[test]
fn into_observer_while_a_clone_lives_does_not_abandon() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let observer = future.into_observer();
    assert_eq!(observer.state(), State::Pending);
    producer.set_result(2).unwrap();
    assert_eq!(observer.result().ok(), Some(&2));
}

#[test]
fn observers_do_not_keep_a_future_completable() {
    let future: Future<u32> = Future::new();
    let observers: Vec<_> = (0..3).map(|_| future.observer()).collect();
    let observer_clone = observers[0].clone();
    drop(future);
    for observer in observers.iter().chain([&observer_clone]) {
        assert_eq!(observer.state(), State::Abandoned);
    }
}

#[test]
fn a_blocked_observer_wakes_when_the_last_future_is_dropped_elsewhere() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let waiter = thread::spawn(move || matches!(observer.result(), Err(ResultError::Abandoned)));
    let timed = future.observer();
    let timed_waiter = thread::spawn(move || {
        let start = Instant::now();
        let abandoned = matches!(
            timed.result_timeout(Duration::from_secs(3600)),
            Err(ResultTimeoutError::Failed(ResultError::Abandoned))
        );
        (abandoned, start.elapsed())
    });
    thread::sleep(ms(20));
    thread::spawn(move || drop(future)).join().unwrap();
    assert!(waiter.join().unwrap());
    let (abandoned, waited) = timed_waiter.join().unwrap();
    assert!(abandoned);
    assert!(waited < PATIENCE, "not woken by abandonment: {waited:?}");
}

#[test]
fn a_producer_thread_that_panics_abandons_its_future() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let log = Log::new();
    let recorder = log.clone();
    future.add_done_callback(move |f| recorder.push(f.state()));
    let producer = thread::spawn(move || {
        let _future = future;
        panic!("the producer dies before set_result");
    });
    assert!(producer.join().is_err());
    assert!(matches!(observer.result(), Err(ResultError::Abandoned)));
    assert_eq!(
        log.events(),
        [State::Abandoned],
        "callbacks ran while unwinding"
    );
}

#[test]
fn a_panicking_callback_run_by_an_unwinding_producer_is_contained() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let runs = Counter::new();
    future.add_done_callback(|_| panic!("a callback panics during the unwind"));
    let counter = runs.clone();
    future.add_done_callback(move |_| counter.bump());
    let producer = thread::spawn(move || {
        let _future = future;
        panic!("the producer dies");
    });
    assert!(producer.join().is_err());
    assert_eq!(observer.state(), State::Abandoned);
    assert_eq!(runs.get(), 1);
}

#[test]
fn a_finished_future_is_not_changed_by_dropping_its_handles() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let runs = Counter::new();
    let counter = runs.clone();
    future.add_done_callback(move |_| counter.bump());
    let clone = future.clone();
    future.set_result(1).unwrap();
    drop(future);
    drop(clone);
    assert_eq!(observer.state(), State::Finished);
    assert_eq!(observer.result().ok(), Some(&1));
    assert_eq!(runs.get(), 1, "dropping does not run the callbacks again");
}

#[test]
fn a_cancelled_future_is_not_changed_by_dropping_its_handles() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let runs = Counter::new();
    let counter = runs.clone();
    future.add_done_callback(move |_| counter.bump());
    assert!(future.cancel());
    drop(future);
    assert_eq!(observer.state(), State::Cancelled);
    assert!(matches!(observer.result(), Err(ResultError::Cancelled)));
    assert_eq!(runs.get(), 1);
}

#[test]
fn a_future_nobody_watches_is_abandoned_quietly() {
    let runs = Counter::new();
    let future: Future<u32> = Future::new();
    let counter = runs.clone();
    future.add_done_callback(move |f| {
        assert_eq!(f.state(), State::Abandoned);
        counter.bump();
    });
    drop(future);
    assert_eq!(runs.get(), 1, "callbacks still run, with no observer left");
}

#[test]
fn racing_drops_of_the_last_two_clones_abandon_exactly_once() {
    let rounds = if cfg!(miri) { 5 } else { 300 };
    for _ in 0..rounds {
        let future: Future<u32> = Future::new();
        let observer = future.observer();
        let runs = Counter::new();
        let counter = runs.clone();
        future.add_done_callback(move |_| counter.bump());
        let clone = future.clone();
        let other = thread::spawn(move || drop(clone));
        drop(future);
        other.join().unwrap();
        assert_eq!(observer.state(), State::Abandoned);
        assert_eq!(runs.get(), 1);
    }
}

#[test]
fn a_drop_racing_a_cancel_ends_in_one_final_state_with_callbacks_once() {
    let rounds = if cfg!(miri) { 5 } else { 300 };
    for _ in 0..rounds {
        let future: Future<u32> = Future::new();
        let observer = future.observer();
        let runs = Counter::new();
        let counter = runs.clone();
        future.add_done_callback(move |_| counter.bump());
        let canceller = {
            let observer = observer.clone();
            thread::spawn(move || observer.cancel())
        };
        drop(future);
        let cancelled = canceller.join().unwrap();
        let expected = if cancelled {
            State::Cancelled
        } else {
            State::Abandoned
        };
        assert_eq!(observer.state(), expected);
        assert_eq!(runs.get(), 1);
    }
}
