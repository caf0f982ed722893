//! The tutorial's callback, future and event-loop examples as runnable programs, checked against transcripts.
//!
//! Each binary in `src/bin` re-creates one example of the tutorial and prints its transcript on
//! stdout. What they share lives here, so that two demos built on the same request use the same
//! code: [`async_network_request`] answers with a [`Response`] through an `on_done` callback,
//! and [`futures::async_network_request`] returns a future of it. Waiting helpers go with them:
//! [`join_all`] for timer threads, [`wait_all`] for futures, and [`block_on`], the smallest
//! executor, for `.await`. [`tasks::async_network_request`] is the same request as an
//! `async fn` on a `poll-loop` loop, and [`tasks::gather`] awaits its tasks; what the demos
//! built on it cost (one thread) is measured from outside, by `cargo xtask verify`. The
//! event-loop demos share example 3a's timers ([`run_tutorial_loop`]), so the busy loop and
//! the parked one run the same program, and
//! [`report_stats`], which prints the loop's counters on stderr when `DEMO_STATS` asks.
//!
//! Tracing is off unless `RUST_LOG` asks for it, and then goes to stderr only; see
//! [`init_tracing`].
#![doc(test(attr(deny(warnings))))]

use std::error::Error;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use cb_timer::{JoinError, Timer};
use simple_future::{Observer, ResultError};
use tracing_subscriber::EnvFilter;

mod block_on;
mod callbacks;
pub mod futures;
mod polling;
#[cfg(any(unix, windows))]
mod socket;
pub mod tasks;

#[cfg(any(unix, windows))]
pub use socket::SocketHandle;

pub use block_on::block_on;
pub use callbacks::{Response, async_network_request};
pub use polling::{STATS_ENV, report_stats, run_tutorial_loop};

/// How long every simulated wait or request takes: one second, as in the tutorial.
pub const DELAY: Duration = Duration::from_secs(1);

/// Installs a `tracing` subscriber that writes to stderr, filtered by `RUST_LOG`.
///
/// Without `RUST_LOG` nothing is installed, so the demos write nothing at all to stderr. With
/// it, for example `RUST_LOG=cb_timer=trace`, the timers' events appear on stderr, tagged with
/// the thread they happened on and colored only on a terminal; stdout keeps only the
/// transcript. A `RUST_LOG` that does not parse is reported on stderr and tracing stays off.
pub fn init_tracing() {
    if std::env::var_os(EnvFilter::DEFAULT_ENV).is_none() {
        return;
    }
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("ignoring {}: {e}", EnvFilter::DEFAULT_ENV);
            return;
        }
    };
    // `try_init` fails only if a subscriber is already set, which then keeps working.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_thread_names(true)
        .try_init();
}

/// Waits for every timer's thread to finish, as Python waits for its non-daemon threads.
///
/// Every timer is joined even if an earlier one fails, so no callback is cut off by the
/// process exiting.
///
/// # Errors
///
/// The first [`JoinError`], for example a callback that panicked.
pub fn join_all(timers: &[Timer]) -> Result<(), JoinError> {
    let mut first_error = None;
    for timer in timers {
        if let Err(e) = timer.join() {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Waits until every future is done, as [`join_all`] waits for timer threads.
///
/// Every future is waited for even if an earlier one failed, so that no work still under way is
/// cut off by the process exiting.
///
/// # Errors
///
/// The first future's error, in the order given, for example
/// [`ResultError::Abandoned`] if nobody is left to complete it.
pub fn wait_all<T, E>(futures: &[Observer<T, E>]) -> Result<(), ResultError<E>> {
    let mut first_error = None;
    for future in futures {
        if let Err(e) = future.result() {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Turns a demo's result into its exit code: success, or the error and its causes on stderr
/// and a failure code.
pub fn exit_code(result: Result<(), Box<dyn Error>>) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    let mut message = format!("error: {error}");
    let mut cause = error.source();
    while let Some(e) = cause {
        message.push_str(&format!(": {e}"));
        cause = e.source();
    }
    eprintln!("{message}");
    ExitCode::FAILURE
}
