//! A value owned by the loop whose `Drop` panics while `close()` drops it:
//! `close()` still drops everything else and marks the loop closed, then
//! reports the panic to the exception handler, as it does for callbacks.

mod helpers;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use helpers::drop_guard;
use poll_loop::{EventLoop, PostAction, Readiness, Source};

/// Panics when dropped.
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

struct Idle<G>(#[allow(dead_code)] G);

impl<G> Source for Idle<G> {
    fn readiness(&mut self, _now: std::time::Instant) -> Readiness {
        Readiness::Pending
    }

    fn dispatch(&mut self, _lp: &poll_loop::LoopHandle) -> PostAction {
        PostAction::Continue
    }
}

fn recording_handler(lp: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    lp.set_exception_handler(move |_, context| {
        sink.borrow_mut()
            .push(context.message().unwrap_or("?").to_string());
    });
    seen
}

#[test]
fn close_finishes_and_reports_a_panicking_drop() {
    let lp = EventLoop::new();
    let seen = recording_handler(&lp);
    let (before, before_dropped) = drop_guard();
    let (after, after_dropped) = drop_guard();
    let (source_guard, source_dropped) = drop_guard();
    let (task_guard, task_dropped) = drop_guard();
    let (remote_guard, remote_dropped) = drop_guard();
    lp.call_soon(move || before.touch());
    let bomb = PanicsOnDrop("callback bomb");
    lp.call_soon(move || drop(bomb));
    lp.call_soon(move || after.touch());
    let timer_bomb = PanicsOnDrop("timer bomb");
    lp.call_later(Duration::from_secs(60), move || drop(timer_bomb));
    lp.insert_source(Idle((source_guard, PanicsOnDrop("source bomb"))));
    let task_bomb = PanicsOnDrop("task bomb");
    lp.spawn(async move {
        let _guards = (task_guard, task_bomb);
        std::future::pending::<()>().await;
    });
    let remote_bomb = PanicsOnDrop("remote bomb");
    lp.threadsafe()
        .call_soon_threadsafe(move || drop((remote_guard, remote_bomb)))
        .unwrap();

    let closed = lp.close();

    assert!(closed.is_ok(), "{closed:?}");
    assert!(lp.is_closed(), "the loop is marked closed");
    assert!(lp.threadsafe().is_closed());
    for (name, flag) in [
        ("before", &before_dropped),
        ("after", &after_dropped),
        ("source", &source_dropped),
        ("task", &task_dropped),
        ("remote", &remote_dropped),
    ] {
        assert!(flag.dropped(), "{name} was dropped");
    }
    let mut seen = seen.borrow().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            "callback bomb",
            "remote bomb",
            "source bomb",
            "task bomb",
            "timer bomb"
        ]
    );
    assert_eq!(lp.stats().panics, 5);
}

#[test]
fn dropping_the_loop_with_a_panicking_drop_does_not_panic() {
    let (guard, dropped) = drop_guard();
    {
        let lp = EventLoop::new();
        let bomb = PanicsOnDrop("bomb");
        lp.call_soon(move || drop(bomb));
        lp.call_soon(move || guard.touch());
    } // the default handler reports it; nothing escapes the drop
    assert!(dropped.dropped());
}
