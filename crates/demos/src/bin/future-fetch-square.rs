//! Example 2b: the request returns a future, and `fetch_square` prints from a done-callback.

use std::error::Error;
use std::process::ExitCode;

use cb_timer::StartError;
use demos::futures::async_network_request;
use simple_future::{Future, Observer};

/// Asks for the square of `number`; a done-callback on the request's future prints it.
///
/// The tutorial's `fetch_square` returns nothing, and Python waits for the timer threads at
/// exit. Here the callback completes a second future once it has printed, and that future is
/// returned so the caller can wait for the printing itself, not for a fixed time.
fn fetch_square(number: i32) -> Result<Observer<()>, StartError> {
    let future = async_network_request(number)?;
    let printed: Future<()> = Future::new();
    let done = printed.observer();
    future.add_done_callback(move |future| {
        // Python's `if response["success"]:` — a failed request finishes with an exception,
        // which goes on to the caller. Only this callback completes `printed`.
        match future.result() {
            Ok(response) => {
                println!(
                    "Value is : {}, Result is : {}",
                    response.value, response.result
                );
                let _ = printed.set_result(());
            }
            Err(e) => {
                let _ = printed.set_exception(Box::new(e));
            }
        }
    });
    Ok(done)
}

fn run() -> Result<(), Box<dyn Error>> {
    println!("Start Async Future");
    let printed = [3, 4, 5]
        .into_iter()
        .map(fetch_square)
        .collect::<Result<Vec<_>, _>>()?;
    println!("End Async Future");

    demos::wait_all(&printed)?;
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
