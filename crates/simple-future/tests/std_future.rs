//! `Future` and `Observer` are `std::future::Future`s themselves: they go
//! wherever a std future is expected, without `.into_future()`, and a handle
//! dropped or polled again leaves no waker behind.

mod helpers;

use std::future::Future as StdFuture;
use std::task::Poll;

use simple_future::{Future, Observer, ResultError};

use helpers::{block_on, counting_waker, join_all, poll_once, registered_clones};

/// Stands for `futures::future::join_all`, `select` and friends: anything
/// generic over `F: std::future::Future`.
fn accepts_std_future<F: StdFuture>(future: F) -> F {
    future
}

#[test]
fn observers_and_futures_are_std_futures() {
    let future: Future<u32> = Future::new();
    let observer: Observer<u32> = accepts_std_future(future.observer());
    future.set_result(3).unwrap();
    assert_eq!(block_on(observer).ok(), Some(3));
    assert_eq!(block_on(accepts_std_future(future)).ok(), Some(3));
}

#[test]
fn a_list_of_observers_joins_without_adapters() {
    let futures: Vec<Future<u32>> = (0..3).map(|_| Future::new()).collect();
    let observers: Vec<Observer<u32>> = futures.iter().map(Future::observer).collect();
    for (i, future) in futures.iter().enumerate() {
        future.set_result(i as u32).unwrap();
    }
    let values: Vec<u32> = block_on(join_all(observers))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(values, [0, 1, 2]);
}

#[test]
fn dot_await_works_as_before() {
    let future: Future<u32> = Future::new();
    future.set_result(8).unwrap();
    let observer = future.observer();
    let sum = block_on(async {
        let by_ref = (&future).await.unwrap();
        let by_observer = (&observer).await.unwrap();
        let by_value = observer.await.unwrap();
        by_ref + by_observer + by_value
    });
    assert_eq!(sum, 24);
}

#[test]
fn a_dropped_observer_unregisters_its_waker() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let mut observer = future.observer();
    assert!(poll_once(&mut observer, &waker).is_pending());
    assert_eq!(registered_clones(&counter), 1);
    drop(observer);
    assert_eq!(registered_clones(&counter), 0);
    future.set_result(1).unwrap();
    assert_eq!(counter.wakes(), 0);
}

#[test]
fn an_observer_polled_many_times_registers_one_waker() {
    let future: Future<u32> = Future::new();
    let (counter, waker) = counting_waker();
    let mut observer = future.observer();
    for _ in 0..1000 {
        assert!(poll_once(&mut observer, &waker).is_pending());
    }
    assert_eq!(registered_clones(&counter), 1);
    // A clone has not been polled: it registers nothing of its own.
    let clone = observer.clone();
    drop(clone);
    assert_eq!(registered_clones(&counter), 1);
    future.set_result(1).unwrap();
    assert_eq!(counter.wakes(), 1);
    assert!(matches!(
        poll_once(&mut observer, &waker),
        Poll::Ready(Ok(1))
    ));
}

#[test]
fn polling_a_future_handle_gives_up_keeping_it_completable() {
    let future: Future<u32> = Future::new();
    let producer = future.clone();
    let (counter, waker) = counting_waker();
    let mut awaited = future;
    assert!(poll_once(&mut awaited, &waker).is_pending());
    drop(producer);
    assert_eq!(counter.wakes(), 1);
    assert!(matches!(
        poll_once(&mut awaited, &waker),
        Poll::Ready(Err(ResultError::Abandoned))
    ));
}

#[test]
fn new_infers_the_default_exception_type() {
    // No annotation of `E` (used to be E0282).
    let future = Future::new();
    future.set_result("inferred").unwrap();
    let with_error = Future::<u8, std::fmt::Error>::with_exception_type();
    with_error.set_exception(std::fmt::Error).unwrap();
    let by_default: Future<u8, std::fmt::Error> = Future::default();
    assert!(!by_default.done());
    assert_eq!(future.result().ok(), Some(&"inferred"));
}
