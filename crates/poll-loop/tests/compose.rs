//! Composing with Rust's async ecosystem: a `JoinHandle` is a std future
//! (accepted by `join_all` as is), errors go through `?` into
//! `Box<dyn Error + Send + Sync>`, the public dependencies' types are
//! re-exported, and `spawn` works without naming the loop.

mod helpers;

use std::cell::Cell;
use std::error::Error;
use std::future::Future as StdFuture;
use std::rc::Rc;

use futures_util::future::join_all;
use helpers::{ms, without_hanging};
use poll_loop::{EventLoop, JoinError, JoinHandle, ThreadsafeHandle, sleep, spawn};

type AnyError = Box<dyn Error + Send + Sync>;

fn is_std_future<F: StdFuture>(_: &F) {}

#[test]
fn a_join_handle_is_a_std_future_accepted_by_join_all() {
    let lp = EventLoop::new();
    let handles: Vec<JoinHandle<u64>> = (1..=3)
        .map(|n| {
            lp.spawn(async move {
                sleep(ms(n)).await;
                n * 10
            })
        })
        .collect();
    is_std_future(&handles[0]);
    let outputs = lp.block_on(join_all(handles)).unwrap();
    assert_eq!(outputs, [Ok(10), Ok(20), Ok(30)]);
}

#[test]
fn join_all_over_handles_works_inside_a_task_too() {
    let lp = EventLoop::new();
    let total = lp.spawn(async {
        let handles = (0..4).map(|n| spawn(async move { n + 1 }));
        join_all(handles)
            .await
            .into_iter()
            .map(Result::unwrap)
            .sum::<i32>()
    });
    lp.run_until_idle().unwrap();
    assert_eq!(*total.result().unwrap(), 10);
}

fn spawn_from_any_thread(remote: &ThreadsafeHandle) -> Result<JoinHandle<i32>, AnyError> {
    // Send but not Sync, as most futures that hold a `Cell` or a
    // `RefCell`: its ScheduleError must still be Sync.
    let not_sync = Cell::new(20);
    let task = remote.spawn(async move { not_sync.get() + 1 })?;
    Ok(task)
}

#[test]
fn schedule_errors_of_non_sync_futures_go_through_question_mark() {
    let lp = EventLoop::new();
    let remote = lp.threadsafe();
    let task = spawn_from_any_thread(&remote).unwrap();
    assert_eq!(*lp.run_until_complete(&task).unwrap(), 21);
    lp.close().unwrap();
    let error = spawn_from_any_thread(&remote).unwrap_err();
    assert_eq!(error.to_string(), "the event loop is closed");
    let not_sync = Cell::new(1);
    let callback_error: AnyError = remote
        .call_soon_threadsafe(move || not_sync.set(2))
        .unwrap_err()
        .into();
    assert_eq!(callback_error.to_string(), "the event loop is closed");
}

async fn awaits_with_question_mark(task: JoinHandle<u8>) -> Result<u8, AnyError> {
    Ok(task.await? + 1)
}

#[test]
fn join_errors_and_loop_errors_go_through_question_mark() {
    fn run() -> Result<(u8, AnyError), AnyError> {
        let lp = EventLoop::new();
        let good = lp.spawn(async { 1 });
        let bad = lp.spawn(async {
            if true {
                panic!("no luck");
            }
            0u8
        });
        let one = lp.block_on(awaits_with_question_mark(good))??;
        let failed = lp.block_on(awaits_with_question_mark(bad))?.unwrap_err();
        lp.run_until_idle()?;
        lp.close()?;
        Ok((one, failed))
    }
    let (two, failed) = run().unwrap();
    assert_eq!(two, 2);
    let join_error = failed.downcast_ref::<JoinError>().expect("a JoinError");
    assert!(matches!(join_error, JoinError::Panicked(p) if p.message() == Some("no luck")));
}

#[test]
fn the_public_dependencies_types_are_re_exported() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // simple-future, through poll-loop alone.
        let future: poll_loop::simple_future::Future<u8> = poll_loop::simple_future::Future::new();
        let observer: poll_loop::Observer<u8> = future.observer();
        future.set_result(5).unwrap();
        assert_eq!(*lp.run_until_complete(&observer).unwrap(), 5);
        assert_eq!(observer.state(), poll_loop::State::Finished);
        let _: Option<poll_loop::ResultError<poll_loop::Exception>> = None;
        let _: Option<poll_loop::Panicked> = None;
        // crossbeam-channel, for `Channel::new`.
        let (tx, rx) = poll_loop::crossbeam_channel::unbounded::<u32>();
        let receiver: poll_loop::Receiver<u32> = rx;
        let seen = Rc::new(Cell::new(0));
        let sink = seen.clone();
        lp.insert_source(poll_loop::Channel::new(receiver, move |n| sink.set(n)));
        tx.send(9).unwrap();
        drop(tx);
        lp.run_until_idle().unwrap();
        assert_eq!(seen.get(), 9);
    });
}

#[test]
fn the_free_spawn_runs_on_the_current_loop() {
    let lp = EventLoop::new();
    let task = lp.spawn(async { spawn(async { "child" }).await.unwrap() });
    lp.run_until_idle().unwrap();
    assert_eq!(*task.result().unwrap(), "child");
}

#[test]
#[should_panic(expected = "no event loop running")]
fn the_free_spawn_outside_a_running_loop_panics() {
    let _lp = EventLoop::new();
    spawn(async {});
}
