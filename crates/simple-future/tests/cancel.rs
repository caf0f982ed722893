//! Python's cancel semantics: only a pending future can be cancelled; a
//! cancelled one stays cancelled; `set_running_or_notify_cancel` tells an
//! executor whether to run the work.

mod helpers;

use std::thread;
use std::time::{Duration, Instant};

use simple_future::{Future, ResultError, ResultTimeoutError, State, TryResultError};

use helpers::{Counter, PATIENCE, TestError, ms};

#[test]
fn cancel_on_a_pending_future_cancels_it() {
    let future: Future<u32> = Future::new();
    assert!(future.cancel());
    assert_eq!(future.state(), State::Cancelled);
    assert!(future.cancelled());
    assert!(future.done());
    assert!(!future.running());
    assert!(matches!(future.result(), Err(ResultError::Cancelled)));
    assert!(matches!(
        future.try_result(),
        Err(TryResultError::Failed(ResultError::Cancelled))
    ));
    assert!(matches!(future.exception(), Err(ResultError::Cancelled)));
}

#[test]
fn cancel_on_a_cancelled_future_returns_true_again() {
    let future: Future<u32> = Future::new();
    assert!(future.cancel());
    assert!(future.cancel());
    assert!(future.observer().cancel());
    assert_eq!(future.state(), State::Cancelled);
}

#[test]
fn cancel_on_a_running_future_returns_false_and_it_keeps_running() {
    let future: Future<u32> = Future::new();
    assert!(future.set_running_or_notify_cancel().unwrap());
    assert!(!future.cancel());
    assert_eq!(future.state(), State::Running);
    assert!(!future.cancelled());
    future.set_result(4).unwrap();
    assert_eq!(future.result().ok(), Some(&4));
}

#[test]
fn cancel_on_a_finished_future_returns_false_and_keeps_the_value() {
    let future: Future<u32> = Future::new();
    future.set_result(4).unwrap();
    assert!(!future.cancel());
    assert_eq!(future.state(), State::Finished);
    assert_eq!(future.result().ok(), Some(&4));
}

#[test]
fn cancel_on_a_raised_future_returns_false_and_keeps_the_exception() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    future.set_exception(TestError("e")).unwrap();
    assert!(!future.cancel());
    assert_eq!(future.state(), State::Finished);
    assert_eq!(*future.exception().unwrap().unwrap(), TestError("e"));
}

#[test]
fn cancel_on_an_abandoned_future_returns_false() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    drop(future);
    assert!(!observer.cancel());
    assert_eq!(observer.state(), State::Abandoned);
    assert!(!observer.cancelled());
}

#[test]
fn an_observer_can_cancel_and_the_producer_sees_it() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    assert!(observer.cancel());
    assert!(future.cancelled());
    assert_eq!(future.set_result(1).unwrap_err().state(), State::Cancelled);
}

#[test]
fn cancel_wakes_a_blocked_waiter_with_cancelled() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let waiter = thread::spawn(move || matches!(observer.result(), Err(ResultError::Cancelled)));
    thread::sleep(ms(20));
    assert!(future.cancel());
    assert!(waiter.join().unwrap());
}

#[test]
fn cancel_wakes_a_timed_waiter_long_before_its_timeout() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    let waiter = thread::spawn(move || {
        let start = Instant::now();
        let result = observer.result_timeout(Duration::from_secs(3600));
        (
            matches!(
                result,
                Err(ResultTimeoutError::Failed(ResultError::Cancelled))
            ),
            start.elapsed(),
        )
    });
    thread::sleep(ms(20));
    assert!(future.cancel());
    let (cancelled, waited) = waiter.join().unwrap();
    assert!(cancelled);
    assert!(waited < PATIENCE, "not woken by cancel: {waited:?}");
}

#[test]
fn cancel_runs_the_callbacks_once_and_a_second_cancel_does_not() {
    let future: Future<u32> = Future::new();
    let runs = Counter::new();
    let counter = runs.clone();
    future.add_done_callback(move |f| {
        assert!(f.cancelled());
        counter.bump();
    });
    assert!(future.cancel());
    assert!(future.cancel());
    assert_eq!(runs.get(), 1);
}

#[test]
fn set_running_or_notify_cancel_on_a_pending_future_starts_it() {
    let future: Future<u32> = Future::new();
    assert!(future.set_running_or_notify_cancel().unwrap());
    assert_eq!(future.state(), State::Running);
    assert!(future.running());
    assert!(!future.done());
}

#[test]
fn set_running_or_notify_cancel_on_a_cancelled_future_says_skip_the_work() {
    let future: Future<u32> = Future::new();
    future.cancel();
    assert!(!future.set_running_or_notify_cancel().unwrap());
    assert_eq!(future.state(), State::Cancelled, "it stays cancelled");
    // Asking again is an error, as in Python (issue 12); it stays cancelled.
    let again = future.set_running_or_notify_cancel().unwrap_err();
    assert_eq!(again.state(), State::Cancelled);
    assert_eq!(future.state(), State::Cancelled);
}

#[test]
fn set_running_or_notify_cancel_on_a_running_future_is_invalid() {
    let future: Future<u32> = Future::new();
    future.set_running_or_notify_cancel().unwrap();
    let refused = future.set_running_or_notify_cancel().unwrap_err();
    assert_eq!(refused.state(), State::Running);
    assert_eq!(future.state(), State::Running);
}

#[test]
fn set_running_or_notify_cancel_on_a_finished_future_is_invalid() {
    let future: Future<u32> = Future::new();
    future.set_result(1).unwrap();
    let refused = future.set_running_or_notify_cancel().unwrap_err();
    assert_eq!(refused.state(), State::Finished);
    // Python's message: the state, then the repr (issue 12).
    assert!(
        refused.to_string().starts_with("FINISHED: <Future at 0x"),
        "{refused}"
    );
    assert_eq!(future.state(), State::Finished);

    let raised: Future<u32, TestError> = Future::with_exception_type();
    raised.set_exception(TestError("e")).unwrap();
    assert_eq!(
        raised.set_running_or_notify_cancel().unwrap_err().state(),
        State::Finished
    );
}

#[test]
fn set_running_does_not_wake_or_call_back() {
    let future: Future<u32> = Future::new();
    let runs = Counter::new();
    let counter = runs.clone();
    future.add_done_callback(move |_| counter.bump());
    future.set_running_or_notify_cancel().unwrap();
    assert_eq!(runs.get(), 0);
    assert!(matches!(
        future.result_timeout(ms(10)),
        Err(ResultTimeoutError::Timeout)
    ));
    future.set_result(1).unwrap();
    assert_eq!(runs.get(), 1);
}

#[test]
fn cancel_racing_set_running_has_one_winner() {
    let rounds = if cfg!(miri) { 5 } else { 300 };
    for _ in 0..rounds {
        let future: Future<u32> = Future::new();
        let observer = future.observer();
        let canceller = thread::spawn(move || observer.cancel());
        let started = future.set_running_or_notify_cancel().unwrap();
        let cancelled = canceller.join().unwrap();
        assert_ne!(started, cancelled, "exactly one of them wins");
        let expected = if started {
            State::Running
        } else {
            State::Cancelled
        };
        assert_eq!(future.state(), expected);
    }
}
