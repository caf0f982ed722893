//! 1. Ready callbacks: N queued up front, and N each queueing the next (ns/callback).
//!
//! Every callback does the same work on every peer: it adds the `u64` it captured to a
//! thread-local sum, which is checked afterwards. Up front, the time covers queueing all
//! N and running them; chained, from queueing the first to the last one's end. Each
//! round builds a fresh loop (queue, runtime) outside the timing.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, python};
use poll_loop::{EventLoop, LoopHandle};

use crate::{Options, asyncio, median};

/// The targets, ns per callback, at N = 1,000,000.
const TARGET_UPFRONT_NS: f64 = 40.0;
const TARGET_CHAINED_NS: f64 = 15.0;

thread_local! {
    static SUM: Cell<u64> = const { Cell::new(0) };
}

fn add(i: u64) {
    SUM.with(|sum| sum.set(sum.get() + i));
}

/// Runs `f` with the sum reset, checks that all N callbacks ran, and returns ns each.
fn timed(n: usize, f: impl FnOnce() -> Duration) -> f64 {
    SUM.with(|sum| sum.set(0));
    let took = f();
    let expected = (n as u64) * (n as u64 - 1) / 2;
    assert_eq!(SUM.with(Cell::get), expected, "a callback did not run");
    took.as_nanos() as f64 / n as f64
}

type Peer = (&'static str, fn(usize, bool) -> f64);

const PEERS: [Peer; 4] = [
    ("poll-loop EventLoop::call_soon", ours),
    ("VecDeque<Box<dyn FnOnce()>> (floor)", floor),
    ("calloop 0.14 insert_idle", calloop_idle),
    ("tokio current-thread spawn", tokio_spawn),
];

fn ours(n: usize, chained: bool) -> f64 {
    fn step(lp: LoopHandle, i: u64, n: u64) {
        lp.clone().call_soon(move || {
            add(i);
            if i + 1 < n {
                step(lp, i + 1, n);
            }
        });
    }
    let lp = EventLoop::new();
    timed(n, || {
        let start = Instant::now();
        if chained {
            step(lp.handle(), 0, n as u64);
        } else {
            for i in 0..n as u64 {
                lp.call_soon(move || add(i));
            }
        }
        lp.run_until_idle().unwrap();
        start.elapsed()
    })
}

fn floor(n: usize, chained: bool) -> f64 {
    type Queue = Rc<RefCell<VecDeque<Box<dyn FnOnce()>>>>;
    fn step(queue: Queue, i: u64, n: u64) {
        let q = queue.clone();
        q.borrow_mut().push_back(Box::new(move || {
            add(i);
            if i + 1 < n {
                step(queue, i + 1, n);
            }
        }));
    }
    let queue: Queue = Rc::default();
    timed(n, || {
        let start = Instant::now();
        if chained {
            step(queue.clone(), 0, n as u64);
        } else {
            let mut q = queue.borrow_mut();
            for i in 0..n as u64 {
                q.push_back(Box::new(move || add(i)));
            }
        }
        loop {
            let next = queue.borrow_mut().pop_front();
            match next {
                Some(f) => f(),
                None => break,
            }
        }
        start.elapsed()
    })
}

fn calloop_idle(n: usize, chained: bool) -> f64 {
    struct Data {
        handle: calloop::LoopHandle<'static, Data>,
        n: u64,
    }
    fn step(data: &mut Data, i: u64) {
        add(i);
        if i + 1 < data.n {
            data.handle.insert_idle(move |data| step(data, i + 1));
        }
    }
    let mut event_loop = calloop::EventLoop::<Data>::try_new().unwrap();
    let mut data = Data {
        handle: event_loop.handle(),
        n: n as u64,
    };
    timed(n, || {
        let start = Instant::now();
        if chained {
            data.handle.insert_idle(|data| step(data, 0));
            while SUM.with(Cell::get) != (n as u64) * (n as u64 - 1) / 2 {
                event_loop.dispatch(Duration::ZERO, &mut data).unwrap();
            }
        } else {
            for i in 0..n as u64 {
                data.handle.insert_idle(move |_| add(i));
            }
            event_loop.dispatch(Duration::ZERO, &mut data).unwrap();
        }
        start.elapsed()
    })
}

fn tokio_spawn(n: usize, chained: bool) -> f64 {
    fn step(i: u64, n: u64) {
        tokio::spawn(async move {
            add(i);
            if i + 1 < n {
                step(i + 1, n);
            }
        });
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let total = (n as u64) * (n as u64 - 1) / 2;
    timed(n, || {
        rt.block_on(async {
            let start = Instant::now();
            if chained {
                step(0, n as u64);
            } else {
                for i in 0..n as u64 {
                    tokio::spawn(async move { add(i) });
                }
            }
            while SUM.with(Cell::get) != total {
                tokio::task::yield_now().await;
            }
            start.elapsed()
        })
    })
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (n, rounds, py_n) = options.ready;
    let mut samples = vec![(Vec::new(), Vec::new()); PEERS.len()];
    for _ in 0..rounds {
        for (k, (name, peer)) in PEERS.iter().enumerate() {
            if !options.runs(name) {
                continue;
            }
            samples[k].0.push(peer(n, false));
            samples[k].1.push(peer(n, true));
        }
    }
    let mut rows: Vec<(String, Measured, Measured)> = PEERS
        .iter()
        .zip(&samples)
        .map(|((name, _), (up, ch))| (name.to_string(), median(up), median(ch)))
        .collect();
    let python_runs = options.python && options.runs("asyncio");
    let py = asyncio(python_runs, "ready", &[py_n as u64, rounds.min(3) as u64]);
    let py_name = if py_n == n || !python_runs {
        "asyncio call_soon".to_string()
    } else {
        format!("asyncio call_soon ({py_n} callbacks)")
    };
    rows.push((
        py_name,
        python::value(&py, "upfront_ns"),
        python::value(&py, "chained_ns"),
    ));
    let (ours_up, ours_ch) = (rows[0].1.clone(), rows[0].2.clone());
    let mut notes = failures(rows.iter().flat_map(|(name, up, ch)| {
        [
            (name.as_str(), "up front", up),
            (name.as_str(), "chained", ch),
        ]
    }));
    notes.push(format!(
        "{n} callbacks a round, {rounds} round(s); ratio = peer / poll-loop (above 1: poll-loop is faster)."
    ));
    notes.push(
        "Chained calloop pays one `epoll_wait` per callback (an idle callback added by an idle callback waits for the next dispatch)."
            .to_string(),
    );
    let rows = rows
        .iter()
        .map(|(name, up, ch)| {
            vec![
                name.clone(),
                num(up, 1),
                ratio(up, &ours_up),
                num(ch, 1),
                ratio(ch, &ours_ch),
            ]
        })
        .collect();
    Table {
        title: format!("1. Ready callbacks ({n}), ns per callback"),
        columns: &["peer", "up front ns", "ratio", "chained ns", "ratio"],
        rows,
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let check = |value: &Measured, target: f64, what: &str| match value {
        Ok(v) => Check::target(
            *v <= target,
            format!("{n} ready callbacks {what}: {v:.1} ns each (target <= {target} ns)"),
        ),
        Err(e) => Check::target(false, format!("{n} ready callbacks {what}: {e}")),
    };
    vec![
        check(&ours_up, TARGET_UPFRONT_NS, "queued up front"),
        check(&ours_ch, TARGET_CHAINED_NS, "each queueing the next"),
    ]
}
