//! A scheduled timer as the scheduler's queue holds it: its state and its
//! callback in one allocation.

use std::any::Any;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::panic::{drop_caught, run_caught};
use crate::queue::{Membership, NEVER, Tick};
use crate::state::StateCell;

/// What a repeating timer does when its callback ran late and one or more
/// ticks were missed (for example because another callback was slow, the
/// machine was suspended, or a [`ManualClock`](crate::ManualClock) jumped).
///
/// # Examples
///
/// A 10 ms timer of each kind, then a jump of 35 ms: the tick due at 10 ms
/// runs late, at 35 ms, and the ticks due at 20 and 30 ms were missed.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use cb_timer::{ManualClock, MissedTicks, Scheduler};
///
/// let clock = ManualClock::new();
/// let scheduler = Scheduler::builder().clock(clock.clone()).build()?;
/// let start = clock.now();
/// let ms = Duration::from_millis;
/// let log = Arc::new(Mutex::new(Vec::new()));
/// for policy in [MissedTicks::Burst, MissedTicks::Skip, MissedTicks::Delay] {
///     let (log, clock) = (log.clone(), clock.clone());
///     scheduler.every_with(ms(10), policy, move || {
///         log.lock().unwrap().push((policy, clock.now() - start));
///     });
/// }
/// clock.advance(ms(35));
/// clock.advance(ms(10)); // to 45 ms
/// let ran = |policy: MissedTicks| -> Vec<Duration> {
///     log.lock().unwrap().iter().filter(|(p, _)| *p == policy).map(|&(_, t)| t).collect()
/// };
/// // Burst catches up at once (three runs at 35 ms), then keeps the grid.
/// assert_eq!(ran(MissedTicks::Burst), [ms(35), ms(35), ms(35), ms(45)]);
/// // Skip drops the missed ticks and keeps the grid: next at 40 ms.
/// assert_eq!(ran(MissedTicks::Skip), [ms(35), ms(45)]);
/// // Delay starts a new grid from the late run: next at 45 ms.
/// assert_eq!(ran(MissedTicks::Delay), [ms(35), ms(45)]);
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MissedTicks {
    /// Run every missed tick, back to back, until caught up; the schedule
    /// stays on its grid (`start + k * period`).
    ///
    /// At most [`BURST_LIMIT`](MissedTicks::BURST_LIMIT) missed ticks are
    /// run: a timer further behind than that (a 1 ms timer after the clock
    /// jumped a year) drops the older missed ticks, as
    /// [`Skip`](MissedTicks::Skip) would, and runs only the latest
    /// `BURST_LIMIT` of them. So a burst never keeps the scheduler's thread
    /// from its other timers for more than that many runs.
    Burst,
    /// Drop the missed ticks and run at the next point of the original grid
    /// that is still in the future. The default.
    #[default]
    Skip,
    /// Start a new grid: the next tick is one period after the late one ran.
    Delay,
}

impl MissedTicks {
    /// The most missed ticks [`Burst`](MissedTicks::Burst) runs to catch up;
    /// older missed ticks are dropped.
    pub const BURST_LIMIT: u64 = 1_000;

    /// The deadline after a tick that was due at `due` and ran at `now`
    /// (all in the scheduler's ticks, nanoseconds). [`NEVER`] means never.
    pub(crate) fn next(self, due: Tick, now: Tick, period: Tick) -> Tick {
        let next = due.saturating_add(period);
        match self {
            MissedTicks::Burst => {
                // Grid points after `due` that are due already.
                let behind = now.saturating_sub(due) / period;
                let limit = Tick::from(MissedTicks::BURST_LIMIT);
                if behind <= limit {
                    next
                } else {
                    // Keep the latest `limit` of them: resume at the first.
                    (behind - limit + 1)
                        .checked_mul(period)
                        .and_then(|d| due.checked_add(d))
                        .unwrap_or(NEVER)
                }
            }
            MissedTicks::Skip if next > now => next,
            MissedTicks::Skip => {
                let missed = (now - due) / period + 1;
                missed
                    .checked_mul(period)
                    .and_then(|d| due.checked_add(d))
                    .unwrap_or(NEVER)
            }
            MissedTicks::Delay => now.saturating_add(period),
        }
    }
}

/// The parts of a timer that do not depend on its callback's type.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) id: u64,
    pub(crate) state: StateCell,
    /// Whether the scheduler's queue holds this timer; the queue's own.
    pub(crate) membership: Membership,
}

pub(crate) trait Task: Send + Sync {
    fn header(&self) -> &Header;
    /// The period (in ticks) and missed-tick policy of a repeating timer.
    fn repeat(&self) -> Option<(Tick, MissedTicks)>;
    /// Runs the callback once; `Err` carries its panic.
    fn run(&self) -> Result<(), Box<dyn Any + Send>>;
    /// Drops the callback without running it; `Err` carries a panic from
    /// its `Drop`.
    fn discard_callback(&self) -> Result<(), Box<dyn Any + Send>>;
}

pub(crate) fn once<F: FnOnce() + Send + 'static>(id: u64, f: F) -> Callback<Option<F>> {
    Callback {
        header: Header::new(id),
        f: Mutex::new(Some(f)),
    }
}

pub(crate) fn repeating<F: FnMut() + Send + 'static>(
    id: u64,
    period: Duration,
    policy: MissedTicks,
    f: F,
) -> Callback<Option<Repeat<F>>> {
    let period = period.as_nanos();
    Callback {
        header: Header::new(id),
        f: Mutex::new(Some(Repeat { f, period, policy })),
    }
}

impl Header {
    fn new(id: u64) -> Header {
        Header {
            id,
            state: StateCell::new(),
            membership: Membership::default(),
        }
    }
}

/// A timer with its callback `F` stored inline.
pub(crate) struct Callback<F> {
    header: Header,
    // Only the scheduler thread runs the callback; the lock is uncontended
    // and lets `cancel` drop the callback from another thread.
    f: Mutex<F>,
}

/// A repeating callback, which stays in place after a run.
pub(crate) struct Repeat<F> {
    f: F,
    period: Tick,
    policy: MissedTicks,
}

impl<F: FnOnce() + Send + 'static> Task for Callback<Option<F>> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn repeat(&self) -> Option<(Tick, MissedTicks)> {
        None
    }

    fn run(&self) -> Result<(), Box<dyn Any + Send>> {
        let f = self.f.lock().unwrap_or_else(PoisonError::into_inner).take();
        match f {
            Some(f) => run_caught(f),
            None => Ok(()),
        }
    }

    fn discard_callback(&self) -> Result<(), Box<dyn Any + Send>> {
        // Taken under the lock, dropped after it: its `Drop` may call back.
        let f = self.f.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop_caught(f)
    }
}

impl<F: FnMut() + Send + 'static> Task for Callback<Option<Repeat<F>>> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn repeat(&self) -> Option<(Tick, MissedTicks)> {
        let slot = self.f.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref().map(|r| (r.period, r.policy))
    }

    fn run(&self) -> Result<(), Box<dyn Any + Send>> {
        let mut slot = self.f.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_mut() {
            Some(Repeat { f, .. }) => run_caught(f),
            None => Ok(()),
        }
    }

    fn discard_callback(&self) -> Result<(), Box<dyn Any + Send>> {
        // Taken under the lock, dropped after it: its `Drop` may call back.
        let f = self.f.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop_caught(f)
    }
}

#[cfg(test)]
mod tests {
    use super::{MissedTicks, NEVER};

    #[test]
    fn missed_tick_policies() {
        // Due at 100, period 10, ran at 135: ticks 110, 120 and 130 were missed.
        assert_eq!(MissedTicks::Burst.next(100, 135, 10), 110);
        assert_eq!(MissedTicks::Skip.next(100, 135, 10), 140);
        assert_eq!(MissedTicks::Delay.next(100, 135, 10), 145);
        // On time, every policy keeps the grid.
        for policy in [MissedTicks::Burst, MissedTicks::Skip, MissedTicks::Delay] {
            assert_eq!(policy.next(100, 100, 10), 110);
        }
        // Exactly on a missed tick, Skip moves past it.
        assert_eq!(MissedTicks::Skip.next(100, 120, 10), 130);
        // Overflow means never.
        assert_eq!(MissedTicks::Skip.next(NEVER - 5, NEVER - 1, 10), NEVER);
    }

    #[test]
    fn burst_keeps_at_most_the_limit_of_missed_ticks() {
        let limit = u128::from(MissedTicks::BURST_LIMIT);
        // Exactly `limit` ticks behind: all of them run.
        assert_eq!(MissedTicks::Burst.next(100, 100 + 10 * limit, 10), 110);
        // One more: the oldest is dropped.
        assert_eq!(
            MissedTicks::Burst.next(100, 100 + 10 * (limit + 1), 10),
            120
        );
        // A year of 1 ms ticks: resume `limit` ticks before now, on the grid.
        let (ms, year) = (1_000_000, 365 * 24 * 3600 * 1_000_000_000_u128);
        let next = MissedTicks::Burst.next(0, year, ms);
        assert_eq!(next, year - (limit - 1) * ms);
        assert_eq!(next % ms, 0);
        assert_eq!(MissedTicks::Burst.next(NEVER - 5, NEVER - 1, 10), NEVER);
    }
}
