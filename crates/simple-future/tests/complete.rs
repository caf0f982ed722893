//! Completing a future: it is set once, a refused completion hands its value
//! back, and the state moves Pending → (Running →) Finished.

mod helpers;

use simple_future::{Exception, Future, InvalidState, ResultError, State, TryResultError};

use helpers::{Counter, DropCounted, TestError};

#[test]
fn a_new_future_is_pending() {
    let future: Future<i32> = Future::new();
    assert_eq!(future.state(), State::Pending);
    assert!(!future.done());
    assert!(!future.running());
    assert!(!future.cancelled());
    assert!(matches!(future.try_result(), Err(TryResultError::Pending)));

    let default: Future<i32> = Future::default();
    assert_eq!(default.state(), State::Pending);
}

#[test]
fn set_result_finishes_a_pending_future() {
    let future: Future<i32> = Future::new();
    future.set_result(42).unwrap();
    assert_eq!(future.state(), State::Finished);
    assert!(future.done());
    assert!(!future.running());
    assert!(!future.cancelled());
    assert_eq!(future.try_result().ok(), Some(&42));
    assert!(future.try_exception().unwrap().is_none());
}

#[test]
fn set_exception_finishes_a_pending_future() {
    let future: Future<i32, TestError> = Future::with_exception_type();
    future.set_exception(TestError("boom")).unwrap();
    assert_eq!(future.state(), State::Finished);
    assert!(future.done());
    assert_eq!(*future.try_exception().unwrap().unwrap(), TestError("boom"));
    assert!(matches!(
        future.try_result(),
        Err(TryResultError::Failed(ResultError::Exception(e))) if *e == TestError("boom")
    ));
}

#[test]
fn the_default_exception_type_holds_any_error() {
    let future: Future<i32> = Future::new();
    let error: Exception = "disk full".into();
    future.set_exception(error).unwrap();
    let raised = future.try_exception().unwrap().unwrap();
    assert_eq!(raised.to_string(), "disk full");
}

#[test]
fn a_second_set_result_is_refused_and_hands_the_value_back() {
    let future: Future<String> = Future::new();
    future.set_result("first".to_string()).unwrap();
    let refused = future.set_result("second".to_string()).unwrap_err();
    assert_eq!(refused.state(), State::Finished);
    assert_eq!(refused.into_inner(), "second");
    assert_eq!(
        future.try_result().unwrap(),
        "first",
        "the first value stays"
    );
}

#[test]
fn set_exception_after_set_result_is_refused_and_hands_the_error_back() {
    let future: Future<i32, TestError> = Future::with_exception_type();
    future.set_result(1).unwrap();
    let refused = future.set_exception(TestError("late")).unwrap_err();
    assert_eq!(refused.state(), State::Finished);
    assert_eq!(refused.into_inner(), TestError("late"));
    assert_eq!(future.try_result().ok(), Some(&1));
}

#[test]
fn set_result_after_set_exception_is_refused() {
    let future: Future<i32, TestError> = Future::with_exception_type();
    future.set_exception(TestError("first")).unwrap();
    let refused = future.set_result(7).unwrap_err();
    assert_eq!(refused.state(), State::Finished);
    assert_eq!(refused.into_inner(), 7);
    assert_eq!(
        *future.try_exception().unwrap().unwrap(),
        TestError("first")
    );
}

#[test]
fn a_second_set_exception_is_refused_and_keeps_the_first() {
    let future: Future<i32, TestError> = Future::with_exception_type();
    future.set_exception(TestError("first")).unwrap();
    let refused = future.set_exception(TestError("second")).unwrap_err();
    assert_eq!(refused.into_inner(), TestError("second"));
    assert_eq!(
        *future.try_exception().unwrap().unwrap(),
        TestError("first")
    );
}

#[test]
fn set_result_on_a_cancelled_future_is_refused() {
    let future: Future<i32> = Future::new();
    assert!(future.cancel());
    let refused = future.set_result(5).unwrap_err();
    assert_eq!(refused.state(), State::Cancelled);
    assert_eq!(refused.into_inner(), 5);
    assert_eq!(future.state(), State::Cancelled);
    assert!(matches!(future.result(), Err(ResultError::Cancelled)));
}

#[test]
fn set_exception_on_a_cancelled_future_is_refused() {
    let future: Future<i32, TestError> = Future::with_exception_type();
    assert!(future.cancel());
    let refused = future.set_exception(TestError("late")).unwrap_err();
    assert_eq!(refused.state(), State::Cancelled);
    assert_eq!(refused.into_inner(), TestError("late"));
    assert!(future.cancelled());
}

#[test]
fn a_running_future_can_be_completed() {
    let future: Future<i32> = Future::new();
    assert!(future.set_running_or_notify_cancel().unwrap());
    assert_eq!(future.state(), State::Running);
    assert!(future.running());
    assert!(!future.done());
    future.set_result(3).unwrap();
    assert_eq!(future.state(), State::Finished);
    assert!(!future.running());
    assert_eq!(future.try_result().ok(), Some(&3));
}

#[test]
fn a_running_future_can_raise() {
    let future: Future<i32, TestError> = Future::with_exception_type();
    assert!(future.set_running_or_notify_cancel().unwrap());
    future.set_exception(TestError("failed")).unwrap();
    assert_eq!(future.state(), State::Finished);
    assert_eq!(
        *future.try_exception().unwrap().unwrap(),
        TestError("failed")
    );
}

#[test]
fn state_moves_pending_running_finished_and_then_never_changes() {
    let future: Future<&str> = Future::new();
    let mut seen = vec![future.state()];
    future.set_running_or_notify_cancel().unwrap();
    seen.push(future.state());
    future.set_result("done").unwrap();
    seen.push(future.state());
    // Nothing moves a finished future: not cancel, not a second completion,
    // not set_running, not dropping handles.
    assert!(!future.cancel());
    assert!(future.set_result("again").is_err());
    assert!(future.set_running_or_notify_cancel().is_err());
    let observer = future.observer();
    drop(future);
    seen.push(observer.state());
    assert_eq!(
        seen,
        [
            State::Pending,
            State::Running,
            State::Finished,
            State::Finished
        ]
    );
    assert_eq!(observer.try_result().ok(), Some(&"done"));
}

#[test]
fn any_clone_can_complete_the_future_and_every_handle_sees_it() {
    let future: Future<i32> = Future::new();
    let producer = future.clone();
    let observer = future.observer();
    assert!(producer.same_future(&future));
    assert!(observer.same_future(&future));
    producer.set_result(9).unwrap();
    assert_eq!(future.try_result().ok(), Some(&9));
    assert_eq!(observer.try_result().ok(), Some(&9));
    assert_eq!(future.set_result(10).unwrap_err().into_inner(), 10);
}

#[test]
fn different_futures_are_not_the_same_future() {
    let a: Future<i32> = Future::new();
    let b: Future<i32> = Future::new();
    assert!(!a.same_future(&b));
    assert!(!a.observer().same_future(&b.observer()));
}

#[test]
fn completing_from_another_thread_is_seen_by_this_one() {
    let future: Future<Vec<u32>> = Future::new();
    let producer = future.clone();
    std::thread::spawn(move || producer.set_result(vec![1, 2, 3]).unwrap())
        .join()
        .unwrap();
    assert_eq!(future.try_result().unwrap(), &[1, 2, 3]);
}

#[test]
fn the_stored_value_is_dropped_once_when_the_last_handle_goes() {
    let drops = Counter::new();
    let future: Future<DropCounted> = Future::new();
    let observer = future.observer();
    future.set_result(DropCounted::new(1, &drops)).unwrap();

    // A refused value comes back to the caller, who drops it.
    let refused = future.set_result(DropCounted::new(2, &drops)).unwrap_err();
    assert_eq!(refused.into_inner().id, 2);
    assert_eq!(drops.get(), 1, "only the refused value is gone");

    drop(future);
    assert_eq!(observer.try_result().unwrap().id, 1);
    assert_eq!(drops.get(), 1, "an observer keeps the value alive");
    drop(observer);
    assert_eq!(drops.get(), 2, "the stored value is dropped exactly once");
}

#[test]
fn invalid_state_says_what_state_the_future_was_in() {
    let future: Future<i32> = Future::new();
    future.set_result(1).unwrap();
    let refused = future.set_result(2).unwrap_err();
    // Python's message: the state, then the repr (issue 12).
    assert_eq!(refused.to_string(), format!("FINISHED: {future}"));
    assert_eq!(
        format!("{refused:?}"),
        "InvalidState { state: Finished, .. }"
    );

    let cancelled: Future<i32> = Future::new();
    cancelled.cancel();
    let refused = cancelled.set_result(2).unwrap_err();
    assert_eq!(refused.to_string(), format!("CANCELLED: {cancelled}"));

    let error: &dyn std::error::Error = &refused;
    assert!(error.source().is_none());
}

#[test]
fn handles_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Future<String>>();
    send_sync::<simple_future::Observer<String>>();
    send_sync::<Future<u32, TestError>>();
    send_sync::<InvalidState<String>>();
}
