//! Reading a future: `result`, `try_result`, `result_timeout` and the
//! `exception` family; any number of readers; timeouts that never end early.

mod helpers;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use simple_future::{Future, ResultError, ResultTimeoutError, TryResultError};

use helpers::{PATIENCE, TestError, ms};

#[test]
fn result_returns_a_reference_to_the_one_stored_value() {
    let future: Future<String> = Future::new();
    future.set_result("value".to_string()).unwrap();
    let first = future.result().unwrap();
    let second = future.observer();
    let second = second.result().unwrap();
    assert_eq!(first, "value");
    assert!(std::ptr::eq(first, second), "no copy per reader");
    assert!(std::ptr::eq(first, future.try_result().unwrap()));
    assert!(std::ptr::eq(first, future.result_timeout(ms(1)).unwrap()));
}

#[test]
fn result_blocks_until_another_thread_sets_it_never_earlier() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let start = Instant::now();
    let worker = thread::spawn(move || {
        thread::sleep(ms(50));
        producer.set_result(7).unwrap();
    });
    assert_eq!(future.result().ok(), Some(&7));
    assert!(
        start.elapsed() >= ms(50),
        "returned before the value was set"
    );
    worker.join().unwrap();
}

#[test]
fn result_of_a_raised_future_is_the_shared_exception() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    future.set_exception(TestError("bad")).unwrap();
    let Err(ResultError::Exception(first)) = future.result() else {
        panic!("expected the exception");
    };
    let Err(ResultError::Exception(second)) = future.observer().result() else {
        panic!("expected the exception");
    };
    assert_eq!(*first, TestError("bad"));
    assert!(Arc::ptr_eq(&first, &second), "one exception, shared");
}

#[test]
fn result_of_a_cancelled_future_is_cancelled() {
    let future: Future<u32> = Future::new();
    future.cancel();
    assert!(matches!(future.result(), Err(ResultError::Cancelled)));
    assert!(matches!(
        future.result_timeout(ms(1)),
        Err(ResultTimeoutError::Failed(ResultError::Cancelled))
    ));
    assert!(matches!(
        future.try_result(),
        Err(TryResultError::Failed(ResultError::Cancelled))
    ));
}

#[test]
fn try_result_never_blocks() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    assert_eq!(future.try_result(), Err(TryResultError::Pending));
    future.set_running_or_notify_cancel().unwrap();
    assert_eq!(future.try_result(), Err(TryResultError::Pending));
    future.set_result(1).unwrap();
    assert_eq!(future.try_result(), Ok(&1));

    let raised: Future<u32, TestError> = Future::with_exception_type();
    raised.set_exception(TestError("x")).unwrap();
    assert_eq!(
        raised.try_result(),
        Err(TryResultError::Failed(ResultError::Exception(Arc::new(
            TestError("x")
        ))))
    );
}

#[test]
fn result_timeout_on_a_pending_future_times_out_never_early() {
    let future: Future<u32> = Future::new();
    let start = Instant::now();
    assert!(matches!(
        future.result_timeout(ms(50)),
        Err(ResultTimeoutError::Timeout)
    ));
    let waited = start.elapsed();
    assert!(waited >= ms(50), "timed out early: {waited:?}");
    assert!(waited < PATIENCE, "timed out far too late: {waited:?}");
    assert!(!future.done(), "a timeout does not change the future");
}

#[test]
fn result_timeout_of_zero_on_a_pending_future_times_out_at_once() {
    let future: Future<u32> = Future::new();
    let start = Instant::now();
    assert!(matches!(
        future.result_timeout(Duration::ZERO),
        Err(ResultTimeoutError::Timeout)
    ));
    assert!(start.elapsed() < PATIENCE);
}

#[test]
fn result_timeout_on_a_done_future_returns_without_waiting() {
    let future: Future<u32> = Future::new();
    future.set_result(5).unwrap();
    assert_eq!(future.result_timeout(Duration::ZERO).ok(), Some(&5));
}

#[test]
fn result_timeout_returns_the_value_as_soon_as_it_is_set() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let start = Instant::now();
    let worker = thread::spawn(move || {
        thread::sleep(ms(30));
        producer.set_result(11).unwrap();
    });
    // The timeout is far away: returning means the value woke us.
    assert_eq!(
        future.result_timeout(Duration::from_secs(3600)).ok(),
        Some(&11)
    );
    let waited = start.elapsed();
    assert!(waited >= ms(30), "returned before the value was set");
    assert!(waited < PATIENCE, "not woken by set_result: {waited:?}");
    worker.join().unwrap();
}

#[test]
fn result_timeout_of_duration_max_waits_like_result() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let worker = thread::spawn(move || {
        thread::sleep(ms(10));
        producer.set_result(3).unwrap();
    });
    assert_eq!(future.result_timeout(Duration::MAX).ok(), Some(&3));
    worker.join().unwrap();
}

#[test]
fn exception_is_none_for_a_value_and_the_error_for_a_raise() {
    let returned: Future<u32, TestError> = Future::with_exception_type();
    returned.set_result(1).unwrap();
    assert_eq!(returned.exception(), Ok(None));
    assert_eq!(returned.try_exception(), Ok(None));
    assert_eq!(returned.exception_timeout(ms(1)), Ok(None));

    let raised: Future<u32, TestError> = Future::with_exception_type();
    raised.set_exception(TestError("e")).unwrap();
    let first = raised.exception().unwrap().unwrap();
    let second = raised.try_exception().unwrap().unwrap();
    let third = raised.exception_timeout(ms(1)).unwrap().unwrap();
    assert_eq!(*first, TestError("e"));
    assert!(Arc::ptr_eq(&first, &second) && Arc::ptr_eq(&first, &third));
}

#[test]
fn exception_of_a_cancelled_future_fails_with_cancelled() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    future.cancel();
    assert_eq!(future.exception(), Err(ResultError::Cancelled));
    assert_eq!(
        future.try_exception(),
        Err(TryResultError::Failed(ResultError::Cancelled))
    );
    assert_eq!(
        future.exception_timeout(ms(1)),
        Err(ResultTimeoutError::Failed(ResultError::Cancelled))
    );
}

#[test]
fn exception_of_an_abandoned_future_fails_with_abandoned() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    let observer = future.observer();
    drop(future);
    assert_eq!(observer.exception(), Err(ResultError::Abandoned));
    assert_eq!(
        observer.try_exception(),
        Err(TryResultError::Failed(ResultError::Abandoned))
    );
    assert_eq!(
        observer.exception_timeout(ms(1)),
        Err(ResultTimeoutError::Failed(ResultError::Abandoned))
    );
}

#[test]
fn exception_blocks_until_the_future_is_done() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    let producer = future.clone();
    let start = Instant::now();
    let worker = thread::spawn(move || {
        thread::sleep(ms(30));
        producer.set_exception(TestError("late")).unwrap();
    });
    assert_eq!(*future.exception().unwrap().unwrap(), TestError("late"));
    assert!(start.elapsed() >= ms(30));
    worker.join().unwrap();
}

#[test]
fn exception_timeout_and_try_exception_on_a_pending_future() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    assert_eq!(future.try_exception(), Err(TryResultError::Pending));
    let start = Instant::now();
    assert_eq!(
        future.exception_timeout(ms(40)),
        Err(ResultTimeoutError::Timeout)
    );
    let waited = start.elapsed();
    assert!(waited >= ms(40), "timed out early: {waited:?}");
    assert!(waited < PATIENCE);
}

#[test]
fn many_threads_read_the_same_value_at_once() {
    let readers = if cfg!(miri) { 3 } else { 8 };
    let future: Future<String> = Future::new();
    let addresses: Vec<usize> = thread::scope(|scope| {
        let waiting: Vec<_> = (0..readers)
            .map(|_| {
                scope.spawn(|| {
                    let value = future.result().unwrap();
                    assert_eq!(value, "shared");
                    value as *const String as usize
                })
            })
            .collect();
        thread::sleep(ms(20)); // let most of them block first
        future.set_result("shared".to_string()).unwrap();
        waiting.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let stored = future.try_result().unwrap() as *const String as usize;
    assert!(
        addresses.iter().all(|&a| a == stored),
        "every reader borrows the one stored value"
    );
}

#[test]
fn every_blocked_waiter_wakes_on_one_completion() {
    let waiters = if cfg!(miri) { 3 } else { 6 };
    let future: Future<u32, TestError> = Future::with_exception_type();
    let handles: Vec<_> = (0..waiters)
        .map(|i| {
            let observer = future.observer();
            thread::spawn(move || match i % 3 {
                0 => observer.result().copied().map_err(|_| ()),
                1 => observer
                    .result_timeout(Duration::from_secs(3600))
                    .copied()
                    .map_err(|_| ()),
                _ => observer
                    .exception()
                    .map(|e| u32::from(e.is_none()))
                    .map_err(|_| ()),
            })
        })
        .collect();
    thread::sleep(ms(20));
    future.set_result(1).unwrap();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), Ok(1));
    }
}

#[test]
fn result_errors_have_lowercase_messages() {
    let exception: ResultError<TestError> = ResultError::Exception(Arc::new(TestError("bad")));
    assert_eq!(
        exception.to_string(),
        "the future raised an exception: test error: bad"
    );
    assert_eq!(
        ResultError::<TestError>::Cancelled.to_string(),
        "the future was cancelled"
    );
    assert!(
        ResultError::<TestError>::Abandoned
            .to_string()
            .starts_with("the future was abandoned")
    );
    assert_eq!(
        TryResultError::<TestError>::Pending.to_string(),
        "the future is not done yet"
    );
    assert_eq!(
        ResultTimeoutError::<TestError>::Timeout.to_string(),
        "timed out waiting for the future"
    );
    // The wrappers say what they wrap, and nothing more.
    assert_eq!(
        TryResultError::Failed(ResultError::<TestError>::Cancelled).to_string(),
        "the future was cancelled"
    );
    assert_eq!(
        ResultTimeoutError::from(ResultError::<TestError>::Cancelled),
        ResultTimeoutError::Failed(ResultError::Cancelled)
    );
}

#[test]
fn blocking_on_the_declared_completing_thread_panics_instead_of_hanging() {
    let future: Future<u32> = Future::new();
    future.set_completing_thread(std::thread::current().id());
    for call in ["result", "exception"] {
        let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match call {
            "result" => drop(future.result()),
            _ => drop(future.exception()),
        }));
        let message = *waited.expect_err(call).downcast::<String>().unwrap();
        assert!(message.contains(&format!("`{call}`")), "{message}");
    }
    // Done, it reads without blocking, on any thread.
    future.set_result(4).unwrap();
    assert_eq!(*future.result().unwrap(), 4);
}
