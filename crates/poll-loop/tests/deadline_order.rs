//! Timers run in deadline order wherever their deadlines lie: before the
//! loop was created (asyncio runs `call_at(now - 2)` before
//! `call_at(now - 1)`), long ago, or just now; equal deadlines in scheduling
//! order. Deadlines far in the future never fire early.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{Log, PATIENCE, ms, without_hanging};
use poll_loop::{EventLoop, sleep_until};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);
const YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// `span` before `now`: the test needs the monotonic clock to have run that
/// long (it has, on any machine up for more than a few seconds).
fn before(now: Instant, span: Duration) -> Instant {
    now.checked_sub(span)
        .expect("the clock's origin is further back than this test needs")
}

/// The earliest of `spans` before `now` that this platform's `Instant` can
/// hold (`now` if none): on Linux a century ago, elsewhere maybe the boot.
fn long_before(now: Instant, spans: &[Duration]) -> Instant {
    spans
        .iter()
        .find_map(|&span| now.checked_sub(span))
        .unwrap_or(now)
}

#[test]
fn past_deadlines_scheduled_in_reverse_run_in_deadline_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        // Every deadline is before the loop was created, 1 ms apart.
        let first = before(Instant::now(), Duration::from_secs(2));
        for i in (0..1000u64).rev() {
            lp.call_at(first + ms(i), log.recording(i));
        }
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), (0..1000).collect::<Vec<_>>());
    });
}

#[test]
fn on_a_new_loop_now_minus_2s_runs_before_now_minus_1s() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let now = Instant::now();
        lp.call_at(before(now, Duration::from_secs(1)), log.recording("-1"));
        lp.call_at(before(now, Duration::from_secs(2)), log.recording("-2"));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["-2", "-1"]);
    });
}

#[test]
fn equal_past_deadlines_run_in_scheduling_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let now = Instant::now();
        let a = before(now, Duration::from_secs(2));
        let b = before(now, Duration::from_secs(1));
        // Interleaved: two deadlines before the loop, fifty timers each.
        for i in 0..50 {
            lp.call_at(b, log.recording(("b", i)));
            lp.call_at(a, log.recording(("a", i)));
        }
        lp.run_until_idle().unwrap();
        let expected: Vec<_> = (0..50)
            .map(|i| ("a", i))
            .chain((0..50).map(|i| ("b", i)))
            .collect();
        assert_eq!(log.events(), expected);
    });
}

#[test]
fn a_deadline_long_ago_runs_before_one_just_now() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let now = Instant::now();
        let spans = [100 * YEAR, YEAR, DAY, Duration::from_secs(60)];
        lp.call_at(now, log.recording("just now"));
        lp.call_at(
            before(now, Duration::from_secs(1)),
            log.recording("1 s ago"),
        );
        lp.call_at(long_before(now, &spans), log.recording("long ago"));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["long ago", "1 s ago", "just now"]);
    });
}

#[test]
fn deadlines_far_in_the_future_never_fire_early() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let now = Instant::now();
        // Within and (where an `Instant` can hold them) far beyond the
        // span of deadlines a loop tells apart, and a task's timer.
        let mut timers = Vec::new();
        for years in [1, 200, 1_000, 100_000] {
            if let Some(when) = now.checked_add(years * YEAR) {
                timers.push(lp.call_at(when, log.recording(years)));
            }
        }
        let far = now.checked_add(1_000 * YEAR).unwrap_or(now + YEAR);
        let sleeper = lp.spawn(async move { sleep_until(far).await });
        let handle = lp.handle();
        lp.call_later(ms(30), move || handle.stop());
        let start = Instant::now();
        lp.run_forever().unwrap();
        assert!(start.elapsed() >= ms(30));
        assert!(start.elapsed() < PATIENCE, "hang detector");
        assert_eq!(log.events(), Vec::<u32>::new(), "fired early");
        assert!(!sleeper.done(), "woke early");
        for timer in &timers {
            assert!(timer.is_pending());
            assert!(timer.when().unwrap() > now);
        }
        // They still wait: a short run does not fire them either.
        let handle = lp.handle();
        lp.call_later(ms(10), move || handle.stop());
        lp.run_forever().unwrap();
        assert!(log.events().is_empty());
        assert!(timers.iter().all(|timer| timer.cancel()));
    });
}

#[test]
fn a_timer_due_now_runs_while_far_future_ones_wait() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let now = Instant::now();
        let far = lp.call_at(now.checked_add(1_000 * YEAR).unwrap_or(now + YEAR), || {});
        lp.call_at(now + ms(5), log.recording("soon"));
        lp.call_at(before(now, Duration::from_secs(1)), log.recording("past"));
        let handle = lp.handle();
        lp.call_later(ms(20), move || handle.stop());
        lp.run_forever().unwrap();
        assert_eq!(log.events(), ["past", "soon"]);
        assert!(far.cancel());
    });
}
