//! Repeating timers and the three policies for missed ticks, on a manual
//! clock: no real sleeps.

mod helpers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cb_timer::{CancelOutcome, ManualClock, MissedTicks, Scheduler, TimerHandle, TimerState};
use helpers::{PATIENCE, Recorder, manual, ms, secs, without_hanging};

/// A repeating timer that records the clock's time (since `start`) of each
/// tick.
fn ticking(
    clock: &ManualClock,
    scheduler: &Scheduler,
    policy: Option<MissedTicks>,
) -> (TimerHandle, Recorder<Duration>) {
    let recorder = Recorder::new();
    let start: Instant = clock.now();
    let callback = {
        let clock = clock.clone();
        let recorder = recorder.clone();
        move || recorder.record(clock.now() - start)
    };
    let handle = match policy {
        None => scheduler.every(secs(1), callback),
        Some(policy) => scheduler.every_with(secs(1), policy, callback),
    };
    (handle, recorder)
}

const NS: Duration = Duration::from_nanos(1);

#[test]
fn every_ticks_once_per_period() {
    let (clock, scheduler) = manual();
    let (handle, ticks) = ticking(&clock, &scheduler, None);
    clock.advance(secs(1) - NS);
    assert!(
        ticks.values().is_empty(),
        "the first tick is one period away"
    );
    clock.advance(NS);
    for _ in 0..4 {
        assert_eq!(handle.state(), TimerState::Pending);
        clock.advance(secs(1));
    }
    assert_eq!(
        ticks.values(),
        [secs(1), secs(2), secs(3), secs(4), secs(5)]
    );
}

#[test]
fn every_keeps_its_grid_when_advanced_in_odd_steps() {
    let (clock, scheduler) = manual();
    let (_handle, ticks) = ticking(&clock, &scheduler, None);
    for _ in 0..10 {
        clock.advance(ms(300));
    }
    // At 0.3 s steps the clock passes each whole second at 1.2, 2.1 and 3.0 s.
    assert_eq!(ticks.values(), [ms(1200), ms(2100), ms(3000)]);
}

#[test]
fn burst_runs_every_missed_tick() {
    let (clock, scheduler) = manual();
    let (_handle, ticks) = ticking(&clock, &scheduler, Some(MissedTicks::Burst));
    clock.advance(ms(3500));
    assert_eq!(ticks.len(), 3, "ticks due at 1, 2 and 3 s");
    // They ran late, back to back, at 3.5 s.
    assert_eq!(ticks.values(), [ms(3500); 3]);
    clock.advance(ms(500) - NS);
    assert_eq!(ticks.len(), 3);
    clock.advance(NS);
    assert_eq!(ticks.len(), 4, "the grid goes on at 4 s");
    assert_eq!(ticks.values()[3], secs(4));
}

#[test]
fn burst_after_a_year_long_jump_runs_at_most_the_limit_then_keeps_the_grid() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let start = clock.now();
        let runs = Arc::new(AtomicU64::new(0));
        let last = Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let handle = scheduler.every_with(ms(1), MissedTicks::Burst, {
            let (runs, last, clock) = (runs.clone(), last.clone(), clock.clone());
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                *last.lock().unwrap() = clock.now() - start;
            }
        });
        let year = secs(365 * 24 * 3600);
        clock.advance(year);
        // The late tick due at 1 ms, then the latest BURST_LIMIT missed ones.
        assert_eq!(runs.load(Ordering::SeqCst), 1 + MissedTicks::BURST_LIMIT);
        assert_eq!(handle.state(), TimerState::Pending);
        // Back on the grid: the next tick is due one period after the year.
        clock.advance(ms(1) - NS);
        assert_eq!(runs.load(Ordering::SeqCst), 1 + MissedTicks::BURST_LIMIT);
        clock.advance(NS);
        assert_eq!(runs.load(Ordering::SeqCst), 2 + MissedTicks::BURST_LIMIT);
        assert_eq!(*last.lock().unwrap(), year + ms(1));
    });
}

#[test]
fn burst_runs_exactly_the_limit_of_missed_ticks_without_dropping_any() {
    let (clock, scheduler) = manual();
    let (_handle, ticks) = ticking(&clock, &scheduler, Some(MissedTicks::Burst));
    let limit = u32::try_from(MissedTicks::BURST_LIMIT).unwrap();
    // Due at 1 s, then `limit` more whole seconds missed.
    clock.advance(secs(1) * (limit + 1));
    assert_eq!(ticks.len(), 1 + limit as usize);
}

#[test]
fn skip_runs_once_and_keeps_the_grid() {
    let (clock, scheduler) = manual();
    let (_handle, ticks) = ticking(&clock, &scheduler, Some(MissedTicks::Skip));
    clock.advance(ms(3500));
    assert_eq!(
        ticks.values(),
        [ms(3500)],
        "one late tick for the three missed"
    );
    clock.advance(ms(500) - NS);
    assert_eq!(ticks.len(), 1);
    clock.advance(NS);
    assert_eq!(
        ticks.values(),
        [ms(3500), secs(4)],
        "next tick on the original grid"
    );
    clock.advance(secs(1));
    assert_eq!(ticks.values(), [ms(3500), secs(4), secs(5)]);
}

#[test]
fn every_skips_missed_ticks_by_default() {
    let (clock, scheduler) = manual();
    let (_handle, ticks) = ticking(&clock, &scheduler, None);
    clock.advance(ms(3500));
    clock.advance(ms(500));
    assert_eq!(ticks.values(), [ms(3500), secs(4)]);
}

#[test]
fn delay_runs_once_and_starts_a_new_grid() {
    let (clock, scheduler) = manual();
    let (_handle, ticks) = ticking(&clock, &scheduler, Some(MissedTicks::Delay));
    clock.advance(ms(3500));
    assert_eq!(ticks.values(), [ms(3500)]);
    clock.advance(ms(500));
    assert_eq!(ticks.len(), 1, "no tick on the old grid at 4 s");
    clock.advance(ms(500) - NS);
    assert_eq!(ticks.len(), 1);
    clock.advance(NS);
    assert_eq!(
        ticks.values(),
        [ms(3500), ms(4500)],
        "a full period after the late tick"
    );
    clock.advance(secs(1));
    assert_eq!(ticks.values(), [ms(3500), ms(4500), ms(5500)]);
}

#[test]
fn on_time_every_policy_keeps_the_grid() {
    for policy in [MissedTicks::Burst, MissedTicks::Skip, MissedTicks::Delay] {
        let (clock, scheduler) = manual();
        let (_handle, ticks) = ticking(&clock, &scheduler, Some(policy));
        for _ in 0..3 {
            clock.advance(secs(1));
        }
        assert_eq!(ticks.values(), [secs(1), secs(2), secs(3)], "{policy:?}");
    }
}

#[test]
fn a_scheduler_handle_schedules_every_like_the_scheduler() {
    let (clock, scheduler) = manual();
    let start = clock.now();
    let recorder = Recorder::new();
    let handle = scheduler
        .handle()
        .every(secs(1), {
            let (recorder, clock) = (recorder.clone(), clock.clone());
            move || recorder.record(clock.now() - start)
        })
        .expect("the scheduler is running");
    clock.advance(ms(3500)); // missed ticks are skipped, as with `every`
    clock.advance(ms(500));
    assert_eq!(recorder.values(), [ms(3500), secs(4)]);
    assert_eq!(handle.state(), TimerState::Pending);
}

#[test]
fn a_scheduler_handle_gives_back_a_repeating_callback_after_shutdown() {
    let (_clock, scheduler) = manual();
    let handle = scheduler.handle();
    drop(scheduler);
    let mut count = 0;
    let error = handle
        .every(secs(1), move || {
            count += 1;
            assert!(count <= 2);
        })
        .expect_err("the scheduler has shut down");
    let mut callback = error.into_inner();
    callback();
    callback();
    assert_eq!(handle.pending(), None);
}

#[test]
fn the_default_schedulers_every_with_runs_with_the_chosen_policy() {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = cb_timer::every_with(ms(2), MissedTicks::Delay, move || {
        let _ = tx.send(Instant::now());
    });
    let ticks: Vec<Instant> = rx.iter().take(3).collect();
    let outcome = handle.cancel_and_wait();
    assert!(
        matches!(outcome, CancelOutcome::Cancelled | CancelOutcome::Running),
        "{outcome:?}"
    );
    assert_eq!(handle.state(), TimerState::Cancelled);
    for pair in ticks.windows(2) {
        assert!(pair[1] - pair[0] >= ms(2), "never early");
    }
}

#[test]
#[should_panic(expected = "non-zero period")]
fn every_with_a_zero_period_panics() {
    let (_clock, scheduler) = manual();
    scheduler.every(Duration::ZERO, || {});
}

#[test]
#[should_panic(expected = "non-zero period")]
fn every_with_policy_and_a_zero_period_panics() {
    let (_clock, scheduler) = manual();
    scheduler.every_with(Duration::ZERO, MissedTicks::Burst, || {});
}

#[test]
#[should_panic(expected = "non-zero period")]
fn the_default_schedulers_every_with_a_zero_period_panics() {
    cb_timer::every(Duration::ZERO, || {});
}
