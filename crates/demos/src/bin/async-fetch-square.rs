//! Example 1c with `async fn`: `fetch_square` awaits the request and prints the square.
//!
//! The same lines at the same times as `fetch-square`, with no callback and no thread: the
//! request is [`demos::tasks::async_network_request`], which sleeps on a `poll-loop` event loop,
//! and each `fetch_square` is a task on the loop's one thread. The demo prints the tutorial's
//! lines only; `cargo xtask verify` counts its threads (`threads max 1` in the transcript).

use std::error::Error;
use std::process::ExitCode;

use demos::tasks::{async_network_request, gather};
use poll_loop::{EventLoop, LoopHandle};

/// Asks for the square of `number` and prints it when it arrives, if it is non-zero.
async fn fetch_square(number: i32) {
    let response = async_network_request(number).await;
    // Python's `if response["Result"]:` — zero is falsy.
    if response.result != 0 {
        println!("Result is : {}", response.result);
    }
}

/// Fetches three squares as tasks on the loop, and waits for them.
async fn fetch_squares(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
    println!("Start Async");
    let tasks: Vec<_> = [3, 4, 5]
        .into_iter()
        .map(|n| lp.spawn(fetch_square(n)))
        .collect();
    println!("End Async");

    gather(tasks).await?;
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    lp.block_on(fetch_squares(&lp))?
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
