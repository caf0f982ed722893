//! Running, stopping, idling, completing and closing.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{Log, drop_guard, ms, strict, without_hanging};
use poll_loop::{EventLoop, LoopHandle, RunError, RunUntilCompleteError};
use simple_future::{Future, ResultError};

#[test]
fn stop_ends_run_forever_after_the_current_batch() {
    let lp = EventLoop::new();
    let _strict = strict(&lp);
    let log = Log::new();
    let h = lp.handle();
    let l = log.clone();
    lp.call_soon(move || {
        l.push(1);
        h.stop();
        assert!(h.is_running(), "stop does not end the callback");
    });
    lp.call_soon(log.recording(2)); // same batch: still runs
    assert!(!lp.is_running());
    lp.run_forever().unwrap();
    assert!(!lp.is_running());
    assert_eq!(log.events(), [1, 2]);
}

#[test]
fn stop_before_running_makes_the_next_run_one_iteration() {
    let lp = EventLoop::new();
    let log = Log::new();
    let (h, l) = (lp.handle(), log.clone());
    lp.call_soon(move || {
        l.push("first run");
        h.call_soon(l.recording("leftover"));
    });
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(log.events(), ["first run"], "one iteration only");
    lp.call_soon(log.recording("later run"));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["first run", "leftover", "later run"]);
}

#[test]
fn run_until_idle_returns_at_once_when_there_is_nothing() {
    let lp = EventLoop::new();
    lp.run_until_idle().unwrap();
    assert_eq!(lp.stats().iterations, 0);
}

#[test]
fn run_until_idle_waits_for_timers_but_not_for_never() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        lp.call_later(Duration::MAX, log.recording("never"));
        lp.call_later(ms(20), log.recording("timer"));
        let start = Instant::now();
        lp.run_until_idle().unwrap();
        assert!(start.elapsed() >= ms(20));
        assert_eq!(log.events(), ["timer"]);
    });
}

#[test]
fn run_until_complete_returns_the_value() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let future: Future<String> = Future::new();
        let producer = future.clone();
        lp.call_later(ms(10), move || {
            producer.set_result("Hello World".to_string()).unwrap();
        });
        let value: &String = lp.run_until_complete(&future).unwrap();
        assert_eq!(value, "Hello World");
        // The loop ran only until then.
        assert!(!lp.is_running());
    });
}

#[test]
fn run_until_complete_with_a_future_completed_by_another_thread() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let future: Future<u64> = Future::new();
        let producer = future.clone();
        let worker = std::thread::spawn(move || {
            std::thread::sleep(ms(20));
            producer.set_result(25).unwrap();
        });
        assert_eq!(*lp.run_until_complete(&future.observer()).unwrap(), 25);
        worker.join().unwrap();
    });
}

#[test]
fn run_until_complete_on_a_done_future_returns_without_running() {
    let lp = EventLoop::new();
    let future: Future<u8> = Future::new();
    future.set_result(1).unwrap();
    let log = Log::new();
    lp.call_soon(log.recording("not run"));
    assert_eq!(*lp.run_until_complete(&future).unwrap(), 1);
    assert_eq!(lp.stats().iterations, 0);
    assert!(log.events().is_empty());
}

#[test]
fn run_until_complete_reports_a_failed_future() {
    let lp = EventLoop::new();
    let future: Future<u8, String> = Future::with_exception_type();
    let producer = future.clone();
    lp.call_soon(move || {
        producer.set_exception("bad".to_string()).unwrap();
    });
    match lp.run_until_complete(&future) {
        Err(RunUntilCompleteError::Failed(ResultError::Exception(e))) => assert_eq!(*e, "bad"),
        other => panic!("unexpected {other:?}"),
    }
    let cancelled: Future<u8> = Future::new();
    let c = cancelled.observer();
    lp.call_soon(move || {
        c.cancel();
    });
    let error = lp.run_until_complete(&cancelled).unwrap_err();
    assert!(matches!(
        error,
        RunUntilCompleteError::Failed(ResultError::Cancelled)
    ));
    assert_eq!(error.to_string(), "the future was cancelled");
}

#[test]
fn run_until_complete_stopped_early_is_an_error() {
    let lp = EventLoop::new();
    let future: Future<u8> = Future::new();
    let h = lp.handle();
    lp.call_soon(move || h.stop());
    let error = lp.run_until_complete(&future).unwrap_err();
    assert!(matches!(error, RunUntilCompleteError::Stopped));
    assert_eq!(
        error.to_string(),
        "the event loop stopped before the future completed"
    );
    // The future is untouched: complete it and run again.
    future.set_result(3).unwrap();
    assert_eq!(*lp.run_until_complete(&future).unwrap(), 3);
}

#[test]
fn close_drops_everything_pending() {
    let lp = EventLoop::new();
    let (soon, soon_dropped) = drop_guard();
    let (timer, timer_dropped) = drop_guard();
    let (never, never_dropped) = drop_guard();
    lp.call_soon(move || soon.touch());
    lp.call_later(ms(10), move || timer.touch());
    lp.call_later(Duration::MAX, move || never.touch());
    assert!(!lp.is_closed());
    lp.close().unwrap();
    assert!(lp.is_closed());
    assert!(soon_dropped.dropped() && timer_dropped.dropped() && never_dropped.dropped());
    lp.close().unwrap(); // twice is fine
}

#[test]
fn a_closed_loop_refuses_to_run() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    assert_eq!(lp.run_forever(), Err(RunError::Closed));
    assert_eq!(lp.run_until_idle(), Err(RunError::Closed));
    let future: Future<u8> = Future::new();
    assert!(matches!(
        lp.run_until_complete(&future).unwrap_err(),
        RunUntilCompleteError::Run(RunError::Closed)
    ));
    assert_eq!(RunError::Closed.to_string(), "the event loop is closed");
}

#[test]
#[should_panic(expected = "the event loop is closed")]
fn scheduling_on_a_closed_loop_panics() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    lp.call_soon(|| {});
}

#[test]
fn dropping_the_loop_breaks_cycles_through_captured_handles() {
    let lp = EventLoop::new();
    let (guard, flag) = drop_guard();
    let h: LoopHandle = lp.handle();
    // The callback holds a handle to the loop that holds the callback.
    lp.call_later(ms(10), move || {
        guard.touch();
        h.stop();
    });
    drop(lp);
    assert!(flag.dropped(), "the cycle was broken on drop");
}

#[test]
fn closing_drops_the_exception_handler_too() {
    let lp = EventLoop::new();
    let (guard, flag) = drop_guard();
    lp.set_exception_handler(move |_, _| guard.touch());
    lp.close().unwrap();
    assert!(flag.dropped());
}

#[test]
fn debug_output_names_the_state() {
    let lp = EventLoop::new();
    let text = format!("{lp:?}");
    assert!(text.starts_with("EventLoop {"), "{text}");
    assert!(text.contains("running: false"), "{text}");
    assert!(format!("{:?}", lp.handle()).starts_with("LoopHandle {"));
}
