//! 2: a value handed to a thread blocked waiting for it. Two threads play ping-pong over
//! N pre-made pairs of futures: one completes ping i and blocks on pong i, the other
//! blocks on ping i and completes pong i with what it got.

use std::hint::black_box;
use std::sync::{Arc, Barrier, Condvar, Mutex, mpsc};
use std::thread;
use std::time::Instant;

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, python};
use simple_future::{Future, Observer};

use crate::{Options, PEER_PY, PYTHON, median};

/// Ours may take this many times the `Mutex` + `Condvar` round trip.
const TARGET_RATIO: f64 = 1.15;

/// One library: a future as a completing end and a waiting end.
trait Peer {
    const NAME: &'static str;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn pair() -> (Self::Tx, Self::Rx);
    fn set(tx: Self::Tx, value: u64);
    fn wait(rx: Self::Rx) -> u64;
}

struct Ours;

impl Peer for Ours {
    const NAME: &'static str = "simple-future (set_result / result)";
    type Tx = Future<u64>;
    type Rx = Observer<u64>;

    fn pair() -> (Future<u64>, Observer<u64>) {
        let future = Future::new();
        let observer = future.observer();
        (future, observer)
    }

    fn set(tx: Future<u64>, value: u64) {
        tx.set_result(value).unwrap();
    }

    fn wait(rx: Observer<u64>) -> u64 {
        *rx.result().unwrap()
    }
}

/// The plain way: `Arc<(Mutex<Option<u64>>, Condvar)>`, waiting while `None`. With
/// `UNDER_LOCK`, `set` notifies while holding the lock, as the `Condvar` docs do; without,
/// it notifies after unlocking, so the woken thread does not block again on the mutex.
struct MutexCondvar<const UNDER_LOCK: bool>;

type Cell = Arc<(Mutex<Option<u64>>, Condvar)>;

impl<const UNDER_LOCK: bool> Peer for MutexCondvar<UNDER_LOCK> {
    const NAME: &'static str = if UNDER_LOCK {
        "Arc<(Mutex<Option<u64>>, Condvar)>"
    } else {
        "the same, notify after unlock"
    };
    type Tx = Cell;
    type Rx = Cell;

    fn pair() -> (Cell, Cell) {
        let cell: Cell = Arc::new((Mutex::new(None), Condvar::new()));
        (Arc::clone(&cell), cell)
    }

    fn set(tx: Cell, value: u64) {
        let mut slot = tx.0.lock().unwrap();
        *slot = Some(value);
        if !UNDER_LOCK {
            drop(slot);
        }
        tx.1.notify_one();
    }

    fn wait(rx: Cell) -> u64 {
        let (slot, ready) = &*rx;
        let slot = ready.wait_while(slot.lock().unwrap(), |v| v.is_none());
        slot.unwrap().unwrap()
    }
}

struct Oneshot;

impl Peer for Oneshot {
    const NAME: &'static str = "oneshot (send / recv)";
    type Tx = oneshot::Sender<u64>;
    type Rx = oneshot::Receiver<u64>;

    fn pair() -> (Self::Tx, Self::Rx) {
        oneshot::channel()
    }

    fn set(tx: Self::Tx, value: u64) {
        tx.send(value).unwrap();
    }

    fn wait(rx: Self::Rx) -> u64 {
        rx.recv().unwrap()
    }
}

struct StdMpsc;

impl Peer for StdMpsc {
    const NAME: &'static str = "std::sync::mpsc (send / recv)";
    type Tx = mpsc::Sender<u64>;
    type Rx = mpsc::Receiver<u64>;

    fn pair() -> (Self::Tx, Self::Rx) {
        mpsc::channel()
    }

    fn set(tx: Self::Tx, value: u64) {
        tx.send(value).unwrap();
    }

    fn wait(rx: Self::Rx) -> u64 {
        rx.recv().unwrap()
    }
}

/// One round of `n` round trips; ns per round trip.
fn round_trip_ns<P: Peer>(n: usize) -> f64 {
    let (ping_tx, ping_rx): (Vec<_>, Vec<_>) = (0..n).map(|_| P::pair()).unzip();
    let (pong_tx, pong_rx): (Vec<_>, Vec<_>) = (0..n).map(|_| P::pair()).unzip();
    let ready = Arc::new(Barrier::new(2));
    let echo = thread::spawn({
        let ready = Arc::clone(&ready);
        move || {
            ready.wait();
            for (rx, tx) in ping_rx.into_iter().zip(pong_tx) {
                P::set(tx, P::wait(rx));
            }
        }
    });
    ready.wait();
    let start = Instant::now();
    for (i, (tx, rx)) in ping_tx.into_iter().zip(pong_rx).enumerate() {
        P::set(tx, i as u64);
        black_box(P::wait(rx));
    }
    let took = start.elapsed();
    echo.join().unwrap();
    took.as_nanos() as f64 / n as f64
}

/// One timed round of a library.
type Measure = fn(usize) -> f64;

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (n, rounds) = options.handoff;
    let peers: [(&str, Measure); 5] = [
        (Ours::NAME, round_trip_ns::<Ours>),
        (
            MutexCondvar::<true>::NAME,
            round_trip_ns::<MutexCondvar<true>>,
        ),
        (
            MutexCondvar::<false>::NAME,
            round_trip_ns::<MutexCondvar<false>>,
        ),
        (Oneshot::NAME, round_trip_ns::<Oneshot>),
        (StdMpsc::NAME, round_trip_ns::<StdMpsc>),
    ];
    let mut samples = vec![Vec::new(); peers.len()];
    for _ in 0..rounds {
        for ((_, measure), samples) in peers.iter().zip(&mut samples) {
            samples.push(measure(n));
        }
    }
    let mut rows: Vec<(&str, Measured)> = peers
        .iter()
        .zip(&samples)
        .map(|((name, _), samples)| (*name, Ok(median(samples))))
        .collect();
    let py_n = (n / 4).max(1);
    if options.judged {
        let py = python::run(PEER_PY, "handoff", &[py_n, rounds.min(3)]);
        rows.push((PYTHON, python::value(&py, "round_trip_ns")));
    }

    let ours = rows[0].1.clone();
    let spread: Vec<String> = peers
        .iter()
        .zip(&samples)
        .take(2)
        .map(|((name, _), s)| {
            let (min, max) = s
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            format!("{name} {:.1}-{:.1} µs", min / 1e3, max / 1e3)
        })
        .collect();
    let mut notes = failures(rows.iter().map(|(name, ns)| (*name, "round trip", ns)));
    notes.push(format!(
        "Round trip = two handoffs, each waking a thread blocked on the value. Spread of \
         the rounds: {}.",
        spread.join("; ")
    ));
    if options.judged {
        notes.push(format!(
            "Python: {py_n} round trips a round, median of {}.",
            rounds.min(3)
        ));
    }
    notes.push("Ratios are peer / simple-future: above 1, the peer is slower.".to_string());
    Table {
        title: format!(
            "2. Handoff to a thread blocked in result(): ping-pong \
             ({n} round trips a round, median of {rounds})"
        ),
        columns: &["library", "round trip µs", "handoff µs", "vs ours"],
        rows: rows
            .iter()
            .map(|(name, ns)| {
                let us = ns.clone().map(|ns| ns / 1e3);
                vec![
                    name.to_string(),
                    num(&us, 2),
                    num(&us.clone().map(|us| us / 2.0), 2),
                    ratio(ns, &ours),
                ]
            })
            .collect(),
        notes,
    }
    .print();

    let check = match (&ours, &rows[1].1) {
        (Ok(ours), Ok(mutex)) => {
            let r = ours / mutex;
            Check::target(
                r <= TARGET_RATIO,
                format!(
                    "handoff: ours / Mutex+Condvar = {r:.2}x ({:.2} vs {:.2} µs a round trip; \
                     target <= {TARGET_RATIO}x)",
                    ours / 1e3,
                    mutex / 1e3
                ),
            )
        }
        _ => Check::target(false, "handoff: no result".to_string()),
    };
    vec![check]
}
