//! Every public error is a `std::error::Error + Send + Sync + 'static`, so
//! `?` turns it into a `Box<dyn Error + Send + Sync>` (what `anyhow` needs).

use std::cell::Cell;
use std::error::Error;
use std::time::Duration;

use cb_timer::{JoinError, ScheduleError, Scheduler, SpawnError, StartError, Timer};

type BoxError = Box<dyn Error + Send + Sync>;

fn is_a_sendable_error<E: Error + Send + Sync + 'static>() {}

/// A callback that is `Send` but not `Sync`.
fn not_sync() -> impl FnOnce() + Send + 'static {
    let calls = Cell::new(0);
    move || calls.set(calls.get() + 1)
}

#[test]
fn every_public_error_is_error_send_sync_and_static() {
    is_a_sendable_error::<SpawnError>();
    is_a_sendable_error::<StartError>();
    is_a_sendable_error::<JoinError>();
    is_a_sendable_error::<ScheduleError<Box<dyn FnOnce() + Send>>>();
    is_a_sendable_error::<ScheduleError<Box<dyn FnMut() + Send>>>();
}

fn schedule_after_shutdown() -> Result<(), BoxError> {
    let scheduler = Scheduler::new()?; // SpawnError
    let handle = scheduler.handle();
    drop(scheduler);
    handle.after(Duration::ZERO, not_sync())?; // ScheduleError<F>, F not Sync
    Ok(())
}

fn start_twice() -> Result<(), BoxError> {
    let timer = Timer::new(Duration::ZERO, not_sync());
    timer.start()?;
    timer.start()?; // StartError
    Ok(())
}

fn join_unstarted() -> Result<(), BoxError> {
    Timer::new(Duration::ZERO, || {}).join()?; // JoinError
    Ok(())
}

#[test]
fn errors_convert_with_the_question_mark_into_a_boxed_send_sync_error() {
    let error = schedule_after_shutdown().unwrap_err();
    assert_eq!(error.to_string(), "the scheduler has shut down");
    let error = start_twice().unwrap_err();
    assert_eq!(error.to_string(), "timer was already started");
    assert!(matches!(
        error.downcast_ref::<StartError>(),
        Some(StartError::AlreadyStarted)
    ));
    let error = join_unstarted().unwrap_err();
    assert_eq!(
        error.downcast_ref::<JoinError>(),
        Some(&JoinError::NotStarted)
    );
    // Sendable: the boxed errors cross threads.
    std::thread::spawn(move || assert!(!error.to_string().is_empty()))
        .join()
        .unwrap();
}
