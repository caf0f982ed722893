//! `Interval`: ticks on the loop's timers, never early, and the three
//! missed-tick policies (`Burst`, `Skip`, `Delay`) after a stall.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{ms, without_hanging};
use poll_loop::{EventLoop, MissedTicks, interval, interval_at};

const PERIOD: Duration = Duration::from_millis(20);

/// Ticks once, stalls the loop's thread for 3.5 periods, then ticks three
/// more times; returns each tick's due instant as an offset from the
/// start, in whole periods, and when the last came.
fn after_a_stall(missed: MissedTicks) -> (Vec<f64>, Duration) {
    let lp = EventLoop::new();
    lp.block_on(async {
        let start = Instant::now();
        let mut ticks = interval_at(start, PERIOD);
        ticks.set_missed_ticks(missed);
        let mut due = vec![ticks.tick().await];
        std::thread::sleep(PERIOD * 7 / 2);
        for _ in 0..3 {
            let tick = ticks.tick().await;
            assert!(Instant::now() >= tick, "a tick came early");
            due.push(tick);
        }
        let periods = due
            .iter()
            .map(|t| t.duration_since(start).as_secs_f64() / PERIOD.as_secs_f64())
            .collect();
        (periods, start.elapsed())
    })
    .unwrap()
}

fn near(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() < 0.5)
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
            assert_eq!(pair[1] - pair[0], ms(10), "on the grid");
        }
    });
}

#[test]
fn burst_runs_every_missed_tick_back_to_back() {
    without_hanging(|| {
        let (due, _) = after_a_stall(MissedTicks::Burst);
        assert!(near(&due, &[0.0, 1.0, 2.0, 3.0]), "{due:?}");
    });
}

#[test]
fn skip_drops_the_missed_ticks_and_stays_on_the_grid() {
    without_hanging(|| {
        let (due, elapsed) = after_a_stall(MissedTicks::Skip);
        // Tick 1 is due but late; the next grid points ahead are 4 and 5.
        assert!(near(&due, &[0.0, 1.0, 4.0, 5.0]), "{due:?}");
        assert!(elapsed >= PERIOD * 5);
    });
}

#[test]
fn delay_starts_a_new_grid_from_the_late_tick() {
    without_hanging(|| {
        let (due, elapsed) = after_a_stall(MissedTicks::Delay);
        // Tick 1 comes at 3.5; then 4.5 and 5.5.
        assert!(near(&due[..2], &[0.0, 1.0]), "{due:?}");
        assert!(due[2] >= 4.4, "a period after the late tick: {due:?}");
        assert!((due[3] - due[2] - 1.0).abs() < 0.01, "{due:?}");
        assert!(elapsed >= PERIOD * 11 / 2);
    });
}

#[test]
fn a_dropped_tick_loses_nothing() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let start = Instant::now();
            let mut ticks = interval_at(start + ms(10), ms(10));
            // Given up on before it came: the tick is still due later.
            let gave_up = poll_loop::timeout(ms(2), ticks.tick()).await;
            assert!(gave_up.is_err());
            assert_eq!(ticks.tick().await, start + ms(10));
        })
        .unwrap();
    });
}

#[test]
#[should_panic(expected = "period above zero")]
fn a_zero_period_panics() {
    let _ = interval(Duration::ZERO);
}
