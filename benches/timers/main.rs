//! N one-shot timers all due at the same instant, on cb-timer's `Scheduler` and its peers.
//!
//! For each N, every library is started, handed N timers due at one shared deadline
//! (200 ms ahead), and watched until all N callbacks ran. Each callback records how late
//! it ran into a slot of its own. Measured per library, one after another in this process:
//! the wall time to schedule all N (ns per timer), the lateness p50 / p99 / max, and the
//! peak heap above the baseline before the library started (a counting global allocator).
//!
//! `cargo bench -p benches --bench timers` runs N = 1k, 10k and 100k, three rounds each,
//! and prints one markdown table per N with the medians of the rounds. `-- --quick` (or
//! `TIMERS_QUICK=1`) runs N = 1k and 10k, one round; `-- --rounds=5` sets the rounds.
//! Without `--bench` (how `cargo test --benches` runs it) it is a smoke run: N = 100, due
//! in 20 ms.

mod peers;
mod probe;
mod report;

use std::time::{Duration, Instant};

use peak_alloc::PeakAlloc;

use peers::{CbScheduler, CrossbeamAt, Peer, ThreadPerTimer, TimerCrate, TokioSleep};
use probe::Probe;
use report::{fmt_duration, print_table, print_targets};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// How long after the deadline a run may take before its peer is reported as timed out.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The targets for cb-timer's `Scheduler` at the largest N.
const TARGET_N: usize = 100_000;
const TARGET_SCHEDULE_NS: f64 = 80.0;
const TARGET_P99_MS: f64 = 5.0;
const TARGET_PEAK_MB: f64 = 32.0;

fn main() {
    let options = Options::from_args();
    println!(
        "# cb-timer: {} one-shot timers due together, {} ahead; medians of {} round(s)\n",
        options
            .sizes
            .iter()
            .map(|&n| n.to_string())
            .collect::<Vec<_>>()
            .join(" / "),
        fmt_duration(options.delay),
        options.rounds,
    );
    for &n in &options.sizes {
        let rows = [
            measure_rounds::<CbScheduler>(n, &options),
            measure_rounds::<ThreadPerTimer>(n, &options),
            measure_rounds::<CrossbeamAt>(n, &options),
            measure_rounds::<TimerCrate>(n, &options),
            measure_rounds::<TokioSleep>(n, &options),
        ];
        print_table(n, &rows);
        if n == TARGET_N {
            print_targets(&rows);
        }
    }
    if !options.sizes.contains(&TARGET_N) {
        println!("Targets are judged at N = {TARGET_N}, which this run left out.");
    }
}

/// What to run, from the command line and the environment.
struct Options {
    sizes: Vec<usize>,
    delay: Duration,
    rounds: usize,
}

impl Options {
    fn from_args() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let quick = flag("--quick") || std::env::var_os("TIMERS_QUICK").is_some_and(|v| v != "0");
        let rounds = args
            .iter()
            .find_map(|arg| arg.strip_prefix("--rounds=")?.parse().ok());
        let (sizes, delay, default_rounds) = if !flag("--bench") {
            (vec![100], Duration::from_millis(20), 1)
        } else if quick {
            (vec![1_000, 10_000], Duration::from_millis(200), 1)
        } else {
            (vec![1_000, 10_000, 100_000], Duration::from_millis(200), 3)
        };
        Options {
            sizes,
            delay,
            rounds: rounds.unwrap_or(default_rounds).max(1),
        }
    }
}

/// One run of one library.
#[derive(Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) schedule_ns: u64,
    pub(crate) p50_ns: i64,
    pub(crate) p99_ns: i64,
    pub(crate) max_ns: i64,
    pub(crate) peak_bytes: usize,
}

/// A library's row: the medians of its rounds, or why it has none.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) note: Option<&'static str>,
    /// Rounds run, and how many of them completed.
    pub(crate) rounds: (usize, usize),
    pub(crate) result: Result<Sample, String>,
}

fn measure_rounds<P: Peer>(n: usize, options: &Options) -> Row {
    let mut samples = Vec::new();
    let mut failure = None;
    for _ in 0..options.rounds {
        match measure::<P>(n, options.delay) {
            Ok(sample) => samples.push(sample),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    let result = match failure {
        Some(e) if samples.is_empty() => Err(e),
        _ => Ok(Sample {
            schedule_ns: median(samples.iter().map(|s| s.schedule_ns)),
            p50_ns: median(samples.iter().map(|s| s.p50_ns)),
            p99_ns: median(samples.iter().map(|s| s.p99_ns)),
            max_ns: median(samples.iter().map(|s| s.max_ns)),
            peak_bytes: median(samples.iter().map(|s| s.peak_bytes)),
        }),
    };
    Row {
        name: P::NAME,
        note: P::NOTE,
        rounds: (options.rounds, samples.len()),
        result,
    }
}

/// One run: start the library, schedule N timers due `delay` from now, wait for all of
/// them to fire, shut it down.
fn measure<P: Peer>(n: usize, delay: Duration) -> Result<Sample, String> {
    let slots = Probe::slots(n);
    HEAP.reset_peak_usage();
    let baseline = HEAP.current_usage();
    let mut peer = P::start()?;
    let probe = Probe::new(slots, Instant::now() + delay);
    let fired = peer
        .schedule(&probe)
        .and_then(|took| probe.wait(delay + TIMEOUT).map(|()| took));
    let peak_bytes = HEAP.peak_usage().saturating_sub(baseline);
    peer.finish();
    let took = fired?;
    let late = probe.lateness();
    Ok(Sample {
        schedule_ns: u64::try_from(took.as_nanos() / n as u128).unwrap_or(u64::MAX),
        p50_ns: percentile(&late, 0.50),
        p99_ns: percentile(&late, 0.99),
        max_ns: percentile(&late, 1.0),
        peak_bytes,
    })
}

/// The nearest-rank percentile `p` (0 to 1) of sorted, non-empty `values`.
fn percentile(sorted: &[i64], p: f64) -> i64 {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median<T: Ord + Copy>(values: impl Iterator<Item = T>) -> T {
    let mut values: Vec<T> = values.collect();
    values.sort_unstable();
    values[values.len() / 2]
}
