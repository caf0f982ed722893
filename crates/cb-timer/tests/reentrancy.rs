//! Callbacks may use the scheduler: schedule, re-arm, cancel, wait, and even
//! drop it, from inside a callback.

mod helpers;

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use cb_timer::{CancelOutcome, Scheduler, SchedulerHandle, TimerHandle, TimerState};
use helpers::{Flag, PATIENCE, Recorder, drop_guard, manual, ms, secs, wait_until};

#[test]
fn a_callback_schedules_another_timer() {
    let scheduler = Scheduler::new().unwrap();
    let handle = scheduler.handle();
    let (tx, rx) = mpsc::channel();
    scheduler.after(ms(1), move || {
        tx.send("first").unwrap();
        let inner = handle
            .after(ms(1), move || tx.send("second").unwrap())
            .expect("the scheduler is alive");
        assert_eq!(inner.state(), TimerState::Pending);
    });
    assert_eq!(rx.recv_timeout(PATIENCE), Ok("first"));
    assert_eq!(rx.recv_timeout(PATIENCE), Ok("second"));
}

/// Schedules step `n` of a chain in which every step schedules the next.
fn chain(
    handle: SchedulerHandle,
    delay: Duration,
    n: usize,
    last: usize,
    recorder: Recorder<usize>,
) {
    let next = handle.clone();
    handle
        .after(delay, move || {
            recorder.record(n);
            if n < last {
                chain(next, delay, n + 1, last, recorder);
            }
        })
        .unwrap_or_else(|_| panic!("the scheduler is alive"));
}

#[test]
fn a_callback_re_arms_itself_n_times() {
    let scheduler = Scheduler::new().unwrap();
    let recorder = Recorder::new();
    chain(scheduler.handle(), Duration::ZERO, 1, 200, recorder.clone());
    assert!(recorder.wait_for(200, PATIENCE));
    assert_eq!(recorder.values(), (1..=200).collect::<Vec<_>>());
}

#[test]
fn a_self_re_arming_timer_steps_once_per_period_on_a_manual_clock() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    chain(scheduler.handle(), secs(1), 1, 10, recorder.clone());
    for step in 1..=10 {
        clock.advance(secs(1));
        assert_eq!(recorder.len(), step, "one step per period");
    }
    clock.advance(secs(5));
    assert_eq!(recorder.values(), (1..=10).collect::<Vec<_>>());
}

#[test]
fn a_chain_of_zero_delay_timers_runs_within_one_advance() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    chain(scheduler.handle(), Duration::ZERO, 1, 100, recorder.clone());
    clock.advance(secs(1));
    assert_eq!(
        recorder.len(),
        100,
        "advance waits for what became due meanwhile"
    );
}

#[test]
fn a_callback_cancels_other_pending_timers() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    let (victims_tx, victims_rx) = mpsc::channel::<Vec<TimerHandle>>();
    let (outcomes_tx, outcomes_rx) = mpsc::channel();
    let deadline = clock.now() + secs(1);
    scheduler.at(deadline, move || {
        let victims = victims_rx.recv().unwrap();
        let outcomes: Vec<_> = victims.iter().map(TimerHandle::cancel).collect();
        outcomes_tx.send(outcomes).unwrap();
    });
    let (guard, dropped) = drop_guard();
    // Due in the same batch as the canceller, right behind it.
    let same = scheduler.at(deadline, {
        let recorder = recorder.clone();
        move || {
            guard.touch();
            recorder.record("same deadline");
        }
    });
    let later = scheduler.at(deadline + secs(1), recorder.recording("later"));
    let survivor = scheduler.at(deadline + secs(1), recorder.recording("survivor"));
    victims_tx.send(vec![same.clone(), later.clone()]).unwrap();

    clock.advance(secs(1));
    assert_eq!(
        outcomes_rx.try_recv(),
        Ok(vec![CancelOutcome::Cancelled; 2])
    );
    assert!(dropped.dropped());
    clock.advance(secs(1));
    assert_eq!(recorder.values(), ["survivor"]);
    assert_eq!(same.state(), TimerState::Cancelled);
    assert_eq!(later.state(), TimerState::Cancelled);
    assert_eq!(survivor.state(), TimerState::Fired);
}

#[test]
fn a_callback_cancels_and_waits_for_another_timer() {
    let scheduler = Scheduler::new().unwrap();
    let (victim_tx, victim_rx) = mpsc::channel::<TimerHandle>();
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let ran = Flag::new();
    scheduler.after(ms(1), move || {
        let victim = victim_rx.recv().unwrap();
        outcome_tx.send(victim.cancel_and_wait()).unwrap();
        outcome_tx.send(victim.cancel_and_wait()).unwrap();
    });
    let victim = scheduler.after(ms(50), {
        let ran = ran.clone();
        move || ran.set()
    });
    victim_tx.send(victim.clone()).unwrap();
    assert_eq!(
        outcome_rx.recv_timeout(PATIENCE),
        Ok(CancelOutcome::Cancelled)
    );
    assert_eq!(
        outcome_rx.recv_timeout(PATIENCE),
        Ok(CancelOutcome::AlreadyCancelled)
    );
    assert_eq!(victim.state(), TimerState::Cancelled);
    assert!(!ran.is_set());
}

#[test]
fn a_callback_cancels_and_waits_for_a_timer_that_already_fired() {
    let (clock, scheduler) = manual();
    let first = scheduler.after(secs(1), || {});
    let (tx, rx) = mpsc::channel();
    scheduler.after(secs(2), move || tx.send(first.cancel_and_wait()).unwrap());
    clock.advance(secs(2));
    assert_eq!(rx.try_recv(), Ok(CancelOutcome::AlreadyFired));
}

#[test]
fn dropping_the_scheduler_from_its_own_callback_does_not_deadlock() {
    let slot = Arc::new(Mutex::new(Some(Scheduler::new().unwrap())));
    let (tx, rx) = mpsc::channel();
    let (guard, dropped) = drop_guard();
    let (handle, pending) = {
        let owner = slot.lock().unwrap();
        let scheduler = owner.as_ref().unwrap();
        let handle = scheduler.handle();
        let pending = scheduler.after(secs(3600), move || guard.touch());
        scheduler.after(ms(5), {
            let slot = slot.clone();
            let handle = handle.clone();
            move || {
                // Taken out under the lock, dropped outside it.
                let scheduler = slot.lock().unwrap().take();
                let had_it = scheduler.is_some();
                drop(scheduler);
                // Shut down: even its own callbacks cannot schedule any more.
                let refused = handle.after(Duration::ZERO, || {}).is_err();
                tx.send((had_it, refused)).unwrap();
            }
        });
        (handle, pending)
    };

    assert_eq!(
        rx.recv_timeout(PATIENCE),
        Ok((true, true)),
        "drop returned inside the callback"
    );
    assert!(slot.lock().unwrap().is_none());
    assert!(wait_until(PATIENCE, || pending.state() == TimerState::Cancelled));
    assert!(wait_until(PATIENCE, || dropped.dropped()));
    assert!(handle.after(Duration::ZERO, || {}).is_err());
}
