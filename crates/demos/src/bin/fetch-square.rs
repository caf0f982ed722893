//! Example 1c: `fetch_square` builds on the request and prints each square from its callback.

use std::error::Error;
use std::process::ExitCode;

use cb_timer::{StartError, Timer};
use demos::async_network_request;

/// Asks for the square of `number` and prints it when it arrives, if it is non-zero.
fn fetch_square(number: i32) -> Result<Timer, StartError> {
    async_network_request(number, |response| {
        // Python's `if response["Result"]:` — zero is falsy.
        if response.result != 0 {
            println!("Result is : {}", response.result);
        }
    })
}

fn run() -> Result<(), Box<dyn Error>> {
    println!("Start Async");
    let timers = [3, 4, 5]
        .into_iter()
        .map(fetch_square)
        .collect::<Result<Vec<_>, _>>()?;
    println!("End Async");

    demos::join_all(&timers)?;
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
