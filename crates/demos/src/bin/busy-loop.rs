//! Example 3a as the tutorial wrote it: a loop that polls two timers without ever sleeping.
//!
//! The tutorial's `while True:` asks every timer "are you done?" again and again until both
//! have fired, and keeps one core at 100% for the two seconds it waits. This is that loop:
//! [`PollStrategy::Spin`] asks the two [`poll_loop::Timer`]s over and over and never sleeps.
//! The lines come at the right times; the cost is the CPU, which `cargo xtask verify` reports,
//! and the loop's counters (`DEMO_STATS=1`): millions of iterations, no sleep. The `event-loop`
//! demo runs the same program on a loop that sleeps.

use std::error::Error;
use std::process::ExitCode;

use poll_loop::{EventLoop, LoopHandle, PollStrategy};

fn run(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
    demos::insert_tutorial_timers(lp);
    // Returns when no timer is left, as the tutorial's loop breaks on an empty list.
    lp.run_until_idle()?;
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    let lp = EventLoop::with_strategy(PollStrategy::Spin);
    let result = run(&lp);
    demos::report_stats(&lp);
    demos::exit_code(result)
}
