//! `wait` and `as_completed` remove the done-callbacks they added when they
//! return, so polling a long-lived future again and again costs no memory.
//!
//! Its own test binary, with one test and a counting global allocator: the
//! bytes live before and after many polls must be (nearly) the same.

use simple_future::{Future, ReturnWhen, as_completed, wait};
use std::time::Duration;

mod helpers;

use helpers::support::Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Far below what one leaked callback per poll would cost (tens of bytes
/// each, times tens of thousands of polls), and above the noise of the test
/// harness.
const SLACK: isize = 64 * 1024;

/// Runs `poll` `times` times after a warm-up, and returns how many more
/// bytes are live afterwards.
fn growth(times: usize, mut poll: impl FnMut()) -> isize {
    for _ in 0..100 {
        poll();
    }
    let before = Counting::live_bytes();
    for _ in 0..times {
        poll();
    }
    Counting::live_bytes() - before
}

#[test]
fn polling_a_pending_future_with_wait_or_as_completed_leaves_nothing_behind() {
    let pending: Future<u32> = Future::new();
    let done: Future<u32> = Future::new();
    done.set_result(1).unwrap();
    let tiny = Some(Duration::from_micros(1));

    // A zero timeout only looks: a million polls.
    let zero = growth(1_000_000, || {
        let split = wait([&pending], Some(Duration::ZERO), ReturnWhen::AllCompleted);
        assert_eq!(split.not_done.len(), 1);
    });
    assert!(zero < SLACK, "wait(timeout=0) grew memory by {zero} bytes");

    // A timeout that registers, waits and gives up.
    let timed = growth(20_000, || {
        let split = wait([&pending], tiny, ReturnWhen::AllCompleted);
        assert_eq!(split.not_done.len(), 1);
    });
    assert!(timed < SLACK, "wait(timeout) grew memory by {timed} bytes");

    // An early return: one future is done, FIRST_COMPLETED holds at once
    // for it, the other was still registered.
    let early = growth(20_000, || {
        let other: Future<u32> = Future::new();
        let split = wait([&other, &pending], tiny, ReturnWhen::FirstCompleted);
        assert_eq!(split.not_done.len(), 2);
        let split = wait([&pending, &done], None, ReturnWhen::FirstCompleted);
        assert_eq!(split.done.len(), 1);
    });
    assert!(
        early < SLACK,
        "an early return grew memory by {early} bytes"
    );

    // `as_completed`: timed out, and dropped before it was read to the end.
    let iterated = growth(20_000, || {
        let mut completed = as_completed([&done, &pending], tiny);
        assert!(completed.next().unwrap().is_ok());
        assert!(completed.next().unwrap().is_err());
        let mut dropped = as_completed([&done, &pending], None);
        assert!(dropped.next().unwrap().is_ok());
        drop(dropped);
    });
    assert!(
        iterated < SLACK,
        "as_completed grew memory by {iterated} bytes"
    );

    // The future still works, and the callbacks removed never run.
    pending.set_result(2).unwrap();
    assert_eq!(pending.result().ok(), Some(&2));
}
