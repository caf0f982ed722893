//! Which scheduler threads are blocked waiting for another scheduler, so that
//! [`ManualClock::advance`](crate::ManualClock::advance) called from
//! callbacks never waits in a circle.
//!
//! A scheduler's thread blocks in another scheduler's `settle` when one of
//! its callbacks advances a manual clock that both run on (or that the other
//! runs on). If the other scheduler's thread is itself blocked, directly or
//! through a third, waiting for the first, neither wait can end. A thread
//! waits for one scheduler at a time, so the waits form chains: a wait is
//! refused when the chain from its target leads back to the waiter. The
//! registry is process-wide because the circle may span several clocks.

use std::cell::Cell;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// `(waiter, waited for)`, by scheduler id: one entry per blocked scheduler
/// thread.
static WAITS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

thread_local! {
    /// The id of the scheduler whose thread this is, if it is one.
    static WORKER_OF: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Marks the current thread as the thread of scheduler `id`.
pub(crate) fn enter_worker(id: u64) {
    WORKER_OF.set(Some(id));
}

/// A registered wait; dropping it ends the wait.
#[derive(Debug)]
pub(crate) struct Waiting {
    waiter: Option<u64>,
}

/// Registers that the current thread is about to wait for scheduler
/// `target`, or returns `None` if the wait would close a circle. A thread
/// that is no scheduler's can always wait: nothing here waits for it.
pub(crate) fn begin(target: u64) -> Option<Waiting> {
    let Some(me) = WORKER_OF.get() else {
        return Some(Waiting { waiter: None });
    };
    let mut waits = lock();
    // No circle exists (each was refused), so the chain ends.
    let mut next = Some(target);
    while let Some(scheduler) = next {
        if scheduler == me {
            return None;
        }
        next = waits
            .iter()
            .find(|&&(waiter, _)| waiter == scheduler)
            .map(|&(_, waited)| waited);
    }
    waits.push((me, target));
    Some(Waiting { waiter: Some(me) })
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(me) = self.waiter {
            lock().retain(|&(waiter, _)| waiter != me);
        }
    }
}

fn lock() -> MutexGuard<'static, Vec<(u64, u64)>> {
    // No user code runs under this lock.
    WAITS.lock().unwrap_or_else(PoisonError::into_inner)
}
