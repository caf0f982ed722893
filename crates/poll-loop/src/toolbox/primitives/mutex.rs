//! `Mutex`: a lock that tasks wait for in FIFO order, held by a guard.

use std::cell::{RefCell, RefMut};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::permits::Permits;

/// A value that one task at a time may use, across `.await`s: asyncio's
/// `Lock` with the data inside, as tokio's `sync::Mutex`.
///
/// [`lock`](Mutex::lock) waits for the lock and returns a [`MutexGuard`]
/// that gives access to the value and unlocks when dropped. The lock is
/// fair: tasks get it in the order they asked, and while any task waits a
/// newcomer does not get it, not even through
/// [`try_lock`](Mutex::try_lock).
///
/// A `lock()` dropped (cancelled) while it waits leaves the queue without
/// a trace; one dropped after the lock was handed to it passes the lock
/// on to the next waiter. No wake-up is lost.
///
/// Single-threaded: for tasks on one loop (it is not `Sync`); share it with
/// `Rc`. Holding a plain `RefCell` borrow across an `.await` would let
/// another task find it borrowed; holding this guard makes the other task
/// wait instead.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use poll_loop::{EventLoop, Mutex, yield_now};
///
/// let lp = EventLoop::new();
/// let log = Rc::new(Mutex::new(Vec::new()));
/// for name in ["a", "b"] {
///     let log = log.clone();
///     lp.spawn(async move {
///         let mut log = log.lock().await;
///         log.push(format!("{name} in"));
///         yield_now().await; // the other task runs, and waits for the lock
///         log.push(format!("{name} out"));
///     });
/// }
/// lp.run_until_idle()?;
/// let log = Rc::try_unwrap(log).unwrap().into_inner();
/// assert_eq!(log, ["a in", "a out", "b in", "b out"]);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Mutex<T: ?Sized> {
    permit: Permits,
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            permit: Permits::new(1),
            value: RefCell::new(value),
        }
    }

    /// The value, taking the mutex apart.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock. The future is ready at once if the mutex is
    /// unlocked and nobody waits.
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            key: None,
        }
    }

    /// Takes the lock if it is free now.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held, or others wait for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        if self.permit.try_take() {
            Ok(self.guard())
        } else {
            Err(TryLockError(()))
        }
    }

    /// True while a guard holds the lock: asyncio's `locked()`.
    ///
    /// As in asyncio, a lock released to a waiting task is not locked
    /// until that task runs and takes it; meanwhile it is still not free
    /// for others ([`try_lock`](Mutex::try_lock) fails and
    /// [`lock`](Mutex::lock) queues behind the woken task).
    pub fn is_locked(&self) -> bool {
        self.permit.available() == 0 && self.permit.handed() == 0
    }

    /// The value, through an exclusive reference: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            // Never fails: the permit is the only way to the value.
            value: self.value.borrow_mut(),
            _unlock: Unlock(&self.permit),
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.value.try_borrow() {
            Ok(value) if !self.is_locked() => d.field("value", &&*value),
            _ => d.field("value", &format_args!("<locked>")),
        };
        d.field("waiting", &(self.permit.waiting() + self.permit.handed()))
            .finish()
    }
}

/// Access to a [`Mutex`]'s value; unlocks it (handing it to the next
/// waiter) when dropped.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    // Dropped first, then the lock is released.
    value: RefMut<'a, T>,
    _unlock: Unlock<'a>,
}

struct Unlock<'a>(&'a Permits);

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        self.0.release(1);
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

/// The future of [`Mutex::lock`]. Dropping it gives up its place in the
/// queue (and passes on the lock if it was handed over already).
#[must_use = "futures do nothing unless awaited"]
pub struct Lock<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    key: Option<usize>,
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            match this.mutex.permit.poll_acquire(&mut this.key, cx) {
                Poll::Ready(()) => Poll::Ready(this.mutex.guard()),
                Poll::Pending => Poll::Pending,
            }
        })
    }
}

impl<T: ?Sized> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.mutex.permit.cancel(key);
        }
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The lock was held, or others waited for it, in [`Mutex::try_lock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TryLockError(());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the mutex is locked")
    }
}

impl Error for TryLockError {}
