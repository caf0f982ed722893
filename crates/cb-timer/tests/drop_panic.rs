//! A panic in the `Drop` of a callback, or of a value it captured, is caught
//! wherever the crate drops it and reported like a callback panic; the
//! scheduler's thread and the timer threads go on, `advance` returns, and a
//! dropped scheduler still discards every timer.

mod helpers;

use std::panic::panic_any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::Duration;

use cb_timer::{
    CancelOutcome, JoinError, ManualClock, PanicReport, Scheduler, Timer, TimerHandle, TimerState,
};
use helpers::{Flag, PATIENCE, PanicOnDrop, drop_guard, manual, reporting, secs, without_hanging};

/// The scheduler's thread still runs timers and `advance` still returns.
fn assert_alive(clock: &ManualClock, scheduler: &Scheduler) {
    let ran = Flag::new();
    let handle = scheduler.after(secs(1), {
        let ran = ran.clone();
        move || ran.set()
    });
    clock.advance(secs(1));
    assert!(ran.is_set(), "a timer scheduled after the panic ran");
    assert_eq!(handle.state(), TimerState::Fired);
}

/// The next report, which must name `timer` and carry `message`.
fn expect_report(reports: &mpsc::Receiver<PanicReport>, timer: &TimerHandle, message: &str) {
    let report = reports.try_recv().expect("a panic report");
    assert_eq!(report.timer(), timer.id());
    assert_eq!(report.message(), Some(message));
}

#[test]
fn a_repeating_timer_cancelled_while_it_runs_reports_its_drop_and_the_scheduler_goes_on() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler, reports) = reporting();
        let me = Arc::new(OnceLock::<TimerHandle>::new());
        let ticks = Arc::new(AtomicUsize::new(0));
        let handle = scheduler.every(secs(1), {
            let (me, ticks) = (me.clone(), ticks.clone());
            let bomb = PanicOnDrop("dropped after its cancelled tick");
            move || {
                bomb.touch();
                ticks.fetch_add(1, Ordering::SeqCst);
                assert_eq!(me.get().unwrap().cancel(), CancelOutcome::Running);
            }
        });
        me.set(handle.clone()).unwrap();

        clock.advance(secs(1));
        assert_eq!(ticks.load(Ordering::SeqCst), 1);
        assert_eq!(handle.state(), TimerState::Cancelled);
        expect_report(&reports, &handle, "dropped after its cancelled tick");
        assert_alive(&clock, &scheduler);
        assert_eq!(ticks.load(Ordering::SeqCst), 1, "it does not run again");
        assert!(reports.try_recv().is_err(), "one report");
    });
}

#[test]
fn a_repeating_timer_cancelled_from_outside_while_it_runs_reports_its_drop() {
    without_hanging(PATIENCE, || {
        let scheduler = Scheduler::builder().on_panic(|_| {}).build().unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let handle = scheduler.every(Duration::from_millis(1), {
            let bomb = PanicOnDrop("dropped by the worker");
            move || {
                bomb.touch();
                let _ = started_tx.send(());
                let _ = release_rx.recv_timeout(PATIENCE);
            }
        });
        started_rx.recv_timeout(PATIENCE).expect("the tick started");
        assert_eq!(handle.cancel(), CancelOutcome::Running);
        release_tx.send(()).unwrap();
        assert!(helpers::wait_until(PATIENCE, || handle.state() == TimerState::Cancelled));
        let (tx, rx) = mpsc::channel();
        scheduler.after(Duration::ZERO, move || tx.send("still running").unwrap());
        assert_eq!(rx.recv_timeout(PATIENCE), Ok("still running"));
    });
}

#[test]
fn a_repeating_timer_whose_callback_panics_reports_both_the_panic_and_its_drop() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler, reports) = reporting();
        let handle = scheduler.every(secs(1), {
            let bomb = PanicOnDrop("dropped after the callback panicked");
            move || {
                bomb.touch();
                panic!("the tick panics");
            }
        });
        clock.advance(secs(1));
        assert_eq!(handle.state(), TimerState::Fired);
        expect_report(&reports, &handle, "the tick panics");
        expect_report(&reports, &handle, "dropped after the callback panicked");
        assert_alive(&clock, &scheduler);
    });
}

#[test]
fn a_one_shot_callback_whose_captures_panic_in_drop_after_it_ran_is_reported() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler, reports) = reporting();
        let ran = Flag::new();
        let handle = scheduler.after(secs(1), {
            let ran = ran.clone();
            let bomb = PanicOnDrop("dropped after running");
            move || {
                bomb.touch();
                ran.set();
            }
        });
        clock.advance(secs(1));
        assert!(ran.is_set());
        assert_eq!(handle.state(), TimerState::Fired);
        expect_report(&reports, &handle, "dropped after running");
        assert_alive(&clock, &scheduler);
    });
}

#[test]
fn cancel_reports_a_panicking_drop_instead_of_unwinding_into_the_caller() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler, reports) = reporting();
        let bomb = PanicOnDrop("dropped by cancel");
        let handle = scheduler.after(secs(1), move || bomb.touch());
        assert_eq!(handle.cancel(), CancelOutcome::Cancelled);
        assert_eq!(handle.state(), TimerState::Cancelled);
        expect_report(&reports, &handle, "dropped by cancel");
        assert_eq!(scheduler.pending(), 0);
        assert_alive(&clock, &scheduler);
    });
}

#[test]
fn a_callback_cancelling_a_timer_whose_drop_panics_is_not_blamed_for_it() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler, reports) = reporting();
        let victim = {
            let bomb = PanicOnDrop("the victim's drop");
            scheduler.after(secs(60), move || bomb.touch())
        };
        let ticks = Arc::new(AtomicUsize::new(0));
        let canceller = scheduler.every(secs(1), {
            let (victim, ticks) = (victim.clone(), ticks.clone());
            move || {
                ticks.fetch_add(1, Ordering::SeqCst);
                victim.cancel();
            }
        });
        for _ in 0..3 {
            clock.advance(secs(1));
        }
        assert_eq!(victim.state(), TimerState::Cancelled);
        expect_report(&reports, &victim, "the victim's drop");
        assert!(reports.try_recv().is_err(), "the canceller did not panic");
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            3,
            "the canceller keeps ticking"
        );
        assert_eq!(canceller.state(), TimerState::Pending);
    });
}

#[test]
fn dropping_a_scheduler_discards_every_timer_even_when_drops_panic() {
    without_hanging(PATIENCE, || {
        let (_clock, scheduler, reports) = reporting();
        let mut quiet = Vec::new();
        let mut bombs = Vec::new();
        for i in 0..6 {
            if i % 2 == 1 {
                let bomb = PanicOnDrop("dropped by the shutdown sweep");
                let handle = if i == 3 {
                    scheduler.every(secs(10 + i), move || bomb.touch())
                } else {
                    scheduler.after(secs(10 + i), move || bomb.touch())
                };
                bombs.push(handle);
            } else {
                let (guard, dropped) = drop_guard();
                quiet.push((
                    scheduler.after(secs(10 + i), move || guard.touch()),
                    dropped,
                ));
            }
        }
        let never = {
            let bomb = PanicOnDrop("a never timer dropped by the sweep");
            scheduler.after(Duration::MAX, move || bomb.touch())
        };
        drop(scheduler);

        for (handle, dropped) in &quiet {
            assert_eq!(handle.state(), TimerState::Cancelled, "as the docs promise");
            assert!(dropped.dropped(), "its callback was dropped");
        }
        for handle in bombs.iter().chain([&never]) {
            assert_eq!(handle.state(), TimerState::Cancelled);
        }
        let reported: Vec<_> = reports.try_iter().map(|r| r.timer()).collect();
        let mut expected: Vec<_> = bombs.iter().chain([&never]).map(TimerHandle::id).collect();
        expected.sort();
        assert_eq!(
            reported, expected,
            "one report per panicking drop, in deadline order"
        );
    });
}

#[test]
fn a_panic_payload_whose_drop_panics_does_not_kill_the_scheduler() {
    without_hanging(PATIENCE, || {
        // Without a hook the scheduler drops the payload itself.
        let (clock, scheduler) = manual();
        let handle = scheduler.after(secs(1), || panic_any(PanicOnDrop("the payload's drop")));
        clock.advance(secs(1));
        assert_eq!(handle.state(), TimerState::Fired);
        assert_alive(&clock, &scheduler);
    });
}

#[test]
fn a_panicking_hook_whose_payload_panics_in_drop_does_not_kill_the_scheduler() {
    without_hanging(PATIENCE, || {
        let clock = ManualClock::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let scheduler = Scheduler::builder()
            .clock(clock.clone())
            .on_panic({
                let calls = calls.clone();
                move |_| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    panic_any(PanicOnDrop("the hook's payload's drop"));
                }
            })
            .build()
            .unwrap();
        scheduler.after(secs(1), || panic!("first"));
        scheduler.after(secs(2), || panic!("second"));
        clock.advance(secs(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2, "the hook ran both times");
        assert_alive(&clock, &scheduler);
    });
}

// Thread-per-timer `Timer`.

#[test]
fn a_timer_cancelled_while_waiting_reports_its_panicking_drop_on_join() {
    let bomb = PanicOnDrop("dropped by cancel");
    let timer = Timer::new(secs(60), move || bomb.touch());
    timer.start().unwrap();
    assert_eq!(timer.cancel(), CancelOutcome::Cancelled, "no panic escapes");
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Err(JoinError::Panicked("dropped by cancel".into()))
    );
    assert!(!timer.is_alive());
    assert_eq!(timer.state(), TimerState::Cancelled);
}

#[test]
fn a_timer_cancelled_before_start_reports_its_panicking_drop_on_join() {
    let bomb = PanicOnDrop("dropped before start");
    let timer = Timer::new(secs(60), move || bomb.touch());
    assert_eq!(timer.cancel(), CancelOutcome::Cancelled);
    timer.start().unwrap();
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Err(JoinError::Panicked("dropped before start".into()))
    );
}

#[test]
fn a_timer_whose_panic_payload_panics_in_drop_still_finishes() {
    let timer = Timer::new(Duration::ZERO, || {
        panic_any(PanicOnDrop("the payload's drop"))
    });
    timer.start().unwrap();
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Err(JoinError::Panicked("<non-string panic>".into())),
        "the thread marked itself finished"
    );
    assert!(!timer.is_alive());
    assert_eq!(timer.state(), TimerState::Fired);
}

/// `cancel` racing the timer's thread for the start, with a callback whose
/// captures panic in `Drop`: whoever wins drops it under a catch, and `join`
/// always returns with that panic.
#[test]
fn a_timer_cancelled_as_it_starts_always_finishes_and_reports_the_drop() {
    for round in 0..200u64 {
        let bomb = PanicOnDrop("dropped in the race");
        let timer = Timer::new(Duration::from_micros(round % 50), move || bomb.touch());
        timer.start().unwrap();
        if round % 3 == 0 {
            std::thread::yield_now();
        }
        let outcome = timer.cancel();
        assert_ne!(outcome, CancelOutcome::AlreadyCancelled);
        assert_eq!(
            timer.join_timeout(PATIENCE),
            Err(JoinError::Panicked("dropped in the race".into())),
            "round {round}, cancel said {outcome:?}"
        );
        assert!(!timer.is_alive());
    }
}
