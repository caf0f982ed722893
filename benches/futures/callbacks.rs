//! 3 (and 4): N futures, each given one done-callback while pending, then completed from
//! two threads, each taking one half. Every callback reads the value and stores it in a
//! slot of its own, so that the two threads share no counter; the slots are checked after.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;
use std::time::Instant;

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, python};
use simple_future::Future;

use crate::{Options, PEER_PY, PYTHON, heap, median};

/// One library: a pending future with one callback that stores its value in `slots[i]`.
trait Peer {
    const NAME: &'static str;
    type Handle: Send + 'static;
    fn with_callback(slots: &'static [AtomicU64], i: usize) -> Self::Handle;
    fn complete(handle: &Self::Handle, value: u64);
}

struct Ours;

impl Peer for Ours {
    const NAME: &'static str = "simple-future Future";
    type Handle = Future<u64>;

    fn with_callback(slots: &'static [AtomicU64], i: usize) -> Future<u64> {
        let future = Future::new();
        // Not `unwrap`: the heap probe drops its futures pending, abandoning them.
        future.add_done_callback(move |f| {
            if let Ok(&v) = f.result() {
                slots[i].store(v, Ordering::Relaxed);
            }
        });
        future
    }

    fn complete(handle: &Future<u64>, value: u64) {
        handle.set_result(value).unwrap();
    }
}

/// The least a future with callbacks needs: a value and a list of callbacks under one
/// lock, the callbacks run after it is released. No waiting threads, no states.
struct HandRolled;

type Callback = Box<dyn FnOnce(u64) + Send>;

#[derive(Default)]
struct CallbackCell {
    value: Option<u64>,
    callbacks: Vec<Callback>,
}

impl Peer for HandRolled {
    const NAME: &'static str = "Arc<Mutex<(Option<u64>, Vec<Box<dyn FnOnce>>)>>";
    type Handle = Arc<Mutex<CallbackCell>>;

    fn with_callback(slots: &'static [AtomicU64], i: usize) -> Self::Handle {
        let cell = Arc::new(Mutex::new(CallbackCell::default()));
        let callback: Callback = Box::new(move |v| slots[i].store(v, Ordering::Relaxed));
        let mut locked = cell.lock().unwrap();
        match locked.value {
            Some(v) => {
                drop(locked);
                callback(v);
            }
            None => {
                locked.callbacks.push(callback);
                drop(locked);
            }
        }
        cell
    }

    fn complete(handle: &Self::Handle, value: u64) {
        let mut locked = handle.lock().unwrap();
        locked.value = Some(value);
        let callbacks = std::mem::take(&mut locked.callbacks);
        drop(locked);
        for callback in callbacks {
            callback(value);
        }
    }
}

/// The callbacks' slots, made once for the largest run and reused.
fn slots(n: usize) -> &'static [AtomicU64] {
    static SLOTS: OnceLock<Vec<AtomicU64>> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| (0..n).map(|_| AtomicU64::new(0)).collect());
    assert!(slots.len() >= n, "the first run is the largest");
    &slots[..n]
}

/// The heap child's side: peer number `peer` holding `n` pending futures with a callback.
pub(crate) fn hold(peer: usize, n: usize) -> Measured {
    let slots = slots(n);
    match peer {
        0 => heap::held_bytes(n, |i| Ours::with_callback(slots, i)),
        1 => heap::held_bytes(n, |i| HandRolled::with_callback(slots, i)),
        _ => Err("no such peer".to_string()),
    }
}

/// One round: (ns per future to create them and add the callbacks, futures per second
/// completed by the two threads).
fn measure<P: Peer>(n: usize) -> Result<(f64, f64), String> {
    let slots = slots(n);
    slots.iter().for_each(|s| s.store(0, Ordering::Relaxed));
    let mut handles = Vec::with_capacity(n);
    let start = Instant::now();
    handles.extend((0..n).map(|i| P::with_callback(slots, i)));
    let setup = start.elapsed();

    let ready = Arc::new(Barrier::new(2));
    let halves = [
        (0, handles.drain(..n / 2).collect::<Vec<_>>()),
        (n / 2, handles),
    ];
    let threads: Vec<_> = halves
        .into_iter()
        .map(|(first, half)| {
            let ready = Arc::clone(&ready);
            thread::spawn(move || {
                ready.wait();
                let begin = Instant::now();
                for (j, handle) in half.iter().enumerate() {
                    P::complete(handle, (first + j) as u64 + 1);
                }
                let end = Instant::now();
                drop(half);
                (begin, end)
            })
        })
        .collect();
    let spans: Vec<(Instant, Instant)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let begin = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    if let Some(i) = (0..n).find(|&i| slots[i].load(Ordering::Relaxed) != i as u64 + 1) {
        return Err(format!("the callback of future {i} did not run"));
    }
    Ok((
        setup.as_nanos() as f64 / n as f64,
        n as f64 / (end - begin).as_secs_f64(),
    ))
}

/// One timed round of a library.
type Measure = fn(usize) -> Result<(f64, f64), String>;

struct Row {
    name: &'static str,
    setup_ns: Measured,
    per_sec: Measured,
    heap: Measured,
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let (n, rounds) = options.callbacks;
    let peers: [(&str, Measure); 2] = [
        (Ours::NAME, measure::<Ours>),
        (HandRolled::NAME, measure::<HandRolled>),
    ];
    let mut samples = vec![Vec::new(); peers.len()];
    let mut errors = vec![None; peers.len()];
    // Round 0 warms up: the first run would pay alone for faulting the heap's pages in.
    for round in 0..=rounds {
        for (i, (_, measure)) in peers.iter().enumerate() {
            match measure(n) {
                Ok(sample) if round > 0 => samples[i].push(sample),
                Ok(_) => {}
                Err(e) => errors[i] = Some(e),
            }
        }
    }
    let mut rows: Vec<Row> = peers
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let of = |pick: fn(&(f64, f64)) -> f64| match &errors[i] {
                Some(e) => Err(e.clone()),
                None => Ok(median(&samples[i].iter().map(pick).collect::<Vec<_>>())),
            };
            Row {
                name,
                setup_ns: of(|s| s.0),
                per_sec: of(|s| s.1),
                heap: heap::probe("callbacks", i, options.heap),
            }
        })
        .collect();
    let py_n = options.python_callbacks;
    if options.judged {
        let py = python::run(PEER_PY, "callbacks", &[py_n]);
        let py_heap = python::run(PEER_PY, "heap_callbacks", &[options.heap]);
        rows.push(Row {
            name: PYTHON,
            setup_ns: python::value(&py, "setup_ns"),
            per_sec: python::value(&py, "per_sec"),
            heap: python::value(&py_heap, "bytes_per_future"),
        });
    }

    let ns = |row: &Row| row.per_sec.clone().map(|per_sec| 1e9 / per_sec);
    let ours = &rows[0];
    let (ours_setup, ours_ns, ours_heap) = (ours.setup_ns.clone(), ns(ours), ours.heap.clone());
    let mut notes = failures(rows.iter().flat_map(|row| {
        [
            (row.name, "setup", &row.setup_ns),
            (row.name, "complete", &row.per_sec),
            (row.name, "heap", &row.heap),
        ]
    }));
    notes.push(
        "setup: create + add_done_callback, one thread. complete: set_result from 2 threads \
         (each half the futures), wall time from the first start to the last end; the ns \
         column is its inverse."
            .to_string(),
    );
    notes.push(format!(
        "heap: peak resident-set growth of a fresh process holding {} pending futures with \
         one callback each, per future.",
        options.heap
    ));
    if options.judged {
        notes.push(format!(
            "Python: one round of {py_n} futures (more would hold GBs), two threads \
             under the GIL."
        ));
    }
    notes.push("Ratios are peer / simple-future: above 1, the peer takes more.".to_string());
    Table {
        title: format!(
            "3. {n} futures with one done-callback each, completed from 2 threads \
             (median of {rounds})"
        ),
        columns: &[
            "library",
            "setup ns/future",
            "vs ours",
            "complete M futures/s",
            "complete ns/future",
            "vs ours",
            "heap B/future",
            "heap vs ours",
        ],
        rows: rows
            .iter()
            .map(|row| {
                vec![
                    row.name.to_string(),
                    num(&row.setup_ns, 1),
                    ratio(&row.setup_ns, &ours_setup),
                    num(&row.per_sec.clone().map(|p| p / 1e6), 2),
                    num(&ns(row), 1),
                    ratio(&ns(row), &ours_ns),
                    num(&row.heap, 0),
                    ratio(&row.heap, &ours_heap),
                ]
            })
            .collect(),
        notes,
    }
    .print();

    let mut checks = Vec::new();
    if let (Ok(setup), Ok(per_sec)) = (&rows[0].setup_ns, &rows[0].per_sec) {
        checks.push(Check::report(format!(
            "{n} futures with a done-callback: {:.2} M futures/s completed from 2 threads; \
             {setup:.0} ns/future to create and add the callback",
            per_sec / 1e6
        )));
    }
    if let Ok(bytes) = &rows[0].heap {
        checks.push(Check::report(format!(
            "heap of a pending future with one callback: {bytes:.0} B"
        )));
    }
    checks
}
