//! What the loop counts while it runs.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

/// The loop's counters since it was created, read with
/// [`LoopHandle::stats`](crate::LoopHandle::stats).
///
/// They show what a polling strategy costs: waiting two seconds for a timer,
/// a [`Spin`](crate::PollStrategy::Spin) loop runs millions of iterations
/// and never sleeps, a [`Park`](crate::PollStrategy::Park) loop a handful
/// of iterations and one long sleep.
///
/// `Display` prints them on one line, for a glance in a demo's stderr.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// lp.call_soon(|| {});
/// lp.call_later(Duration::from_millis(10), || {});
/// lp.run_until_idle()?;
/// let stats = lp.stats();
/// assert_eq!(stats.callbacks, 2);
/// assert!(stats.sleeps >= 1, "it slept until the timer, rather than spin");
/// eprintln!("{stats}"); // iterations=… wakeups=… callbacks=2 …
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Loop iterations: one wait (or none) and one batch of callbacks each.
    pub iterations: u64,
    /// Notifications from other threads the loop consumed
    /// ([`call_soon_threadsafe`](crate::ThreadsafeHandle::call_soon_threadsafe),
    /// [`wake`](crate::ThreadsafeHandle::wake), a stop). Many notifications
    /// sent while the loop was busy count once.
    pub wakeups: u64,
    /// Callbacks run: `call_soon`, timers and thread-safe ones, panicked
    /// ones included, cancelled ones not.
    pub callbacks: u64,
    /// Calls to [`Source::dispatch`](crate::Source::dispatch).
    pub dispatches: u64,
    /// Callbacks, dispatches and readiness checks that panicked.
    pub panics: u64,
    /// Times the loop went to sleep (always 0 with
    /// [`Spin`](crate::PollStrategy::Spin)).
    pub sleeps: u64,
    /// Total time spent asleep.
    pub slept: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "iterations={} wakeups={} callbacks={} dispatches={} panics={} sleeps={} slept={:.3}s",
            self.iterations,
            self.wakeups,
            self.callbacks,
            self.dispatches,
            self.panics,
            self.sleeps,
            self.slept.as_secs_f64()
        )
    }
}

/// The live counters: plain cells, as only the loop's thread touches them.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) iterations: Counter,
    pub(crate) wakeups: Counter,
    pub(crate) callbacks: Counter,
    pub(crate) dispatches: Counter,
    pub(crate) panics: Counter,
    pub(crate) sleeps: Counter,
    slept: Cell<Duration>,
}

#[derive(Default)]
pub(crate) struct Counter(Cell<u64>);

impl Counter {
    #[inline]
    pub(crate) fn bump(&self) {
        self.0.set(self.0.get() + 1);
    }

    fn get(&self) -> u64 {
        self.0.get()
    }
}

impl Counters {
    pub(crate) fn add_slept(&self, slept: Duration) {
        self.slept.set(self.slept.get().saturating_add(slept));
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            iterations: self.iterations.get(),
            wakeups: self.wakeups.get(),
            callbacks: self.callbacks.get(),
            dispatches: self.dispatches.get(),
            panics: self.panics.get(),
            sleeps: self.sleeps.get(),
            slept: self.slept.get(),
        }
    }
}
