//! "Never" is a deadline: huge delays never fire and never panic; zero delays
//! and past deadlines fire as soon as possible.

mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{CancelOutcome, JoinError, ManualClock, Scheduler, Timer, TimerState};
use helpers::{Flag, PATIENCE, drop_guard, manual, ms, secs};

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// An instant a thousand years away: representable, but far past any
/// timer's reach.
fn far_future() -> Instant {
    Instant::now()
        .checked_add(YEAR * 1000)
        .expect("Instant holds a thousand years")
}

/// One second ago, when the platform's `Instant` reaches back that far.
fn one_second_ago() -> Option<Instant> {
    Instant::now().checked_sub(secs(1))
}

fn setter(flag: &Flag) -> impl FnOnce() + Send + 'static {
    let flag = flag.clone();
    move || flag.set()
}

#[test]
fn duration_max_and_a_far_instant_never_fire_on_a_scheduler() {
    let scheduler = Scheduler::new().unwrap();
    let ran = Flag::new();
    let after = scheduler.after(Duration::MAX, setter(&ran));
    let at = scheduler.at(far_future(), setter(&ran));
    let every = scheduler.every(Duration::MAX, {
        let ran = ran.clone();
        move || ran.set()
    });
    // The scheduler is not stuck on them: a near timer still fires.
    let (tx, rx) = mpsc::channel();
    scheduler.after(ms(10), move || tx.send(()).unwrap());
    rx.recv_timeout(PATIENCE).expect("a near timer fires");
    assert!(!ran.is_set());
    for handle in [&after, &at, &every] {
        assert_eq!(handle.state(), TimerState::Pending);
    }
    for handle in [&after, &at, &every] {
        assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
        assert_eq!(handle.state(), TimerState::Cancelled);
    }
}

#[test]
fn a_never_timer_can_be_cancelled_and_its_callback_is_dropped() {
    let scheduler = Scheduler::new().unwrap();
    let (guard, dropped) = drop_guard();
    let handle = scheduler.after(Duration::MAX, move || guard.touch());
    assert!(!dropped.dropped());
    assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
    assert!(dropped.dropped());
    assert_eq!(handle.cancel(), CancelOutcome::AlreadyCancelled);
}

#[test]
fn never_timers_stay_pending_through_a_century_of_manual_time() {
    let (clock, scheduler) = manual();
    let ran = Flag::new();
    let after = scheduler.after(Duration::MAX, setter(&ran));
    let at = scheduler.at(clock.now().checked_add(YEAR * 1000).unwrap(), setter(&ran));
    for _ in 0..100 {
        clock.advance(YEAR);
    }
    assert!(!ran.is_set());
    assert_eq!(after.state(), TimerState::Pending);
    assert_eq!(at.state(), TimerState::Pending);
    assert_eq!(after.cancel(), CancelOutcome::Cancelled);
    assert_eq!(at.cancel(), CancelOutcome::Cancelled);
}

/// Advances `clock` on another thread, so that a scheduler that never
/// settles fails the test instead of hanging it. True if `advance` returned.
fn advance_or_give_up(clock: &ManualClock, by: Duration) -> bool {
    let (tx, rx) = mpsc::channel();
    let clock = clock.clone();
    thread::spawn(move || {
        clock.advance(by);
        let _ = tx.send(());
    });
    rx.recv_timeout(PATIENCE).is_ok()
}

/// Ticks are nanoseconds in a `u64`, which overflow after about 584 years;
/// past that point a manual clock must still not reach "never".
#[test]
fn a_duration_max_timer_stays_pending_through_a_millennium_of_manual_time() {
    let (clock, scheduler) = manual();
    let ran = Flag::new();
    let handle = scheduler.after(Duration::MAX, setter(&ran));
    assert!(
        advance_or_give_up(&clock, YEAR * 1000),
        "advance never returned"
    );
    assert!(!ran.is_set(), "a Duration::MAX timer fired");
    assert_eq!(handle.state(), TimerState::Pending);
}

#[test]
fn a_repeating_duration_max_timer_stays_pending_through_a_millennium_of_manual_time() {
    let (clock, scheduler) = manual();
    let ticks = Arc::new(AtomicUsize::new(0));
    let handle = scheduler.every(Duration::MAX, {
        let ticks = ticks.clone();
        move || {
            ticks.fetch_add(1, Ordering::SeqCst);
        }
    });
    let returned = advance_or_give_up(&clock, YEAR * 1000);
    let ticked = ticks.load(Ordering::SeqCst);
    // Stop a spinning scheduler before asserting, so it does not slow the
    // other tests.
    handle.cancel_and_wait();
    drop(scheduler);
    assert!(
        returned,
        "advance never returned: the scheduler does not settle"
    );
    assert_eq!(ticked, 0, "a Duration::MAX repeating timer ticked");
}

/// The README: "`Duration::MAX`, or any delay whose deadline does not fit in
/// an `Instant`, means the timer never fires". A 600-year deadline does fit
/// in an `Instant`, so once a manual clock has passed it, it must fire.
#[test]
fn a_deadline_that_fits_in_an_instant_fires_once_the_manual_clock_passes_it() {
    let (clock, scheduler) = manual();
    let ran = Flag::new();
    let handle = scheduler.after(YEAR * 600, setter(&ran));
    clock.advance(YEAR * 601);
    assert!(
        ran.is_set(),
        "a 600-year timer did not fire after 601 years"
    );
    assert_eq!(handle.state(), TimerState::Fired);
}

#[test]
fn duration_max_and_a_far_instant_never_fire_on_the_default_scheduler() {
    let ran = Flag::new();
    let after = cb_timer::after(Duration::MAX, setter(&ran));
    let at = cb_timer::at(far_future(), setter(&ran));
    let every = cb_timer::every(Duration::MAX, {
        let ran = ran.clone();
        move || ran.set()
    });
    let (tx, rx) = mpsc::channel();
    cb_timer::after(ms(10), move || tx.send(()).unwrap());
    rx.recv_timeout(PATIENCE).expect("a near timer fires");
    assert!(!ran.is_set());
    for handle in [&after, &at, &every] {
        assert_eq!(handle.state(), TimerState::Pending);
        assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
    }
}

#[test]
fn a_timer_with_duration_max_waits_until_cancelled() {
    let ran = Flag::new();
    let timer = Timer::new(Duration::MAX, setter(&ran));
    timer.start().expect("Duration::MAX does not panic");
    assert!(timer.is_alive());
    assert_eq!(timer.join_timeout(ms(30)), Err(JoinError::Timeout));
    assert_eq!(timer.state(), TimerState::Pending);
    assert_eq!(timer.cancel(), CancelOutcome::Cancelled);
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert!(!timer.is_alive());
    assert!(!ran.is_set());
}

#[test]
fn zero_delays_fire_promptly() {
    let scheduler = Scheduler::new().unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    scheduler.after(Duration::ZERO, move || tx.send("scheduler").unwrap());
    cb_timer::after(Duration::ZERO, move || tx2.send("default").unwrap());
    let mut got = [
        rx.recv_timeout(PATIENCE).unwrap(),
        rx.recv_timeout(PATIENCE).unwrap(),
    ];
    got.sort();
    assert_eq!(got, ["default", "scheduler"]);

    let ran = Flag::new();
    let timer = Timer::new(Duration::ZERO, setter(&ran));
    timer.start().unwrap();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert!(ran.is_set());
}

#[test]
fn past_deadlines_fire_promptly() {
    let Some(past) = one_second_ago() else {
        return; // This platform's clock does not reach back a second.
    };
    let scheduler = Scheduler::new().unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let handle = scheduler.at(past, move || tx.send("scheduler").unwrap());
    cb_timer::at(past, move || tx2.send("default").unwrap());
    let mut got = [
        rx.recv_timeout(PATIENCE).unwrap(),
        rx.recv_timeout(PATIENCE).unwrap(),
    ];
    got.sort();
    assert_eq!(got, ["default", "scheduler"]);
    assert!(helpers::wait_until(PATIENCE, || handle.state() == TimerState::Fired));
}

#[test]
fn zero_delays_and_past_deadlines_fire_on_a_manual_clock_that_does_not_move() {
    let (clock, scheduler) = manual();
    let start = clock.now();
    let zero = Flag::new();
    let past = Flag::new();
    scheduler.after(Duration::ZERO, setter(&zero));
    scheduler.at(start.checked_sub(secs(1)).unwrap_or(start), setter(&past));
    // Due now: the scheduler runs them without being advanced.
    assert!(helpers::wait_until(PATIENCE, || zero.is_set() && past.is_set()));
    assert_eq!(clock.now(), start);
}
