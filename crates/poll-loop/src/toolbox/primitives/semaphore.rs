//! `Semaphore`: a count of permits that tasks wait for, in FIFO order.

use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::permits::Permits;

/// A count of permits, for bounding how many tasks do something at once:
/// asyncio's `Semaphore`, tokio's `sync::Semaphore`.
///
/// [`acquire`](Semaphore::acquire) waits for a permit and returns it as a
/// [`SemaphorePermit`], which gives it back when dropped. Waiters are served
/// strictly in the order they began to wait: a released permit goes to the
/// longest waiter, and while anybody waits no newcomer gets one, not even
/// through [`try_acquire`](Semaphore::try_acquire).
///
/// An acquisition that is dropped (cancelled) while it waits leaves the
/// queue without a trace; one dropped after it was handed a permit but
/// before it looked gives the permit to the next waiter. No wake-up is lost.
///
/// Single-threaded: the semaphore is for tasks on one loop (it is not
/// `Send`); share it with `Rc`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use poll_loop::{EventLoop, Semaphore, sleep};
///
/// let lp = EventLoop::new();
/// let limit = Rc::new(Semaphore::new(2));
/// let (running, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
/// for _ in 0..6 {
///     let (limit, running, most) = (limit.clone(), running.clone(), most.clone());
///     lp.spawn(async move {
///         let _permit = limit.acquire().await;
///         running.set(running.get() + 1);
///         most.set(most.get().max(running.get()));
///         sleep(Duration::from_millis(5)).await;
///         running.set(running.get() - 1);
///     });
/// }
/// lp.run_until_idle()?;
/// assert_eq!(most.get(), 2);
/// assert_eq!(limit.available_permits(), 2);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Semaphore {
    pub(super) permits: Permits,
    /// Permits [forgotten](SemaphorePermit::forget): what a
    /// [`BoundedSemaphore`](super::BoundedSemaphore) may release.
    pub(super) forgotten: Cell<usize>,
}

impl Semaphore {
    /// A semaphore with `permits` permits available.
    pub const fn new(permits: usize) -> Semaphore {
        Semaphore {
            permits: Permits::new(permits),
            forgotten: Cell::new(0),
        }
    }

    /// Waits for a permit. The future is ready at once if one is
    /// available and nobody waits before it.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            key: None,
        }
    }

    /// Takes a permit if one is available now.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if none is (all are held, or others wait).
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        if self.permits.try_take() {
            Ok(SemaphorePermit { semaphore: self })
        } else {
            Err(TryAcquireError(()))
        }
    }

    /// Permits not held and not handed to a waiter: asyncio's `_value`.
    /// A newcomer gets one only if nobody waits (see
    /// [`is_locked`](Semaphore::is_locked)).
    pub fn available_permits(&self) -> usize {
        self.permits.available()
    }

    /// True when [`acquire`](Semaphore::acquire) would wait: no permit is
    /// available, or somebody waits, a woken waiter that has not run yet
    /// included. asyncio's `locked()`.
    pub fn is_locked(&self) -> bool {
        self.permits.available() == 0 || self.permits.handed() > 0 || self.permits.waiting() > 0
    }

    /// Adds `n` permits, waking up to `n` waiters.
    ///
    /// # Panics
    ///
    /// If the count would overflow `usize`.
    pub fn add_permits(&self, n: usize) {
        self.permits.release(n);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.permits.available())
            .field("waiting", &(self.permits.waiting() + self.permits.handed()))
            .finish()
    }
}

/// A permit of a [`Semaphore`], given back when dropped.
#[must_use = "the permit is given back at once if not kept"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit out of the semaphore for good: the semaphore has
    /// one permit fewer.
    pub fn forget(self) {
        let forgotten = &self.semaphore.forgotten;
        forgotten.set(forgotten.get() + 1);
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.permits.release(1);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

/// The future of [`Semaphore::acquire`]. Dropping it gives up its place in
/// the queue (and a permit it was handed but had not taken yet).
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    key: Option<usize>,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            match this.semaphore.permits.poll_acquire(&mut this.key, cx) {
                Poll::Ready(()) => Poll::Ready(SemaphorePermit {
                    semaphore: this.semaphore,
                }),
                Poll::Pending => Poll::Pending,
            }
        })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.semaphore.permits.cancel(key);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// No permit was available for [`Semaphore::try_acquire`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TryAcquireError(());

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no permit available")
    }
}

impl Error for TryAcquireError {}
