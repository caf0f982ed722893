//! The life cycle of one timer, shared by [`Timer`](crate::Timer) and the
//! scheduler's timers.
//!
//! ```text
//!            try_start             finish
//!  Pending ------------> Running ----------> Fired
//!     |  ^                  |  \
//!     |  +---- rearm -------+   \ cancel: sets CANCEL_REQUESTED; a repeating
//!     | cancel / discard         \ timer then ends in Cancelled instead of Pending
//!     v                           v
//!  Cancelled <------- rearm (cancel requested)
//! ```
//!
//! Every transition is one compare-and-swap, so a timer runs at most once per
//! arming and `cancel` always learns the truth about the race it lost or won.

use crate::sync::{AtomicU8, Ordering};

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const FIRED: u8 = 2;
const CANCELLED: u8 = 3;
/// Set next to `RUNNING` when `cancel` arrives while the callback runs.
const CANCEL_REQUESTED: u8 = 4;

/// Where a timer is in its life.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cb_timer::{ManualClock, Scheduler, TimerState};
///
/// let clock = ManualClock::new();
/// let scheduler = Scheduler::builder().clock(clock.clone()).build()?;
/// let ticker = scheduler.every(Duration::from_secs(1), || {});
/// let once = scheduler.after(Duration::from_secs(1), || {});
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(once.state(), TimerState::Fired);
/// assert_eq!(ticker.state(), TimerState::Pending); // armed for the next tick
/// ticker.cancel();
/// assert_eq!(ticker.state(), TimerState::Cancelled);
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerState {
    /// Armed and waiting for its deadline (or, for a [`Timer`](crate::Timer),
    /// not started yet).
    Pending,
    /// Its callback is running now.
    Running,
    /// Its callback ran to the end (or panicked); it will not run again.
    Fired,
    /// Cancelled, or discarded by a scheduler that shut down, before it
    /// could run (again).
    Cancelled,
}

/// What [`cancel`](crate::TimerHandle::cancel) found and did.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cb_timer::{CancelOutcome, ManualClock, Scheduler};
///
/// let clock = ManualClock::new();
/// let scheduler = Scheduler::builder().clock(clock.clone()).build()?;
/// let fired = scheduler.after(Duration::ZERO, || {});
/// let waiting = scheduler.after(Duration::from_secs(5), || {});
/// clock.advance(Duration::ZERO);
///
/// assert_eq!(fired.cancel(), CancelOutcome::AlreadyFired);
/// let outcome = waiting.cancel();
/// assert_eq!(outcome, CancelOutcome::Cancelled);
/// assert!(outcome.stopped_it());
/// assert_eq!(waiting.cancel(), CancelOutcome::AlreadyCancelled);
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelOutcome {
    /// The timer was pending and now never runs (again).
    Cancelled,
    /// The callback is running right now; it finishes this run and a
    /// repeating timer does not run again.
    Running,
    /// The callback already ran; cancelling changed nothing.
    AlreadyFired,
    /// The timer was already cancelled (or discarded by its scheduler).
    AlreadyCancelled,
}

impl CancelOutcome {
    /// Whether this call is what stopped the timer before its callback ran.
    pub fn stopped_it(self) -> bool {
        self == CancelOutcome::Cancelled
    }
}

/// The atomic state of one timer.
#[derive(Debug)]
pub(crate) struct StateCell(AtomicU8);

impl StateCell {
    pub(crate) fn new() -> Self {
        StateCell(AtomicU8::new(PENDING))
    }

    pub(crate) fn get(&self) -> TimerState {
        match self.0.load(Ordering::SeqCst) {
            PENDING => TimerState::Pending,
            FIRED => TimerState::Fired,
            CANCELLED => TimerState::Cancelled,
            _ => TimerState::Running,
        }
    }

    // Sequentially consistent, so that a thread that announces itself as a
    // waiter and then reads the state, and the scheduler that changes the
    // state and then looks for waiters, cannot both miss each other. On
    // x86 this costs nothing over acquire/release.
    fn swap_from(&self, from: u8, to: u8) -> Result<(), u8> {
        self.0
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
            .map(drop)
    }

    pub(crate) fn is_pending(&self) -> bool {
        self.0.load(Ordering::SeqCst) == PENDING
    }

    /// `Pending -> Running`. False if the timer was cancelled first.
    pub(crate) fn try_start(&self) -> bool {
        self.swap_from(PENDING, RUNNING).is_ok()
    }

    /// `Running -> Fired`, whether or not a cancel arrived meanwhile.
    pub(crate) fn finish(&self) {
        self.leave_running(FIRED);
    }

    /// Moves a running timer (cancel requested or not) to `to`. A
    /// compare-and-swap, not a store: every transition reads the one before
    /// it, so a racing `cancel` is never overwritten unseen. (loom also
    /// mis-orders plain stores against read-modify-writes: loom issue #254.)
    fn leave_running(&self, to: u8) {
        let mut current = RUNNING;
        while let Err(actual) = self.swap_from(current, to) {
            debug_assert!(
                actual & !CANCEL_REQUESTED == RUNNING,
                "not running: {actual}"
            );
            current = actual;
        }
    }

    /// `Running -> Pending` for the next tick of a repeating timer, or
    /// `Running -> Cancelled` if a cancel arrived during the run.
    /// Returns whether the timer is armed again.
    pub(crate) fn rearm(&self) -> bool {
        match self.swap_from(RUNNING, PENDING) {
            Ok(()) => true,
            Err(_) => {
                self.leave_running(CANCELLED);
                false
            }
        }
    }

    /// `Pending -> Cancelled` when a scheduler shuts down. False if the timer
    /// was not pending.
    pub(crate) fn discard(&self) -> bool {
        self.swap_from(PENDING, CANCELLED).is_ok()
    }

    pub(crate) fn cancel(&self) -> CancelOutcome {
        let mut current = self.0.load(Ordering::SeqCst);
        loop {
            let next = match current {
                PENDING => CANCELLED,
                RUNNING => RUNNING | CANCEL_REQUESTED,
                FIRED => return CancelOutcome::AlreadyFired,
                CANCELLED => return CancelOutcome::AlreadyCancelled,
                _ => return CancelOutcome::Running, // cancel already requested
            };
            match self.swap_from(current, next) {
                Ok(()) if current == PENDING => return CancelOutcome::Cancelled,
                Ok(()) => return CancelOutcome::Running,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    /// A one-shot timer firing while another thread cancels it: the callback
    /// runs exactly when cancel did not return `Cancelled`.
    #[test]
    fn cancel_races_fire() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let worker = {
                let (cell, runs) = (cell.clone(), runs.clone());
                loom::thread::spawn(move || {
                    if cell.try_start() {
                        runs.fetch_add(1, Ordering::SeqCst);
                        cell.finish();
                    }
                })
            };
            let outcome = cell.cancel();
            worker.join().unwrap();
            let ran = runs.load(Ordering::SeqCst);
            match outcome {
                CancelOutcome::Cancelled => assert_eq!(ran, 0),
                CancelOutcome::Running | CancelOutcome::AlreadyFired => assert_eq!(ran, 1),
                CancelOutcome::AlreadyCancelled => panic!("nobody else cancelled"),
            }
            let end = cell.get();
            assert_eq!(
                end,
                if ran == 1 {
                    TimerState::Fired
                } else {
                    TimerState::Cancelled
                }
            );
        });
    }

    /// A repeating timer re-arming while another thread cancels it: once
    /// cancel returns, no further tick can start.
    #[test]
    fn cancel_races_rearm() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            let ticks = Arc::new(AtomicUsize::new(0));
            let worker = {
                let (cell, ticks) = (cell.clone(), ticks.clone());
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        if !cell.try_start() {
                            return;
                        }
                        ticks.fetch_add(1, Ordering::SeqCst);
                        if !cell.rearm() {
                            return;
                        }
                    }
                })
            };
            let outcome = cell.cancel();
            let seen_at_cancel = ticks.load(Ordering::SeqCst);
            worker.join().unwrap();
            let after = ticks.load(Ordering::SeqCst);
            // At most the tick that was running when cancel returned may finish.
            assert!(after <= seen_at_cancel + 1);
            assert_ne!(outcome, CancelOutcome::AlreadyCancelled);
            assert_ne!(cell.get(), TimerState::Running);
        });
    }

    /// Shutdown discarding a timer while a user cancels it: exactly one wins.
    #[test]
    fn cancel_races_discard() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            let discarder = {
                let cell = cell.clone();
                loom::thread::spawn(move || cell.discard())
            };
            let outcome = cell.cancel();
            let discarded = discarder.join().unwrap();
            assert!(discarded != (outcome == CancelOutcome::Cancelled));
            assert_eq!(cell.get(), TimerState::Cancelled);
        });
    }
}
