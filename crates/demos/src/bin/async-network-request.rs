//! Example 1b with `async fn`: the request's answer is awaited, not handed to a callback.
//!
//! The same lines at the same times as `network-request`, but the request is
//! [`demos::tasks::async_network_request`], an `async fn` that sleeps on a `poll-loop` event
//! loop: three of them run as tasks on the loop's one thread, and no timer thread is started.
//! The demo prints the tutorial's lines only; `cargo xtask verify` counts its threads
//! (`threads max 1` in the transcript).

use std::error::Error;
use std::process::ExitCode;

use demos::tasks::{async_network_request, gather};
use poll_loop::{EventLoop, LoopHandle};

/// Sends the request and prints its response: what `on_done` did, now after an `.await`.
async fn request_and_print(number: i32) {
    let response = async_network_request(number).await;
    println!("{response}");
}

/// Sends three requests as tasks on the loop, and waits for them.
async fn requests(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
    println!("Start Async");
    let tasks: Vec<_> = [3, 4, 5]
        .into_iter()
        .map(|n| lp.spawn(request_and_print(n)))
        .collect();
    println!("End Async");

    gather(tasks).await?;
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    lp.block_on(requests(&lp))?
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
