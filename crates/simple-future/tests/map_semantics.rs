//! `map` as Python's: every call is submitted at once and runs even if the
//! results are never read (bpo-11777); `map_buffered` (Python 3.14's
//! `buffersize`) reads its input lazily, so it works over an endless one.

mod helpers;

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use simple_future::{ResultError, ResultTimeoutError, ThreadPoolExecutor};

use helpers::Counter;

fn buffer(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

#[test]
fn map_results_discarded_unread_still_run_every_call() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let ran = Counter::new();
    {
        let ran = ran.clone();
        // For the side effects only: the iterator is dropped at once.
        pool.map(move |_: u32| ran.bump(), 0..50, None).unwrap();
    }
    pool.shutdown(true);
    assert_eq!(ran.get(), 50);
}

#[test]
fn map_submits_every_call_before_it_returns() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counting = {
        let pulled = Arc::clone(&pulled);
        (0..10).inspect(move |_| {
            pulled.fetch_add(1, Ordering::SeqCst);
        })
    };
    let results = pool.map(|n: u32| n, counting, None).unwrap();
    assert_eq!(pulled.load(Ordering::SeqCst), 10);
    assert_eq!(results.count(), 10);
}

#[test]
fn map_buffered_over_an_endless_input_yields_results_as_they_come() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let doubled: Vec<u64> = pool
        .map_buffered(|n: u64| n * 2, 0.., buffer(4), None)
        .unwrap()
        .take(100)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(doubled, (0..100).map(|n| n * 2).collect::<Vec<_>>());
}

#[test]
fn map_buffered_reads_the_input_lazily() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counting = {
        let pulled = Arc::clone(&pulled);
        (0..).inspect(move |_| {
            pulled.fetch_add(1, Ordering::SeqCst);
        })
    };
    let mut results = pool
        .map_buffered(|n: u32| n + 1, counting, buffer(3), None)
        .unwrap();
    // The buffer is filled at once, then one more item per result.
    assert_eq!(pulled.load(Ordering::SeqCst), 3);
    assert_eq!(results.next().unwrap().unwrap(), 1);
    assert_eq!(pulled.load(Ordering::SeqCst), 4);
    assert_eq!(results.next().unwrap().unwrap(), 2);
    assert_eq!(pulled.load(Ordering::SeqCst), 5);
}

#[test]
fn a_buffer_size_is_a_bound_not_an_allocation() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    // 2^40 slots of a result would be terabytes; where `usize` is smaller,
    // its largest value makes the same point.
    let huge = usize::try_from(1_u64 << 40).unwrap_or(usize::MAX);
    for size in [usize::MAX, huge] {
        let results = pool
            .map_buffered(|n: u64| n * n, 0..10, buffer(size), None)
            .unwrap();
        assert_eq!(
            results.collect::<Result<Vec<_>, _>>().unwrap(),
            (0..10).map(|n| n * n).collect::<Vec<_>>()
        );
    }
}

#[test]
fn map_buffered_ends_with_its_input() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let results = pool
        .map_buffered(|n: u8| n * 3, [1, 2, 3, 4, 5], buffer(2), None)
        .unwrap();
    assert_eq!(
        results.collect::<Result<Vec<_>, _>>().unwrap(),
        [3, 6, 9, 12, 15]
    );
}

#[test]
fn dropping_buffered_results_never_submits_the_rest() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let ran = Counter::new();
    {
        let ran = ran.clone();
        let mut results = pool
            .map_buffered(move |_: u32| ran.bump(), 0.., buffer(2), None)
            .unwrap();
        results.next().unwrap().unwrap();
    }
    pool.shutdown(true);
    // The first two, and the one submitted before the first result was
    // read; at most, since the dropped iterator cancels what has not run.
    assert!(ran.get() <= 3, "{}", ran.get());
    assert!(ran.get() >= 1);
}

#[test]
fn map_buffered_after_shutdown_ends_with_cancelled() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let mut results = pool.map_buffered(|n: u32| n, 0.., buffer(1), None).unwrap();
    pool.shutdown(true);
    // The buffered one ran; the next could not be submitted.
    assert_eq!(results.next().unwrap().unwrap(), 0);
    assert!(matches!(
        results.next(),
        Some(Err(ResultTimeoutError::Failed(ResultError::Cancelled)))
    ));
    assert!(results.next().is_none());
}
