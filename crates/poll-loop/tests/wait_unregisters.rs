//! The awaitable `wait` and `as_completed` remove the done-callbacks they
//! added, however they end, so waiting on a long-lived future again and
//! again costs no memory (as simple-future's blocking ones).
//!
//! Its own test binary, with one test and a counting global allocator: the
//! bytes live before and after many waits must be (nearly) the same.

use poll_loop::{EventLoop, as_completed, timeout, wait};
use simple_future::{Future, ReturnWhen};
use std::time::Duration;

mod helpers;

use helpers::support::Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Far below what one leaked callback per wait would cost (tens of bytes
/// each, times thousands of waits), and above the noise of the test
/// harness and the loop's own queues.
const SLACK: isize = 64 * 1024;

#[test]
fn waiting_on_a_pending_future_again_and_again_leaves_nothing_behind() {
    let lp = EventLoop::new();
    let pending: Future<u32> = Future::new();
    let done: Future<u32> = Future::new();
    done.set_result(1).unwrap();
    let tiny = Duration::from_micros(1);

    let round = |times: usize| {
        lp.block_on(async {
            for _ in 0..times {
                // Timed out.
                let split = wait([&pending], Some(tiny), ReturnWhen::AllCompleted)
                    .await
                    .unwrap();
                assert_eq!(split.not_done.len(), 1);
                // Returned early, with the other future still watched.
                let split = wait([&pending, &done], None, ReturnWhen::FirstCompleted)
                    .await
                    .unwrap();
                assert_eq!(split.done.len(), 1);
                // Dropped mid-wait, by a timeout around it.
                let never = wait([&pending], None, ReturnWhen::AllCompleted);
                assert!(timeout(tiny, never).await.is_err());
                // `as_completed` dropped before its end.
                let mut completed = as_completed([&done, &pending]);
                assert!(completed.next().await.is_some());
                drop(completed);
            }
        })
        .unwrap();
    };
    round(100); // warm-up: the loop's queues reach their size
    let before = Counting::live_bytes();
    round(5_000);
    let grown = Counting::live_bytes() - before;
    assert!(grown < SLACK, "waits grew memory by {grown} bytes");

    // The future still works, and the callbacks removed never run.
    pending.set_result(2).unwrap();
    assert_eq!(pending.result().ok(), Some(&2));
}
