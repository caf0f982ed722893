//! 1. N trivial tasks spawned, then run: ns per task, and peak heap per task.
//!
//! Every task does the same work on every peer: it adds the `u64` it captured to a
//! thread-local sum (checked afterwards) and returns it. The time runs from the first
//! spawn to the end of the last task (and, where handles are kept, until every result
//! was read). Each round builds a fresh loop or runtime outside the timing.

use std::cell::Cell;
use std::time::{Duration, Instant};

use benches::Measured;
use benches::report::{Check, Table, failures, num, ratio};
use poll_loop::EventLoop;

use crate::{Options, best, median, peak_heap};

/// The target: poll-loop takes at most this many times tokio's time per task.
const TARGET_VS_TOKIO: f64 = 1.5;

thread_local! {
    static SUM: Cell<u64> = const { Cell::new(0) };
}

/// The body of every task.
async fn task(i: u64) -> u64 {
    SUM.with(|sum| sum.set(sum.get() + i));
    i
}

/// The sum of the numbers of `n` tasks.
fn total(n: usize) -> u64 {
    (n as u64) * (n as u64).saturating_sub(1) / 2
}

/// One round of one peer.
#[derive(Clone, Copy)]
struct Sample {
    ns: f64,
    peak_bytes: f64,
}

/// Runs `f` with the sum reset, checks that all `n` tasks ran, and returns the time per
/// task and the peak heap per task.
fn measured(n: usize, f: impl FnOnce() -> Duration) -> Sample {
    SUM.with(|sum| sum.set(0));
    let (took, peak) = peak_heap(f);
    assert_eq!(SUM.with(Cell::get), total(n), "a task did not run");
    Sample {
        ns: took.as_nanos() as f64 / n as f64,
        peak_bytes: peak as f64 / n as f64,
    }
}

/// How the join handles are treated; one row of the table each.
#[derive(Clone, Copy)]
enum Handles {
    /// Dropped at once; the runner waits until every task is done.
    Dropped,
    /// Kept, then awaited one by one in `block_on`.
    Awaited,
    /// Kept, then read with `try_result` after the loop ran until idle.
    Read,
}

const ROWS: [(Handles, &str); 3] = [
    (Handles::Dropped, "handles dropped, run until all done"),
    (Handles::Awaited, "handles kept, awaited in `block_on`"),
    (
        Handles::Read,
        "handles kept, `try_result` after `run_until_idle`",
    ),
];

fn poll_loop(n: usize, handles: Handles) -> Option<Sample> {
    let lp = EventLoop::new();
    Some(measured(n, || match handles {
        Handles::Dropped => {
            let start = Instant::now();
            for i in 0..n as u64 {
                drop(lp.spawn(task(i)));
            }
            lp.run_until_idle().unwrap();
            start.elapsed()
        }
        Handles::Awaited => lp
            .block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..n as u64).map(|i| lp.spawn(task(i))).collect();
                let mut sum = 0;
                for task in tasks {
                    sum += task.await.unwrap();
                }
                assert_eq!(sum, total(n));
                start.elapsed()
            })
            .unwrap(),
        Handles::Read => {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n as u64).map(|i| lp.spawn(task(i))).collect();
            lp.run_until_idle().unwrap();
            let sum: u64 = tasks.iter().map(|task| *task.try_result().unwrap()).sum();
            assert_eq!(sum, total(n));
            start.elapsed()
        }
    }))
}

fn tokio(n: usize, handles: Handles) -> Option<Sample> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let all = total(n);
    match handles {
        Handles::Dropped => Some(measured(n, || {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..n as u64 {
                    drop(tokio::spawn(task(i)));
                }
                while SUM.with(Cell::get) != all {
                    tokio::task::yield_now().await;
                }
                start.elapsed()
            })
        })),
        Handles::Awaited => Some(measured(n, || {
            rt.block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..n as u64).map(|i| tokio::spawn(task(i))).collect();
                let mut sum = 0;
                for task in tasks {
                    sum += task.await.unwrap();
                }
                assert_eq!(sum, all);
                start.elapsed()
            })
        })),
        // tokio's `JoinHandle` is read by awaiting it only.
        Handles::Read => None,
    }
}

/// The medians of a peer's rounds, and its best time.
struct Summary {
    ns: Measured,
    best_ns: Measured,
    peak_bytes: Measured,
}

fn summary(samples: &[Sample], why_none: &str) -> Summary {
    let ns: Vec<f64> = samples.iter().map(|s| s.ns).collect();
    let peak: Vec<f64> = samples.iter().map(|s| s.peak_bytes).collect();
    let none = |m: Measured| m.map_err(|_| why_none.to_string());
    Summary {
        ns: none(median(&ns)),
        best_ns: none(best(&ns)),
        peak_bytes: none(median(&peak)),
    }
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (n, rounds) = options.spawn;
    let (ours_runs, tokio_runs) = (options.runs("poll-loop"), options.runs("tokio"));
    let mut samples = vec![(Vec::new(), Vec::new()); ROWS.len()];
    for _ in 0..rounds {
        for (k, &(handles, _)) in ROWS.iter().enumerate() {
            if ours_runs {
                samples[k].0.extend(poll_loop(n, handles));
            }
            if tokio_runs {
                samples[k].1.extend(tokio(n, handles));
            }
        }
    }
    let rows: Vec<(&str, Summary, Summary)> = ROWS
        .iter()
        .zip(&samples)
        .map(|(&(handles, what), (ours, theirs))| {
            let why = match (handles, tokio_runs) {
                (Handles::Read, _) => "its `JoinHandle` is read by awaiting it only",
                (_, false) => "not run (--peer)",
                _ => "no samples",
            };
            (
                what,
                summary(ours, "not run (--peer)"),
                summary(theirs, why),
            )
        })
        .collect();
    let mut notes = failures(
        rows.iter()
            .flat_map(|(what, _, theirs)| [("tokio", *what, &theirs.ns)]),
    );
    notes.push(format!(
        "{n} tasks a round, {rounds} round(s); ns per task from the first spawn to the last task's end (median, best in brackets); ratio = tokio / poll-loop (above 1: poll-loop is faster; the target is at least {:.2}). Heap: peak bytes allocated, per task.",
        1.0 / TARGET_VS_TOKIO
    ));
    notes.push(
        "tokio: `Builder::new_current_thread().enable_time()`, tasks spawned inside `block_on`; with handles dropped, `block_on` yields until every task ran."
            .to_string(),
    );
    let ns = |c: &Summary| match (&c.ns, &c.best_ns) {
        (Ok(_), Ok(b)) => format!("{} ({b:.0})", num(&c.ns, 0)),
        _ => num(&c.ns, 0),
    };
    let table_rows = rows
        .iter()
        .map(|(what, ours, theirs)| {
            vec![
                what.to_string(),
                ns(ours),
                ns(theirs),
                ratio(&theirs.ns, &ours.ns),
                num(&ours.peak_bytes, 0),
                num(&theirs.peak_bytes, 0),
            ]
        })
        .collect();
    Table {
        title: format!("1. Spawn and run {n} trivial tasks"),
        columns: &[
            "join handles",
            "poll-loop ns/task",
            "tokio ns/task",
            "ratio",
            "poll-loop heap B/task",
            "tokio heap B/task",
        ],
        rows: table_rows,
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    rows.iter()
        .filter(|(_, _, theirs)| theirs.ns.is_ok())
        .map(|(what, ours, theirs)| match (&ours.ns, &theirs.ns) {
            (Ok(o), Ok(t)) => Check::target(
                o / t <= TARGET_VS_TOKIO,
                format!(
                    "{n} tasks, {what}: {o:.0} ns each, {:.2}x tokio's {t:.0} ns (target <= {TARGET_VS_TOKIO}x)",
                    o / t
                ),
            ),
            (Err(e), _) | (_, Err(e)) => Check::target(false, format!("{n} tasks, {what}: {e}")),
        })
        .collect()
}
