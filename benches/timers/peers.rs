//! The libraries under test, one small type each.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::probe::{Probe, callback, timed};

/// One library under test, started afresh for every run.
pub(crate) trait Peer: Sized {
    /// Its row in the table.
    const NAME: &'static str;
    /// A note printed under the table, if its numbers need one.
    const NOTE: Option<&'static str> = None;
    /// Starts it (threads, runtime): not part of the scheduling cost.
    fn start() -> Result<Self, String>;
    /// Schedules one timer per slot of `probe`, each due at `probe.deadline` and calling
    /// [`callback`]; returns the wall time that took.
    fn schedule(&mut self, probe: &Arc<Probe>) -> Result<Duration, String>;
    /// Shuts it down after the measurement and joins its threads.
    fn finish(self);
}

/// Ours: one scheduler thread, a `BTreeMap` deadline queue.
pub(crate) struct CbScheduler(cb_timer::Scheduler);

impl Peer for CbScheduler {
    const NAME: &'static str = "cb-timer Scheduler";

    fn start() -> Result<Self, String> {
        cb_timer::Scheduler::new()
            .map(CbScheduler)
            .map_err(|e| e.to_string())
    }

    fn schedule(&mut self, probe: &Arc<Probe>) -> Result<Duration, String> {
        let ((), took) = timed(|| {
            for i in 0..probe.n() {
                self.0.at(probe.deadline, callback(probe, i));
            }
        });
        Ok(took)
    }

    fn finish(self) {}
}

/// One OS thread per timer: `cb_timer::Timer`, Python's `threading.Timer`.
pub(crate) struct ThreadPerTimer(Vec<cb_timer::Timer>);

impl Peer for ThreadPerTimer {
    const NAME: &'static str = "cb-timer Timer (thread per timer)";
    const NOTE: Option<&'static str> = Some(
        "cb-timer Timer: thread stacks are mapped memory, not heap, so the peak heap leaves \
         them out (each thread also commits at least a few KiB of stack and kernel memory).",
    );

    fn start() -> Result<Self, String> {
        Ok(ThreadPerTimer(Vec::new()))
    }

    fn schedule(&mut self, probe: &Arc<Probe>) -> Result<Duration, String> {
        let n = probe.n();
        let budget = thread_budget();
        if n > budget.threads {
            return Err(format!(
                "not attempted: {n} threads exceed {}; the attempt would exhaust thread ids \
                 for every process on this machine (TIMERS_MAX_THREADS overrides)",
                budget.reason
            ));
        }
        self.0.reserve(n);
        let mut failed = 0;
        let mut first_error = None;
        let ((), took) = timed(|| {
            for i in 0..n {
                let delay = probe.deadline.saturating_duration_since(Instant::now());
                let timer = cb_timer::Timer::new(delay, callback(probe, i));
                match timer.start() {
                    Ok(()) => self.0.push(timer),
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
        });
        match first_error {
            None => Ok(took),
            Some(e) => Err(format!(
                "{failed} of {n} threads failed to start; first error: {e}"
            )),
        }
    }

    fn finish(self) {
        for timer in &self.0 {
            let _ = timer.join();
        }
    }
}

/// How many threads the thread-per-timer peer may start at once.
pub(crate) struct ThreadBudget {
    threads: usize,
    reason: String,
}

/// Half of what the kernel allows: `kernel.pid_max` is shared by every process on the
/// machine, and each thread's stack takes two of the process's `vm.max_map_count` maps.
pub(crate) fn thread_budget() -> ThreadBudget {
    if let Some(threads) = std::env::var("TIMERS_MAX_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return ThreadBudget {
            threads,
            reason: format!("TIMERS_MAX_THREADS={threads}"),
        };
    }
    let read =
        |path: &str| -> Option<usize> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let pid_max = read("/proc/sys/kernel/pid_max").unwrap_or(32_768);
    let map_count = read("/proc/sys/vm/max_map_count").unwrap_or(65_530);
    let threads = pid_max.min(map_count / 2) / 2;
    ThreadBudget {
        threads,
        reason: format!(
            "a budget of {threads} (half the smaller of kernel.pid_max = {pid_max} and \
             vm.max_map_count / 2 = {})",
            map_count / 2
        ),
    }
}

/// `crossbeam_channel::at`: N receivers, waited on in order by one thread.
pub(crate) struct CrossbeamAt {
    batches: mpsc::Sender<AtBatch>,
    waiter: JoinHandle<()>,
}

/// One run's timers, handed to the waiting thread.
pub(crate) type AtBatch = (Arc<Probe>, Vec<crossbeam_channel::Receiver<Instant>>);

impl Peer for CrossbeamAt {
    const NAME: &'static str = "crossbeam-channel at()";
    const NOTE: Option<&'static str> = Some(
        "crossbeam-channel at(): no queue; the thread receives in the order given, which is \
         deadline order only because every deadline here is the same.",
    );

    fn start() -> Result<Self, String> {
        let (batches, incoming) = mpsc::channel::<AtBatch>();
        let waiter = spawn("crossbeam-at", move || {
            for (probe, timers) in incoming {
                for (i, timer) in timers.iter().enumerate() {
                    if timer.recv().is_ok() {
                        probe.record(i);
                    }
                }
            }
        })?;
        Ok(CrossbeamAt { batches, waiter })
    }

    fn schedule(&mut self, probe: &Arc<Probe>) -> Result<Duration, String> {
        let (sent, took) = timed(|| {
            let timers = (0..probe.n())
                .map(|_| crossbeam_channel::at(probe.deadline))
                .collect();
            self.batches.send((Arc::clone(probe), timers))
        });
        sent.map(|()| took)
            .map_err(|_| "the waiting thread died".to_string())
    }

    fn finish(self) {
        drop(self.batches);
        let _ = self.waiter.join();
    }
}

/// The crates.io `timer` crate: a scheduler thread and a communication thread.
pub(crate) struct TimerCrate(timer::Timer);

impl Peer for TimerCrate {
    const NAME: &'static str = "timer crate";
    const NOTE: Option<&'static str> = Some(
        "timer crate: scheduling is a channel send; its own thread then inserts into the heap.",
    );

    fn start() -> Result<Self, String> {
        Ok(TimerCrate(timer::Timer::new()))
    }

    fn schedule(&mut self, probe: &Arc<Probe>) -> Result<Duration, String> {
        let ahead = probe.deadline.saturating_duration_since(Instant::now());
        let ahead = chrono::Duration::from_std(ahead).map_err(|e| e.to_string())?;
        let date = chrono::Utc::now() + ahead;
        let ((), took) = timed(|| {
            for i in 0..probe.n() {
                self.0.schedule_with_date(date, callback(probe, i)).ignore();
            }
        });
        Ok(took)
    }

    fn finish(self) {}
}

/// `tokio::time::sleep_until` in N tasks on a current-thread runtime, run by one thread.
pub(crate) struct TokioSleep {
    runtime: Option<tokio::runtime::Runtime>,
    thread: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl Peer for TokioSleep {
    const NAME: &'static str = "tokio sleep_until (current thread)";
    const NOTE: Option<&'static str> = Some(
        "tokio: scheduling is spawning the N tasks and polling each once (which puts its \
         sleep in the timer wheel), timed on the runtime's thread.",
    );

    fn start() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(TokioSleep {
            runtime: Some(runtime),
            thread: None,
            stop: Arc::default(),
        })
    }

    fn schedule(&mut self, probe: &Arc<Probe>) -> Result<Duration, String> {
        let runtime = self.runtime.take().ok_or("scheduled twice")?;
        let (report, took) = mpsc::channel();
        let (probe, stop) = (Arc::clone(probe), Arc::clone(&self.stop));
        let run = move || runtime.block_on(tokio_run(probe, stop, report));
        self.thread = Some(spawn("tokio-current-thread", run)?);
        took.recv()
            .map_err(|_| "the runtime's thread died".to_string())
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread {
            let _ = thread.join();
        }
    }
}

/// The runtime thread's main task: spawns the timers, reports how long that took, then
/// keeps the runtime running until they all fired or the benchmark gives up.
pub(crate) async fn tokio_run(
    probe: Arc<Probe>,
    stop: Arc<AtomicBool>,
    report: mpsc::Sender<Duration>,
) {
    let deadline = tokio::time::Instant::from_std(probe.deadline);
    let armed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    for i in 0..probe.n() {
        let (armed, record) = (Arc::clone(&armed), callback(&probe, i));
        tokio::spawn(async move {
            armed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep_until(deadline).await;
            record();
        });
    }
    while armed.load(Ordering::Relaxed) < probe.n() {
        tokio::task::yield_now().await;
    }
    let _ = report.send(start.elapsed());
    while !probe.all_fired() && !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

pub(crate) fn spawn(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>, String> {
    thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| e.to_string())
}
