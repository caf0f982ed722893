//! A panicking callback is contained and reported; everything else goes on.

mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use cb_timer::{JoinError, PanicReport, Scheduler, Timer, TimerId, TimerState};
use helpers::{PATIENCE, Recorder, manual, ms, secs};

/// A manual-clock scheduler whose `on_panic` hook forwards every report.
fn reporting() -> (
    cb_timer::ManualClock,
    Scheduler,
    mpsc::Receiver<PanicReport>,
) {
    let clock = cb_timer::ManualClock::new();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let scheduler = Scheduler::builder()
        .clock(clock.clone())
        .on_panic(move |report| tx.lock().unwrap().send(report).unwrap())
        .build()
        .unwrap();
    (clock, scheduler, rx)
}

#[test]
fn a_panicking_callback_does_not_stop_the_scheduler() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    let deadline = clock.now() + secs(1);
    for i in 0..10 {
        if i == 3 || i == 6 {
            scheduler.at(deadline, move || panic!("timer {i} panics"));
        } else {
            scheduler.at(deadline, recorder.recording(i));
        }
    }
    scheduler.after(secs(2), recorder.recording(100));

    clock.advance(secs(1));
    assert_eq!(
        recorder.values(),
        [0, 1, 2, 4, 5, 7, 8, 9],
        "same-deadline timers after a panic"
    );
    clock.advance(secs(1));
    assert_eq!(
        recorder.values(),
        [0, 1, 2, 4, 5, 7, 8, 9, 100],
        "later timers"
    );
}

#[test]
fn a_panicking_callback_does_not_stop_a_real_clock_scheduler() {
    let scheduler = Scheduler::new().unwrap();
    let (tx, rx) = mpsc::channel();
    let panicker = scheduler.after(Duration::ZERO, || panic!("boom"));
    scheduler.after(ms(10), move || tx.send("after the panic").unwrap());
    assert_eq!(rx.recv_timeout(PATIENCE), Ok("after the panic"));
    assert_eq!(panicker.state(), TimerState::Fired);
}

#[test]
fn on_panic_receives_the_timer_id_and_the_message() {
    let (clock, scheduler, reports) = reporting();
    let quiet = scheduler.after(secs(1), || {});
    let formatted = scheduler.after(secs(1), || panic!("boom {}", 7));
    let literal = scheduler.after(secs(2), || panic!("static boom"));
    clock.advance(secs(2));

    let first = reports.try_recv().expect("a report for the first panic");
    assert_eq!(first.timer(), formatted.id());
    assert_eq!(first.message(), Some("boom 7"));
    let second = reports.try_recv().expect("a report for the second panic");
    assert_eq!(second.timer(), literal.id());
    assert_eq!(second.message(), Some("static boom"));
    assert!(reports.try_recv().is_err(), "one report per panic");

    assert_ne!(quiet.id(), formatted.id());
    assert_ne!(formatted.id(), literal.id());
    assert_eq!(formatted.state(), TimerState::Fired);
    assert_eq!(literal.state(), TimerState::Fired);
}

#[test]
fn on_panic_hands_over_a_non_string_payload() {
    let (clock, scheduler, reports) = reporting();
    let handle = scheduler.after(secs(1), || std::panic::panic_any(42_u32));
    clock.advance(secs(1));
    let report = reports.try_recv().expect("a report");
    assert_eq!(report.timer(), handle.id());
    assert_eq!(report.message(), None);
    assert_eq!(report.into_payload().downcast_ref::<u32>(), Some(&42));
}

#[test]
fn a_panicking_hook_is_survived() {
    let clock = cb_timer::ManualClock::new();
    let calls = Arc::new(Mutex::new(Vec::<TimerId>::new()));
    let scheduler = Scheduler::builder()
        .clock(clock.clone())
        .on_panic({
            let calls = calls.clone();
            move |report| {
                calls.lock().unwrap().push(report.timer());
                panic!("the hook panics too");
            }
        })
        .build()
        .unwrap();
    let recorder = Recorder::new();
    let first = scheduler.after(secs(1), || panic!("first"));
    scheduler.after(secs(1), recorder.recording("same deadline"));
    let second = scheduler.after(secs(2), || panic!("second"));
    scheduler.after(secs(3), recorder.recording("later"));

    for _ in 0..3 {
        clock.advance(secs(1));
    }
    assert_eq!(recorder.values(), ["same deadline", "later"]);
    assert_eq!(
        *calls.lock().unwrap(),
        [first.id(), second.id()],
        "the hook runs every time"
    );
}

#[test]
fn a_repeating_timer_that_panics_stops_and_the_others_go_on() {
    let (clock, scheduler) = manual();
    let panicker_runs = Arc::new(AtomicUsize::new(0));
    let other_runs = Arc::new(AtomicUsize::new(0));
    let panicker = scheduler.every(secs(1), {
        let runs = panicker_runs.clone();
        move || {
            if runs.fetch_add(1, Ordering::SeqCst) + 1 == 2 {
                panic!("second tick panics");
            }
        }
    });
    let other = scheduler.every(secs(1), {
        let runs = other_runs.clone();
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
        }
    });
    for _ in 0..5 {
        clock.advance(secs(1));
    }
    assert_eq!(panicker_runs.load(Ordering::SeqCst), 2);
    assert_eq!(panicker.state(), TimerState::Fired);
    assert_eq!(other_runs.load(Ordering::SeqCst), 5);
    assert_eq!(other.state(), TimerState::Pending);
}

#[test]
fn a_timer_whose_callback_panics_reports_it_on_join() {
    let timer = Timer::new(Duration::ZERO, || panic!("timer boom"));
    timer.start().unwrap();
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Err(JoinError::Panicked("timer boom".into()))
    );
    assert_eq!(
        timer.join(),
        Err(JoinError::Panicked("timer boom".into())),
        "join again"
    );
    assert_eq!(timer.state(), TimerState::Fired);
    assert!(!timer.is_alive());
}

#[test]
fn a_timer_panicking_with_a_formatted_message_reports_it() {
    let timer = Timer::new(ms(1), || panic!("code {}", 500));
    timer.start().unwrap();
    assert_eq!(timer.join(), Err(JoinError::Panicked("code 500".into())));
}
