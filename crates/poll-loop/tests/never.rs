//! `Duration::MAX` and deadlines past what an `Instant` can hold mean
//! never: no panic, no run, and no waiting for them.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{Log, drop_guard, ms, without_hanging};
use poll_loop::{EventLoop, PostAction, RepeatingTimer, Timer};

#[test]
fn duration_max_never_fires_and_does_not_keep_the_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let never = lp.call_later(Duration::MAX, log.recording("never"));
        assert_eq!(never.when(), None);
        assert!(never.is_pending());
        lp.call_later(ms(5), log.recording("soon"));
        lp.run_until_idle().unwrap(); // returns: "never" is no work
        assert_eq!(log.events(), ["soon"]);
        assert!(never.is_pending(), "still there, never run");
        assert!(never.cancel());
        assert!(!never.is_pending());
    });
}

#[test]
fn huge_delays_mean_never_too() {
    let lp = EventLoop::new();
    let log = Log::new();
    let huge = Duration::from_secs(u64::MAX / 2);
    let timer = lp.call_later(huge, log.recording("never"));
    assert!(timer.when().is_none() || timer.when() > Some(Instant::now() + ms(1_000_000)));
    lp.call_soon(log.recording("soon"));
    let h = lp.handle();
    lp.call_soon(move || h.stop());
    lp.run_forever().unwrap();
    assert_eq!(log.events(), ["soon"]);
}

#[test]
fn a_never_timer_is_dropped_with_the_loop() {
    let lp = EventLoop::new();
    let (guard, flag) = drop_guard();
    lp.call_later(Duration::MAX, move || guard.touch());
    drop(lp);
    assert!(flag.dropped());
}

#[test]
fn a_never_timer_source_is_never_done() {
    let timer = Timer::new(Duration::MAX);
    assert!(!timer.done());
    assert_eq!(timer.deadline(), None);
    let repeating = RepeatingTimer::new(Duration::MAX, || PostAction::Continue);
    assert_eq!(repeating.next_tick(), None);
    // Registered, it is polled but never dispatched.
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let mut timer = Timer::new(Duration::MAX);
        timer.on_timer_done(log.recording("fired"));
        let handle = lp.insert_source(timer);
        let h = lp.handle();
        lp.call_later(ms(10), move || h.stop());
        lp.run_forever().unwrap();
        assert!(handle.is_registered());
        assert!(log.events().is_empty());
        assert_eq!(lp.stats().dispatches, 0);
    });
}
