//! Ten thousand requests on one thread: spawned on one event loop, gathered a second later.
//!
//! Each request is [`demos::tasks::async_network_request`], an `async fn` that sleeps a second
//! on a `poll-loop` event loop. All of them run as tasks on the loop's one thread, which holds
//! their timers and sleeps until they are due, so the whole batch takes one second. The
//! callback demos' way, one thread per timer (`cb-timer`'s `Timer`, Python's
//! `threading.Timer`), would need 10,000 threads, each with a stack of its own, for the same
//! second of waiting; this demo does not start them. `cargo xtask verify` counts its threads and
//! its peak memory while it runs (`threads max 1` and `rss max` in the transcript).

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use demos::tasks::{self, async_network_request};
use poll_loop::{EventLoop, LoopHandle};

/// How many requests are sent at once.
const REQUESTS: i32 = 10_000;

/// Sends every request as a task on the loop, and gathers their responses.
async fn gather(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|n| lp.spawn(async_network_request(n)))
        .collect();
    println!("{} requests sent", tasks.len());

    // Like asyncio's `gather`: every response, in the order the requests were sent.
    let responses = tasks::gather(tasks).await?;
    let secs = start.elapsed().as_secs_f64();
    println!("{} results in {secs:.1} s", responses.len());
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    lp.block_on(gather(&lp))?
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
