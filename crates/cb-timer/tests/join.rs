//! `TimerHandle::join`, `try_join` and `join_timeout`: waiting until a scheduled timer is
//! done, as Python's `threading.Timer.join` does for a thread timer.

mod helpers;

use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use cb_timer::{JoinError, Scheduler, TimerState};
use helpers::{Flag, PATIENCE, manual, ms, secs, slow_callback, without_hanging};

#[test]
fn join_waits_until_the_callback_has_returned() {
    let scheduler = Scheduler::new().unwrap();
    let (started, finished, callback) = slow_callback(ms(30));
    let start = Instant::now();
    let handle = scheduler.after(ms(20), callback);
    assert_eq!(handle.try_join(), None);

    assert_eq!(handle.join(), Ok(TimerState::Fired));
    // Never early: after the delay, and after the callback's own work.
    assert!(start.elapsed() >= ms(50), "{:?}", start.elapsed());
    assert!(finished.is_set());
    started.try_recv().unwrap();
    // Done stays done, and every form says so at once.
    assert_eq!(handle.try_join(), Some(TimerState::Fired));
    assert_eq!(handle.join_timeout(ms(0)), Ok(TimerState::Fired));
    assert_eq!(handle.clone().join(), Ok(TimerState::Fired));
}

#[test]
fn a_cancel_from_another_thread_ends_the_wait() {
    let scheduler = Scheduler::new().unwrap();
    let handle = scheduler.after(secs(3600), || unreachable!());
    let joined = {
        let handle = handle.clone();
        thread::spawn(move || handle.join())
    };
    thread::sleep(ms(20)); // let it start waiting (either order must work)
    handle.cancel();
    let outcome = without_hanging(PATIENCE, move || joined.join().unwrap());
    assert_eq!(outcome, Ok(TimerState::Cancelled));
}

#[test]
fn join_timeout_gives_up_after_its_timeout_and_never_early() {
    let (_clock, scheduler) = manual();
    let handle = scheduler.after(secs(1), || {});
    let start = Instant::now();
    assert_eq!(handle.join_timeout(ms(30)), Err(JoinError::Timeout));
    assert!(start.elapsed() >= ms(30));
    assert_eq!(handle.try_join(), None);
    assert_eq!(handle.state(), TimerState::Pending);
    assert_eq!(
        JoinError::Timeout.to_string(),
        "timed out waiting for the timer"
    );
}

#[test]
fn join_returns_when_the_manual_clock_is_advanced() {
    let (clock, scheduler) = manual();
    let ran = Flag::new();
    let handle = scheduler.after(secs(10), {
        let ran = ran.clone();
        move || ran.set()
    });
    let (tx, rx) = mpsc::channel();
    let joiner = {
        let handle = handle.clone();
        thread::spawn(move || tx.send(handle.join()).unwrap())
    };
    // Time does not move by itself on a manual clock.
    assert!(rx.recv_timeout(ms(30)).is_err());
    clock.advance(secs(10));
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), Ok(TimerState::Fired));
    assert!(ran.is_set());
    joiner.join().unwrap();
}

#[test]
fn a_scheduler_that_shuts_down_ends_the_wait_with_cancelled() {
    let (_clock, scheduler) = manual();
    let handle = scheduler.after(secs(1), || unreachable!());
    let joined = {
        let handle = handle.clone();
        thread::spawn(move || handle.join())
    };
    thread::sleep(ms(20));
    drop(scheduler);
    let outcome = without_hanging(PATIENCE, move || joined.join().unwrap());
    assert_eq!(outcome, Ok(TimerState::Cancelled));
    // And once the scheduler is gone, at once.
    assert_eq!(handle.join(), Ok(TimerState::Cancelled));
}

#[test]
fn the_scheduler_thread_cannot_wait_for_its_own_timers() {
    let (clock, scheduler) = manual();
    let later = scheduler.after(secs(10), || {});
    let done = scheduler.after(ms(0), || {});
    let (tx, rx) = mpsc::channel();
    scheduler.after(ms(1), {
        let (later, done) = (later.clone(), done.clone());
        move || {
            // A pending timer of the same scheduler: it would never run.
            tx.send((later.join(), later.join_timeout(secs(1)), done.join()))
                .unwrap();
        }
    });
    clock.advance(ms(1));
    let (pending, pending_timeout, fired) = rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(pending, Err(JoinError::OwnThread));
    assert_eq!(pending_timeout, Err(JoinError::OwnThread));
    assert_eq!(fired, Ok(TimerState::Fired));
    assert_eq!(
        JoinError::OwnThread.to_string(),
        "a timer cannot be joined from the thread that runs it"
    );
}

#[test]
fn a_repeating_timer_is_done_when_cancelled() {
    let scheduler = Scheduler::new().unwrap();
    let ticking = scheduler.every(ms(5), || {});
    assert_eq!(ticking.join_timeout(ms(30)), Err(JoinError::Timeout));
    ticking.cancel();
    assert_eq!(ticking.join_timeout(PATIENCE), Ok(TimerState::Cancelled));
}
