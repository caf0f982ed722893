//! Example 1a: three sync calls take a second each, three async calls overlap and end together.

use std::error::Error;
use std::process::ExitCode;
use std::thread;

use cb_timer::{StartError, Timer};
use demos::DELAY;

/// Blocks the caller for a second, then prints `msg`.
fn sync_wait_and_print(msg: &str) {
    thread::sleep(DELAY);
    println!("{msg}");
}

/// Returns at once; a timer prints `msg` a second later on its own thread.
fn async_wait_and_print(msg: &str) -> Result<Timer, StartError> {
    let msg = msg.to_owned();
    let timer = Timer::new(DELAY, move || println!("{msg}"));
    timer.start()?;
    Ok(timer)
}

fn run() -> Result<(), Box<dyn Error>> {
    let calls = ["First Call", "Second Call", "Third Call"];

    println!("Start Sync");
    for msg in calls {
        sync_wait_and_print(msg);
    }
    println!("End Sync");

    println!("Start Async");
    let timers = calls
        .into_iter()
        .map(async_wait_and_print)
        .collect::<Result<Vec<_>, _>>()?;
    println!("End Async");

    // Python's interpreter waits for its timer threads before exiting; so do we.
    demos::join_all(&timers)?;
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
