//! `BoundedSemaphore`: a `Semaphore` that refuses to be released above its
//! starting count.

use std::error::Error;
use std::fmt;

use super::semaphore::{Acquire, Semaphore, SemaphorePermit, TryAcquireError};

/// A [`Semaphore`] that can never hold more permits than it started with:
/// asyncio's `BoundedSemaphore`.
///
/// Permits come back by themselves when a [`SemaphorePermit`] is dropped,
/// so a bound is only at stake for permits taken out for good with
/// [`forget`](SemaphorePermit::forget) and given back by hand with
/// [`release`](BoundedSemaphore::release) — asyncio's `acquire()` and
/// `release()` pair. Releasing more than was forgotten is the bug this
/// type catches: asyncio raises `ValueError`, this returns a
/// [`ReleaseError`] (where a plain `Semaphore`'s
/// [`add_permits`](Semaphore::add_permits) would grow the count).
///
/// # Examples
///
/// ```
/// use poll_loop::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(1);
/// assert!(sem.release().is_err(), "nothing to give back");
/// sem.try_acquire().unwrap().forget(); // asyncio's `acquire()`
/// assert!(sem.is_locked());
/// sem.release().unwrap(); // asyncio's `release()`
/// assert!(sem.release().is_err(), "once only");
/// assert_eq!(sem.available_permits(), 1);
/// ```
pub struct BoundedSemaphore {
    semaphore: Semaphore,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` permits available, and never more.
    pub const fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            semaphore: Semaphore::new(permits),
        }
    }

    /// Waits for a permit, as [`Semaphore::acquire`].
    pub fn acquire(&self) -> Acquire<'_> {
        self.semaphore.acquire()
    }

    /// Takes a permit if one is available now, as
    /// [`Semaphore::try_acquire`].
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if none is (all are held, or others wait).
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.semaphore.try_acquire()
    }

    /// Gives back one permit taken out with
    /// [`forget`](SemaphorePermit::forget): asyncio's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError`] if no forgotten permit is out: the count would go
    /// above the bound.
    pub fn release(&self) -> Result<(), ReleaseError> {
        let forgotten = &self.semaphore.forgotten;
        match forgotten.get() {
            0 => Err(ReleaseError(())),
            n => {
                forgotten.set(n - 1);
                self.semaphore.permits.release(1);
                Ok(())
            }
        }
    }

    /// Permits not held and not handed to a waiter, as
    /// [`Semaphore::available_permits`].
    pub fn available_permits(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// True when [`acquire`](BoundedSemaphore::acquire) would wait:
    /// asyncio's `locked()`.
    pub fn is_locked(&self) -> bool {
        self.semaphore.is_locked()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("available", &self.semaphore.permits.available())
            .field(
                "waiting",
                &(self.semaphore.permits.waiting() + self.semaphore.permits.handed()),
            )
            .field("forgotten", &self.semaphore.forgotten.get())
            .finish()
    }
}

/// A [`BoundedSemaphore::release`] with no forgotten permit to give back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReleaseError(());

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for ReleaseError {}
