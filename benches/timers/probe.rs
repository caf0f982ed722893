//! What the callbacks of one run share, and small helpers around it.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::fmt_duration;

/// The state of one run: the shared deadline, one lateness slot per timer (nanoseconds,
/// negative if a callback ran early) and the count of callbacks that ran.
pub(crate) struct Probe {
    pub(crate) deadline: Instant,
    late_ns: Vec<AtomicI64>,
    fired: AtomicUsize,
    done: Mutex<bool>,
    all_fired: Condvar,
}

/// Not fired yet.
pub(crate) const UNSET: i64 = i64::MIN;

impl Probe {
    /// The slots of a run of `n` timers, allocated before the heap baseline is taken.
    pub(crate) fn slots(n: usize) -> Vec<AtomicI64> {
        (0..n).map(|_| AtomicI64::new(UNSET)).collect()
    }

    pub(crate) fn new(late_ns: Vec<AtomicI64>, deadline: Instant) -> Arc<Probe> {
        Arc::new(Probe {
            deadline,
            late_ns,
            fired: AtomicUsize::new(0),
            done: Mutex::new(false),
            all_fired: Condvar::new(),
        })
    }

    pub(crate) fn n(&self) -> usize {
        self.late_ns.len()
    }

    /// The body of every timer's callback: records how late timer `i` ran.
    pub(crate) fn record(&self, i: usize) {
        let now = Instant::now();
        let late = match now.checked_duration_since(self.deadline) {
            Some(late) => nanos(late),
            None => -nanos(self.deadline - now),
        };
        self.late_ns[i].store(late, Ordering::Relaxed);
        if self.fired.fetch_add(1, Ordering::AcqRel) + 1 == self.n() {
            *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
            self.all_fired.notify_all();
        }
    }

    pub(crate) fn all_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire) == self.n()
    }

    /// Blocks until every callback ran, or `timeout` passed.
    pub(crate) fn wait(&self, timeout: Duration) -> Result<(), String> {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) = self
            .all_fired
            .wait_timeout_while(done, timeout, |done| !*done)
            .unwrap_or_else(PoisonError::into_inner);
        if *done {
            return Ok(());
        }
        let fired = self.fired.load(Ordering::Acquire);
        Err(format!(
            "timed out: {fired} of {} callbacks ran within {}",
            self.n(),
            fmt_duration(timeout)
        ))
    }

    /// Every timer's lateness, sorted.
    pub(crate) fn lateness(&self) -> Vec<i64> {
        let mut late: Vec<i64> = self
            .late_ns
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .collect();
        late.sort_unstable();
        late
    }
}

/// Timer `i`'s callback.
pub(crate) fn callback(probe: &Arc<Probe>, i: usize) -> impl Fn() + Send + 'static {
    let probe = Arc::clone(probe);
    move || probe.record(i)
}

pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

pub(crate) fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}
