//! poll-loop's `EventLoop` side by side with its peers, against the targets of its issue.
//!
//! Four scenarios, each run for every peer in this one process, rounds interleaved so
//! that a burst of load elsewhere on the machine hits every peer alike:
//!
//! 1. `ready`: 1,000,000 ready callbacks, queued up front and each queueing the next
//!    (ns/callback), against a `VecDeque` of boxed closures (the floor), `calloop`'s idle
//!    callbacks, tokio's current-thread `spawn` and asyncio.
//! 2. `timers`: 100,000 timers with random delays in [0, 500 ms] (a fixed-seed PRNG):
//!    the time to schedule them all, and the lateness of those due after scheduling
//!    ended; against tokio's `sleep_until` tasks and asyncio's `call_later`.
//! 3. `idle`: waiting on two [`Timer`](poll_loop::Timer) sources (1 s and 2 s): CPU time
//!    over wall time with `PollStrategy::Park` and with `Spin` (the tutorial's loop).
//! 4. `wakeup`: `call_soon_threadsafe` from another thread into a parked loop, against a
//!    plain `Mutex` + `Condvar` wake-up, samples alternated.
//!
//! asyncio's numbers come from `peer.py`, run with `python3` if it is on the `PATH`.
//!
//! `cargo bench -p benches --bench event_loop` runs the full set (about 1 min on
//! 2 cores). `-- --quick` (or `EVENT_LOOP_QUICK=1`) runs fewer rounds, smaller asyncio
//! runs and shorter waits (under 30 s); `-- --rounds=5` sets the rounds of `ready` and
//! `timers`; `-- --only=ready,timers` runs only the scenarios named (`ready`, `timers`,
//! `idle`, `wakeup`), and `-- --peer=tokio,floor` only the peers whose
//! names hold `tokio` or `floor`. Without `--bench` (how `cargo test --benches` runs it) it is a smoke run:
//! tiny sizes, short waits, no Python.

mod cpu;
mod idle;
mod ready;
mod timers;
mod wakeup;

use std::time::Duration;

use benches::{Measured, python, report};
pub(crate) use benches::{percentile, splitmix64};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::from_args(&args);
    println!("# poll-loop: {} run, medians of the rounds\n", options.mode);
    let scenarios: [(&str, Scenario); 4] = [
        ("ready", ready::run),
        ("timers", timers::run),
        ("idle", idle::run),
        ("wakeup", wakeup::run),
    ];
    report::run_selected("poll-loop", &args, &scenarios, &options);
}

type Scenario = report::Scenario<Options>;

/// What to run, from the command line and the environment.
pub(crate) struct Options {
    pub(crate) mode: &'static str,
    /// Whether sizes are the issue's, so that targets are judged.
    pub(crate) judged: bool,
    /// Callbacks per round of `ready`, its rounds, and asyncio's callbacks per round.
    pub(crate) ready: (usize, usize, usize),
    /// Timers per round of `timers`, its rounds, and asyncio's timers.
    pub(crate) timers: (usize, usize, usize),
    /// The longest timer delay of `timers`.
    pub(crate) max_delay: Duration,
    /// The two timers of `idle`.
    pub(crate) idle: (Duration, Duration),
    /// Wake-ups per peer in `wakeup`.
    pub(crate) wakeups: usize,
    /// Whether to run asyncio at all.
    pub(crate) python: bool,
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
}

impl Options {
    fn from_args(args: &[String]) -> Options {
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let quick =
            flag("--quick") || std::env::var_os("EVENT_LOOP_QUICK").is_some_and(|v| v != "0");
        let rounds: Option<usize> = args
            .iter()
            .find_map(|arg| arg.strip_prefix("--rounds=")?.parse().ok());
        let rounds = |default: usize| rounds.unwrap_or(default).max(1);
        let ms = Duration::from_millis;
        let peer = args
            .iter()
            .find_map(|arg| Some(arg.strip_prefix("--peer=")?.to_string()));
        let options = if !flag("--bench") {
            Options {
                mode: "smoke",
                judged: false,
                ready: (10_000, rounds(1), 0),
                timers: (1_000, rounds(1), 0),
                max_delay: ms(20),
                idle: (ms(10), ms(20)),
                wakeups: 20,
                python: false,
                peer: None,
            }
        } else if quick {
            Options {
                mode: "quick",
                judged: true,
                ready: (1_000_000, rounds(3), 200_000),
                timers: (100_000, rounds(1), 20_000),
                max_delay: ms(500),
                idle: (ms(250), ms(500)),
                wakeups: 1_000,
                python: true,
                peer: None,
            }
        } else {
            Options {
                mode: "full",
                judged: true,
                ready: (1_000_000, rounds(7), 1_000_000),
                timers: (100_000, rounds(5), 100_000),
                max_delay: ms(500),
                idle: (ms(1_000), ms(2_000)),
                wakeups: 2_000,
                python: true,
                peer: None,
            }
        };
        Options { peer, ..options }
    }
}

/// asyncio as a peer: `peer.py`, run with `python3 -c`.
const PEER_PY: &str = include_str!("peer.py");

/// Runs asyncio's `peer.py <mode> <args>`, if `enabled`.
pub(crate) fn asyncio(enabled: bool, mode: &str, args: &[u64]) -> python::Output {
    if !enabled {
        return Err("not run in this mode".to_string());
    }
    python::run(PEER_PY, mode, args)
}

/// The median of `values`; an error if there are none.
pub(crate) fn median(values: &[f64]) -> Measured {
    if values.is_empty() {
        return Err("no samples".to_string());
    }
    let mut values = values.to_vec();
    values.sort_by(f64::total_cmp);
    Ok(values[values.len() / 2])
}
