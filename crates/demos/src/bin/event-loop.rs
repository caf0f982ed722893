//! Example 3a on a loop that sleeps until the next timer is due instead of spinning.
//!
//! The same program as the `busy-loop` demo — the same two timers, the same lines at the same
//! times — on [`PollStrategy::Park`]: each timer tells the loop its deadline, and the loop
//! sleeps until then. Its transcript allows it almost no CPU, so a loop that spins fails it;
//! its counters (`DEMO_STATS=1`) show a handful of iterations and two seconds asleep.

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
    let lp = EventLoop::with_strategy(PollStrategy::Park);
    let result = run(&lp);
    demos::report_stats(&lp);
    demos::exit_code(result)
}
