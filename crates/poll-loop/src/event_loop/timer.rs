//! The tutorial's pollable `Timer`, and a `RepeatingTimer`, as sources.

use std::fmt;
use std::time::{Duration, Instant};

use crate::event_loop::inner::LoopHandle;
use crate::event_loop::source::{PostAction, Readiness, Source};

/// The tutorial's timer: it knows when it started and how long it waits,
/// says whether it is [`done`](Timer::done), and holds a callback for when
/// it is.
///
/// On its own it does nothing — something must ask it. Register it with
/// [`insert_source`](LoopHandle::insert_source) and the loop asks it each
/// iteration, runs the callback once it is done, and removes it. Unlike the
/// tutorial's loop, this loop does not ask in a busy loop: the timer tells
/// it its deadline, and the loop sleeps until then (with
/// [`PollStrategy::Park`](crate::PollStrategy::Park)).
///
/// A timer whose deadline never comes (`Duration::MAX`) is never done and
/// stays registered until removed.
///
/// # Examples
///
/// Section 3 of the tutorial: two timers, and a loop that ends when both
/// have fired.
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, Timer};
///
/// let lp = EventLoop::new();
/// let mut first = Timer::new(Duration::from_millis(10));
/// first.on_timer_done(|| println!("First Time is Done"));
/// let mut second = Timer::new(Duration::from_millis(20));
/// second.on_timer_done(|| println!("Second Timer is Done"));
/// assert!(!first.done());
/// lp.insert_source(first);
/// lp.insert_source(second);
/// lp.run_until_idle()?; // returns when both timers are gone
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Timer {
    start: Instant,
    timeout: Duration,
    deadline: Option<Instant>,
    callback: Option<Box<dyn FnOnce()>>,
}

impl Timer {
    /// A timer that is done once `timeout` has passed from now.
    pub fn new(timeout: Duration) -> Timer {
        let start = Instant::now();
        Timer {
            start,
            timeout,
            deadline: start.checked_add(timeout),
            callback: None,
        }
    }

    /// True once the timeout has passed (never early).
    pub fn done(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Sets the callback the loop runs when the timer is done, replacing
    /// any earlier one.
    pub fn on_timer_done<F>(&mut self, callback: F)
    where
        F: FnOnce() + 'static,
    {
        self.callback = Some(Box::new(callback));
    }

    /// When the timer is done; `None` if never.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// How long it waits from its creation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When it was created.
    pub fn start(&self) -> Instant {
        self.start
    }
}

impl Source for Timer {
    fn readiness(&mut self, now: Instant) -> Readiness {
        match self.deadline {
            Some(deadline) if now >= deadline => Readiness::Ready,
            Some(deadline) => Readiness::At(deadline),
            None => Readiness::Pending,
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        if let Some(callback) = self.callback.take() {
            callback();
        }
        PostAction::Remove
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("timeout", &self.timeout)
            .field("has_callback", &self.callback.is_some())
            .finish_non_exhaustive()
    }
}

/// A timer that fires every `period` until its callback returns
/// [`PostAction::Remove`] or its [`SourceHandle`](crate::SourceHandle) is
/// removed.
///
/// The first tick is one period after creation. Ticks keep to the grid
/// `start + n * period`; ticks missed while the loop was busy are skipped,
/// not run in a burst.
///
/// # Panics
///
/// [`new`](RepeatingTimer::new) panics if `period` is zero.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use poll_loop::{EventLoop, PostAction, RepeatingTimer};
///
/// let lp = EventLoop::new();
/// let ticks = Rc::new(Cell::new(0));
/// let counter = ticks.clone();
/// lp.insert_source(RepeatingTimer::new(Duration::from_millis(5), move || {
///     counter.set(counter.get() + 1);
///     if counter.get() == 3 { PostAction::Remove } else { PostAction::Continue }
/// }));
/// lp.run_until_idle()?;
/// assert_eq!(ticks.get(), 3);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct RepeatingTimer {
    period: Duration,
    next: Option<Instant>,
    callback: Box<dyn FnMut() -> PostAction>,
}

impl RepeatingTimer {
    /// A timer that calls `callback` every `period`, starting one period
    /// from now.
    pub fn new<F>(period: Duration, callback: F) -> RepeatingTimer
    where
        F: FnMut() -> PostAction + 'static,
    {
        assert!(
            !period.is_zero(),
            "poll-loop: a repeating timer needs a non-zero period"
        );
        RepeatingTimer {
            period,
            next: Instant::now().checked_add(period),
            callback: Box::new(callback),
        }
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// When the next tick is due; `None` if never.
    pub fn next_tick(&self) -> Option<Instant> {
        self.next
    }

    /// The first grid point after `now`, counting from `from`.
    fn after(&self, from: Instant, now: Instant) -> Option<Instant> {
        let behind = now.saturating_duration_since(from).as_nanos();
        let periods = behind / self.period.as_nanos() + 1;
        let step = self.period.as_nanos().checked_mul(periods)?;
        let step = Duration::new(
            u64::try_from(step / 1_000_000_000).ok()?,
            (step % 1_000_000_000) as u32,
        );
        from.checked_add(step)
    }
}

impl Source for RepeatingTimer {
    fn readiness(&mut self, now: Instant) -> Readiness {
        match self.next {
            Some(next) if now >= next => Readiness::Ready,
            Some(next) => Readiness::At(next),
            None => Readiness::Pending,
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        if let Some(next) = self.next {
            // Advance before the callback: a panicking tick does not make
            // the next iteration fire again at once.
            self.next = self.after(next, Instant::now());
        }
        (self.callback)()
    }
}

impl fmt::Debug for RepeatingTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepeatingTimer")
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}
