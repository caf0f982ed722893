//! Never early, and in order: deadline order, then scheduling order.

mod helpers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{Scheduler, TimerState};
use helpers::{PATIENCE, Recorder, XorShift, manual, ms, secs};

#[test]
fn never_fires_early_on_the_real_clock() {
    let scheduler = Scheduler::new().unwrap();
    let (tx, rx) = mpsc::channel();
    for delay in [0, 5, 20, 40, 15] {
        let tx = tx.clone();
        let scheduled = Instant::now();
        scheduler.after(ms(delay), move || {
            tx.send((delay, scheduled, Instant::now())).unwrap()
        });
    }
    for _ in 0..5 {
        let (delay, scheduled, fired) = rx.recv_timeout(PATIENCE).expect("timer fired");
        assert!(
            fired.duration_since(scheduled) >= ms(delay),
            "a {delay} ms timer fired after {:?}",
            fired.duration_since(scheduled)
        );
    }
}

#[test]
fn at_never_fires_before_its_instant_on_the_real_clock() {
    let scheduler = Scheduler::new().unwrap();
    let (tx, rx) = mpsc::channel();
    let deadline = Instant::now() + ms(30);
    scheduler.at(deadline, move || tx.send(Instant::now()).unwrap());
    let fired = rx.recv_timeout(PATIENCE).expect("timer fired");
    assert!(fired >= deadline, "fired {:?} early", deadline - fired);
}

#[test]
fn default_scheduler_never_fires_early() {
    let (tx, rx) = mpsc::channel();
    let scheduled = Instant::now();
    cb_timer::after(ms(25), move || tx.send(Instant::now()).unwrap());
    let fired = rx.recv_timeout(PATIENCE).expect("timer fired");
    assert!(fired.duration_since(scheduled) >= ms(25));
}

#[test]
fn manual_clock_fires_at_the_deadline_and_not_a_nanosecond_before() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    let after = scheduler.after(secs(10), recorder.recording("after"));
    let at = scheduler.at(clock.now() + secs(20), recorder.recording("at"));

    clock.advance(secs(10) - Duration::from_nanos(1));
    assert!(recorder.values().is_empty());
    assert_eq!(after.state(), TimerState::Pending);

    clock.advance(Duration::from_nanos(1));
    assert_eq!(recorder.values(), ["after"]);
    assert_eq!(after.state(), TimerState::Fired);

    clock.advance(secs(10) - Duration::from_nanos(1));
    assert_eq!(recorder.values(), ["after"]);
    assert_eq!(at.state(), TimerState::Pending);

    clock.advance(Duration::from_nanos(1));
    assert_eq!(recorder.values(), ["after", "at"]);
    assert_eq!(at.state(), TimerState::Fired);
}

#[test]
fn equal_deadlines_fire_in_scheduling_order_on_a_manual_clock() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    let deadline = clock.now() + secs(1);
    for i in 0..1000 {
        scheduler.at(deadline, recorder.recording(i));
    }
    clock.advance(secs(1));
    assert_eq!(recorder.values(), (0..1000).collect::<Vec<_>>());
}

#[test]
fn equal_deadlines_fire_in_scheduling_order_on_the_real_clock() {
    let scheduler = Scheduler::new().unwrap();
    let recorder = Recorder::new();
    // Whether or not the first ones fire while the rest are still being
    // scheduled, the order must hold.
    let deadline = Instant::now() + ms(20);
    for i in 0..1000 {
        scheduler.at(deadline, recorder.recording(i));
    }
    assert!(recorder.wait_for(1000, PATIENCE));
    assert_eq!(recorder.values(), (0..1000).collect::<Vec<_>>());
}

#[test]
fn different_deadlines_fire_in_deadline_order_whatever_the_scheduling_order() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    let mut offsets: Vec<u64> = (0..300).collect();
    XorShift::new(7).shuffle(&mut offsets);
    let start = clock.now();
    for &offset in &offsets {
        scheduler.at(start + ms(offset + 1), recorder.recording(offset));
    }
    // All due in one step: the order comes from the queue, not from time.
    clock.advance(secs(1));
    assert_eq!(recorder.values(), (0..300).collect::<Vec<_>>());
}

#[test]
fn mixed_deadlines_fire_by_deadline_then_by_scheduling_order() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    let mut rng = XorShift::new(42);
    let start = clock.now();
    let mut expected = Vec::new();
    for seq in 0..500u64 {
        let slot = rng.below(10);
        scheduler.at(start + ms(slot * 10), recorder.recording((slot, seq)));
        expected.push((slot, seq));
    }
    expected.sort();
    clock.advance(secs(1));
    assert_eq!(recorder.values(), expected);
}

#[test]
fn different_deadlines_fire_in_deadline_order_on_the_real_clock() {
    let scheduler = Scheduler::new().unwrap();
    let recorder = Recorder::new();
    // One base instant, so a slow scheduling thread cannot reorder them.
    let base = Instant::now();
    for delay in [50, 40, 30, 20, 10] {
        scheduler.at(base + ms(delay), recorder.recording(delay));
    }
    assert!(recorder.wait_for(5, PATIENCE));
    assert_eq!(recorder.values(), [10, 20, 30, 40, 50]);
}

#[test]
fn callbacks_run_one_at_a_time_on_the_schedulers_named_thread() {
    let scheduler = Scheduler::builder().name("order-test").build().unwrap();
    let busy = Arc::new(AtomicBool::new(false));
    let recorder = Recorder::new();
    let deadline = Instant::now() + ms(10);
    for _ in 0..50 {
        let busy = busy.clone();
        let recorder = recorder.clone();
        scheduler.at(deadline, move || {
            let overlapped = busy.swap(true, Ordering::SeqCst);
            thread::sleep(Duration::from_micros(100));
            busy.store(false, Ordering::SeqCst);
            let name = thread::current().name().map(String::from);
            recorder.record((overlapped, name));
        });
    }
    assert!(recorder.wait_for(50, PATIENCE));
    for (overlapped, name) in recorder.values() {
        assert!(!overlapped, "two callbacks ran at once");
        assert_eq!(name.as_deref(), Some("order-test"));
    }
}
