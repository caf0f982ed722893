//! Example 3a on a loop that sleeps until the next timer is due instead of spinning ("First Time" sic, as in the tutorial).
//!
//! It prints `First Time is Done` and `Second Timer is Done`: "Time", not "Timer", is the
//! tutorial's own spelling, kept so that the output matches the Python program's.
//!
//! The same program as the `busy-loop` demo — the same two timers, the same lines at the same
//! times — on [`PollStrategy::Park`]: each timer tells the loop its deadline, and the loop
//! sleeps until then. Its transcript allows it almost no CPU, so a loop that spins fails it;
//! its counters (`DEMO_STATS=1`) show a handful of iterations and two seconds asleep.

use std::process::ExitCode;

use poll_loop::PollStrategy;

fn main() -> ExitCode {
    demos::init_tracing();
    demos::run_tutorial_loop(PollStrategy::Park)
}
