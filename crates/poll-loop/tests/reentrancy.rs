//! Callbacks may use the loop freely — schedule, cancel, insert and remove
//! sources, read counters, change settings — with no `RefCell` panic; and
//! running a loop from its own callback is an error, not a hang.

mod helpers;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use helpers::{Log, drop_guard, ms, strict, without_hanging};
use poll_loop::{
    CloseError, EventLoop, Handle, LoopHandle, RunError, RunUntilCompleteError, Timer, TimerHandle,
};
use simple_future::Future;

#[test]
fn callbacks_schedule_and_cancel_through_the_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let log = Log::new();
        let (h, l) = (lp.handle(), log.clone());
        lp.call_soon(move || {
            l.push("outer");
            let victims: Rc<RefCell<Vec<(Handle, TimerHandle)>>> = Rc::default();
            let (h2, l2, v) = (h.clone(), l.clone(), victims.clone());
            h.call_soon(move || {
                let (doomed, doomed_timer) = v.borrow_mut().pop().unwrap();
                l2.push("inner");
                // Cancel from a later callback, reading stats and settings.
                assert!(doomed.cancel());
                assert!(doomed_timer.cancel());
                let _ = h2.stats();
                h2.set_debug(h2.get_debug());
                assert!(h2.is_running());
            });
            // Queued behind the callback above, which cancels them.
            let doomed = h.call_soon(l.recording("doomed"));
            let doomed_timer = h.call_later(ms(1), l.recording("doomed timer"));
            victims.borrow_mut().push((doomed, doomed_timer));
            h.call_later(ms(5), l.recording("timer"));
        });
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["outer", "inner", "timer"]);
    });
}

#[test]
fn a_callback_can_reschedule_itself_until_done() {
    let lp = EventLoop::new();
    let count = Rc::new(RefCell::new(0));
    fn tick(h: LoopHandle, count: Rc<RefCell<u32>>) {
        *count.borrow_mut() += 1;
        if *count.borrow() < 10 {
            let next = h.clone();
            h.call_soon(move || tick(next, count));
        }
    }
    let (h, c) = (lp.handle(), count.clone());
    lp.call_soon(move || tick(h, c));
    lp.run_until_idle().unwrap();
    assert_eq!(*count.borrow(), 10);
}

#[test]
fn running_the_loop_from_its_own_callback_is_an_error() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let errors = Log::new();
        let (h, e) = (lp.handle(), errors.clone());
        lp.call_soon(move || {
            e.push(h.run_forever().unwrap_err());
            e.push(h.run_until_idle().unwrap_err());
            let future: Future<u32> = Future::new();
            match h.run_until_complete(&future) {
                Err(RunUntilCompleteError::Run(error)) => e.push(error),
                other => panic!("expected a run error, got {other:?}"),
            }
        });
        lp.run_until_idle().unwrap();
        assert_eq!(errors.events(), [RunError::AlreadyRunning; 3]);
        assert_eq!(
            RunError::AlreadyRunning.to_string(),
            "this event loop is already running"
        );
    });
}

#[test]
fn running_another_loop_inside_a_callback_is_an_error() {
    let outer = EventLoop::new();
    let result = Rc::new(RefCell::new(None));
    let r = result.clone();
    outer.call_soon(move || {
        let inner = EventLoop::new();
        inner.call_soon(|| {});
        *r.borrow_mut() = Some(inner.run_until_idle());
    });
    outer.run_until_idle().unwrap();
    assert_eq!(*result.borrow(), Some(Err(RunError::AnotherLoopRunning)));
}

#[test]
fn closing_a_running_loop_is_an_error() {
    let lp = EventLoop::new();
    let result = Rc::new(RefCell::new(None));
    let (h, r) = (lp.handle(), result.clone());
    lp.call_soon(move || *r.borrow_mut() = Some(h.close()));
    lp.run_until_idle().unwrap();
    assert_eq!(*result.borrow(), Some(Err(CloseError)));
    assert!(!lp.is_closed());
    assert_eq!(CloseError.to_string(), "cannot close a running event loop");
}

#[test]
fn current_is_the_running_loop() {
    let lp = EventLoop::new();
    let _strict = strict(&lp);
    assert!(LoopHandle::current().is_none());
    let seen = Rc::new(RefCell::new(false));
    let s = seen.clone();
    lp.call_soon(move || {
        let current = LoopHandle::current().expect("inside a callback");
        assert!(current.is_running());
        *s.borrow_mut() = true;
    });
    lp.run_until_idle().unwrap();
    assert!(*seen.borrow());
    assert!(LoopHandle::current().is_none(), "cleared after the run");
}

#[test]
fn a_callback_dropped_unrun_may_schedule_in_its_drop() {
    // Dropping a cancelled closure runs its captures' `Drop`, which may use
    // the loop: the loop must not be borrowed then.
    struct SchedulesOnDrop(LoopHandle, Log<&'static str>);
    impl Drop for SchedulesOnDrop {
        fn drop(&mut self) {
            self.0.call_soon(self.1.recording("from drop"));
        }
    }
    let lp = EventLoop::new();
    let log = Log::new();
    let guard = SchedulesOnDrop(lp.handle(), log.clone());
    let handle = lp.call_soon(move || drop(guard));
    assert!(handle.cancel()); // drops the closure, which schedules
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["from drop"]);
}

#[test]
fn sources_may_be_inserted_and_removed_from_callbacks_and_dispatches() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let log = Log::new();
        let (h, l) = (lp.handle(), log.clone());
        lp.call_soon(move || {
            let mut timer = Timer::new(ms(5));
            let (h2, l2) = (h.clone(), l.clone());
            timer.on_timer_done(move || {
                l2.push("timer");
                // From inside a dispatch: insert one and remove it again.
                let mut other = Timer::new(Duration::ZERO);
                other.on_timer_done(l2.recording("never"));
                let handle = h2.insert_source(other);
                assert!(handle.is_registered());
                assert!(handle.remove());
                assert!(!handle.remove());
            });
            h.insert_source(timer);
        });
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["timer"]);
    });
}

#[test]
fn the_exception_handler_may_replace_itself() {
    let lp = EventLoop::new();
    let log = Log::new();
    let l = log.clone();
    lp.set_exception_handler(move |lp, context| {
        l.push(context.message().unwrap().to_string());
        let l2 = l.clone();
        lp.set_exception_handler(move |_, context| {
            l2.push(format!("second: {}", context.message().unwrap()));
        });
    });
    lp.call_soon(|| panic!("one"));
    lp.call_soon(|| panic!("two"));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["one", "second: two"]);
}

#[test]
fn dropping_the_loop_from_its_own_callback_closes_it_after_the_run() {
    let lp = EventLoop::new();
    let _strict = strict(&lp);
    let h = lp.handle();
    let (guard, flag) = drop_guard();
    h.call_later(Duration::from_secs(3600), move || guard.touch());
    let h2 = h.clone();
    h.call_soon(move || {
        drop(lp); // cannot close now: the loop is running
        assert!(!h2.is_closed());
        h2.stop();
    });
    h.run_forever().unwrap();
    assert!(h.is_closed(), "closed when the run returned");
    assert!(flag.dropped(), "pending timers dropped");
}
