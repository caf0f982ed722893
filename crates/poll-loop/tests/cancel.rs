//! A callback cancelled before it runs never runs, and is dropped at once.

mod helpers;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use helpers::{Log, drop_guard, ms, strict, without_hanging};
use poll_loop::{EventLoop, Handle, TimerHandle};

#[test]
fn a_cancelled_callback_never_runs() {
    let lp = EventLoop::new();
    let log = Log::new();
    let handles: Vec<Handle> = (0..10).map(|i| lp.call_soon(log.recording(i))).collect();
    for handle in handles.iter().step_by(2) {
        assert!(handle.is_pending());
        assert!(handle.cancel(), "cancelled a pending callback");
        assert!(!handle.is_pending());
        assert!(!handle.cancel(), "second cancel finds nothing");
    }
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), [1, 3, 5, 7, 9]);
    assert_eq!(lp.stats().callbacks, 5, "cancelled ones are not counted");
}

#[test]
fn a_cancelled_timer_never_runs() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let doomed = lp.call_later(ms(10), log.recording("doomed"));
        lp.call_later(ms(20), log.recording("kept"));
        assert!(doomed.is_pending());
        assert!(doomed.cancel());
        assert!(!doomed.is_pending());
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["kept"]);
    });
}

#[test]
fn cancelling_drops_the_callback_at_once() {
    let lp = EventLoop::new();
    let (guard, flag) = drop_guard();
    let handle = lp.call_soon(move || guard.touch());
    let (timer_guard, timer_flag) = drop_guard();
    let timer = lp.call_later(Duration::from_secs(3600), move || timer_guard.touch());
    assert!(!flag.dropped() && !timer_flag.dropped());
    handle.cancel();
    timer.cancel();
    assert!(flag.dropped() && timer_flag.dropped());
}

#[test]
fn cancel_after_it_ran_returns_false() {
    let lp = EventLoop::new();
    let log = Log::new();
    let handle = lp.call_soon(log.recording(1));
    let timer = lp.call_later(Duration::ZERO, log.recording(2));
    lp.run_until_idle().unwrap();
    assert!(!handle.cancel());
    assert!(!timer.cancel());
    assert!(!handle.is_pending() && !timer.is_pending());
    assert_eq!(log.events(), [1, 2]);
}

#[test]
fn a_callback_can_cancel_a_later_one_in_the_same_batch() {
    let lp = EventLoop::new();
    let _strict = strict(&lp);
    let log = Log::new();
    let victim: Rc<RefCell<Option<Handle>>> = Rc::default();
    let v = victim.clone();
    let l = log.clone();
    lp.call_soon(move || {
        l.push("killer");
        assert!(v.borrow().as_ref().unwrap().cancel());
    });
    *victim.borrow_mut() = Some(lp.call_soon(log.recording("victim")));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["killer"]);
}

#[test]
fn a_callback_can_cancel_a_due_timer_in_the_same_batch() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let log = Log::new();
        let when = lp.time() + ms(10);
        let victim: Rc<RefCell<Option<TimerHandle>>> = Rc::default();
        let v = victim.clone();
        let l = log.clone();
        lp.call_at(when, move || {
            l.push("killer");
            assert!(v.borrow().as_ref().unwrap().cancel());
        });
        *victim.borrow_mut() = Some(lp.call_at(when, log.recording("victim")));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["killer"]);
    });
}

#[test]
fn a_callback_cancelling_itself_is_already_running() {
    let lp = EventLoop::new();
    let me: Rc<RefCell<Option<Handle>>> = Rc::default();
    let m = me.clone();
    let result = Rc::new(RefCell::new(None));
    let r = result.clone();
    *me.borrow_mut() = Some(lp.call_soon(move || {
        *r.borrow_mut() = Some(m.borrow().as_ref().unwrap().cancel());
    }));
    lp.run_until_idle().unwrap();
    assert_eq!(*result.borrow(), Some(false));
}

#[test]
fn handles_outlive_their_loop() {
    let lp = EventLoop::new();
    let handle = lp.call_soon(|| {});
    let timer = lp.call_later(ms(10), || {});
    drop(lp);
    assert!(!handle.cancel() && !handle.is_pending());
    assert!(!timer.cancel() && !timer.is_pending());
    assert!(format!("{handle:?} {timer:?}").contains("Handle"));
}

#[test]
fn a_cancel_from_another_thread_either_wins_or_finds_the_task_done() {
    // The canceller races the tasks' last polls: whatever the interleaving,
    // `cancel()` returns true exactly for the tasks that end cancelled.
    helpers::without_hanging(|| {
        let lp = poll_loop::EventLoop::new();
        // Fewer under miri, which runs this too (for the atomics) but slowly.
        let tasks = if cfg!(miri) { 40 } else { 2_000 };
        let handles: Vec<_> = (0..tasks)
            .map(|n| {
                lp.spawn(async move {
                    for _ in 0..n % 4 {
                        poll_loop::yield_now().await;
                    }
                    n
                })
            })
            .collect();
        let theirs = handles.clone();
        let canceller = std::thread::spawn(move || {
            theirs
                .iter()
                .rev()
                .map(|handle| handle.cancel())
                .collect::<Vec<bool>>()
        });
        lp.run_until_idle().unwrap();
        let mut asked: Vec<bool> = canceller.join().unwrap();
        asked.reverse();
        lp.run_until_idle().unwrap();
        for (n, (handle, asked)) in handles.iter().zip(asked).enumerate() {
            assert!(handle.done(), "task {n}");
            assert_eq!(handle.cancelled(), asked, "task {n}");
        }
    });
}
