//! 1 (and 4): create a future of `u64`, complete it and read it, all on one thread;
//! and the memory a completed future holds.

use std::hint::black_box;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Instant;

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, python};
use simple_future::Future;

use crate::{Options, PEER_PY, PYTHON, heap, median};

const TARGET_NS: f64 = 25.0;

/// One library: how it makes a completed future, and how that is read (and dropped).
trait Peer {
    const NAME: &'static str;
    /// A completed future (or the receiving end holding the value).
    type Held;
    fn completed(value: u64) -> Self::Held;
    fn read(held: Self::Held) -> u64;
}

struct Ours;

impl Peer for Ours {
    const NAME: &'static str = "simple-future Future";
    type Held = Future<u64>;

    fn completed(value: u64) -> Future<u64> {
        let future = Future::new();
        future.set_result(value).unwrap();
        future
    }

    fn read(held: Future<u64>) -> u64 {
        *held.result().unwrap()
    }
}

struct Oneshot;

impl Peer for Oneshot {
    const NAME: &'static str = "oneshot (send + recv)";
    type Held = oneshot::Receiver<u64>;

    fn completed(value: u64) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        tx.send(value).unwrap();
        rx
    }

    fn read(held: oneshot::Receiver<u64>) -> u64 {
        held.recv().unwrap()
    }
}

struct FuturesOneshot;

impl Peer for FuturesOneshot {
    const NAME: &'static str = "futures::channel::oneshot (send + try_recv)";
    type Held = futures_channel::oneshot::Receiver<u64>;

    fn completed(value: u64) -> Self::Held {
        let (tx, rx) = futures_channel::oneshot::channel();
        tx.send(value).unwrap();
        rx
    }

    fn read(mut held: Self::Held) -> u64 {
        held.try_recv().unwrap().unwrap()
    }
}

struct StdMpsc;

impl Peer for StdMpsc {
    const NAME: &'static str = "std::sync::mpsc (channel + send + recv)";
    type Held = mpsc::Receiver<u64>;

    fn completed(value: u64) -> mpsc::Receiver<u64> {
        let (tx, rx) = mpsc::channel();
        tx.send(value).unwrap();
        rx
    }

    fn read(held: mpsc::Receiver<u64>) -> u64 {
        held.recv().unwrap()
    }
}

/// The plain way: `Arc<(Mutex<Option<u64>>, Condvar)>`, set and notify as the `Condvar`
/// docs do (notifying under the lock), read by waiting until `Some`.
struct MutexCondvar;

type Cell = Arc<(Mutex<Option<u64>>, Condvar)>;

impl Peer for MutexCondvar {
    const NAME: &'static str = "Arc<(Mutex<Option<u64>>, Condvar)>";
    type Held = Cell;

    fn completed(value: u64) -> Cell {
        let cell: Cell = Arc::new((Mutex::new(None), Condvar::new()));
        let mut slot = cell.0.lock().unwrap();
        *slot = Some(value);
        cell.1.notify_one();
        drop(slot);
        cell
    }

    fn read(held: Cell) -> u64 {
        let (slot, ready) = &*held;
        let slot = ready.wait_while(slot.lock().unwrap(), |v| v.is_none());
        slot.unwrap().unwrap()
    }
}

/// A row of the table: a library, its ns/future and its bytes/future.
type Row = (&'static str, Measured, Measured);

/// A library's timing run and heap probe, by number.
struct Entry {
    name: &'static str,
    time: fn(usize) -> f64,
    hold: fn(usize) -> Measured,
}

fn entry<P: Peer>() -> Entry {
    Entry {
        name: P::NAME,
        time: ns_per_future::<P>,
        hold: |n| heap::held_bytes(n, |i| P::completed(i as u64)),
    }
}

fn entries() -> [Entry; 5] {
    [
        entry::<Ours>(),
        entry::<Oneshot>(),
        entry::<FuturesOneshot>(),
        entry::<StdMpsc>(),
        entry::<MutexCondvar>(),
    ]
}

/// The heap child's side: peer number `peer` holding `n` completed futures.
pub(crate) fn hold(peer: usize, n: usize) -> Measured {
    let entries = entries();
    let entry = entries.get(peer).ok_or("no such peer")?;
    (entry.hold)(n)
}

fn ns_per_future<P: Peer>(iters: usize) -> f64 {
    let start = Instant::now();
    for i in 0..iters as u64 {
        black_box(P::read(P::completed(black_box(i))));
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (iters, rounds) = options.lifecycle;
    let entries = entries();
    let mut samples = vec![Vec::new(); entries.len()];
    for round in 0..=rounds {
        for (entry, samples) in entries.iter().zip(&mut samples) {
            let ns = (entry.time)(iters);
            if round > 0 {
                samples.push(ns); // round 0 warms up
            }
        }
    }
    let mut rows: Vec<Row> = entries
        .iter()
        .zip(&samples)
        .enumerate()
        .map(|(i, (entry, samples))| {
            let heap = heap::probe("lifecycle", i, options.heap);
            (entry.name, Ok(median(samples)), heap)
        })
        .collect();
    if options.judged {
        let py = python::run(PEER_PY, "lifecycle", &[iters / 4, rounds]);
        let py_heap = python::run(PEER_PY, "heap_done", &[options.heap]);
        rows.push((
            PYTHON,
            python::value(&py, "ns_per_future"),
            python::value(&py_heap, "bytes_per_future"),
        ));
    }

    let (ours_ns, ours_heap) = (rows[0].1.clone(), rows[0].2.clone());
    let mut notes = failures(
        rows.iter()
            .flat_map(|(name, ns, heap)| [(*name, "ns", ns), (*name, "heap", heap)]),
    );
    notes.push(
        "Mutex + Condvar: `notify_one` makes a futex system call even when nobody waits."
            .to_string(),
    );
    if options.judged {
        notes.push(format!(
            "Python: {} futures a round; its ns include the interpreter's loop.",
            iters / 4
        ));
    }
    notes.push(format!(
        "heap: peak resident-set growth of a fresh process holding {} completed futures \
         (allocator headers and rounding included), per future.",
        options.heap
    ));
    notes.push("Ratios are peer / simple-future: above 1, the peer takes more.".to_string());
    Table {
        title: format!(
            "1. Create + complete + read a Future<u64> on one thread \
             ({iters} futures a round, median of {rounds})"
        ),
        columns: &[
            "library",
            "ns/future",
            "vs ours",
            "heap B/future",
            "heap vs ours",
        ],
        rows: rows
            .iter()
            .map(|(name, ns, heap)| {
                vec![
                    name.to_string(),
                    num(ns, 1),
                    ratio(ns, &ours_ns),
                    num(heap, 0),
                    ratio(heap, &ours_heap),
                ]
            })
            .collect(),
        notes,
    }
    .print();

    let mut checks = vec![match &ours_ns {
        Ok(ns) => Check::target(
            *ns <= TARGET_NS,
            format!(
                "create + complete + read: {ns:.1} ns/future (target <= {TARGET_NS} ns; {:.2}x \
                 the target)",
                ns / TARGET_NS
            ),
        ),
        Err(e) => Check::target(false, format!("create + complete + read: no result: {e}")),
    }];
    if let Ok(bytes) = &ours_heap {
        checks.push(Check::report(format!(
            "heap of a completed future: {bytes:.0} B"
        )));
    }
    checks
}
