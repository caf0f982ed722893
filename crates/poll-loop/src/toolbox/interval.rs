//! `Interval`: ticks at a fixed period on the loop's own timers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::toolbox::time::{Sleep, sleep_until};

/// What an [`Interval`] does when ticks were missed: a tick came so late
/// that the next one is due already (the task awaited something else for
/// longer than a period, or the loop was busy). On-time ticks stay on their
/// grid whatever the policy. The names are `cb-timer`'s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MissedTicks {
    /// Every missed tick, back to back, until caught up; the ticks stay on
    /// their grid (`start + k * period`). At most
    /// [`BURST_LIMIT`](MissedTicks::BURST_LIMIT) of them, as cb-timer's:
    /// an interval further behind than that drops the older ones, so a
    /// burst never keeps the task from yielding for longer.
    Burst,
    /// Drop the missed ticks: the next is the next point of the grid still
    /// ahead. The default.
    #[default]
    Skip,
    /// A new grid: the next tick is one period after the late one came.
    Delay,
}

impl MissedTicks {
    /// The most missed ticks [`Burst`](MissedTicks::Burst) gives back to
    /// back; older missed ticks are dropped.
    pub const BURST_LIMIT: u32 = 1_000;
}

/// Ticks every `period`, the first one at once: tokio's `interval`.
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use poll_loop::{EventLoop, interval};
///
/// let lp = EventLoop::new();
/// let start = Instant::now();
/// lp.block_on(async {
///     let mut ticks = interval(Duration::from_millis(10));
///     for _ in 0..3 {
///         ticks.tick().await; // at once, then 10 and 20 ms after the start
///     }
/// })?;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first one at `start`.
///
/// # Panics
///
/// If `period` is zero.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "poll-loop: an interval needs a period above zero"
    );
    Interval {
        period,
        next: Some(start),
        missed: MissedTicks::default(),
        sleep: None,
    }
}

/// The ticks of [`interval`]: await each with [`tick`](Interval::tick).
///
/// The wait between ticks is a [`sleep`](crate::sleep) on the running
/// loop, so a tick is never early. When a tick comes late, the next ones
/// follow the [`MissedTicks`] policy. Ticks are not queued while nobody
/// awaits them: they are worked out from the clock at the next `tick()`.
pub struct Interval {
    period: Duration,
    /// When the next tick is due; `None`: never (past what an `Instant`
    /// can hold).
    next: Option<Instant>,
    missed: MissedTicks,
    /// Armed for `next`.
    sleep: Option<Sleep>,
}

impl Interval {
    /// Waits for the next tick and gives the instant it was due. Dropping
    /// the future loses nothing: the tick is still due at the next call.
    ///
    /// # Panics
    ///
    /// When it has to wait outside a running loop (as [`sleep`](crate::sleep)).
    pub fn tick(&mut self) -> Tick<'_> {
        Tick { interval: self }
    }

    /// Polls for the next tick: what [`tick`](Interval::tick) does.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let Some(due) = self.next else {
                return Poll::Pending;
            };
            let now = Instant::now();
            if now < due {
                let sleep = match &mut self.sleep {
                    Some(sleep) if sleep.deadline() == Some(due) => sleep,
                    slot => slot.insert(sleep_until(due)),
                };
                if Pin::new(sleep).poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
            self.sleep = None;
            self.next = self.after(due, Instant::now());
            Poll::Ready(due)
        })
    }

    /// The tick after one due at `due` that came at `now`.
    fn after(&self, due: Instant, now: Instant) -> Option<Instant> {
        let next = due.checked_add(self.period)?;
        if next > now {
            return Some(next); // on time: every policy keeps the grid
        }
        match self.missed {
            MissedTicks::Burst => {
                let limit = self.period.checked_mul(MissedTicks::BURST_LIMIT);
                match limit.and_then(|limit| now.checked_sub(limit)) {
                    // Further behind than the limit: only the latest ticks.
                    Some(oldest) if next < oldest => self.grid_after(due, oldest),
                    _ => Some(next),
                }
            }
            MissedTicks::Skip => self.grid_after(due, now),
            MissedTicks::Delay => now.checked_add(self.period),
        }
    }

    /// The first point of the grid through `due` strictly after `at`
    /// (`at` not before `due`), however many periods lie between: counted
    /// in nanoseconds, which cannot overflow as a count of periods can.
    fn grid_after(&self, due: Instant, at: Instant) -> Option<Instant> {
        let period = self.period.as_nanos();
        let ahead = period - at.duration_since(due).as_nanos() % period;
        at.checked_add(Duration::from_nanos(u64::try_from(ahead).ok()?))
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The policy for missed ticks.
    pub fn missed_ticks(&self) -> MissedTicks {
        self.missed
    }

    /// Sets the policy for missed ticks ([`Skip`](MissedTicks::Skip) by
    /// default).
    pub fn set_missed_ticks(&mut self, missed: MissedTicks) {
        self.missed = missed;
    }

    /// Starts over: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.next = Instant::now().checked_add(self.period);
        self.sleep = None;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("next", &self.next)
            .field("missed", &self.missed)
            .finish()
    }
}

/// The future of [`Interval::tick`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Tick<'a> {
    interval: &'a mut Interval,
}

impl Future for Tick<'_> {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.get_mut().interval.poll_tick(cx)
    }
}
