//! poll-loop's async toolbox (`Queue`, `Semaphore`, `Mutex`, `Condition`, `Barrier`,
//! `gather`, `TaskGroup`)
//! side by side with tokio's current-thread equivalents, against the targets of
//! their issue: at least tokio's throughput, at most tokio's cost.
//!
//! Each row runs both peers in this one process, rounds interleaved, a fresh loop or
//! runtime per round (built outside the timing); the table gives the median ns per
//! operation and the ratio tokio / poll-loop (above 1: poll-loop is faster).
//!
//! The `gather` row has two tokio peers: `futures::future::join_all` of its handles (the
//! target's peer) and awaiting them in turn (reported).
//!
//! `cargo bench -p benches --bench toolbox` runs the sizes, 5 rounds (about
//! 30 s on 2 cores); `-- --quick` 3 rounds; `-- --rounds=N`; `-- --only=queue,sync,waiting,tasks`
//! runs only those scenarios. Without `--bench` (how `cargo test --benches` runs it) it
//! is a smoke run: tiny sizes, no targets.

mod peers;

use std::time::Duration;

use benches::report::{self, Check, Table, failures, num, ratio};
use benches::{Measured, percentile};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::from_args(&args);
    println!(
        "# poll-loop toolbox: {} run, medians of the rounds\n",
        options.mode
    );
    let scenarios: [(&str, Scenario); 4] = [
        ("queue", |o| {
            run_rows(o, "1. A bounded queue between two tasks", &peers::QUEUE)
        }),
        ("sync", |o| {
            run_rows(o, "2. Semaphore and Mutex: acquire + release", &peers::SYNC)
        }),
        ("waiting", |o| {
            run_rows(
                o,
                "3. Condition and Barrier: tasks that wait for each other",
                &peers::WAITING_ROWS,
            )
        }),
        ("tasks", |o| {
            run_rows(o, "4. Many tasks awaited together", &peers::TASKS)
        }),
    ];
    report::run_selected("the poll-loop toolbox", &args, &scenarios, &options);
}

type Scenario = report::Scenario<Options>;

/// What to run.
pub(crate) struct Options {
    mode: &'static str,
    /// Whether sizes are the issue's, so that targets are judged.
    judged: bool,
    rounds: usize,
    /// Sizes are divided by this (1 for the real run).
    shrink: usize,
}

impl Options {
    fn from_args(args: &[String]) -> Options {
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let rounds: Option<usize> = args
            .iter()
            .find_map(|arg| arg.strip_prefix("--rounds=")?.parse().ok());
        let (mode, judged, default_rounds, shrink) = if !flag("--bench") {
            ("smoke", false, 1, 1000)
        } else if flag("--quick") {
            ("quick", true, 3, 1)
        } else {
            ("full", true, 5, 1)
        };
        Options {
            mode,
            judged,
            rounds: rounds.unwrap_or(default_rounds).max(1),
            shrink,
        }
    }
}

/// One row: the same work done by both peers, `n` operations of it.
pub(crate) struct Row {
    pub(crate) what: &'static str,
    pub(crate) n: usize,
    /// Runs the work on a fresh loop; returns the time it took (the loop is built
    /// outside the timing).
    pub(crate) ours: fn(usize) -> Duration,
    pub(crate) tokio: fn(usize) -> Duration,
    /// Whether the issue sets a target on it (else its ratio is only reported).
    pub(crate) judged: bool,
}

fn run_rows(options: &Options, title: &str, rows: &[Row]) -> Vec<Check> {
    let mut samples = vec![(Vec::new(), Vec::new()); rows.len()];
    for round in 0..options.rounds {
        for (row, (ours, theirs)) in rows.iter().zip(&mut samples) {
            let n = (row.n / options.shrink).max(1);
            // Who goes first alternates: the first run of a round may find the heap
            // colder.
            if round % 2 == 0 {
                ours.push(per_op((row.ours)(n), n));
                theirs.push(per_op((row.tokio)(n), n));
            } else {
                theirs.push(per_op((row.tokio)(n), n));
                ours.push(per_op((row.ours)(n), n));
            }
        }
    }
    let medians: Vec<(Measured, Measured)> = samples
        .iter()
        .map(|(ours, theirs)| (percentile(ours, 0.5), percentile(theirs, 0.5)))
        .collect();
    let mut notes = failures(
        rows.iter()
            .zip(&medians)
            .flat_map(|(row, (o, t))| [("poll-loop", row.what, o), ("tokio", row.what, t)]),
    );
    notes.push(format!(
        "{} round(s); ns per operation (median); ratio = tokio / poll-loop (above 1: poll-loop is faster; the target is at least 1).",
        options.rounds
    ));
    notes.push(
        "tokio: `Builder::new_current_thread().enable_time()`, everything inside its `block_on`."
            .to_string(),
    );
    Table {
        title: title.to_string(),
        columns: &["operation", "n", "poll-loop ns/op", "tokio ns/op", "ratio"],
        rows: rows
            .iter()
            .zip(&medians)
            .map(|(row, (o, t))| {
                vec![
                    row.what.to_string(),
                    ((row.n / options.shrink).max(1)).to_string(),
                    num(o, 1),
                    num(t, 1),
                    ratio(t, o),
                ]
            })
            .collect(),
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    rows.iter()
        .zip(&medians)
        .map(|(row, m)| match m {
            (Ok(o), Ok(t)) if !row.judged => Check::report(format!(
                "{}: {o:.1} ns vs tokio's {t:.1} ns, {:.2}x",
                row.what,
                o / t
            )),
            (Ok(o), Ok(t)) => Check::target(
                o <= t,
                format!(
                    "{}: {o:.1} ns vs tokio's {t:.1} ns, {:.2}x (target: at most tokio's)",
                    row.what,
                    o / t
                ),
            ),
            (Err(e), _) | (_, Err(e)) => Check::target(false, format!("{}: {e}", row.what)),
        })
        .collect()
}

fn per_op(took: Duration, n: usize) -> f64 {
    took.as_nanos() as f64 / n as f64
}
