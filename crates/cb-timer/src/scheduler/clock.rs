//! Where a scheduler reads the time: the system's monotonic clock, or a
//! [`ManualClock`] that tests move by hand.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::scheduler::Shared;

/// The clock a scheduler runs on.
#[derive(Clone, Debug, Default)]
pub(crate) enum Clock {
    #[default]
    System,
    Manual(ManualClock),
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }

    pub(crate) fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual(_))
    }
}

/// A clock that stands still until a test moves it, so that logic built on
/// timers can be tested without sleeping.
///
/// A [`Scheduler`](crate::Scheduler) built with
/// [`Builder::clock`](crate::Builder::clock) reads its time from this clock
/// and never waits in real time. [`advance`](ManualClock::advance) moves the
/// clock forward and returns once every scheduler on it has run the
/// callbacks that became due, so a test can check their effects on the next
/// line.
///
/// Clones share one time.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use cb_timer::{ManualClock, Scheduler};
///
/// let clock = ManualClock::new();
/// let scheduler = Scheduler::builder().clock(clock.clone()).build()?;
/// let fired = Arc::new(AtomicUsize::new(0));
/// let counter = fired.clone();
/// scheduler.after(Duration::from_secs(3600), move || {
///     counter.fetch_add(1, Ordering::SeqCst);
/// });
///
/// clock.advance(Duration::from_secs(3599));
/// assert_eq!(fired.load(Ordering::SeqCst), 0); // never early
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(fired.load(Ordering::SeqCst), 1); // an hour passed at once
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ClockInner>,
}

struct ClockInner {
    start: Instant,
    state: Mutex<ClockState>,
}

struct ClockState {
    elapsed: Duration,
    schedulers: Vec<Weak<Shared>>,
}

impl ManualClock {
    /// A clock standing at the real time of this call.
    pub fn new() -> ManualClock {
        ManualClock {
            inner: Arc::new(ClockInner {
                start: Instant::now(),
                state: Mutex::new(ClockState {
                    elapsed: Duration::ZERO,
                    schedulers: Vec::new(),
                }),
            }),
        }
    }

    /// The clock's current time.
    pub fn now(&self) -> Instant {
        self.inner.start + self.lock().elapsed
    }

    /// Moves the clock forward by `by`, then waits until every scheduler on
    /// this clock has run the callbacks due by the new time.
    ///
    /// Called from a callback of one of those schedulers, it does not wait
    /// for that scheduler (which is busy running the caller).
    ///
    /// Several schedulers may share one clock (or each other's clocks) and
    /// advance it from their callbacks: a callback's `advance` waits for the
    /// other schedulers as usual, except one whose thread is itself blocked,
    /// directly or through others, in an `advance` that waits for the
    /// caller's scheduler. Waiting for that one could never end, so `advance`
    /// moves on without it; it runs what became due once the caller's
    /// callback returns and its own wait is over. So `advance` never
    /// deadlocks on schedulers waiting for each other, but inside such a
    /// circle it does not promise that the waiting scheduler has run its
    /// callbacks by the time it returns.
    ///
    /// The clock stops at the latest time an [`Instant`] can hold, so
    /// `advance(Duration::MAX)` means "to the end of time": every timer with
    /// a deadline runs, and only the ones that never fire stay pending.
    pub fn advance(&self, by: Duration) {
        let schedulers: Vec<Arc<Shared>> = {
            let mut state = self.lock();
            state.elapsed = self.saturating_elapsed(state.elapsed, by);
            state.schedulers.retain(|s| s.strong_count() > 0);
            state.schedulers.iter().filter_map(Weak::upgrade).collect()
        };
        for scheduler in schedulers {
            scheduler.settle();
        }
    }

    /// `elapsed + by`, or the largest elapsed time that still gives a
    /// representable `Instant`.
    fn saturating_elapsed(&self, elapsed: Duration, by: Duration) -> Duration {
        let start = self.inner.start;
        let wanted = elapsed.saturating_add(by);
        if start.checked_add(wanted).is_some() {
            return wanted;
        }
        // `Instant`'s range is platform-specific; find its end by bisection
        // (about a hundred steps, once per clock that reaches it).
        let (mut fits, mut overflows) = (elapsed, wanted);
        while overflows - fits > Duration::from_nanos(1) {
            let middle = fits + (overflows - fits) / 2;
            if start.checked_add(middle).is_some() {
                fits = middle;
            } else {
                overflows = middle;
            }
        }
        fits
    }

    pub(crate) fn register(&self, scheduler: Weak<Shared>) {
        self.lock().schedulers.push(scheduler);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.state.try_lock() {
            Ok(state) => f
                .debug_struct("ManualClock")
                .field("elapsed", &state.elapsed)
                .finish(),
            Err(_) => f.write_str("ManualClock { <locked> }"),
        }
    }
}
