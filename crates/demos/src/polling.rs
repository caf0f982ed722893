//! Example 3a's two pollable timers, and the loop counters a demo reports when asked.

use std::error::Error;
use std::ffi::OsStr;
use std::process::ExitCode;
use std::time::Duration;

use poll_loop::{EventLoop, LoopHandle, PollStrategy, Timer};

/// The environment variable that asks a loop demo to print its loop's counters on stderr at
/// exit: set it to anything but empty or `0`.
pub const STATS_ENV: &str = "DEMO_STATS";

/// Example 3a on a loop with `strategy`: the two timers below, run until none is left (as the
/// tutorial's loop breaks on an empty list), then the counters if [`STATS_ENV`] asks. The
/// `busy-loop` and `event-loop` demos are this one program, spinning and parked.
pub fn run_tutorial_loop(strategy: PollStrategy) -> ExitCode {
    let lp = EventLoop::with_strategy(strategy);
    let result = insert_tutorial_timers(&lp)
        .run_until_idle()
        .map_err(|e| Box::new(e) as Box<dyn Error>);
    report_stats(&lp);
    crate::exit_code(result)
}

/// Registers example 3a's two timers on `lp`, both started now: after one second the first
/// prints `First Time is Done`, after two seconds the second prints `Second Timer is Done`
/// (both strings as the tutorial spells them).
///
/// The timers are [`poll_loop::Timer`]s, sources the loop asks whether they are done: run the
/// loop until idle and it returns once both have fired and left, as the tutorial's loop ends
/// when its list of timers is empty. Whether the loop asks in a busy loop or sleeps until the
/// next deadline is its [`PollStrategy`](poll_loop::PollStrategy); the timers are the same.
fn insert_tutorial_timers(lp: &LoopHandle) -> &LoopHandle {
    let mut first = Timer::new(Duration::from_secs(1));
    first.on_timer_done(|| println!("First Time is Done"));
    let mut second = Timer::new(Duration::from_secs(2));
    second.on_timer_done(|| println!("Second Timer is Done"));
    lp.insert_source(first);
    lp.insert_source(second);
    lp
}

/// Prints `lp`'s polling strategy and [counters](poll_loop::Stats) on one line of stderr, if
/// [`STATS_ENV`] asks for them; otherwise does nothing.
///
/// Call it once the loop has run, whether the demo succeeded or not, so that a spinning loop
/// and a parked one can be compared at a glance:
///
/// ```text
/// loop stats (Spin): iterations=41234567 wakeups=0 callbacks=0 dispatches=2 panics=0 sleeps=0 slept=0.000s
/// loop stats (Park): iterations=3 wakeups=0 callbacks=0 dispatches=2 panics=0 sleeps=2 slept=2.000s
/// ```
///
/// # Examples
///
/// ```
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// lp.call_soon(|| {});
/// lp.run_until_idle()?;
/// demos::report_stats(&lp); // silent unless DEMO_STATS is set
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub fn report_stats(lp: &LoopHandle) {
    if stats_wanted(std::env::var_os(STATS_ENV).as_deref()) {
        eprintln!("loop stats ({:?}): {}", lp.poll_strategy(), lp.stats());
    }
}

/// Whether the value of [`STATS_ENV`] asks for the counters.
fn stats_wanted(value: Option<&OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_only_when_asked() {
        assert!(!stats_wanted(None));
        assert!(!stats_wanted(Some(OsStr::new(""))));
        assert!(!stats_wanted(Some(OsStr::new("0"))));
        assert!(stats_wanted(Some(OsStr::new("1"))));
        assert!(stats_wanted(Some(OsStr::new("yes"))));
    }
}
