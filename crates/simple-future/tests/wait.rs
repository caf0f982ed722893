//! `wait` and `as_completed`: every `ReturnWhen`, timeouts (never early,
//! never hanging), input and completion order, duplicates, and many
//! futures completed from many threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use simple_future::{
    AsCompletedTimeout, DoneAndNotDone, Exception, Future, Observer, ResultError, ReturnWhen,
    State, as_completed, wait,
};

// Shared with the other behaviour tests: `ms`, the hang detector and its patience.
mod helpers;

use helpers::{PATIENCE, ms, without_hanging};

fn pending(n: usize) -> Vec<Future<u32>> {
    (0..n).map(|_| Future::new()).collect()
}

/// Completes `future` with `value` on another thread after `delay`.
fn set_later(future: &Future<u32>, delay: Duration, value: u32) -> thread::JoinHandle<()> {
    let future = future.clone();
    thread::spawn(move || {
        thread::sleep(delay);
        future.set_result(value).unwrap();
    })
}

/// Fails `future` on another thread after `delay`.
fn raise_later(future: &Future<u32>, delay: Duration) -> thread::JoinHandle<()> {
    let future = future.clone();
    thread::spawn(move || {
        thread::sleep(delay);
        future.set_exception("boom".into()).unwrap();
    })
}

/// True if `observers` are exactly `futures`, in that order.
fn same(observers: &[Observer<u32>], futures: &[&Future<u32>]) -> bool {
    observers.len() == futures.len()
        && observers
            .iter()
            .zip(futures)
            .all(|(observer, future)| observer.same_future(future))
}

fn split_sizes<T, E>(split: &DoneAndNotDone<T, E>) -> (usize, usize) {
    (split.done.len(), split.not_done.len())
}

// ---------------------------------------------------------------- wait

#[test]
fn all_completed_waits_for_every_future_and_keeps_input_order() {
    let futures = pending(3);
    let start = Instant::now();
    // Completed in reverse order.
    let threads: Vec<_> = futures
        .iter()
        .enumerate()
        .map(|(i, f)| set_later(f, ms(10 * (3 - i as u64)), i as u32))
        .collect();
    let split = without_hanging({
        let futures = futures.clone();
        move || wait(&futures, None, ReturnWhen::AllCompleted)
    });
    assert!(
        start.elapsed() >= ms(30),
        "returned before the last completion"
    );
    assert!(same(&split.done, &[&futures[0], &futures[1], &futures[2]]));
    assert!(split.not_done.is_empty());
    threads.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn all_completed_is_the_default() {
    assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
}

#[test]
fn first_completed_returns_at_the_first_completion() {
    let futures = pending(3);
    let start = Instant::now();
    let setter = set_later(&futures[1], ms(20), 1);
    let split = wait(&futures, Some(PATIENCE), ReturnWhen::FirstCompleted);
    let elapsed = start.elapsed();
    assert!(elapsed >= ms(20) && elapsed < PATIENCE, "{elapsed:?}");
    assert!(same(&split.done, &[&futures[1]]));
    assert!(same(&split.not_done, &[&futures[0], &futures[2]]));
    setter.join().unwrap();
}

#[test]
fn first_completed_counts_a_cancellation() {
    let futures = pending(2);
    let canceller = {
        let future = futures[0].observer();
        thread::spawn(move || {
            thread::sleep(ms(10));
            assert!(future.cancel());
        })
    };
    let split = wait(&futures, Some(PATIENCE), ReturnWhen::FirstCompleted);
    assert!(same(&split.done, &[&futures[0]]));
    assert!(split.done[0].cancelled());
    canceller.join().unwrap();
}

#[test]
fn a_condition_that_already_holds_returns_at_once() {
    let futures = pending(3);
    futures[2].set_exception("early".into()).unwrap();
    for return_when in [ReturnWhen::FirstCompleted, ReturnWhen::FirstException] {
        let start = Instant::now();
        // No timeout: if it waited at all, it would hang.
        let split = without_hanging({
            let futures = futures.clone();
            move || wait(&futures, None, return_when)
        });
        assert!(start.elapsed() < PATIENCE);
        assert!(same(&split.done, &[&futures[2]]));
        assert!(same(&split.not_done, &[&futures[0], &futures[1]]));
    }
}

#[test]
fn first_exception_returns_at_the_first_exception() {
    let futures = pending(3);
    futures[0].set_result(0).unwrap();
    let start = Instant::now();
    let raiser = raise_later(&futures[2], ms(20));
    let split = wait(&futures, Some(PATIENCE), ReturnWhen::FirstException);
    let elapsed = start.elapsed();
    assert!(elapsed >= ms(20) && elapsed < PATIENCE, "{elapsed:?}");
    assert!(same(&split.done, &[&futures[0], &futures[2]]));
    assert!(same(&split.not_done, &[&futures[1]]));
    raiser.join().unwrap();
}

#[test]
fn first_exception_counts_an_abandoned_future_as_failed() {
    let stuck: Future<u32> = Future::new();
    let doomed: Future<u32> = Future::new();
    let observer = doomed.observer();
    let dropper = thread::spawn(move || {
        thread::sleep(ms(10));
        drop(doomed); // the only Future handle: abandoned
    });
    let split = wait(
        [stuck.observer(), observer.clone()],
        Some(PATIENCE),
        ReturnWhen::FirstException,
    );
    assert_eq!(split_sizes(&split), (1, 1));
    assert!(split.done[0].same_future(&observer));
    assert_eq!(split.done[0].state(), State::Abandoned);
    dropper.join().unwrap();
}

#[test]
fn first_exception_without_a_failure_waits_for_all() {
    let futures = pending(3);
    futures[0].set_result(0).unwrap();
    assert!(futures[1].cancel()); // a cancellation is not a failure
    let start = Instant::now();
    let setter = set_later(&futures[2], ms(30), 2);
    let split = wait(&futures, Some(PATIENCE), ReturnWhen::FirstException);
    let elapsed = start.elapsed();
    assert!(elapsed >= ms(30) && elapsed < PATIENCE, "{elapsed:?}");
    assert_eq!(split_sizes(&split), (3, 0));
    setter.join().unwrap();
}

#[test]
fn a_timeout_ends_the_wait_never_early() {
    let futures = pending(3);
    futures[1].set_result(1).unwrap();
    for return_when in [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::FirstCompleted,
    ] {
        let start = Instant::now();
        let split = wait(&futures, Some(ms(50)), return_when);
        let elapsed = start.elapsed();
        if return_when == ReturnWhen::FirstCompleted {
            // Already satisfied by futures[1].
            assert!(elapsed < PATIENCE);
        } else {
            assert!(elapsed >= ms(50) && elapsed < PATIENCE, "{elapsed:?}");
        }
        assert!(same(&split.done, &[&futures[1]]));
        assert!(same(&split.not_done, &[&futures[0], &futures[2]]));
    }
}

#[test]
fn a_zero_timeout_only_looks() {
    let futures = pending(2);
    futures[0].set_result(0).unwrap();
    let start = Instant::now();
    let split = wait(&futures, Some(Duration::ZERO), ReturnWhen::AllCompleted);
    assert!(start.elapsed() < PATIENCE);
    assert_eq!(split_sizes(&split), (1, 1));
}

#[test]
fn an_enormous_timeout_waits_like_none() {
    let futures = pending(1);
    let setter = set_later(&futures[0], ms(10), 0);
    let split = without_hanging({
        let futures = futures.clone();
        move || wait(&futures, Some(Duration::MAX), ReturnWhen::AllCompleted)
    });
    assert_eq!(split_sizes(&split), (1, 0));
    setter.join().unwrap();
}

#[test]
fn nothing_to_wait_for_returns_at_once() {
    for return_when in [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::FirstCompleted,
    ] {
        let split = without_hanging(move || wait(Vec::<Future<u32>>::new(), None, return_when));
        assert_eq!(split_sizes(&split), (0, 0));
    }
}

#[test]
fn duplicates_count_once_at_their_first_position() {
    let futures = pending(3);
    futures[2].set_result(2).unwrap();
    let (a, b, c) = (&futures[0], &futures[1], &futures[2]);
    let split = wait([c, a, c, b, a, c], Some(ms(10)), ReturnWhen::AllCompleted);
    assert!(same(&split.done, &[c]));
    assert!(same(&split.not_done, &[a, b]));
}

#[test]
fn takes_futures_observers_and_references() {
    let future: Future<u32> = Future::new();
    future.set_result(7).unwrap();
    let observer = future.observer();

    let by_value = wait(vec![future.clone()], None, ReturnWhen::AllCompleted);
    let observers = wait([observer.clone()], None, ReturnWhen::AllCompleted);
    let references = wait([&observer], None, ReturnWhen::AllCompleted);
    let mixed = wait([future.as_ref(), &observer], None, ReturnWhen::AllCompleted);
    for split in [by_value, observers, references, mixed] {
        assert_eq!(split_sizes(&split), (1, 0));
        assert_eq!(*split.done[0].result().unwrap(), 7);
    }
}

#[test]
fn borrowed_values_need_no_static_lifetime() {
    let text = String::from("local");
    let done: Future<&str> = Future::borrowing();
    done.set_result(&text).unwrap();
    let pending: Future<&str> = Future::borrowing(); // gets a callback registered
    let split = wait([&done, &pending], Some(ms(1)), ReturnWhen::AllCompleted);
    assert_eq!(*split.done[0].result().unwrap(), "local");
    assert_eq!(as_completed([&done, &pending], Some(ms(1))).count(), 2);
}

#[test]
fn completions_after_a_timed_out_wait_are_harmless() {
    let futures = pending(2);
    let split = wait(&futures, Some(ms(5)), ReturnWhen::AllCompleted);
    assert_eq!(split_sizes(&split), (0, 2));
    // The callbacks `wait` left behind now find nobody waiting.
    futures[0].set_result(0).unwrap();
    assert!(futures[1].cancel());
    let split = wait(&futures, None, ReturnWhen::AllCompleted);
    assert_eq!(split_sizes(&split), (2, 0));
}

#[test]
fn futures_waited_on_are_still_freed() {
    // A value whose drop we can see: the callbacks `wait` and
    // `as_completed` leave behind must not keep the future alive.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let future: Future<Counted> = Future::new();
    for _ in 0..3 {
        let split = wait([&future], Some(ms(1)), ReturnWhen::AllCompleted);
        assert_eq!(split_sizes(&split), (0, 1));
    }
    let completed = as_completed([&future], Some(ms(1))).count();
    assert_eq!(completed, 1); // the timeout
    future.set_result(Counted(Arc::clone(&drops))).unwrap();
    drop(future);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn many_futures_completed_from_many_threads() {
    let futures = pending(2000);
    let setters: Vec<_> = futures
        .chunks(250)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            thread::spawn(move || {
                for (i, future) in chunk.iter().enumerate() {
                    future.set_result(i as u32).unwrap();
                }
            })
        })
        .collect();
    let split = without_hanging({
        let futures = futures.clone();
        move || wait(&futures, None, ReturnWhen::AllCompleted)
    });
    assert_eq!(split_sizes(&split), (2000, 0));
    for (observer, future) in split.done.iter().zip(&futures) {
        assert!(observer.same_future(future));
    }
    setters.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn done_and_not_done_debug_needs_no_debug_values() {
    struct Opaque;
    let future: Future<Opaque> = Future::new();
    let split = wait([&future], Some(Duration::ZERO), ReturnWhen::AllCompleted);
    assert_eq!(
        format!("{split:?}"),
        "DoneAndNotDone { done: [], not_done: [Observer { state: Pending }] }"
    );
}

// ---------------------------------------------------------------- as_completed

#[test]
fn already_done_first_in_input_order_then_completion_order() {
    let futures = pending(5);
    futures[3].set_result(3).unwrap();
    futures[1].set_result(1).unwrap();
    let mut completed = as_completed(&futures, None);
    // Completed after the call, on this thread, so the order is known.
    futures[4].set_result(4).unwrap();
    assert!(futures[0].cancel());
    futures[2].set_result(2).unwrap();

    let order: Vec<usize> = completed
        .by_ref()
        .map(|f| {
            let f = f.unwrap();
            futures.iter().position(|g| g.same_future(&f)).unwrap()
        })
        .collect();
    assert_eq!(order, [1, 3, 4, 0, 2]);
    assert!(completed.next().is_none());
}

#[test]
fn yields_futures_as_other_threads_complete_them() {
    let futures = pending(3);
    let start = Instant::now();
    let setters: Vec<_> = futures
        .iter()
        .enumerate()
        .map(|(i, f)| set_later(f, ms(20 * (3 - i as u64)), i as u32))
        .collect();
    let values = without_hanging({
        let futures = futures.clone();
        move || {
            as_completed(&futures, None)
                .map(|f| *f.unwrap().result().unwrap())
                .collect::<Vec<_>>()
        }
    });
    assert!(start.elapsed() >= ms(60));
    let mut sorted = values.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1, 2]);
    setters.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn a_timeout_is_yielded_once_then_the_iterator_ends() {
    let futures = pending(4);
    futures[2].set_result(2).unwrap();
    let start = Instant::now();
    let mut completed = as_completed(&futures, Some(ms(100)));
    futures[0].set_result(0).unwrap();

    assert!(completed.next().unwrap().unwrap().same_future(&futures[2]));
    assert!(completed.next().unwrap().unwrap().same_future(&futures[0]));
    let timeout: AsCompletedTimeout<u32> = completed.next().unwrap().unwrap_err();
    let elapsed = start.elapsed();
    assert!(elapsed >= ms(100) && elapsed < PATIENCE, "{elapsed:?}");
    assert!(same(timeout.not_done(), &[&futures[1], &futures[3]]));
    assert_eq!(
        timeout.to_string(),
        "timed out with 2 (of 4) futures unfinished"
    );
    assert_eq!(timeout.into_inner().len(), 2);
    for _ in 0..3 {
        assert!(completed.next().is_none());
    }
}

#[test]
fn never_waits_past_the_timeout() {
    let futures = pending(1);
    // Completes long after the timeout; left to finish on its own.
    let _late = set_later(&futures[0], Duration::from_secs(5), 0);
    let start = Instant::now();
    let first = as_completed(&futures, Some(ms(30))).next().unwrap();
    let elapsed = start.elapsed();
    assert!(first.is_err());
    assert!(
        elapsed >= ms(30) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
}

#[test]
fn the_timeout_counts_from_the_call() {
    let timeout = Duration::from_secs(1);
    let futures = pending(1);
    let mut completed = as_completed(&futures, Some(timeout));
    thread::sleep(timeout);
    let start = Instant::now();
    assert!(completed.next().unwrap().is_err());
    // Counting from `next` would wait a whole timeout more.
    assert!(
        start.elapsed() < timeout * 9 / 10,
        "waited again after the deadline"
    );
}

#[test]
fn a_completed_future_is_yielded_even_after_the_deadline() {
    let futures = pending(2);
    let mut completed = as_completed(&futures, Some(ms(10)));
    futures[1].set_result(1).unwrap();
    thread::sleep(ms(30));
    assert!(completed.next().unwrap().unwrap().same_future(&futures[1]));
    let timeout = completed.next().unwrap().unwrap_err();
    assert!(same(timeout.not_done(), &[&futures[0]]));
}

#[test]
fn cancelled_and_abandoned_futures_are_yielded() {
    let cancelled: Future<u32> = Future::new();
    let abandoned: Future<u32> = Future::new();
    let observers = [cancelled.observer(), abandoned.observer()];
    let mut completed = as_completed(&observers, Some(PATIENCE));
    assert!(cancelled.cancel());
    drop(abandoned);
    let first = completed.next().unwrap().unwrap();
    let second = completed.next().unwrap().unwrap();
    assert!(matches!(first.result(), Err(ResultError::Cancelled)));
    assert!(matches!(second.result(), Err(ResultError::Abandoned)));
    assert!(completed.next().is_none());
}

#[test]
fn duplicates_are_yielded_once() {
    let futures = pending(2);
    futures[1].set_result(1).unwrap();
    let (a, b) = (&futures[0], &futures[1]);
    let mut completed = as_completed([b, a, b, a], None);
    a.set_result(0).unwrap();
    assert!(completed.next().unwrap().unwrap().same_future(b));
    assert!(completed.next().unwrap().unwrap().same_future(a));
    assert!(completed.next().is_none());
}

#[test]
fn nothing_to_yield_ends_at_once() {
    let mut completed = as_completed(Vec::<Observer<u32>>::new(), None);
    assert_eq!(completed.size_hint(), (0, Some(0)));
    assert!(completed.next().is_none());
    let mut completed = as_completed(Vec::<Observer<u32>>::new(), Some(ms(10)));
    assert!(completed.next().is_none());
}

#[test]
fn size_hint_is_honest() {
    let futures = pending(3);
    futures[0].set_result(0).unwrap();
    assert_eq!(as_completed(&futures, None).size_hint(), (3, Some(3)));
    let mut completed = as_completed(&futures, Some(ms(1)));
    // The done one, then at least the timeout; at most every future.
    assert_eq!(completed.size_hint(), (2, Some(3)));
    completed.next();
    assert_eq!(completed.size_hint(), (1, Some(2)));
    assert!(completed.next().unwrap().is_err());
    assert_eq!(completed.size_hint(), (0, Some(0)));
}

#[test]
fn dropping_the_iterator_early_is_harmless() {
    let futures = pending(3);
    let completed = as_completed(&futures, None);
    drop(completed);
    for (i, future) in futures.iter().enumerate() {
        future.set_result(i as u32).unwrap();
    }
    assert_eq!(as_completed(&futures, None).count(), 3);
}

#[test]
fn exceptions_are_read_from_the_yielded_futures() {
    let futures = pending(2);
    let mut completed = as_completed(&futures, None);
    futures[1].set_exception(Exception::from("bad")).unwrap();
    futures[0].set_result(0).unwrap();
    let failed = completed.next().unwrap().unwrap();
    assert_eq!(failed.exception().unwrap().unwrap().to_string(), "bad");
    assert_eq!(*completed.next().unwrap().unwrap().result().unwrap(), 0);
}

#[test]
fn each_of_many_concurrent_completions_is_yielded_once() {
    let futures = pending(4000);
    let completed = as_completed(&futures, Some(PATIENCE));
    let setters: Vec<_> = futures
        .chunks(500)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            thread::spawn(move || {
                for future in &chunk {
                    future.set_result(0).unwrap();
                }
            })
        })
        .collect();
    let mut seen = vec![false; futures.len()];
    let mut count = 0;
    for future in completed {
        let future = future.expect("no timeout");
        let index = futures.iter().position(|f| f.same_future(&future)).unwrap();
        assert!(!seen[index], "future {index} yielded twice");
        seen[index] = true;
        count += 1;
    }
    assert_eq!(count, futures.len());
    setters.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn types_are_send_and_debug() {
    fn send<T: Send>() {}
    send::<simple_future::AsCompleted<u32>>();
    send::<DoneAndNotDone<u32>>();
    send::<AsCompletedTimeout<u32>>();

    struct Opaque;
    let future: Future<Opaque> = Future::new();
    let mut completed = as_completed([&future], Some(Duration::ZERO));
    assert!(format!("{completed:?}").starts_with("AsCompleted { total: 1, left: 1"));
    let timeout = completed.next().unwrap().unwrap_err();
    assert_eq!(
        format!("{timeout:?}"),
        "AsCompletedTimeout { not_done: [Observer { state: Pending }], total: 1 }"
    );
}
