//! 4. Waking a parked loop from another thread: `call_soon_threadsafe` against a plain
//!    `Mutex` + `Condvar` wake-up.
//!
//! This thread sends, alternating between the two peers: it waits a short gap (so that
//! the loop, or the condvar's waiter, is asleep again), reads the clock, and sends the
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
        // Alternate which peer goes first, so that neither always follows the other.
        for k in 0..2 {
            thread::sleep(GAP);
            if (i + k) % 2 == 0 {
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
    let lat_loop = std::mem::take(&mut *lat_loop.lock().unwrap());

    let stats = |v: &[f64]| [0.5, 0.9, 0.99].map(|p| percentile(v, p));
    let ours = stats(&lat_loop);
    let theirs = stats(&lat_cv);
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
        ],
        notes: vec![format!(
            "From the sender's clock reading to the woken side's; samples alternated, {} us apart. ratio = peer / poll-loop.",
            GAP.as_micros()
        )],
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    vec![match (&ours[0], &theirs[0]) {
        (Ok(o), Ok(t)) => Check::target(
            *o <= t * TARGET_P50_FACTOR,
            format!(
                "call_soon_threadsafe into a parked loop: p50 {o:.1} us, {:.2}x the condvar's {t:.1} us (target <= {TARGET_P50_FACTOR}x)",
                o / t
            ),
        ),
        _ => Check::target(false, "wake-up latency: no samples".into()),
    }]
}
