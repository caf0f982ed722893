//! 2. N timers with random delays in [0, max]: the time to schedule them all, and how
//!    late the ones due after scheduling ended fired.
//!
//! The delays come from a fixed-seed PRNG (`splitmix64`), the same for every peer and
//! for asyncio. Each callback records `Instant::now()` in its own slot; lateness is that
//! minus the deadline the library reports (or was given).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, python};
use poll_loop::EventLoop;

use crate::{Options, asyncio, median, percentile, splitmix64};

/// The targets at N = 100,000.
const TARGET_SCHEDULE_MS: f64 = 10.0;
const TARGET_P99_MS: f64 = 1.0;

thread_local! {
    static FIRED: RefCell<Vec<Option<Instant>>> = const { RefCell::new(Vec::new()) };
}

fn fire(i: usize) {
    FIRED.with(|fired| fired.borrow_mut()[i] = Some(Instant::now()));
}

/// One round of one peer.
struct Sample {
    schedule_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn delays(n: usize, max: Duration) -> Vec<Duration> {
    let max_ns = max.as_nanos() as u64;
    (0..n as u64)
        .map(|i| Duration::from_nanos(splitmix64(i) % (max_ns + 1)))
        .collect()
}

/// Lateness in ms of the timers due after `ended`, from the deadlines and `FIRED`.
fn sample(took: Duration, deadlines: &[Instant], ended: Instant) -> Sample {
    let fired = FIRED.with(|fired| std::mem::take(&mut *fired.borrow_mut()));
    let late: Vec<f64> = deadlines
        .iter()
        .zip(&fired)
        .filter(|(deadline, _)| **deadline > ended)
        .map(|(deadline, fired)| {
            let fired = fired.expect("a timer did not fire");
            assert!(fired >= *deadline, "a timer fired early");
            (fired - *deadline).as_secs_f64() * 1e3
        })
        .collect();
    assert!(fired.iter().all(Option::is_some), "a timer did not fire");
    Sample {
        schedule_ms: took.as_secs_f64() * 1e3,
        p50_ms: percentile(&late, 0.5).unwrap_or(f64::NAN),
        p99_ms: percentile(&late, 0.99).unwrap_or(f64::NAN),
        max_ms: percentile(&late, 1.0).unwrap_or(f64::NAN),
    }
}

fn ours(delays: &[Duration]) -> Sample {
    let n = delays.len();
    FIRED.with(|fired| *fired.borrow_mut() = vec![None; n]);
    let lp = EventLoop::new();
    let mut deadlines = Vec::with_capacity(n);
    let start = Instant::now();
    for (i, &delay) in delays.iter().enumerate() {
        let handle = lp.call_later(delay, move || fire(i));
        deadlines.push(handle.when().expect("a finite delay"));
    }
    let took = start.elapsed();
    let ended = Instant::now();
    lp.run_until_idle().unwrap();
    sample(took, &deadlines, ended)
}

fn tokio_sleep(delays: &[Duration]) -> Sample {
    let n = delays.len();
    FIRED.with(|fired| *fired.borrow_mut() = vec![None; n]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut deadlines = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    let (took, ended) = rt.block_on(async {
        let start = Instant::now();
        for (i, &delay) in delays.iter().enumerate() {
            let deadline = Instant::now() + delay;
            deadlines.push(deadline);
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(deadline.into()).await;
                fire(i);
            }));
        }
        let took = start.elapsed();
        let ended = Instant::now();
        for task in tasks {
            task.await.unwrap();
        }
        (took, ended)
    });
    sample(took, &deadlines, ended)
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (n, rounds, py_n) = options.timers;
    let delays = delays(n, options.max_delay);
    type Peer = (&'static str, fn(&[Duration]) -> Sample);
    let peers: [Peer; 2] = [
        ("poll-loop EventLoop::call_later", ours),
        ("tokio current-thread sleep_until tasks", tokio_sleep),
    ];
    let mut samples: Vec<Vec<Sample>> = peers.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (k, (name, peer)) in peers.iter().enumerate() {
            if !options.runs(name) {
                continue;
            }
            samples[k].push(peer(&delays));
        }
    }
    let col = |s: &[Sample], f: fn(&Sample) -> f64| median(&s.iter().map(f).collect::<Vec<_>>());
    let mut rows: Vec<(String, [Measured; 4])> = peers
        .iter()
        .zip(&samples)
        .map(|((name, _), s)| {
            let cols = [
                col(s, |s| s.schedule_ms),
                col(s, |s| s.p50_ms),
                col(s, |s| s.p99_ms),
                col(s, |s| s.max_ms),
            ];
            (name.to_string(), cols)
        })
        .collect();
    let max_ns = options.max_delay.as_nanos() as u64;
    let python_runs = options.python && options.runs("asyncio");
    let py = asyncio(python_runs, "timers", &[py_n as u64, max_ns]);
    let py_name = if py_n == n || !python_runs {
        "asyncio call_later".to_string()
    } else {
        format!("asyncio call_later ({py_n} timers)")
    };
    let py_cols = ["schedule_ms", "p50_ms", "p99_ms", "max_ms"].map(|k| python::value(&py, k));
    rows.push((py_name, py_cols));
    let ours = rows[0].1.clone();
    let mut notes = failures(rows.iter().flat_map(|(name, cols)| {
        ["schedule", "p50", "p99", "max"]
            .into_iter()
            .zip(cols)
            .map(move |(c, v)| (name.as_str(), c, v))
    }));
    notes.push(format!(
        "Delays uniform in [0, {} ms] from a fixed seed; {rounds} round(s). Lateness counts only the timers due after scheduling ended. ratio = peer / poll-loop.",
        options.max_delay.as_millis()
    ));
    if py_n != n && python_runs {
        notes.push(format!(
            "asyncio schedules {py_n} timers (not {n}) in this mode: its scheduling time is for those."
        ));
    }
    let table_rows = rows
        .iter()
        .map(|(name, c)| {
            vec![
                name.clone(),
                num(&c[0], 2),
                ratio(&c[0], &ours[0]),
                num(&c[1], 3),
                num(&c[2], 3),
                ratio(&c[2], &ours[2]),
                num(&c[3], 3),
            ]
        })
        .collect();
    Table {
        title: format!(
            "2. {n} timers, random delays in [0, {} ms]",
            options.max_delay.as_millis()
        ),
        columns: &[
            "peer",
            "schedule all, ms",
            "ratio",
            "late p50 ms",
            "late p99 ms",
            "ratio",
            "late max ms",
        ],
        rows: table_rows,
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let check = |value: &Measured, target: f64, what: &str| match value {
        Ok(v) => Check::target(
            *v <= target,
            format!("{n} timers, {what}: {v:.3} ms (target <= {target} ms)"),
        ),
        Err(e) => Check::target(false, format!("{n} timers, {what}: {e}")),
    };
    vec![
        check(&ours[0], TARGET_SCHEDULE_MS, "scheduling all"),
        check(&ours[2], TARGET_P99_MS, "lateness p99"),
    ]
}
