//! `sleep`, `sleep_until`, `timeout` and `yield_now`: timers on the loop's
//! own queue, cancelled when dropped, never early.

mod helpers;

use std::cell::RefCell;
use std::future::Future as StdFuture;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use helpers::{Log, ms, without_hanging};
use poll_loop::{EventLoop, LoopHandle, Sleep, sleep, sleep_until, timeout, yield_now};

#[test]
fn a_sleep_never_ends_early() {
    let lp = EventLoop::new();
    for delay in [0, 1, 5, 20] {
        let start = Instant::now();
        lp.block_on(sleep(ms(delay))).unwrap();
        assert!(start.elapsed() >= ms(delay));
    }
}

#[test]
fn sleeping_tasks_wait_side_by_side_on_one_thread() {
    let lp = EventLoop::new();
    let start = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| lp.spawn(async { sleep(ms(100)).await }))
        .collect();
    lp.run_until_idle().unwrap();
    assert!(tasks.iter().all(|task| task.done()));
    let took = start.elapsed();
    assert!(took >= ms(100));
    // 50 sleeps in a row would be 5 s; side by side they are one.
    assert!(took < ms(2_000), "{took:?}");
}

#[test]
fn sleepers_wake_in_deadline_order() {
    let lp = EventLoop::new();
    let log = Log::new();
    for (name, delay) in [("c", 30), ("a", 10), ("b", 20)] {
        let log = log.clone();
        lp.spawn(async move {
            sleep(ms(delay)).await;
            log.push(name);
        });
    }
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["a", "b", "c"]);
}

#[test]
fn sleep_until_a_passed_deadline_is_ready_at_once() {
    let lp = EventLoop::new();
    let past = Instant::now();
    let mut sleep = sleep_until(past);
    assert!(sleep.is_elapsed());
    assert_eq!(sleep.deadline(), Some(past));
    // Ready on its first poll, without a loop: no timer was needed.
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(Pin::new(&mut sleep).poll(&mut cx), Poll::Ready(()));
    assert!(lp.is_idle_now());
}

/// What the tests can see of the loop's idleness: `run_until_idle`
/// returns at once rather than after the hour-long timers these tests
/// set. (Callers run under `without_hanging`, so a leftover timer fails
/// the test after its patience, not after an hour.)
trait IdleNow {
    fn is_idle_now(&self) -> bool;
}

impl IdleNow for EventLoop {
    fn is_idle_now(&self) -> bool {
        let start = Instant::now();
        self.run_until_idle().unwrap();
        start.elapsed() < Duration::from_secs(60)
    }
}

#[test]
fn a_dropped_sleep_cancels_its_timer() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // The hour-long sleep loses the race; its timer must not keep the
        // loop busy for an hour.
        let result = lp.block_on(timeout(ms(10), sleep(Duration::from_secs(3600))));
        assert!(result.unwrap().is_err());
        assert!(lp.is_idle_now(), "the sleep's timer was left behind");

        let quick = lp.block_on(timeout(Duration::from_secs(3600), async { 1 }));
        assert_eq!(quick.unwrap(), Ok(1));
        assert!(lp.is_idle_now(), "the timeout's timer was left behind");
    });
}

#[test]
fn a_sleep_dropped_off_the_loop_is_cancelled_at_its_next_turn() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // Poll a long sleep once on the loop (setting its timer), then
        // take it out and drop it on another thread.
        let mut armed = sleep(Duration::from_secs(3600));
        lp.block_on(std::future::poll_fn(|cx| {
            assert!(Pin::new(&mut armed).poll(cx).is_pending());
            Poll::Ready(())
        }))
        .unwrap();
        thread::spawn(move || drop(armed)).join().unwrap();
        lp.run_until_idle().unwrap(); // not an hour
    });
}

#[test]
fn a_sleep_of_duration_max_never_ends_and_does_not_panic() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let forever = sleep(Duration::MAX);
        assert_eq!(forever.deadline(), None);
        assert!(!forever.is_elapsed());
        let result = lp.block_on(timeout(ms(10), forever)).unwrap();
        assert!(result.is_err());
        assert!(lp.is_idle_now());
    });
}

#[test]
fn a_sleep_polled_by_a_new_waker_wakes_the_new_one() {
    let lp = EventLoop::new();
    let sleep = Rc::new(RefCell::new(Some(sleep(ms(20)))));
    // The first task polls the sleep once and gives up on it.
    let s = sleep.clone();
    lp.spawn(std::future::poll_fn(move |cx| {
        let mut slot = s.borrow_mut();
        assert!(Pin::new(slot.as_mut().unwrap()).poll(cx).is_pending());
        Poll::Ready(())
    }));
    // The second awaits it to the end.
    let s = sleep.clone();
    let second = lp.spawn(std::future::poll_fn(move |cx| {
        let mut slot = s.borrow_mut();
        Pin::new(slot.as_mut().unwrap()).poll(cx)
    }));
    lp.run_until_idle().unwrap();
    assert!(second.done());
}

#[test]
fn timeout_gives_the_output_when_in_time_and_elapsed_otherwise() {
    let lp = EventLoop::new();
    let in_time = lp.block_on(timeout(ms(200), async {
        sleep(ms(5)).await;
        "made it"
    }));
    assert_eq!(in_time.unwrap(), Ok("made it"));

    let start = Instant::now();
    let late = lp.block_on(timeout(ms(20), sleep(ms(10_000)))).unwrap();
    let elapsed = late.unwrap_err();
    assert!(start.elapsed() >= ms(20));
    assert_eq!(elapsed.to_string(), "deadline has elapsed");
}

#[test]
fn timeout_of_zero_still_polls_the_future_once() {
    let lp = EventLoop::new();
    let ready = lp.block_on(timeout(Duration::ZERO, async { 3 })).unwrap();
    assert_eq!(ready, Ok(3));
}

#[test]
fn yield_now_lets_timers_and_callbacks_run() {
    let lp = EventLoop::new();
    let log = Log::new();
    lp.call_soon(log.recording("callback"));
    let l = log.clone();
    lp.spawn(async move {
        l.push("task before");
        yield_now().await;
        l.push("task after");
    });
    lp.call_soon(log.recording("callback 2"));
    lp.run_until_idle().unwrap();
    assert_eq!(
        log.events(),
        ["callback", "task before", "callback 2", "task after"]
    );
}

#[test]
fn a_task_looping_on_yield_now_does_not_starve_a_timer() {
    let lp = EventLoop::new();
    let fired = Rc::new(RefCell::new(false));
    let f = fired.clone();
    lp.call_later(ms(5), move || *f.borrow_mut() = true);
    let f = fired.clone();
    let spins = lp.spawn(async move {
        let mut spins = 0_u64;
        while !*f.borrow() {
            spins += 1;
            yield_now().await;
        }
        spins
    });
    lp.run_until_idle().unwrap();
    assert!(*spins.result().unwrap() > 0);
}

#[test]
#[should_panic(expected = "outside a running event loop")]
fn a_sleep_polled_outside_a_loop_panics() {
    let mut sleep: Sleep = sleep(ms(10));
    let mut cx = Context::from_waker(Waker::noop());
    let _ = Pin::new(&mut sleep).poll(&mut cx);
}

#[test]
fn sleeps_work_in_tasks_spawned_from_other_threads() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let remote = lp.threadsafe();
        let task = thread::spawn(move || {
            remote
                .spawn(async {
                    sleep(ms(5)).await;
                    LoopHandle::current().is_some()
                })
                .unwrap()
        })
        .join()
        .unwrap();
        assert!(*lp.run_until_complete(&task).unwrap());
    });
}
