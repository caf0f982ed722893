//! 2. N tasks, each sleeping a random delay in [0, max]: how late each resumed after
//!    its deadline, and the peak heap.
//!
//! The delays come from a fixed-seed PRNG (`splitmix64`), the same for both peers. A
//! task's sleep starts at its first poll; the deadline is the one its `Sleep` reports.
//! On resuming, each task records `Instant::now()` in its own slot; lateness is that
//! minus the deadline. It counts only the tasks due after the last one started its
//! sleep: one due earlier waited for the others' first polls, not for its timer. The
//! join handles are dropped; poll-loop runs until idle, tokio's `block_on` waits until
//! the last task wakes it.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use benches::Measured;
use benches::report::{Check, Table, failures, num, ratio};
use poll_loop::EventLoop;

use crate::{Options, best, median, peak_heap, percentile, splitmix64};

/// The target at N = 100,000: lateness p99, ms.
const TARGET_P99_MS: f64 = 1.0;

/// How long after the last task started a task must be due to count as "steady": by
/// then the backlog of tasks due while the others started is cleared.
const STEADY_AFTER: Duration = Duration::from_millis(100);

thread_local! {
    /// Per task: its deadline, and when it resumed.
    static RESUMED: RefCell<Vec<Option<(Instant, Instant)>>> = const { RefCell::new(Vec::new()) };
    /// When the latest task started its sleep.
    static LAST_START: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Tasks not resumed yet.
    static LEFT: Cell<usize> = const { Cell::new(0) };
    /// Who waits for the last task to resume.
    static ALL_DONE: RefCell<Option<Waker>> = const { RefCell::new(None) };
}

fn started(deadline: Instant, delay: Duration) {
    LAST_START.set(Some(deadline - delay));
}

fn resumed(i: usize, deadline: Instant) {
    let now = Instant::now();
    RESUMED.with(|slots| slots.borrow_mut()[i] = Some((deadline, now)));
    LEFT.set(LEFT.get() - 1);
    if LEFT.get() == 0 {
        if let Some(waker) = ALL_DONE.take() {
            waker.wake();
        }
    }
}

/// Ready once every task resumed.
async fn all_done() {
    poll_fn(|cx| {
        if LEFT.get() == 0 {
            return Poll::Ready(());
        }
        ALL_DONE.set(Some(cx.waker().clone()));
        Poll::Pending
    })
    .await;
}

/// One round of one peer.
struct Sample {
    /// From the first spawn to the last task's start of its sleep.
    start_all_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// p99 of the tasks due `STEADY_AFTER` or more after the last one started.
    steady_p99_ms: f64,
    /// Tasks whose lateness counts.
    counted: usize,
    peak_bytes: f64,
}

fn delays(n: usize, max: Duration) -> Vec<Duration> {
    let max_ns = max.as_nanos() as u64;
    (0..n as u64)
        .map(|i| Duration::from_nanos(splitmix64(i) % (max_ns + 1)))
        .collect()
}

/// Runs one round: `f` builds the loop or runtime, spawns a task per delay, runs them
/// all and returns when the first spawn happened.
fn measured(n: usize, f: impl FnOnce() -> Instant) -> Sample {
    // Allocated before the heap baseline is taken.
    RESUMED.with(|slots| *slots.borrow_mut() = vec![None; n]);
    LAST_START.set(None);
    LEFT.set(n);
    let (start, peak) = peak_heap(f);
    let slots = RESUMED.with(|slots| std::mem::take(&mut *slots.borrow_mut()));
    let last_start = LAST_START.get().expect("no task started");
    let late = |after: Instant| -> Vec<f64> {
        slots
            .iter()
            .map(|slot| slot.expect("a task did not resume"))
            .inspect(|(deadline, at)| assert!(at >= deadline, "a task resumed early"))
            .filter(|(deadline, _)| *deadline > after)
            .map(|(deadline, at)| (at - deadline).as_secs_f64() * 1e3)
            .collect()
    };
    let steady = late(last_start + STEADY_AFTER);
    let late = late(last_start);
    Sample {
        start_all_ms: (last_start - start).as_secs_f64() * 1e3,
        p50_ms: percentile(&late, 0.5).unwrap_or(f64::NAN),
        p99_ms: percentile(&late, 0.99).unwrap_or(f64::NAN),
        max_ms: percentile(&late, 1.0).unwrap_or(f64::NAN),
        steady_p99_ms: percentile(&steady, 0.99).unwrap_or(f64::NAN),
        counted: late.len(),
        peak_bytes: peak as f64,
    }
}

fn poll_loop(delays: &[Duration]) -> Sample {
    measured(delays.len(), || {
        let lp = EventLoop::new();
        let start = Instant::now();
        for (i, &delay) in delays.iter().enumerate() {
            drop(lp.spawn(async move {
                let sleep = poll_loop::sleep(delay);
                let deadline = sleep.deadline().expect("a finite delay");
                started(deadline, delay);
                sleep.await;
                resumed(i, deadline);
            }));
        }
        lp.run_until_idle().unwrap();
        start
    })
}

fn tokio(delays: &[Duration]) -> Sample {
    measured(delays.len(), || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let start = Instant::now();
            for (i, &delay) in delays.iter().enumerate() {
                drop(tokio::spawn(async move {
                    let sleep = tokio::time::sleep(delay);
                    let deadline = sleep.deadline().into_std();
                    started(deadline, delay);
                    sleep.await;
                    resumed(i, deadline);
                }));
            }
            all_done().await;
            start
        })
    })
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (n, rounds) = options.sleep;
    let delays = delays(n, options.max_delay);
    type Peer = (&'static str, fn(&[Duration]) -> Sample);
    let peers: [Peer; 2] = [
        ("poll-loop `spawn` + `sleep`", poll_loop),
        ("tokio current-thread `spawn` + `sleep`", tokio),
    ];
    let mut samples: Vec<Vec<Sample>> = peers.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (k, (name, peer)) in peers.iter().enumerate() {
            if options.runs(name) {
                samples[k].push(peer(&delays));
            }
        }
    }
    let col = |s: &[Sample], f: fn(&Sample) -> f64| median(&s.iter().map(f).collect::<Vec<_>>());
    let low = |s: &[Sample], f: fn(&Sample) -> f64| best(&s.iter().map(f).collect::<Vec<_>>());
    let rows: Vec<(&str, [Measured; 9])> = peers
        .iter()
        .zip(&samples)
        .map(|((name, _), s)| {
            let cols = [
                col(s, |s| s.start_all_ms),
                col(s, |s| s.p50_ms),
                col(s, |s| s.p99_ms),
                col(s, |s| s.max_ms),
                col(s, |s| s.peak_bytes / 1e6),
                col(s, |s| s.counted as f64),
                low(s, |s| s.start_all_ms),
                low(s, |s| s.p99_ms),
                col(s, |s| s.steady_p99_ms),
            ];
            (*name, cols)
        })
        .collect();
    let ours = rows[0].1.clone();
    let mut notes = failures(rows.iter().flat_map(|(name, cols)| {
        ["start all", "p50", "p99", "max", "peak heap"]
            .into_iter()
            .zip(cols)
            .map(move |(c, v)| (*name, c, v))
    }));
    notes.push(format!(
        "Delays uniform in [0, {} ms] from a fixed seed; {rounds} round(s): medians, the best round in brackets. \"start all\": from the first spawn to the last task's first poll. Lateness counts the tasks due after that ({} of {n} for poll-loop). ratio = tokio / poll-loop (above 1: poll-loop is faster or smaller).",
        options.max_delay.as_millis(),
        num(&ours[5], 0),
    ));
    notes.push(format!(
        "steady p99: only the tasks due {} ms or more after the last one started, past the backlog of those that fell due while the others were starting.",
        STEADY_AFTER.as_millis()
    ));
    // The median, and the best round in brackets.
    let with_best = |median: &Measured, best: &Measured, decimals: usize| match best {
        Ok(b) => format!("{} ({b:.decimals$})", num(median, decimals)),
        Err(_) => num(median, decimals),
    };
    let table_rows = rows
        .iter()
        .map(|(name, c)| {
            vec![
                name.to_string(),
                with_best(&c[0], &c[6], 1),
                ratio(&c[0], &ours[0]),
                num(&c[1], 3),
                with_best(&c[2], &c[7], 3),
                ratio(&c[2], &ours[2]),
                num(&c[3], 3),
                num(&c[8], 3),
                num(&c[4], 2),
                ratio(&c[4], &ours[4]),
            ]
        })
        .collect();
    Table {
        title: format!(
            "2. {n} tasks sleeping random delays in [0, {} ms]",
            options.max_delay.as_millis()
        ),
        columns: &[
            "peer",
            "start all, ms",
            "ratio",
            "late p50 ms",
            "late p99 ms",
            "ratio",
            "late max ms",
            "steady p99 ms",
            "peak heap MB",
            "ratio",
        ],
        rows: table_rows,
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let tokio_mb = &rows[1].1[4];
    let p99 = match &ours[2] {
        Ok(v) => Check::target(
            *v <= TARGET_P99_MS,
            format!("{n} sleeping tasks, lateness p99: {v:.3} ms (target <= {TARGET_P99_MS} ms)"),
        ),
        Err(e) => Check::target(false, format!("{n} sleeping tasks, lateness p99: {e}")),
    };
    // Issue 13: at most tokio's, in the same run.
    let heap = match (&ours[4], tokio_mb) {
        (Ok(ours_mb), Ok(theirs)) => Check::target(
            ours_mb <= theirs,
            format!(
                "{n} sleeping tasks, peak heap: poll-loop {ours_mb:.2} MB, tokio {theirs:.2} MB \
                 ({:.2}x; target <= tokio's)",
                ours_mb / theirs
            ),
        ),
        _ => Check::target(
            false,
            format!(
                "{n} sleeping tasks, peak heap: poll-loop {} MB, tokio {} MB",
                num(&ours[4], 2),
                num(tokio_mb, 2)
            ),
        ),
    };
    vec![p99, heap]
}
