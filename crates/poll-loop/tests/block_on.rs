//! `block_on`: any future, polled in place, the loop running around it.

mod helpers;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::thread;

use helpers::{ms, without_hanging};
use poll_loop::{BlockOnError, EventLoop, LoopHandle, RunError, sleep};
use simple_future::{Future, ResultError};

#[test]
fn a_ready_future_returns_its_output_without_an_iteration() {
    let lp = EventLoop::new();
    assert_eq!(lp.block_on(async { "now" }).unwrap(), "now");
    assert_eq!(lp.stats().iterations, 0);
}

#[test]
fn the_future_may_borrow_from_the_caller() {
    let lp = EventLoop::new();
    let mut words = vec!["a"];
    let count = lp
        .block_on(async {
            sleep(ms(1)).await;
            words.push("b");
            words.len()
        })
        .unwrap();
    assert_eq!(count, 2);
    assert_eq!(words, ["a", "b"]);
}

#[test]
fn a_simple_future_can_be_blocked_on() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let answer: Future<u8> = Future::new();
        let producer = answer.clone();
        let worker = thread::spawn(move || {
            thread::sleep(ms(20));
            producer.set_result(7).unwrap();
        });
        assert_eq!(lp.block_on(answer).unwrap().unwrap(), 7);
        worker.join().unwrap();

        let failed: Future<u8> = Future::new();
        failed.cancel();
        let error = lp.block_on(failed).unwrap().unwrap_err();
        assert!(matches!(error, ResultError::Cancelled), "{error:?}");
    });
}

#[test]
fn callbacks_and_tasks_run_while_it_waits() {
    let lp = EventLoop::new();
    let ticks = Rc::new(Cell::new(0));
    let t = ticks.clone();
    lp.call_later(ms(5), move || t.set(t.get() + 1));
    let task = lp.spawn(async { 5 });
    let seen = lp
        .block_on(async {
            sleep(ms(20)).await;
            ticks.get()
        })
        .unwrap();
    assert_eq!(seen, 1);
    assert_eq!(*task.result().unwrap(), 5);
}

#[test]
fn unfinished_tasks_stay_for_the_next_run() {
    let lp = EventLoop::new();
    let slow = lp.spawn(async {
        sleep(ms(30)).await;
        "slow"
    });
    lp.block_on(sleep(ms(1))).unwrap();
    assert!(!slow.done());
    lp.run_until_idle().unwrap();
    assert_eq!(*slow.result().unwrap(), "slow");
}

#[test]
fn stop_ends_it_with_stopped() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    lp.call_later(ms(5), move || handle.stop());
    let result = lp.block_on(sleep(ms(10_000)));
    assert_eq!(result, Err(BlockOnError::Stopped));
    assert!(!lp.is_running());
}

#[test]
fn a_panic_in_the_future_reaches_the_caller_and_the_loop_stays_usable() {
    let lp = EventLoop::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        lp.block_on(async {
            sleep(ms(1)).await;
            panic!("main future failed");
        })
    }));
    assert!(result.is_err());
    assert!(!lp.is_running());
    assert_eq!(lp.block_on(async { 1 }).unwrap(), 1);
}

#[test]
fn it_refuses_to_run_inside_the_loop_or_on_a_closed_one() {
    let lp = EventLoop::new();
    let inside = Rc::new(Cell::new(None));
    let i = inside.clone();
    lp.call_soon(move || {
        let lp = LoopHandle::current().unwrap();
        i.set(Some(lp.block_on(async { 1 })));
    });
    lp.run_until_idle().unwrap();
    assert_eq!(
        inside.take(),
        Some(Err(BlockOnError::Run(RunError::AlreadyRunning)))
    );

    lp.close().unwrap();
    assert_eq!(
        lp.block_on(async { 1 }),
        Err(BlockOnError::Run(RunError::Closed))
    );
    assert_eq!(
        BlockOnError::Run(RunError::Closed).to_string(),
        "the event loop is closed"
    );
}

#[test]
fn a_wake_from_another_thread_wakes_the_parked_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = thread::spawn(move || {
            let waker: std::task::Waker = rx.recv().unwrap();
            thread::sleep(ms(20));
            waker.wake();
        });
        let mut polls = 0;
        lp.block_on(std::future::poll_fn(|cx| {
            polls += 1;
            if polls == 1 {
                tx.send(cx.waker().clone()).unwrap();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        }))
        .unwrap();
        worker.join().unwrap();
        assert_eq!(polls, 2);
        assert!(lp.stats().sleeps >= 1);
    });
}
