//! Example 1a with `async fn`: the async calls still overlap, on one thread and no timer threads.
//!
//! The same program as `wait-and-print`, the same lines at the same times, but each async call
//! is a task on a `poll-loop` event loop that `.await`s [`poll_loop::sleep`] instead of
//! starting a timer thread. The demo prints the tutorial's lines only; `cargo xtask verify`
//! counts its threads while it runs (`threads max 1` in the transcript): one, the loop's.

use std::error::Error;
use std::process::ExitCode;
use std::thread;

use demos::DELAY;
use demos::tasks::gather;
use poll_loop::{EventLoop, LoopHandle, sleep};

/// Blocks the caller for a second, then prints `msg`.
fn sync_wait_and_print(msg: &str) {
    thread::sleep(DELAY);
    println!("{msg}");
}

/// Waits a second without blocking the loop, then prints `msg`.
async fn async_wait_and_print(msg: &str) {
    sleep(DELAY).await;
    println!("{msg}");
}

/// The async half, run by the loop: starts the three calls as tasks and waits for them.
async fn async_calls(lp: &LoopHandle, calls: [&'static str; 3]) -> Result<(), Box<dyn Error>> {
    println!("Start Async");
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|msg| lp.spawn(async_wait_and_print(msg)))
        .collect();
    println!("End Async");

    gather(tasks).await?;
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let calls = ["First Call", "Second Call", "Third Call"];

    println!("Start Sync");
    for msg in calls {
        sync_wait_and_print(msg);
    }
    println!("End Sync");

    let lp = EventLoop::new();
    lp.block_on(async_calls(&lp, calls))?
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
