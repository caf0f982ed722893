//! `Park` and `Spin` run the same programs; the counters show the
//! difference. (Counts, not CPU time: tests never assert on speed.)

mod helpers;

use std::time::Instant;

use helpers::{Log, ms, without_hanging};
use poll_loop::{EventLoop, PollStrategy, Stats, Timer};

/// The tutorial's program at a tenth of the scale, on `strategy`.
fn two_timers(strategy: PollStrategy) -> (Vec<&'static str>, Stats) {
    let lp = EventLoop::with_strategy(strategy);
    assert_eq!(lp.poll_strategy(), strategy);
    let log = Log::new();
    let mut first = Timer::new(ms(20));
    first.on_timer_done(log.recording("First Time is Done"));
    let mut second = Timer::new(ms(40));
    second.on_timer_done(log.recording("Second Timer is Done"));
    lp.insert_source(first);
    lp.insert_source(second);
    let start = Instant::now();
    lp.run_until_idle().unwrap();
    assert!(start.elapsed() >= ms(40), "never early");
    (log.events(), lp.stats())
}

#[test]
fn park_and_spin_print_the_same_lines() {
    without_hanging(|| {
        let (park, _) = two_timers(PollStrategy::Park);
        let (spin, _) = two_timers(PollStrategy::Spin);
        assert_eq!(park, ["First Time is Done", "Second Timer is Done"]);
        assert_eq!(spin, park);
    });
}

#[test]
fn park_sleeps_and_spin_never_does() {
    without_hanging(|| {
        let (_, park) = two_timers(PollStrategy::Park);
        let (_, spin) = two_timers(PollStrategy::Spin);
        assert!(park.sleeps >= 2, "{park}");
        assert_eq!(spin.sleeps, 0, "{spin}");
        assert_eq!(spin.slept, std::time::Duration::ZERO);
        assert_eq!(park.dispatches, 2);
        assert_eq!(spin.dispatches, 2);
        assert!(
            spin.iterations > park.iterations,
            "park: {park}; spin: {spin}"
        );
    });
}

#[test]
fn a_parked_loop_waiting_200_ms_does_few_iterations() {
    without_hanging(|| {
        let lp = EventLoop::new();
        assert_eq!(lp.poll_strategy(), PollStrategy::Park, "the default");
        let h = lp.handle();
        lp.call_later(ms(200), move || h.stop());
        lp.run_forever().unwrap();
        let stats = lp.stats();
        // One sleep to the deadline and one iteration to run the timer; a
        // few more allowed for spurious wake-ups.
        assert!(stats.iterations <= 10, "{stats}");
        assert!(stats.slept >= ms(150), "{stats}");
    });
}

#[test]
fn the_counters_count() {
    let lp = EventLoop::new();
    assert_eq!(lp.stats(), Stats::default());
    let log = Log::new();
    lp.call_soon(log.recording(1));
    lp.call_soon(log.recording(2));
    lp.call_later(ms(1), log.recording(3));
    lp.run_until_idle().unwrap();
    let stats = lp.stats();
    assert_eq!(stats.callbacks, 3);
    assert!(stats.iterations >= 2);
    assert_eq!(stats.panics, 0);
    let line = stats.to_string();
    assert!(line.starts_with("iterations="), "{line}");
    assert!(line.contains("callbacks=3"), "{line}");
}

#[test]
fn the_strategy_can_change_between_runs() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.set_poll_strategy(PollStrategy::Spin);
        let h = lp.handle();
        lp.call_later(ms(10), move || h.stop());
        lp.run_forever().unwrap();
        assert_eq!(lp.stats().sleeps, 0);
        lp.set_poll_strategy(PollStrategy::Park);
        let h = lp.handle();
        lp.call_later(ms(10), move || h.stop());
        lp.run_forever().unwrap();
        assert!(lp.stats().sleeps >= 1);
    });
}
