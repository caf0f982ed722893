//! Example 3a as the tutorial wrote it: a loop that polls two timers without ever sleeping ("First Time" sic, as in the tutorial).
//!
//! It prints `First Time is Done` and `Second Timer is Done`: "Time", not "Timer", is the
//! tutorial's own spelling, kept so that the output matches the Python program's.
//!
//! The tutorial's `while True:` asks every timer "are you done?" again and again until both
//! have fired, and keeps one core at 100% for the two seconds it waits. This is that loop:
//! [`PollStrategy::Spin`] asks the two [`poll_loop::Timer`]s over and over and never sleeps.
//! The lines come at the right times; the cost is the CPU, which `cargo xtask verify` reports,
//! and the loop's counters (`DEMO_STATS=1`): millions of iterations, no sleep. The `event-loop`
//! demo runs the same program on a loop that sleeps.

use std::process::ExitCode;

use poll_loop::PollStrategy;

fn main() -> ExitCode {
    demos::init_tracing();
    demos::run_tutorial_loop(PollStrategy::Spin)
}
