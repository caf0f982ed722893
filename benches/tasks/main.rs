//! poll-loop's tasks (`LoopHandle::spawn`, `sleep`) side by side with tokio's
//! current-thread runtime, against the targets of their issue.
//!
//! Two scenarios, each run for every peer in this one process, rounds interleaved so
//! that a burst of load elsewhere on the machine hits every peer alike:
//!
//! 1. `spawn`: 1,000,000 trivial tasks spawned, then run (ns/task): join handles dropped
//!    (poll-loop runs until idle), kept and awaited in `block_on` (both), and kept and
//!    read with `try_result` after the run (poll-loop only).
//! 2. `sleep`: 100,000 tasks, each sleeping a random delay in [0, 500 ms] (a fixed-seed
//!    PRNG, the same for both): how late each resumed after its deadline (p50, p99, max).
//!
//! Both report the peak heap of each peer's run (bytes allocated at the peak, above the
//! baseline before the loop or runtime was built), from a counting global allocator.
//! Every allocation pays for that count, in both peers alike.
//!
//! `cargo bench -p benches --bench tasks` runs the full set (about a minute on 2 cores).
//! `-- --quick` (or `TASKS_QUICK=1`) runs fewer rounds (about 15 s); `-- --rounds=5`
//! sets the rounds of both scenarios; `-- --only=spawn` runs only the scenarios named
//! (`spawn`, `sleep`), and `-- --peer=poll-loop` only the peers whose names hold
//! `poll-loop` (for profiling one of them). Without `--bench` (how `cargo test --benches`
//! runs it) it is a smoke run: tiny sizes, short sleeps, no targets.

mod sleep;
mod spawn;

use std::time::Duration;

use benches::{Measured, report};
pub(crate) use benches::{percentile, splitmix64};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::from_args(&args);
    println!(
        "# poll-loop tasks: {} run, medians of the rounds\n",
        options.mode
    );
    let scenarios: [(&str, Scenario); 2] = [("spawn", spawn::run), ("sleep", sleep::run)];
    report::run_selected("poll-loop", &args, &scenarios, &options);
}

type Scenario = report::Scenario<Options>;

/// What to run, from the command line and the environment.
pub(crate) struct Options {
    pub(crate) mode: &'static str,
    /// Whether sizes are the issue's, so that targets are judged.
    pub(crate) judged: bool,
    /// Tasks per round of `spawn`, and its rounds.
    pub(crate) spawn: (usize, usize),
    /// Tasks per round of `sleep`, and its rounds.
    pub(crate) sleep: (usize, usize),
    /// The longest sleep of `sleep`.
    pub(crate) max_delay: Duration,
    /// Only the peers whose name holds one of these (`--peer=a,b`), for profiling.
    pub(crate) peer: Option<String>,
}

impl Options {
    /// Whether to run the peer called `name`.
    pub(crate) fn runs(&self, name: &str) -> bool {
        self.peer
            .as_ref()
            .is_none_or(|p| p.split(',').any(|p| name.contains(p)))
    }

    fn from_args(args: &[String]) -> Options {
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let quick = flag("--quick") || std::env::var_os("TASKS_QUICK").is_some_and(|v| v != "0");
        let rounds: Option<usize> = args
            .iter()
            .find_map(|arg| arg.strip_prefix("--rounds=")?.parse().ok());
        let rounds = |default: usize| rounds.unwrap_or(default).max(1);
        let peer = args
            .iter()
            .find_map(|arg| Some(arg.strip_prefix("--peer=")?.to_string()));
        let (mode, judged, spawn, sleep, max_delay) = if !flag("--bench") {
            ("smoke", false, (10_000, rounds(1)), (1_000, rounds(1)), 20)
        } else if quick {
            (
                "quick",
                true,
                (1_000_000, rounds(3)),
                (100_000, rounds(1)),
                500,
            )
        } else {
            (
                "full",
                true,
                (1_000_000, rounds(9)),
                (100_000, rounds(5)),
                500,
            )
        };
        Options {
            mode,
            judged,
            spawn,
            sleep,
            max_delay: Duration::from_millis(max_delay),
            peer,
        }
    }
}

/// The median of `values`; an error if there are none.
pub(crate) fn median(values: &[f64]) -> Measured {
    percentile(values, 0.5)
}

/// The smallest of `values`; an error if there are none.
pub(crate) fn best(values: &[f64]) -> Measured {
    percentile(values, 0.0)
}

/// Runs `f` and returns what it returns, with the peak heap it reached above what was
/// allocated when it started, in bytes.
pub(crate) fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    HEAP.reset_peak_usage();
    let baseline = HEAP.current_usage();
    let value = f();
    (value, HEAP.peak_usage().saturating_sub(baseline))
}
