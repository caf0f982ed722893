//! A blocking wait for a task's outcome on the thread of the loop that runs
//! the task can never end: it fails fast, naming the call, instead of
//! hanging (tokio: "cannot block the current thread from within a runtime").

mod helpers;

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::thread;

use helpers::{ms, without_hanging};
use poll_loop::{EventLoop, JoinHandle, sleep};

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the call panicked");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// A blocking read of a handle.
type Read = Box<dyn Fn(&JoinHandle<u32>)>;

fn unfinished(lp: &EventLoop) -> JoinHandle<u32> {
    lp.spawn(async {
        sleep(ms(10)).await;
        7
    })
}

#[test]
fn result_on_the_loop_thread_before_the_task_is_done_panics_naming_the_call() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let task = unfinished(&lp);
        let message = panic_message(|| drop(task.result()));
        assert!(message.contains("JoinHandle::result"), "{message}");
        assert!(message.contains("loop"), "{message}");
        // The loop and the task are fine: run it, and the value is there.
        lp.run_until_idle().unwrap();
        assert_eq!(*task.result().unwrap(), 7);
    });
}

#[test]
fn every_blocking_read_on_the_loop_thread_fails_fast() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let task = unfinished(&lp);
        let calls: [(&str, Read); 3] = [
            (
                "JoinHandle::result_timeout",
                Box::new(|t| drop(t.result_timeout(ms(10_000)))),
            ),
            ("JoinHandle::exception", Box::new(|t| drop(t.exception()))),
            (
                "JoinHandle::exception_timeout",
                Box::new(|t| drop(t.exception_timeout(ms(10_000)))),
            ),
        ];
        for (name, call) in calls {
            let message = panic_message(|| call(&task));
            assert!(message.contains(name), "{name}: {message}");
        }
        lp.run_until_idle().unwrap();
        assert!(task.exception().unwrap().is_none());
    });
}

#[test]
fn result_inside_a_callback_of_the_running_loop_is_reported_not_hung() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let caught = Rc::new(RefCell::new(Vec::new()));
        let sink = caught.clone();
        lp.set_exception_handler(move |_, context| {
            sink.borrow_mut()
                .push(context.message().unwrap_or("").to_string());
        });
        let task = unfinished(&lp);
        let reader = task.clone();
        lp.call_soon(move || drop(reader.result()));
        lp.run_until_idle().unwrap();
        let caught = caught.borrow();
        assert_eq!(caught.len(), 1, "{caught:?}");
        assert!(caught[0].contains("JoinHandle::result"), "{caught:?}");
        assert_eq!(*task.result().unwrap(), 7, "the task still ran");
    });
}

#[test]
fn a_done_task_is_read_on_the_loop_thread_without_blocking() {
    let lp = EventLoop::new();
    let task = lp.spawn(async { 3 });
    lp.run_until_idle().unwrap();
    assert_eq!(*task.result().unwrap(), 3);
    assert_eq!(*task.result_timeout(ms(1)).unwrap(), 3);
    assert!(task.exception().unwrap().is_none());
}

#[test]
fn other_threads_still_block_until_the_task_is_done() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let task = unfinished(&lp);
        let reader = task.clone();
        let waiter = thread::spawn(move || *reader.result().unwrap());
        lp.run_until_idle().unwrap();
        assert_eq!(waiter.join().unwrap(), 7);
    });
}

#[test]
fn a_plain_observer_of_a_task_read_on_the_loop_thread_panics_too() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let task = unfinished(&lp);
        let view = task.observer(); // a simple-future Observer, no JoinHandle methods
        let message = panic_message(|| drop(view.result()));
        assert!(message.contains("`result`"), "{message}");
        let message = panic_message(|| drop(view.exception_timeout(ms(50))));
        assert!(message.contains("`exception_timeout`"), "{message}");
        // A zero timeout only looks.
        assert!(view.result_timeout(ms(0)).is_err());
        // Another thread still waits, and the loop completes it.
        let waiter = thread::spawn(move || *view.result().unwrap());
        lp.run_until_idle().unwrap();
        assert_eq!(waiter.join().unwrap(), 7);
    });
}
