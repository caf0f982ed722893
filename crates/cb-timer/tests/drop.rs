//! What dropping does: a handle or a `Timer` does not cancel; a `Scheduler`
//! discards its pending timers and waits for a running callback.

mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use cb_timer::{CancelOutcome, MissedTicks, Scheduler, Timer, TimerState};
use helpers::{Flag, PATIENCE, drop_guard, manual, ms, secs, slow_callback};

#[test]
fn dropping_a_timer_handle_does_not_cancel_it() {
    let scheduler = Scheduler::new().unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    drop(scheduler.after(ms(10), move || tx.send("scheduler").unwrap()));
    let _ = cb_timer::after(ms(10), move || tx2.send("default").unwrap());
    let mut got = [
        rx.recv_timeout(PATIENCE).unwrap(),
        rx.recv_timeout(PATIENCE).unwrap(),
    ];
    got.sort();
    assert_eq!(got, ["default", "scheduler"]);
}

#[test]
fn dropping_a_repeating_timers_handle_does_not_cancel_it() {
    let (clock, scheduler) = manual();
    let ticks = Arc::new(AtomicUsize::new(0));
    drop(scheduler.every(secs(1), {
        let ticks = ticks.clone();
        move || {
            ticks.fetch_add(1, Ordering::SeqCst);
        }
    }));
    for _ in 0..3 {
        clock.advance(secs(1));
    }
    assert_eq!(ticks.load(Ordering::SeqCst), 3);
}

#[test]
fn dropping_a_started_timer_does_not_cancel_it() {
    let (tx, rx) = mpsc::channel();
    let timer = Timer::new(ms(10), move || tx.send("fired").unwrap());
    timer.start().unwrap();
    drop(timer);
    assert_eq!(rx.recv_timeout(PATIENCE), Ok("fired"));
}

#[test]
fn dropping_a_timer_that_was_never_started_drops_its_callback_unrun() {
    let ran = Flag::new();
    let (guard, dropped) = drop_guard();
    let timer = Timer::new(Duration::ZERO, {
        let ran = ran.clone();
        move || {
            guard.touch();
            ran.set();
        }
    });
    drop(timer);
    assert!(dropped.dropped());
    assert!(!ran.is_set());
}

#[test]
fn dropping_a_scheduler_discards_its_pending_timers() {
    let scheduler = Scheduler::new().unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let mut timers = Vec::new();
    for i in 0..20 {
        let (guard, dropped) = drop_guard();
        let runs = runs.clone();
        let callback = move || {
            guard.touch();
            runs.fetch_add(1, Ordering::SeqCst);
        };
        let handle = if i % 2 == 0 {
            scheduler.after(secs(3600 + i), callback)
        } else {
            scheduler.every_with(secs(3600 + i), MissedTicks::Burst, callback)
        };
        timers.push((handle, dropped));
    }
    drop(scheduler);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    for (handle, dropped) in &timers {
        assert!(dropped.dropped(), "a discarded timer's callback is dropped");
        assert_eq!(handle.state(), TimerState::Cancelled);
        assert_eq!(handle.cancel(), CancelOutcome::AlreadyCancelled);
        assert_eq!(handle.cancel_and_wait(), CancelOutcome::AlreadyCancelled);
    }
}

/// A timer that never fires is pending too, and the docs promise every
/// pending timer is discarded when its scheduler drops.
#[test]
fn dropping_a_scheduler_discards_its_never_timers_too() {
    let scheduler = Scheduler::new().unwrap();
    let (guard, dropped) = drop_guard();
    let handle = scheduler.after(Duration::MAX, move || guard.touch());
    drop(scheduler);
    assert_eq!(handle.state(), TimerState::Cancelled);
    assert!(dropped.dropped(), "the discarded callback is dropped");
    assert_eq!(handle.cancel(), CancelOutcome::AlreadyCancelled);
}

#[test]
fn dropping_a_scheduler_waits_for_the_running_callback() {
    let scheduler = Scheduler::new().unwrap();
    let (started_rx, finished, callback) = slow_callback(ms(50));
    let handle = scheduler.after(Duration::ZERO, callback);
    let later = scheduler.after(Duration::ZERO, || {});
    started_rx.recv_timeout(PATIENCE).expect("callback started");
    drop(scheduler);
    assert!(finished.is_set(), "drop returned while a callback ran");
    assert_eq!(handle.state(), TimerState::Fired);
    assert_eq!(
        later.state(),
        TimerState::Cancelled,
        "queued behind the running one: discarded"
    );
}

#[test]
fn a_scheduler_handle_refuses_new_timers_after_drop_and_gives_the_callback_back() {
    let scheduler = Scheduler::new().unwrap();
    let handle = scheduler.handle();
    assert!(handle.now().is_some());
    drop(scheduler);
    assert_eq!(handle.now(), None);

    let ran = Flag::new();
    let error = handle
        .after(ms(1), {
            let ran = ran.clone();
            move || ran.set()
        })
        .expect_err("the scheduler has shut down");
    assert_eq!(error.to_string(), "the scheduler has shut down");
    (error.into_inner())();
    assert!(ran.is_set(), "into_inner gave back the very callback");

    let ran = Flag::new();
    let error = handle
        .at(std::time::Instant::now(), {
            let ran = ran.clone();
            move || ran.set()
        })
        .expect_err("the scheduler has shut down");
    (error.into_inner())();
    assert!(ran.is_set());

    let ticks = Arc::new(AtomicUsize::new(0));
    let error = handle
        .every_with(ms(1), MissedTicks::Skip, {
            let ticks = ticks.clone();
            move || {
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .expect_err("the scheduler has shut down");
    let mut callback = error.into_inner();
    callback();
    callback();
    assert_eq!(ticks.load(Ordering::SeqCst), 2);
}
