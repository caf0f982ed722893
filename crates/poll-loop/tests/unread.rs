//! A task whose join handles are all dropped while it runs: the loop lets
//! its output go (nobody can read it), and the task behaves as before —
//! it runs to the end, and a panic is reported as never retrieved.

mod helpers;

use std::cell::Cell;
use std::rc::Rc;

use helpers::{Collector, ms};
use poll_loop::{EventLoop, LoopHandle, sleep};

#[test]
fn a_task_dropped_before_the_loop_runs_still_runs_to_the_end() {
    let lp = EventLoop::new();
    let done = Rc::new(Cell::new(false));
    let flag = Rc::clone(&done);
    drop(lp.spawn(async move {
        sleep(ms(5)).await;
        flag.set(true);
    }));
    lp.run_until_idle().unwrap();
    assert!(done.get());
}

#[test]
fn a_task_whose_handle_is_dropped_inside_the_loop_still_runs_to_the_end() {
    let lp = EventLoop::new();
    let done = Rc::new(Cell::new(0));
    let counter = Rc::clone(&done);
    lp.block_on(async move {
        let h = LoopHandle::current().unwrap();
        for _ in 0..3 {
            let counter = Rc::clone(&counter);
            drop(h.spawn(async move {
                sleep(ms(5)).await;
                counter.set(counter.get() + 1);
            }));
        }
        sleep(ms(20)).await;
    })
    .unwrap();
    assert_eq!(done.get(), 3);
}

#[test]
fn a_panic_after_the_last_handle_went_is_reported_as_never_retrieved_naming_the_task() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        let line = line!() + 1;
        let task = lp.spawn_named("lonely", async {
            sleep(ms(5)).await;
            panic!("nobody reads this");
        });
        // Dropped inside the running loop, while the task sleeps.
        lp.block_on(async move {
            sleep(ms(1)).await;
            drop(task);
            sleep(ms(20)).await;
        })
        .unwrap();
        let events = collector.events("task exception was never retrieved");
        assert_eq!(events.len(), 1, "{:#?}", collector.seen());
        let event = &events[0];
        assert_eq!(event.level, tracing::Level::ERROR);
        assert_eq!(event.field("panic"), Some("nobody reads this"));
        assert!(
            event
                .field("task")
                .is_some_and(|task| task.contains("lonely")),
            "{event:?}"
        );
        let location = event.field("location").unwrap();
        assert!(
            location.ends_with(&format!("unread.rs:{line}:23")),
            "{location}"
        );
    });
}

#[test]
fn a_view_taken_before_the_handle_went_still_gets_the_value() {
    let lp = EventLoop::new();
    let task = lp.spawn(async {
        sleep(ms(5)).await;
        String::from("still read")
    });
    let view = task.observer();
    drop(task);
    lp.run_until_idle().unwrap();
    assert_eq!(view.result().unwrap(), "still read");
}

#[test]
fn a_handle_cancelled_then_dropped_still_cancels_the_task() {
    let lp = EventLoop::new();
    let ran_on = Rc::new(Cell::new(false));
    let flag = Rc::clone(&ran_on);
    let task = lp.spawn(async move {
        sleep(ms(5)).await;
        flag.set(true);
    });
    lp.run_once_for_test();
    assert!(task.cancel());
    drop(task);
    lp.run_until_idle().unwrap();
    assert!(!ran_on.get(), "the cancel reached the task");
}

/// One iteration, so the task has started (and sleeps).
trait RunOnce {
    fn run_once_for_test(&self);
}

impl RunOnce for EventLoop {
    fn run_once_for_test(&self) {
        let h = self.handle();
        h.call_soon({
            let h = h.clone();
            move || h.stop()
        });
        self.run_forever().unwrap();
    }
}
