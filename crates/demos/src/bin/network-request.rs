//! Example 1b: a request that cannot return its answer hands it to an `on_done` callback.

use std::error::Error;
use std::process::ExitCode;

use demos::{Response, async_network_request};

fn on_done(response: Response) {
    println!("{response}");
}

fn run() -> Result<(), Box<dyn Error>> {
    println!("Start Async");
    let timers = [3, 4, 5]
        .into_iter()
        .map(|n| async_network_request(n, on_done))
        .collect::<Result<Vec<_>, _>>()?;
    println!("End Async");

    demos::join_all(&timers)?;
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
