//! `.await` on a future: any executor, any number of tasks and threads at
//! once alongside blocking waiters and callbacks; wakers are kept exactly as
//! long as needed.

mod helpers;

use std::future::IntoFuture;
use std::task::Poll;
use std::thread;

use simple_future::{Future, Observer, ResultError, State, Wait};

use helpers::{
    Counter, TestError, block_on, counting_waker, join_all, ms, poll_once, registered_clones,
};

#[test]
fn awaiting_a_finished_future_gives_a_clone_of_the_value() {
    let future: Future<String> = Future::new();
    future.set_result("ready".to_string()).unwrap();
    let value = block_on(async { (&future).await });
    assert_eq!(value.ok().as_deref(), Some("ready"));
    // The future still holds its own value.
    assert_eq!(future.result().unwrap(), "ready");
}

#[test]
// The point is the `.await`, now that an `Observer` is a future itself.
#[allow(clippy::redundant_async_block)]
fn awaiting_resolves_when_another_thread_completes() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let worker = thread::spawn(move || {
        thread::sleep(ms(20));
        producer.set_result(42).unwrap();
    });
    let observer = future.observer();
    assert_eq!(block_on(async move { observer.await }).ok(), Some(42));
    worker.join().unwrap();
}

#[test]
fn awaiting_gives_the_errors_result_gives() {
    let raised: Future<u32, TestError> = Future::with_exception_type();
    raised.set_exception(TestError("bad")).unwrap();
    match block_on((&raised).into_future()) {
        Err(ResultError::Exception(e)) => assert_eq!(*e, TestError("bad")),
        other => panic!("expected the exception, got {other:?}"),
    }

    let cancelled: Future<u32, TestError> = Future::with_exception_type();
    cancelled.cancel();
    assert_eq!(block_on(cancelled.observer()), Err(ResultError::Cancelled));

    let abandoned: Future<u32, TestError> = Future::with_exception_type();
    let observer = abandoned.observer();
    drop(abandoned);
    assert_eq!(block_on(&observer), Err(ResultError::Abandoned));
}

#[test]
fn a_task_blocked_on_await_wakes_on_cancel_and_on_abandonment() {
    let cancelled: Future<u32, TestError> = Future::with_exception_type();
    let observer = cancelled.observer();
    let task = thread::spawn(move || block_on(observer));
    thread::sleep(ms(20));
    assert!(cancelled.cancel());
    assert_eq!(task.join().unwrap(), Err(ResultError::Cancelled));

    let abandoned: Future<u32, TestError> = Future::with_exception_type();
    let observer = abandoned.observer();
    let task = thread::spawn(move || block_on(observer));
    thread::sleep(ms(20));
    drop(abandoned);
    assert_eq!(task.join().unwrap(), Err(ResultError::Abandoned));
}

#[test]
fn tasks_threads_a_blocking_waiter_and_a_callback_all_get_the_one_result() {
    let threads = if cfg!(miri) { 2 } else { 4 };
    let tasks_per_thread = if cfg!(miri) { 2 } else { 8 };
    let future: Future<u64> = Future::new();

    let awaiting: Vec<_> = (0..threads)
        .map(|_| {
            let waits: Vec<Wait<u64>> = (0..tasks_per_thread)
                .map(|_| future.observer().into_future())
                .collect();
            thread::spawn(move || block_on(join_all(waits)))
        })
        .collect();
    let blocked = {
        let observer = future.observer();
        thread::spawn(move || *observer.result().unwrap())
    };
    let called_back = Counter::new();
    let counter = called_back.clone();
    future.add_done_callback(move |f| {
        assert_eq!(f.result().ok(), Some(&7));
        counter.bump();
    });

    thread::sleep(ms(20)); // let the tasks register their wakers
    future.set_result(7).unwrap();

    for handle in awaiting {
        let outputs = handle.join().unwrap();
        assert_eq!(outputs.len(), tasks_per_thread);
        assert!(outputs.iter().all(|out| matches!(out, Ok(7))));
    }
    assert_eq!(blocked.join().unwrap(), 7);
    assert_eq!(called_back.get(), 1);
}

#[test]
fn a_pending_poll_registers_the_waker_and_completion_wakes_it_once() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let mut wait = future.observer().into_future();
    assert!(poll_once(&mut wait, &waker).is_pending());
    assert_eq!(registered_clones(&counter), 1);
    assert_eq!(counter.wakes(), 0);

    future.set_result(5).unwrap();
    assert_eq!(counter.wakes(), 1);
    assert_eq!(registered_clones(&counter), 0, "completion let go of it");
    assert!(matches!(poll_once(&mut wait, &waker), Poll::Ready(Ok(5))));
}

#[test]
fn a_wait_dropped_before_completion_unregisters_its_waker() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let rounds = if cfg!(miri) { 10 } else { 1000 };
    for _ in 0..rounds {
        let mut wait = (&future).into_future();
        assert!(poll_once(&mut wait, &waker).is_pending());
        assert_eq!(registered_clones(&counter), 1);
        drop(wait);
        assert_eq!(registered_clones(&counter), 0, "the waker leaked");
    }
    future.set_result(1).unwrap();
    assert_eq!(counter.wakes(), 0, "a dropped Wait is not woken");
}

#[test]
fn a_wait_dropped_after_completion_but_before_its_last_poll_is_fine() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let mut wait = (&future).into_future();
    assert!(poll_once(&mut wait, &waker).is_pending());
    future.set_result(1).unwrap();
    drop(wait);
    assert_eq!(counter.wakes(), 1);
    assert_eq!(registered_clones(&counter), 0);
}

#[test]
fn dropping_one_wait_leaves_the_others_registered() {
    let future: Future<u32> = Future::new();
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut keep = (&future).into_future();
    let mut dropped = (&future).into_future();
    assert!(poll_once(&mut keep, &first_waker).is_pending());
    assert!(poll_once(&mut dropped, &second_waker).is_pending());
    drop(dropped);
    future.set_result(3).unwrap();
    assert_eq!(first.wakes(), 1);
    assert_eq!(second.wakes(), 0);
    assert!(matches!(
        poll_once(&mut keep, &first_waker),
        Poll::Ready(Ok(3))
    ));
}

#[test]
fn repolling_with_a_different_waker_wakes_only_the_new_one() {
    let future: Future<u32> = Future::new();
    let (old, old_waker) = counting_waker();
    let (new, new_waker) = counting_waker();
    let mut wait = (&future).into_future();
    assert!(poll_once(&mut wait, &old_waker).is_pending());
    assert!(poll_once(&mut wait, &new_waker).is_pending());
    assert_eq!(registered_clones(&old), 0, "the old waker was replaced");
    assert_eq!(registered_clones(&new), 1);

    future.set_result(9).unwrap();
    assert_eq!(old.wakes(), 0);
    assert_eq!(new.wakes(), 1);
    assert!(matches!(
        poll_once(&mut wait, &new_waker),
        Poll::Ready(Ok(9))
    ));
}

#[test]
fn repolling_with_the_same_waker_registers_it_once() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let mut wait = (&future).into_future();
    for _ in 0..5 {
        assert!(poll_once(&mut wait, &waker).is_pending());
    }
    assert_eq!(registered_clones(&counter), 1);
    future.set_result(1).unwrap();
    assert_eq!(counter.wakes(), 1, "woken once, not once per poll");
}

#[test]
fn a_wait_moved_to_another_thread_wakes_that_thread() {
    fn send<T: Send>(_: &T) {}
    let future: Future<u32> = Future::new();
    let (here, here_waker) = counting_waker();
    let mut wait = (&future).into_future();
    assert!(poll_once(&mut wait, &here_waker).is_pending());
    send(&wait);
    let task = thread::spawn(move || block_on(wait));
    thread::sleep(ms(20));
    future.set_result(6).unwrap();
    assert_eq!(task.join().unwrap().ok(), Some(6));
    // Unless the other thread polled only after completion, its waker
    // replaced ours; either way ours is no longer held.
    assert_eq!(registered_clones(&here), 0);
    assert!(here.wakes() <= 1);
}

#[test]
fn awaiting_a_future_by_value_does_not_keep_it_completable() {
    // The only handle, awaited by value: nobody is left to complete it.
    let future: Future<u32> = Future::new();
    assert!(matches!(block_on(future), Err(ResultError::Abandoned)));

    // The producer's handle goes while the task waits.
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let (counter, waker) = counting_waker();
    let mut wait = future.into_future();
    assert!(poll_once(&mut wait, &waker).is_pending());
    drop(producer);
    assert_eq!(counter.wakes(), 1);
    assert!(matches!(
        poll_once(&mut wait, &waker),
        Poll::Ready(Err(ResultError::Abandoned))
    ));
}

#[test]
fn awaiting_a_future_by_reference_leaves_it_completable() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let mut wait = (&future).into_future();
    assert!(poll_once(&mut wait, &waker).is_pending());
    assert_eq!(future.state(), State::Pending);
    future.set_result(2).unwrap();
    assert_eq!(counter.wakes(), 1);
    assert!(matches!(poll_once(&mut wait, &waker), Poll::Ready(Ok(2))));
}

#[test]
fn a_ready_wait_can_be_polled_again() {
    let future: Future<u32> = Future::new();
    future.set_result(4).unwrap();
    let (_, waker) = counting_waker();
    let mut wait = Observer::clone(&future).into_future();
    assert!(matches!(poll_once(&mut wait, &waker), Poll::Ready(Ok(4))));
    assert!(matches!(poll_once(&mut wait, &waker), Poll::Ready(Ok(4))));
}

#[test]
fn waits_dropped_concurrently_with_completion_never_leak_or_crash() {
    let rounds = if cfg!(miri) { 5 } else { 200 };
    for _ in 0..rounds {
        let future: Future<u32> = Future::new();
        let (counter, waker) = counting_waker();
        let mut waits: Vec<_> = (0..4).map(|_| (&future).into_future()).collect();
        for wait in &mut waits {
            assert!(poll_once(wait, &waker).is_pending());
        }
        let dropper = thread::spawn(move || drop(waits));
        future.set_result(1).unwrap();
        dropper.join().unwrap();
        assert_eq!(registered_clones(&counter), 0);
        assert!(counter.wakes() <= 4);
    }
}

/// A waker that panics when woken, as a buggy executor's might.
fn panicking_waker() -> std::task::Waker {
    struct Panics;
    impl std::task::Wake for Panics {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("this executor's waker is broken");
        }
    }
    std::task::Waker::from(std::sync::Arc::new(Panics))
}

#[test]
fn a_panicking_waker_does_not_stop_the_other_tasks_from_waking() {
    let future: Future<u32, TestError> = Future::with_exception_type();
    let mut broken = future.observer().into_future();
    let mut healthy = future.observer().into_future();
    let (counter, waker) = counting_waker();
    assert_eq!(poll_once(&mut broken, &panicking_waker()), Poll::Pending);
    assert_eq!(poll_once(&mut healthy, &waker), Poll::Pending);

    // Completing neither unwinds into the completer nor skips a waker.
    assert!(future.set_result(4).is_ok());
    assert_eq!(counter.wakes(), 1);
    assert_eq!(poll_once(&mut healthy, &waker), Poll::Ready(Ok(4)));
    assert_eq!(poll_once(&mut broken, &waker), Poll::Ready(Ok(4)));
}
