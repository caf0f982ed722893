//! Other threads wake a sleeping loop at once; wake-ups merge; nothing sent
//! is lost or run twice.

mod helpers;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use helpers::{Counter, PATIENCE, ms, without_hanging};
use poll_loop::{EventLoop, LoopHandle, ThreadsafeHandle};

fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

#[test]
fn the_handle_is_send_sync_and_clone() {
    assert_send_sync_clone::<ThreadsafeHandle>();
}

#[test]
fn a_parked_loop_wakes_for_a_threadsafe_call() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // Nothing due for an hour: without a wake-up the loop would sleep.
        lp.call_later(Duration::from_secs(3600), || {});
        let remote = lp.threadsafe();
        let sent_at = Arc::new(Mutex::new(None));
        let s = sent_at.clone();
        let sender = thread::spawn(move || {
            thread::sleep(ms(50)); // the loop is parked by now
            *s.lock().unwrap() = Some(Instant::now());
            remote
                .call_soon_threadsafe(|| LoopHandle::current().unwrap().stop())
                .unwrap();
        });
        lp.run_forever().unwrap();
        let woke_after = sent_at.lock().unwrap().unwrap().elapsed();
        sender.join().unwrap();
        assert!(woke_after < PATIENCE, "hang detector");
        let stats = lp.stats();
        assert!(stats.sleeps >= 1, "it did sleep: {stats}");
        assert!(stats.wakeups >= 1, "and was woken: {stats}");
    });
}

#[test]
fn stop_from_another_thread_wakes_and_stops_the_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let remote = lp.threadsafe();
        let stopper = thread::spawn(move || {
            thread::sleep(ms(30));
            remote.stop();
        });
        let start = Instant::now();
        lp.run_forever().unwrap(); // nothing to do: parks with no timeout
        assert!(start.elapsed() >= ms(30));
        stopper.join().unwrap();
    });
}

#[test]
fn many_threads_many_calls_each_runs_exactly_once() {
    const THREADS: usize = 4;
    const CALLS: usize = 2_000;
    const TOTAL: usize = THREADS * CALLS;
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = Arc::new(Mutex::new(Vec::with_capacity(TOTAL)));
        let senders: Vec<_> = (0..THREADS)
            .map(|t| {
                let remote = lp.threadsafe();
                let seen = seen.clone();
                thread::spawn(move || {
                    for i in 0..CALLS {
                        let seen = seen.clone();
                        remote
                            .call_soon_threadsafe(move || {
                                let mut seen = seen.lock().unwrap();
                                seen.push((t, i));
                                if seen.len() == TOTAL {
                                    LoopHandle::current().unwrap().stop();
                                }
                            })
                            .unwrap();
                        if i % 64 == 0 {
                            // Let the loop go to sleep now and then, so that
                            // calls also land on a parked loop.
                            thread::sleep(Duration::from_micros(50));
                        }
                    }
                })
            })
            .collect();
        lp.run_forever().unwrap();
        for sender in senders {
            sender.join().unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), TOTAL, "none lost, none twice");
        let unique: HashSet<_> = seen.iter().copied().collect();
        assert_eq!(unique.len(), TOTAL);
        // Each sender's calls run in the order it sent them.
        for t in 0..THREADS {
            let mine: Vec<usize> = seen
                .iter()
                .filter(|(s, _)| *s == t)
                .map(|&(_, i)| i)
                .collect();
            assert_eq!(mine, (0..CALLS).collect::<Vec<_>>());
        }
        let stats = lp.stats();
        assert_eq!(stats.callbacks, TOTAL as u64);
        // Never more wake-ups than calls: merged, not multiplied.
        assert!(stats.wakeups <= TOTAL as u64, "{stats}");
    });
}

#[test]
fn wakes_sent_while_the_loop_is_busy_merge_into_one() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let remote = lp.threadsafe();
        let h = lp.handle();
        lp.call_soon(move || {
            // While this callback runs, another thread wakes the loop many
            // times.
            let r = remote.clone();
            thread::spawn(move || {
                for _ in 0..100 {
                    r.wake();
                }
            })
            .join()
            .unwrap();
            h.stop();
        });
        lp.run_forever().unwrap();
        // The next run consumes the one merged notification.
        let before = lp.stats().wakeups;
        lp.stop();
        lp.run_forever().unwrap();
        assert_eq!(lp.stats().wakeups - before, 1);
    });
}

#[test]
fn a_closed_loop_hands_the_callback_back() {
    let lp = EventLoop::new();
    let remote = lp.threadsafe();
    assert!(!remote.is_closed());
    drop(lp);
    assert!(remote.is_closed());
    let ran = Counter::new();
    let r = ran.clone();
    let error = remote.call_soon_threadsafe(move || r.bump()).unwrap_err();
    assert_eq!(error.to_string(), "the event loop is closed");
    (error.into_inner())();
    assert_eq!(ran.get(), 1, "the callback came back intact");
    remote.wake(); // harmless
    remote.stop();
}

#[test]
fn threadsafe_callbacks_pending_at_close_are_dropped_not_run() {
    let lp = EventLoop::new();
    let remote = lp.threadsafe();
    let (guard, flag) = helpers::drop_guard();
    remote.call_soon_threadsafe(move || guard.touch()).unwrap();
    lp.close().unwrap();
    assert!(flag.dropped());
    assert!(format!("{remote:?}").contains("closed: true"));
}
