//! One future read three ways at once, and a waiter told when the producer gives up.
//!
//! Beyond the tutorial: two things Python's `concurrent.futures.Future` cannot do. First, one
//! future has three kinds of waiter at the same time — a done-callback, a thread blocked in
//! `result()`, and an `async` task that `.await`s it (Python needs `asyncio.wrap_future` and a
//! running event loop for that) — and each gets the one value when a timer thread sets it.
//! Second, a producer that drops its `Future` without completing it: in Python its waiters
//! would hang forever; here the future is abandoned and the waiter is told so.

use std::error::Error;
use std::process::ExitCode;
use std::thread;

use cb_timer::Timer;
use demos::DELAY;
use simple_future::{Exception, Future, ResultError};

const VALUE: &str = "Hello World";

/// A done-callback, a blocked thread and an `async` task all wait for one future, which a timer
/// thread completes a second later.
fn three_waiters() -> Result<(), Box<dyn Error>> {
    println!("One future, three waiters");
    let future: Future<&'static str> = Future::new();

    // A done-callback: runs on the thread that completes the future.
    future.add_done_callback(|future| {
        if let Ok(value) = future.result() {
            println!("done-callback got {value}");
        }
    });

    // A thread blocked in `result()`.
    let observer = future.observer();
    let blocked = thread::Builder::new()
        .name("blocked".to_owned())
        .spawn(move || {
            let value = observer.result()?;
            println!("blocked thread got {value}");
            Ok::<_, ResultError<Exception>>(())
        })?;

    // An `async` task, run below on this thread by the smallest executor.
    let observer = future.observer();
    let task = async move {
        let value = observer.await?;
        println!("async task got {value}");
        Ok::<_, ResultError<Exception>>(())
    };

    // The producer: a timer thread that sets the result; it holds the only `Future`.
    let producer = Timer::new(DELAY, move || {
        let _ = future.set_result(VALUE);
    });
    producer.start()?;

    demos::block_on(task)?;
    let blocked = blocked.join().map_err(|_| "the blocked thread panicked")?;
    blocked?;
    // The done-callback ran inside `set_result`, on the timer's thread.
    producer.join()?;
    Ok(())
}

/// A producer that drops its `Future` without a result; a waiter blocked on an `Observer` is
/// woken and told, instead of waiting forever.
fn abandoned() -> Result<(), Box<dyn Error>> {
    println!("A producer that gives up");
    let future: Future<&'static str> = Future::new();
    let observer = future.observer();
    println!("{observer}");

    let producer = Timer::new(DELAY, move || {
        // The work failed before it had a result: the only `Future` goes without one.
        drop(future);
    });
    producer.start()?;

    match observer.result() {
        Ok(value) => println!("waiter got {value}"),
        Err(ResultError::Abandoned) => println!("waiter: abandoned, no result will ever come"),
        Err(e) => return Err(e.into()),
    }
    println!("{observer}");
    producer.join()?;
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    three_waiters()?;
    abandoned()
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
