//! Time-dependent logic tested without sleeping: a `ManualClock` moves only
//! when told, and `advance` returns once the due callbacks have run.

mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{ManualClock, MissedTicks, Scheduler, TimerState};
use helpers::{PATIENCE, Recorder, manual, secs, without_hanging};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_day_of_virtual_time_passes_without_sleeping() {
    let real_start = Instant::now();
    let (clock, scheduler) = manual();
    let minutes = Arc::new(AtomicUsize::new(0));
    // Burst, so each minute of an hour-long step gets its tick.
    scheduler.every_with(secs(60), MissedTicks::Burst, {
        let minutes = minutes.clone();
        move || {
            minutes.fetch_add(1, Ordering::SeqCst);
        }
    });
    let hourly = Recorder::new();
    for hour in 1..=24u32 {
        scheduler.after(HOUR * hour, hourly.recording(hour));
    }
    for hour in 1..=24u32 {
        clock.advance(HOUR);
        assert_eq!(hourly.len(), hour as usize, "hour {hour}");
        assert_eq!(minutes.load(Ordering::SeqCst), 60 * hour as usize);
    }
    assert_eq!(hourly.values(), (1..=24).collect::<Vec<_>>());
    // Only a hang detector: a day of timers must not take a day.
    assert!(real_start.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_clock_stands_still_until_advanced() {
    let (clock, scheduler) = manual();
    let start = clock.now();
    let handle = scheduler.after(Duration::from_millis(1), || {});
    thread::sleep(Duration::from_millis(20));
    assert_eq!(clock.now(), start);
    assert_eq!(scheduler.now(), start);
    assert_eq!(
        handle.state(),
        TimerState::Pending,
        "real time does not move it"
    );
    clock.advance(secs(90));
    assert_eq!(clock.now(), start + secs(90));
    assert_eq!(scheduler.now(), start + secs(90));
    assert_eq!(scheduler.handle().now(), Some(start + secs(90)));
    assert_eq!(handle.state(), TimerState::Fired);
}

#[test]
fn clones_share_one_time() {
    let clock = ManualClock::new();
    let other = clock.clone();
    let start = clock.now();
    other.advance(secs(5));
    assert_eq!(clock.now(), start + secs(5));
}

#[test]
fn advance_runs_every_scheduler_on_the_clock() {
    let clock = ManualClock::new();
    let first = Scheduler::builder().clock(clock.clone()).build().unwrap();
    let second = Scheduler::builder().clock(clock.clone()).build().unwrap();
    let recorder = Recorder::new();
    first.after(secs(1), recorder.recording("first"));
    second.after(secs(1), recorder.recording("second"));
    clock.advance(secs(1));
    let mut got = recorder.values();
    got.sort();
    assert_eq!(got, ["first", "second"]);
    // A dropped scheduler does not hold the clock up.
    drop(first);
    second.after(secs(1), recorder.recording("again"));
    clock.advance(secs(1));
    assert_eq!(recorder.len(), 3);
}

#[test]
fn advance_by_zero_runs_what_is_due_now() {
    let (clock, scheduler) = manual();
    clock.advance(secs(1));
    let recorder = Recorder::new();
    for i in 0..50 {
        let recorder = recorder.clone();
        scheduler.after(Duration::ZERO, move || {
            // Slow enough that only waiting for them sees them all done.
            thread::sleep(Duration::from_micros(200));
            recorder.record(i);
        });
    }
    // The doc: advance "waits until every scheduler on this clock has run
    // the callbacks due by the new time". These are all due.
    clock.advance(Duration::ZERO);
    assert_eq!(recorder.len(), 50);
}

#[test]
fn advance_from_inside_a_callback_does_not_deadlock() {
    let (clock, scheduler) = manual();
    let recorder = Recorder::new();
    scheduler.after(secs(1), {
        let clock = clock.clone();
        let recorder = recorder.clone();
        move || {
            recorder.record("jump");
            clock.advance(secs(10));
            recorder.record("jumped");
        }
    });
    scheduler.after(secs(5), recorder.recording("due after the jump"));

    // Advance on another thread so that a deadlock fails the test instead of
    // hanging it.
    let (tx, rx) = mpsc::channel();
    let advancer = {
        let clock = clock.clone();
        thread::spawn(move || {
            clock.advance(secs(1));
            tx.send(()).unwrap();
        })
    };
    rx.recv_timeout(PATIENCE).expect("advance returned");
    advancer.join().unwrap();
    assert_eq!(recorder.values(), ["jump", "jumped", "due after the jump"]);
}

#[test]
fn advance_with_no_scheduler_just_moves_the_clock() {
    let clock = ManualClock::new();
    let start = clock.now();
    clock.advance(HOUR);
    assert_eq!(clock.now() - start, HOUR);
}

#[test]
fn advancing_by_duration_max_runs_every_timer_with_a_deadline() {
    let (clock, scheduler) = manual();
    let fired = Recorder::new();
    let far = scheduler.after(HOUR * 24 * 365 * 10_000, fired.recording(2));
    let near = scheduler.after(secs(1), fired.recording(1));
    let never = scheduler.after(Duration::MAX, fired.recording(3));

    let before = clock.now();
    clock.advance(Duration::MAX);
    assert!(clock.now() > before, "the clock moved to the end of time");
    assert_eq!(fired.values(), [1, 2]);
    assert_eq!(near.state(), TimerState::Fired);
    assert_eq!(far.state(), TimerState::Fired);
    assert_eq!(never.state(), TimerState::Pending);

    // At the end of time the clock stays put, and a timer due now still runs.
    let end = clock.now();
    clock.advance(Duration::MAX);
    assert_eq!(clock.now(), end);
    scheduler.after(Duration::ZERO, fired.recording(4));
    clock.advance(Duration::ZERO);
    assert_eq!(fired.values(), [1, 2, 4]);
}

/// Two schedulers on one clock whose callbacks both advance it: each waits
/// for the other, except where the other is already waiting for it.
#[test]
fn two_schedulers_on_one_clock_may_each_advance_it_from_a_callback() {
    let clock = ManualClock::new();
    let recorder = Recorder::new();
    let schedulers: Vec<Scheduler> = (0..2)
        .map(|_| Scheduler::builder().clock(clock.clone()).build().unwrap())
        .collect();
    for (name, scheduler) in ["first", "second"].into_iter().zip(&schedulers) {
        let (clock, recorder) = (clock.clone(), recorder.clone());
        scheduler.after(secs(1), move || {
            clock.advance(secs(1));
            recorder.record(name);
        });
    }
    let later = Recorder::new();
    for scheduler in &schedulers {
        scheduler.after(secs(3), later.recording(()));
    }
    without_hanging(PATIENCE, {
        let clock = clock.clone();
        move || clock.advance(secs(1))
    });
    let mut got = recorder.values();
    got.sort();
    assert_eq!(got, ["first", "second"], "both callbacks returned");
    // Two nested advances moved the clock to 3 s; both schedulers ran that.
    assert_eq!(later.len(), 2);
}

/// Three schedulers on three clocks, each callback advancing the next one's
/// clock: the circle closes through two waits, and the third does not wait.
#[test]
fn schedulers_advancing_each_others_clocks_in_a_circle_do_not_deadlock() {
    let clocks: Vec<ManualClock> = (0..3).map(|_| ManualClock::new()).collect();
    let schedulers: Vec<Scheduler> = clocks
        .iter()
        .map(|clock| Scheduler::builder().clock(clock.clone()).build().unwrap())
        .collect();
    let recorder = Recorder::new();
    for (i, scheduler) in schedulers.iter().enumerate() {
        let (next, recorder) = (clocks[(i + 1) % 3].clone(), recorder.clone());
        scheduler.after(secs(1), move || {
            next.advance(secs(1));
            recorder.record(i);
        });
    }
    without_hanging(PATIENCE, {
        let clock = clocks[0].clone();
        move || clock.advance(secs(1))
    });
    // The third callback could not wait for the first (blocked waiting for
    // it), so it returned first; the others returned after their waits.
    assert_eq!(recorder.values(), [2, 1, 0]);
}

/// Many rounds of schedulers on one clock advancing it from their callbacks
/// while two test threads advance it too: nothing deadlocks, every callback
/// returns.
#[test]
fn schedulers_and_threads_advancing_one_clock_at_once_never_deadlock() {
    without_hanging(PATIENCE * 4, || {
        for _ in 0..50 {
            let clock = ManualClock::new();
            let returned = Recorder::new();
            let schedulers: Vec<Scheduler> = (0..3)
                .map(|_| Scheduler::builder().clock(clock.clone()).build().unwrap())
                .collect();
            for scheduler in &schedulers {
                for step in 1..=3 {
                    let (clock, returned) = (clock.clone(), returned.clone());
                    scheduler.after(secs(step), move || {
                        clock.advance(secs(1));
                        returned.record(());
                    });
                }
            }
            let advancers: Vec<_> = (0..2)
                .map(|_| {
                    let clock = clock.clone();
                    thread::spawn(move || clock.advance(secs(1)))
                })
                .collect();
            for advancer in advancers {
                advancer.join().unwrap();
            }
            clock.advance(secs(10));
            assert_eq!(returned.len(), 9);
        }
    });
}
