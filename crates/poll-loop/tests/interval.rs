//! `Interval`: ticks on the loop's timers, never early, and the three
//! missed-tick policies (`Burst`, `Skip`, `Delay`) after a stall.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{ms, without_hanging};
use poll_loop::{EventLoop, MissedTicks, interval, interval_at};

const PERIOD: Duration = Duration::from_millis(20);

/// Ticks once, stalls the loop's thread for 3.5 periods, then ticks three
/// more times. Returns each tick's due instant and the instant the task saw
/// it, as offsets from the start in periods.
fn after_a_stall(missed: MissedTicks) -> (Vec<f64>, Vec<f64>) {
    let lp = EventLoop::new();
    lp.block_on(async {
        let start = Instant::now();
        let periods = |t: Instant| t.duration_since(start).as_secs_f64() / PERIOD.as_secs_f64();
        let mut ticks = interval_at(start, PERIOD);
        ticks.set_missed_ticks(missed);
        let (mut due, mut seen) = (vec![periods(ticks.tick().await)], vec![0.0]);
        std::thread::sleep(PERIOD * 7 / 2);
        for _ in 0..3 {
            let tick = ticks.tick().await;
            let now = Instant::now();
            assert!(now >= tick, "a tick came early");
            due.push(periods(tick));
            seen.push(periods(now));
        }
        (due, seen)
    })
    .unwrap()
}

/// True if `t` (in periods) is a point of the grid.
fn on_grid(t: f64) -> bool {
    (t - t.round()).abs() < 1e-6
}

#[test]
fn ticks_come_every_period_and_never_early() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let start = Instant::now();
        let due = lp
            .block_on(async {
                let mut ticks = interval(ms(10));
                let mut due = Vec::new();
                for _ in 0..4 {
                    let tick = ticks.tick().await;
                    assert!(Instant::now() >= tick);
                    due.push(tick);
                }
                due
            })
            .unwrap();
        assert!(start.elapsed() >= ms(30));
        for pair in due.windows(2) {
            // On the grid: one period apart, or a whole number of them if
            // a loaded machine made a tick miss the next (`Skip`).
            let gap = (pair[1] - pair[0]).as_nanos();
            assert!(
                gap > 0 && gap % ms(10).as_nanos() == 0,
                "{:?}",
                pair[1] - pair[0]
            );
        }
    });
}

#[test]
fn burst_runs_every_missed_tick_back_to_back() {
    without_hanging(|| {
        let (due, seen) = after_a_stall(MissedTicks::Burst);
        assert!(
            due.iter()
                .zip([0.0, 1.0, 2.0, 3.0])
                .all(|(d, w)| (d - w).abs() < 1e-6),
            "{due:?}"
        );
        // All three were due when the stall ended: none was dropped.
        assert!(seen[1] >= 3.5, "{seen:?}");
    });
}

#[test]
fn skip_drops_the_missed_ticks_and_stays_on_the_grid() {
    without_hanging(|| {
        let (due, seen) = after_a_stall(MissedTicks::Skip);
        // Tick 1 is due, though late; the next is the first grid point
        // after it came (4 on a quiet machine), then one period later.
        assert!((due[1] - 1.0).abs() < 1e-6, "{due:?}");
        assert!(on_grid(due[2]) && due[2] >= 4.0, "{due:?}");
        assert!(
            due[2] - 1.0 <= seen[1],
            "no grid point skipped needlessly: {due:?} {seen:?}"
        );
        assert!((due[3] - due[2] - 1.0).abs() < 1e-6, "{due:?}");
    });
}

#[test]
fn delay_starts_a_new_grid_from_the_late_tick() {
    without_hanging(|| {
        let (due, seen) = after_a_stall(MissedTicks::Delay);
        // Tick 1 came at 3.5 or later; the next is a period after that,
        // and the one after it on the new grid.
        assert!((due[1] - 1.0).abs() < 1e-6, "{due:?}");
        assert!(
            due[2] >= 4.5 && due[2] - 1.0 <= seen[1] + 1e-6,
            "{due:?} {seen:?}"
        );
        assert!((due[3] - due[2] - 1.0).abs() < 1e-6, "{due:?}");
    });
}

#[test]
fn a_dropped_tick_loses_nothing() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let start = Instant::now();
            let mut ticks = interval_at(start + ms(200), ms(10));
            // Given up on before it came: the tick is still due later.
            let gave_up = poll_loop::timeout(ms(2), ticks.tick()).await;
            assert!(gave_up.is_err());
            assert_eq!(ticks.tick().await, start + ms(200));
        })
        .unwrap();
    });
}

#[test]
#[should_panic(expected = "period above zero")]
fn a_zero_period_panics() {
    let _ = interval(Duration::ZERO);
}

#[test]
fn a_burst_far_behind_gives_at_most_burst_limit_ticks_back_to_back() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let caught_up = lp
            .block_on(async {
                let period = Duration::from_micros(1);
                let mut ticks = interval_at(Instant::now(), period);
                ticks.set_missed_ticks(MissedTicks::Burst);
                ticks.tick().await;
                std::thread::sleep(ms(20)); // 20,000 periods behind
                let resumed = Instant::now();
                let mut behind = 0;
                while ticks.tick().await < resumed {
                    behind += 1;
                }
                behind
            })
            .unwrap();
        assert!(
            (1..=MissedTicks::BURST_LIMIT).contains(&caught_up),
            "{caught_up} ticks back to back"
        );
    });
}

#[test]
fn skip_far_more_periods_behind_than_a_u32_counts_still_ticks() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            // Ten seconds of nanosecond periods: 10^10 missed ticks.
            let start = Instant::now() - Duration::from_secs(10);
            let mut ticks = interval_at(start, Duration::from_nanos(1));
            assert_eq!(ticks.tick().await, start);
            let next = ticks.tick().await;
            assert!(next > start + Duration::from_secs(9), "skipped ahead");
        })
        .unwrap();
    });
}
