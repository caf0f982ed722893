//! 4. Waking a parked loop from another thread: `call_soon_threadsafe` against a plain
//!    `Mutex` + `Condvar` wake-up (the target's floor), and against tokio's
//!    current-thread runtime woken by a message to a task that awaits it (a loop like
//!    ours, for scale).
//!
//! This thread sends, taking the peers in turn: it waits a short gap (so that the loop,
//! runtime or condvar's waiter is asleep again), reads the clock, and sends the
//! reading; the woken side subtracts it from its own reading. Latency is that difference.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use benches::Measured;
use benches::report::{Check, Table, num, ratio};
use poll_loop::EventLoop;

use crate::{Options, percentile};

/// The target: p50 within this factor of the condvar's.
const TARGET_P50_FACTOR: f64 = 1.2;

/// How long the sender waits before each wake-up, so that the other side is asleep.
const GAP: Duration = Duration::from_micros(200);

#[derive(Default)]
struct Slot {
    sent: Option<Instant>,
    quit: bool,
}

/// Waits until `done` reaches `count`.
fn wait_for(done: &AtomicUsize, count: usize) {
    while done.load(Ordering::Acquire) < count {
        thread::sleep(Duration::from_micros(20));
    }
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let n = options.wakeups;
    let done_loop = Arc::new(AtomicUsize::new(0));
    let lat_loop = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let (tx, rx) = mpsc::channel();
    let loop_thread = thread::spawn(move || {
        let lp = EventLoop::new();
        tx.send(lp.threadsafe()).unwrap();
        lp.run_forever().unwrap();
    });
    let remote = rx.recv().unwrap();

    let (tokio_tx, mut tokio_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let done_tokio = Arc::new(AtomicUsize::new(0));
    let tokio_thread = {
        let done = done_tokio.clone();
        thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async move {
                let mut latencies = Vec::with_capacity(n);
                while let Some(sent) = tokio_rx.recv().await {
                    latencies.push(sent.elapsed().as_secs_f64() * 1e6);
                    done.fetch_add(1, Ordering::Release);
                }
                latencies
            })
        })
    };

    let cv = Arc::new((Mutex::new(Slot::default()), Condvar::new()));
    let done_cv = Arc::new(AtomicUsize::new(0));
    let waiter = {
        let (cv, done) = (cv.clone(), done_cv.clone());
        thread::spawn(move || {
            let mut latencies = Vec::with_capacity(n);
            let (lock, condvar) = &*cv;
            let mut slot = lock.lock().unwrap();
            loop {
                if let Some(sent) = slot.sent.take() {
                    latencies.push(sent.elapsed().as_secs_f64() * 1e6);
                    done.fetch_add(1, Ordering::Release);
                } else if slot.quit {
                    return latencies;
                }
                slot = condvar.wait(slot).unwrap();
            }
        })
    };

    for i in 0..n {
        // Rotate which peer goes first, so that none always follows another.
        for k in 0..3 {
            thread::sleep(GAP);
            let peer = (i + k) % 3;
            if peer == 2 {
                tokio_tx.send(Instant::now()).unwrap();
                wait_for(&done_tokio, i + 1);
            } else if peer == 0 {
                let (lat, done) = (lat_loop.clone(), done_loop.clone());
                let sent = Instant::now();
                remote
                    .call_soon_threadsafe(move || {
                        let us = sent.elapsed().as_secs_f64() * 1e6;
                        lat.lock().unwrap().push(us);
                        done.fetch_add(1, Ordering::Release);
                    })
                    .unwrap();
                wait_for(&done_loop, i + 1);
            } else {
                let (lock, condvar) = &*cv;
                let sent = Instant::now();
                lock.lock().unwrap().sent = Some(sent);
                condvar.notify_one();
                wait_for(&done_cv, i + 1);
            }
        }
    }
    remote.stop();
    loop_thread.join().unwrap();
    cv.0.lock().unwrap().quit = true;
    cv.1.notify_one();
    let lat_cv = waiter.join().unwrap();
    drop(tokio_tx);
    let lat_tokio = tokio_thread.join().unwrap();
    let lat_loop = std::mem::take(&mut *lat_loop.lock().unwrap());

    let stats = |v: &[f64]| [0.5, 0.9, 0.99].map(|p| percentile(v, p));
    let ours = stats(&lat_loop);
    let theirs = stats(&lat_cv);
    let tokio = stats(&lat_tokio);
    let row = |name: &str, s: &[Measured; 3]| {
        let mut row = vec![name.to_string()];
        for (k, v) in s.iter().enumerate() {
            row.push(num(v, 1));
            if k == 0 {
                row.push(ratio(v, &ours[0]));
            }
        }
        row
    };
    Table {
        title: format!("4. Waking a parked loop from another thread ({n} wake-ups each), us"),
        columns: &["peer", "p50", "ratio", "p90", "p99"],
        rows: vec![
            row("poll-loop call_soon_threadsafe", &ours),
            row("Mutex + Condvar notify_one", &theirs),
            row("tokio current-thread, mpsc to a task", &tokio),
        ],
        notes: vec![format!(
            "From the sender's clock reading to the woken side's; samples taken in turn, {} us apart. ratio = peer / poll-loop.",
            GAP.as_micros()
        )],
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let mut checks = vec![match (&ours[0], &theirs[0]) {
        (Ok(o), Ok(t)) => Check::target(
            *o <= t * TARGET_P50_FACTOR,
            format!(
                "call_soon_threadsafe into a parked loop: p50 {o:.1} us, {:.2}x the condvar's {t:.1} us (target <= {TARGET_P50_FACTOR}x)",
                o / t
            ),
        ),
        _ => Check::target(false, "wake-up latency: no samples".into()),
    }];
    if let (Ok(o), Ok(t), Ok(c)) = (&ours[0], &tokio[0], &theirs[0]) {
        checks.push(Check::report(format!(
            "tokio's current-thread runtime woken the same way: p50 {t:.1} us, {:.2}x the condvar's (ours {:.2}x)",
            t / c,
            o / c
        )));
    }
    checks
}
