//! A scheduled timer as the scheduler's queue holds it: its state and its
//! callback in one allocation.

use std::any::Any;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::panic::run_caught;
use crate::queue::{NEVER, Tick};
use crate::state::StateCell;

/// What a repeating timer does when its callback ran late and one or more
/// ticks were missed (for example because another callback was slow, or the
/// machine was suspended).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MissedTicks {
    /// Run every missed tick, back to back, until caught up; the schedule
    /// stays on its grid (`start + k * period`) and no tick is lost.
    Burst,
    /// Drop the missed ticks and run at the next point of the original grid
    /// that is still in the future. The default.
    #[default]
    Skip,
    /// Start a new grid: the next tick is one period after the late one ran.
    Delay,
}

impl MissedTicks {
    /// The deadline after a tick that was due at `due` and ran at `now`
    /// (all in the scheduler's ticks, nanoseconds). [`NEVER`] means never.
    pub(crate) fn next(self, due: Tick, now: Tick, period: Tick) -> Tick {
        let next = due.saturating_add(period);
        match self {
            MissedTicks::Burst => next,
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
}

pub(crate) trait Task: Send + Sync {
    fn header(&self) -> &Header;
    /// The period (in ticks) and missed-tick policy of a repeating timer.
    fn repeat(&self) -> Option<(Tick, MissedTicks)>;
    /// Runs the callback once; `Err` carries its panic.
    fn run(&self) -> Result<(), Box<dyn Any + Send>>;
    /// Drops the callback without running it.
    fn discard_callback(&self);
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

    fn discard_callback(&self) {
        let f = self.f.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(f);
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

    fn discard_callback(&self) {
        let f = self.f.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(f);
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
}
