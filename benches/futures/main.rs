//! simple-future's `Future` side by side with its peers: oneshot channels, a hand-rolled
//! `Mutex` + `Condvar` cell, and Python's `concurrent.futures.Future`.
//!
//! Four measurements, each run for every library in this one process, rounds interleaved
//! so that a burst of load elsewhere on the machine hits every library alike:
//!
//! 1. `lifecycle`: create, complete and read a future of `u64` on one thread (ns/future).
//! 2. `handoff`: ping-pong between two threads, each blocked waiting for the next future
//!    the other completes (round-trip latency).
//! 3. `callbacks`: N futures, each with one done-callback, completed from two threads
//!    (futures/s).
//! 4. `heap`: memory per future, as the peak resident-set growth of a fresh child process
//!    holding 100k of them (no counting allocator: its atomics would tax every
//!    allocation of measurements 1 and 3).
//!
//! Python's numbers come from `peer.py`, run with `python3` if it is on the `PATH`.
//!
//! `cargo bench -p benches --bench futures` runs the full set (about 20 s on 2 cores).
//! `-- --quick` (or `FUTURES_QUICK=1`) runs fewer rounds; `-- --rounds=5` sets the rounds.
//! Without `--bench` (how `cargo test --benches` runs it) it is a smoke run: tiny sizes,
//! no Python, no targets judged (a debug build's numbers say nothing of them).

mod callbacks;
mod handoff;
mod heap;
mod lifecycle;

use benches::report::{self, Check};

/// Python's `concurrent.futures.Future` as a peer: `peer.py`, run with `python3 -c`.
const PEER_PY: &str = include_str!("peer.py");

/// The row name of Python's peer.
const PYTHON: &str = "Python concurrent.futures.Future";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(which) = args
        .iter()
        .find_map(|arg| arg.strip_prefix(heap::CHILD_FLAG))
    {
        heap::child_main(which, &args);
        return;
    }
    let options = Options::from_args(&args);
    println!(
        "# simple-future: {} run, medians of the rounds\n",
        options.mode
    );
    let mut checks: Vec<Check> = Vec::new();
    checks.extend(lifecycle::run(&options));
    checks.extend(handoff::run(&options));
    checks.extend(callbacks::run(&options));
    if !options.judged {
        checks.retain(|check| check.pass.is_none());
    }
    report::print_targets("simple-future", &checks);
}

/// What to run, from the command line and the environment.
pub(crate) struct Options {
    pub(crate) mode: &'static str,
    /// Futures per round of `lifecycle`, and its rounds.
    pub(crate) lifecycle: (usize, usize),
    /// Round trips per round of `handoff`, and its rounds.
    pub(crate) handoff: (usize, usize),
    /// Futures per round of `callbacks`, and its rounds.
    pub(crate) callbacks: (usize, usize),
    /// Futures Python's `callbacks` round completes (it is slow and big).
    pub(crate) python_callbacks: usize,
    /// Futures a `heap` child process holds.
    pub(crate) heap: usize,
    /// Whether sizes are the issue's, so that targets are judged (and Python runs).
    pub(crate) judged: bool,
}

impl Options {
    fn from_args(args: &[String]) -> Options {
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let quick = flag("--quick") || std::env::var_os("FUTURES_QUICK").is_some_and(|v| v != "0");
        let rounds: Option<usize> = args
            .iter()
            .find_map(|arg| arg.strip_prefix("--rounds=")?.parse().ok());
        let rounds = |default: usize| rounds.unwrap_or(default).max(1);
        if !flag("--bench") {
            Options {
                mode: "smoke",
                lifecycle: (1_000, rounds(1)),
                handoff: (200, rounds(1)),
                callbacks: (10_000, rounds(1)),
                python_callbacks: 0,
                heap: 1_000,
                judged: false,
            }
        } else if quick {
            Options {
                mode: "quick",
                lifecycle: (100_000, rounds(5)),
                handoff: (5_000, rounds(3)),
                callbacks: (1_000_000, rounds(1)),
                python_callbacks: 100_000,
                heap: 100_000,
                judged: true,
            }
        } else {
            Options {
                mode: "full",
                lifecycle: (200_000, rounds(15)),
                handoff: (20_000, rounds(7)),
                callbacks: (1_000_000, rounds(5)),
                python_callbacks: 200_000,
                heap: 100_000,
                judged: true,
            }
        }
    }
}

/// The median of non-empty `values`.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut values = values.to_vec();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
