//! `cancel` tells the truth: every `CancelOutcome`, `cancel_and_wait`, and
//! cancelling from the timer's own callback, on both kinds of timer.

mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{CancelOutcome, Scheduler, Timer, TimerHandle, TimerState};
use helpers::{Flag, PATIENCE, drop_guard, manual, ms, secs, slow_callback, wait_until};

#[test]
fn cancel_before_it_runs_stops_it_and_drops_the_callback_at_once() {
    let (clock, scheduler) = manual();
    let ran = Flag::new();
    let (guard, dropped) = drop_guard();
    let handle = scheduler.after(secs(1), {
        let ran = ran.clone();
        move || {
            guard.touch();
            ran.set();
        }
    });
    assert!(!dropped.dropped());
    assert_eq!(scheduler.pending(), 1);

    assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
    assert!(
        dropped.dropped(),
        "the callback is dropped when cancel returns"
    );
    assert_eq!(handle.state(), TimerState::Cancelled);
    assert_eq!(scheduler.pending(), 0, "a cancelled timer leaves the queue");

    clock.advance(secs(5));
    assert!(!ran.is_set());
    assert_eq!(handle.state(), TimerState::Cancelled);
}

#[test]
fn cancel_while_the_callback_runs_returns_running() {
    let scheduler = Scheduler::new().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    let handle = scheduler.after(Duration::ZERO, move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(PATIENCE).unwrap();
        done_tx.send(()).unwrap();
    });
    started_rx.recv_timeout(PATIENCE).expect("callback started");

    assert_eq!(handle.state(), TimerState::Running);
    assert_eq!(handle.cancel(), CancelOutcome::Running);
    // Asking again while it still runs says the same.
    assert_eq!(handle.cancel(), CancelOutcome::Running);
    assert_eq!(handle.state(), TimerState::Running);

    release_tx.send(()).unwrap();
    done_rx
        .recv_timeout(PATIENCE)
        .expect("the running callback finishes its run");
    assert!(wait_until(PATIENCE, || handle.state() == TimerState::Fired));
    assert_eq!(handle.cancel(), CancelOutcome::AlreadyFired);
}

#[test]
fn cancel_after_it_fired_returns_already_fired() {
    let (clock, scheduler) = manual();
    let handle = scheduler.after(secs(1), || {});
    clock.advance(secs(1));
    assert_eq!(handle.state(), TimerState::Fired);
    assert_eq!(handle.cancel(), CancelOutcome::AlreadyFired);
    assert_eq!(handle.cancel_and_wait(), CancelOutcome::AlreadyFired);
    assert_eq!(handle.state(), TimerState::Fired);
}

#[test]
fn cancelling_twice_returns_already_cancelled() {
    let (clock, scheduler) = manual();
    let handle = scheduler.after(secs(1), || {});
    let clone = handle.clone();
    assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
    assert_eq!(handle.cancel(), CancelOutcome::AlreadyCancelled);
    assert_eq!(
        clone.cancel(),
        CancelOutcome::AlreadyCancelled,
        "clones share the timer"
    );
    assert_eq!(clone.cancel_and_wait(), CancelOutcome::AlreadyCancelled);
    assert!(!CancelOutcome::AlreadyCancelled.stopped_it());
    clock.advance(secs(2));
    assert_eq!(handle.state(), TimerState::Cancelled);
}

#[test]
fn cancel_and_wait_returns_only_after_the_running_callback_returned() {
    let scheduler = Scheduler::new().unwrap();
    let (started_rx, finished, callback) = slow_callback(ms(50));
    let handle = scheduler.after(Duration::ZERO, callback);
    started_rx.recv_timeout(PATIENCE).expect("callback started");
    let before = Instant::now();
    assert_eq!(handle.cancel_and_wait(), CancelOutcome::Running);
    assert!(
        finished.is_set(),
        "cancel_and_wait returned while the callback ran"
    );
    assert_ne!(handle.state(), TimerState::Running);
    assert!(before.elapsed() < PATIENCE);
}

#[test]
fn cancel_and_wait_on_a_pending_timer_cancels_it_without_waiting() {
    let scheduler = Scheduler::new().unwrap();
    let ran = Flag::new();
    let handle = scheduler.after(secs(3600), {
        let ran = ran.clone();
        move || ran.set()
    });
    assert_eq!(handle.cancel_and_wait(), CancelOutcome::Cancelled);
    assert_eq!(handle.state(), TimerState::Cancelled);
    assert!(!ran.is_set());
}

/// Schedules a callback that receives its own handle, runs `body` with it
/// and sends back the result. A deadlock shows as a timeout, not a hang.
fn from_own_callback<R: Send + 'static>(
    scheduler: &Scheduler,
    body: impl FnOnce(&TimerHandle) -> R + Send + 'static,
) -> (TimerHandle, R) {
    let (handle_tx, handle_rx) = mpsc::channel::<TimerHandle>();
    let (result_tx, result_rx) = mpsc::channel();
    let handle = scheduler.after(Duration::ZERO, move || {
        let me = handle_rx.recv_timeout(PATIENCE).unwrap();
        result_tx.send(body(&me)).unwrap();
    });
    handle_tx.send(handle.clone()).unwrap();
    let result = result_rx
        .recv_timeout(PATIENCE)
        .expect("callback finished without deadlock");
    (handle, result)
}

#[test]
fn cancel_from_the_timers_own_callback_returns_running() {
    let scheduler = Scheduler::new().unwrap();
    let (handle, (outcome, state)) = from_own_callback(&scheduler, |me| (me.cancel(), me.state()));
    assert_eq!(outcome, CancelOutcome::Running);
    assert_eq!(state, TimerState::Running);
    assert!(wait_until(PATIENCE, || handle.state() == TimerState::Fired));
}

#[test]
fn cancel_and_wait_from_the_timers_own_callback_returns_at_once() {
    let scheduler = Scheduler::new().unwrap();
    let (handle, outcome) = from_own_callback(&scheduler, |me| me.cancel_and_wait());
    assert_eq!(outcome, CancelOutcome::Running);
    assert!(wait_until(PATIENCE, || handle.state() == TimerState::Fired));
    // The scheduler is still alive and well.
    let (tx, rx) = mpsc::channel();
    scheduler.after(Duration::ZERO, move || tx.send(()).unwrap());
    rx.recv_timeout(PATIENCE)
        .expect("scheduler still runs timers");
}

#[test]
fn a_cancelled_repeating_timer_stops_ticking() {
    let (clock, scheduler) = manual();
    let ticks = Arc::new(AtomicUsize::new(0));
    let (guard, dropped) = drop_guard();
    let handle = scheduler.every(secs(1), {
        let ticks = ticks.clone();
        move || {
            guard.touch();
            ticks.fetch_add(1, Ordering::SeqCst);
        }
    });
    for _ in 0..3 {
        clock.advance(secs(1));
    }
    assert_eq!(ticks.load(Ordering::SeqCst), 3);
    assert_eq!(handle.state(), TimerState::Pending, "armed between ticks");

    assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
    assert!(dropped.dropped());
    clock.advance(secs(10));
    assert_eq!(ticks.load(Ordering::SeqCst), 3);
    assert_eq!(handle.state(), TimerState::Cancelled);
    assert_eq!(scheduler.pending(), 0);
}

#[test]
fn a_repeating_timer_cancelled_from_its_own_callback_finishes_that_tick_and_stops() {
    let (clock, scheduler) = manual();
    let (handle_tx, handle_rx) = mpsc::channel::<TimerHandle>();
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let ticks = Arc::new(AtomicUsize::new(0));
    let handle = scheduler.every(secs(1), {
        let ticks = ticks.clone();
        let mut me = None;
        move || {
            let me = me.get_or_insert_with(|| handle_rx.recv().unwrap());
            if ticks.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                outcome_tx.send(me.cancel_and_wait()).unwrap();
            }
        }
    });
    handle_tx.send(handle.clone()).unwrap();
    for _ in 0..6 {
        clock.advance(secs(1));
    }
    assert_eq!(outcome_rx.try_recv(), Ok(CancelOutcome::Running));
    assert_eq!(ticks.load(Ordering::SeqCst), 3);
    assert_eq!(handle.state(), TimerState::Cancelled);
}

#[test]
fn a_repeating_timer_cancelled_while_running_does_not_run_again() {
    let scheduler = Scheduler::new().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let ticks = Arc::new(AtomicUsize::new(0));
    let handle = scheduler.every(ms(1), {
        let ticks = ticks.clone();
        move || {
            ticks.fetch_add(1, Ordering::SeqCst);
            let _ = started_tx.send(());
            let _ = release_rx.recv_timeout(PATIENCE);
        }
    });
    started_rx.recv_timeout(PATIENCE).expect("first tick");
    assert_eq!(handle.cancel(), CancelOutcome::Running);
    release_tx.send(()).unwrap();
    assert!(wait_until(PATIENCE, || handle.state() == TimerState::Cancelled));
    thread::sleep(ms(20));
    assert_eq!(ticks.load(Ordering::SeqCst), 1);
}

// Thread-per-timer `Timer`.

#[test]
fn timer_cancelled_before_start_never_runs() {
    let ran = Flag::new();
    let (guard, dropped) = drop_guard();
    let timer = Timer::new(ms(10), {
        let ran = ran.clone();
        move || {
            guard.touch();
            ran.set();
        }
    });
    assert_eq!(timer.cancel(), CancelOutcome::Cancelled);
    assert!(dropped.dropped());
    assert_eq!(timer.state(), TimerState::Cancelled);
    timer
        .start()
        .expect("a cancelled timer may still be started");
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert!(!timer.is_alive());
    thread::sleep(ms(30));
    assert!(!ran.is_set());
    assert_eq!(timer.state(), TimerState::Cancelled);
}

#[test]
fn timer_cancelled_while_waiting_ends_its_thread_promptly() {
    let ran = Flag::new();
    let timer = Timer::new(secs(60), {
        let ran = ran.clone();
        move || ran.set()
    });
    timer.start().unwrap();
    assert!(timer.is_alive());
    thread::sleep(ms(5));
    assert_eq!(timer.cancel(), CancelOutcome::Cancelled);
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Ok(()),
        "the thread ends well before 60 s"
    );
    assert!(!timer.is_alive());
    assert!(!ran.is_set());
    assert_eq!(timer.cancel(), CancelOutcome::AlreadyCancelled);
}

#[test]
fn timer_cancelled_while_running_returns_running_then_already_fired() {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let timer = Timer::new(Duration::ZERO, move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(PATIENCE).unwrap();
    });
    timer.start().unwrap();
    started_rx.recv_timeout(PATIENCE).expect("callback started");
    assert_eq!(timer.state(), TimerState::Running);
    assert_eq!(timer.cancel(), CancelOutcome::Running);
    release_tx.send(()).unwrap();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert_eq!(timer.state(), TimerState::Fired);
    assert_eq!(timer.cancel(), CancelOutcome::AlreadyFired);
}

#[test]
fn timer_cancelled_from_its_own_callback_returns_running() {
    let (timer_tx, timer_rx) = mpsc::channel::<Arc<Timer>>();
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let timer = Timer::new(Duration::ZERO, move || {
        let me = timer_rx.recv_timeout(PATIENCE).unwrap();
        outcome_tx.send(me.cancel()).unwrap();
    });
    timer.start().unwrap();
    let timer = Arc::new(timer);
    timer_tx.send(timer.clone()).unwrap();
    assert_eq!(
        outcome_rx.recv_timeout(PATIENCE),
        Ok(CancelOutcome::Running)
    );
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert_eq!(timer.state(), TimerState::Fired);
}
