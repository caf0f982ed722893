//! Timers never fire early; they report their deadline; the loop's clock is
//! the monotonic clock.

mod helpers;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use helpers::{Log, PATIENCE, ms, without_hanging};
use poll_loop::EventLoop;

#[test]
fn call_later_never_fires_early() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let fired = Rc::new(Cell::new(None));
        let start = Instant::now();
        for delay in [30, 10, 20] {
            let fired = fired.clone();
            let when = lp.call_later(ms(delay), move || {
                fired.set(Some(Instant::now()));
            });
            let deadline = when.when().expect("a finite delay has a deadline");
            assert!(deadline >= start + ms(delay));
        }
        let log = Log::new();
        let scheduled = Instant::now();
        let l = log.clone();
        lp.call_later(ms(40), move || l.push(Instant::now()));
        lp.run_until_idle().unwrap();
        let ran = log.events()[0];
        assert!(
            ran - scheduled >= ms(40),
            "fired early: {:?}",
            ran - scheduled
        );
        assert!(ran - scheduled < PATIENCE, "hang detector");
    });
}

#[test]
fn call_at_runs_at_or_after_its_deadline() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let deadlines: Vec<Instant> = [25, 5, 15].iter().map(|&d| lp.time() + ms(d)).collect();
        for &deadline in &deadlines {
            let l = log.clone();
            let handle = lp.call_at(deadline, move || l.push((deadline, Instant::now())));
            assert_eq!(handle.when(), Some(deadline));
        }
        lp.run_until_idle().unwrap();
        let events = log.events();
        assert_eq!(events.len(), 3);
        for (deadline, ran) in events {
            assert!(ran >= deadline, "ran {:?} early", deadline - ran);
        }
    });
}

#[test]
fn a_past_deadline_or_zero_delay_runs_in_the_next_iteration() {
    let lp = EventLoop::new();
    let log = Log::new();
    let now = Instant::now();
    let past = now.checked_sub(ms(1_000)).unwrap_or(now);
    lp.call_at(past, log.recording("past"));
    lp.call_later(Duration::ZERO, log.recording("zero"));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["past", "zero"]);
}

#[test]
fn time_is_monotonic() {
    let lp = EventLoop::new();
    let a = lp.time();
    let b = lp.time();
    assert!(b >= a);
}

#[test]
fn a_timer_waits_while_nothing_else_happens() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let h = lp.handle();
        let start = Instant::now();
        lp.call_later(ms(50), move || h.stop());
        lp.run_forever().unwrap();
        assert!(start.elapsed() >= ms(50));
        // A parked loop sleeps instead of spinning.
        let stats = lp.stats();
        assert!(stats.sleeps >= 1);
        assert!(stats.slept > Duration::ZERO);
    });
}
