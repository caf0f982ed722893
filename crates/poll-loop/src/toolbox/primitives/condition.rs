//! `Condition`: a `Mutex` with a list of tasks waiting to be notified.
//
// A wait is two waits in a row: for a notification (a place in `waiters`),
// then for the lock again (the mutex's own queue). A notification belongs
// to the waiter it was given to until that waiter returns its guard; if the
// waiter is dropped before (after the notification, before or while it
// re-locks), it passes the notification on to the next waiter, so that a
// cancelled task never swallows a `notify(1)` meant for somebody.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::mutex::{Lock, Mutex, MutexGuard, TryLockError};
use super::waiters::WaitList;
use crate::task::panic_later::PanicLater;

/// A value behind a lock, with tasks waiting for it to change: asyncio's
/// `Condition`, owning its [`Mutex`] as Rust's `Condvar` pairs with one.
///
/// [`lock`](Condition::lock) gives a [`ConditionGuard`];
/// [`wait`](Condition::wait) takes it, unlocks, waits for a
/// [`notify`](ConditionGuard::notify) or
/// [`notify_all`](ConditionGuard::notify_all), locks again and gives the
/// guard back; [`wait_for`](Condition::wait_for) waits until a predicate of
/// the value holds. Notifying needs the guard, as asyncio's `notify` needs
/// the lock held: a notification cannot slip in between a waiter's check
/// and its wait.
///
/// Waiters are notified in the order they began to wait. A wait that is
/// dropped (cancelled) before it was notified leaves no trace; one dropped
/// after it was notified, before it had the lock again, passes the
/// notification on to the next waiter, as asyncio's does.
///
/// Single-threaded: for tasks on one loop; share it with `Rc`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use poll_loop::{Condition, EventLoop};
///
/// let lp = EventLoop::new();
/// let stock = Rc::new(Condition::new(Vec::new()));
/// let consumer = stock.clone();
/// let got = lp.spawn(async move {
///     // Waits, unlocked, until the producer has put three in.
///     let mut items = consumer.wait_for(consumer.lock().await, |v| v.len() >= 3).await;
///     items.drain(..).collect::<Vec<i32>>()
/// });
/// lp.spawn(async move {
///     for n in 1..=3 {
///         let mut items = stock.lock().await;
///         items.push(n);
///         items.notify(1);
///     }
/// });
/// assert_eq!(lp.block_on(got)?.unwrap(), [1, 2, 3]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct Condition<T> {
    mutex: Mutex<T>,
    waiters: RefCell<WaitList>,
}

impl<T> Condition<T> {
    /// A condition whose lock guards `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::Condition;
    ///
    /// let condition = Condition::new(vec![1]);
    /// condition.try_lock().unwrap().push(2);
    /// assert_eq!(condition.into_inner(), [1, 2]);
    /// ```
    pub const fn new(value: T) -> Condition<T> {
        Condition {
            mutex: Mutex::new(value),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// The value, taking the condition apart (see [`new`](Condition::new)).
    pub fn into_inner(self) -> T {
        self.mutex.into_inner()
    }

    /// Waits for the lock (first come, first served, as [`Mutex::lock`]):
    /// asyncio's `acquire()`, with the guard as the `async with` block.
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::{Condition, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let condition = Condition::new(0);
    /// lp.block_on(async {
    ///     let mut guard = condition.lock().await;
    ///     *guard += 1;
    ///     assert!(condition.is_locked());
    /// })?;
    /// assert!(!condition.is_locked());
    /// assert_eq!(condition.into_inner(), 1);
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn lock(&self) -> ConditionLock<'_, T> {
        ConditionLock {
            condition: self,
            lock: self.mutex.lock(),
        }
    }

    /// Takes the lock if it is free now.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held, or others wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::Condition;
    ///
    /// let condition = Condition::new(());
    /// let guard = condition.try_lock().unwrap();
    /// assert!(condition.try_lock().is_err());
    /// drop(guard);
    /// assert!(condition.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<ConditionGuard<'_, T>, TryLockError> {
        self.mutex.try_lock().map(|guard| self.guard(guard))
    }

    /// Whether the lock is held: asyncio's `locked()`, as
    /// [`Mutex::is_locked`] says it (see [`lock`](Condition::lock)'s
    /// example).
    pub fn is_locked(&self) -> bool {
        self.mutex.is_locked()
    }

    /// How many tasks wait for a notification (notified ones that have not
    /// run yet do not count).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Condition, EventLoop, yield_now};
    ///
    /// let lp = EventLoop::new();
    /// let condition = Rc::new(Condition::new(()));
    /// let c = condition.clone();
    /// lp.spawn(async move { drop(c.wait(c.lock().await).await) });
    /// let waiting = lp.block_on(async move {
    ///     yield_now().await; // it waits
    ///     let before = condition.waiting();
    ///     condition.lock().await.notify(1);
    ///     (before, condition.waiting())
    /// })?;
    /// assert_eq!(waiting, (1, 0));
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn waiting(&self) -> usize {
        self.waiters.try_borrow().map_or(0, |w| w.len())
    }

    /// Unlocks, waits for a notification, locks again, and gives the guard
    /// back: asyncio's `wait()`.
    ///
    /// The lock is let go when the future is first polled. Dropping the
    /// future gives up the wait (and the guard: the lock stays free); if it
    /// had been notified, the notification goes to the next waiter.
    ///
    /// # Panics
    ///
    /// If `guard` is another condition's (asyncio's `RuntimeError` for a
    /// wait without the lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Condition, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let ready = Rc::new(Condition::new(false));
    /// let waiter = ready.clone();
    /// let task = lp.spawn(async move {
    ///     let mut guard = waiter.lock().await;
    ///     while !*guard {
    ///         guard = waiter.wait(guard).await; // unlocked while it waits
    ///     }
    ///     "went"
    /// });
    /// lp.spawn(async move {
    ///     let mut guard = ready.lock().await; // free: the waiter let it go
    ///     *guard = true;
    ///     guard.notify_all();
    /// });
    /// assert_eq!(lp.block_on(task)?.unwrap(), "went");
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn wait<'a>(&'a self, guard: ConditionGuard<'a, T>) -> ConditionWait<'a, T> {
        assert!(
            std::ptr::eq(guard.condition, self),
            "poll-loop: Condition::wait was given another condition's guard"
        );
        ConditionWait {
            condition: self,
            step: Step::Unlock(Some(guard)),
        }
    }

    /// Waits until `predicate` holds for the value, and gives the guard
    /// back with it holding: asyncio's `wait_for`.
    ///
    /// The predicate is called with the lock held, first at once (if it
    /// holds, nothing waits), then after each notification.
    ///
    /// # Panics
    ///
    /// If `guard` is another condition's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Condition, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let count = Rc::new(Condition::new(0));
    /// let waiter = count.clone();
    /// let task = lp.spawn(async move {
    ///     let guard = waiter.wait_for(waiter.lock().await, |n| *n >= 2).await;
    ///     *guard
    /// });
    /// lp.spawn(async move {
    ///     for _ in 0..2 {
    ///         let mut guard = count.lock().await;
    ///         *guard += 1;
    ///         guard.notify_all();
    ///     }
    /// });
    /// assert_eq!(lp.block_on(task)?.unwrap(), 2);
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn wait_for<'a, F>(
        &'a self,
        guard: ConditionGuard<'a, T>,
        predicate: F,
    ) -> ConditionWaitFor<'a, T, F>
    where
        F: FnMut(&T) -> bool,
    {
        assert!(
            std::ptr::eq(guard.condition, self),
            "poll-loop: Condition::wait_for was given another condition's guard"
        );
        ConditionWaitFor {
            condition: self,
            predicate,
            step: WaitForStep::Check(Some(guard)),
        }
    }

    fn guard<'a>(&'a self, guard: MutexGuard<'a, T>) -> ConditionGuard<'a, T> {
        ConditionGuard {
            guard,
            condition: self,
        }
    }

    /// Notifies up to `n` of the tasks waiting now; returns how many.
    fn notify(&self, n: usize) -> usize {
        // Bounded by those waiting now, as asyncio's `notify_all` is by
        // `len(waiters)`: a wake-up that queued a new waiter (it would need
        // the lock) must not make this loop longer.
        let n = n.min(self.waiting());
        let mut panic = PanicLater::default();
        let mut notified = 0;
        while notified < n {
            // One at a time, each woken outside the borrow.
            let Some((_, waker)) = self.waiters.borrow_mut().notify_front() else {
                break;
            };
            notified += 1;
            if let Some(waker) = waker {
                panic.wake(waker);
            }
        }
        panic.finish();
        notified
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("mutex", &self.mutex)
            .field("waiting", &self.waiting())
            .finish()
    }
}

/// The held lock of a [`Condition`]: access to its value, and the right to
/// notify its waiters. Unlocks when dropped.
///
/// # Examples
///
/// ```
/// use poll_loop::Condition;
///
/// let condition = Condition::new(String::from("a"));
/// let mut guard = condition.try_lock().unwrap();
/// guard.push('b'); // the value, through the guard
/// assert_eq!(guard.notify_all(), 0); // nobody waits
/// drop(guard);
/// assert_eq!(condition.into_inner(), "ab");
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct ConditionGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    condition: &'a Condition<T>,
}

impl<T> ConditionGuard<'_, T> {
    /// Wakes up to `n` tasks waiting on the condition, first come first
    /// served; each returns from its wait once it has the lock again (so
    /// not before this guard is dropped). Returns how many were woken:
    /// asyncio's `notify(n)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::{Condition, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let condition = Condition::new(());
    /// let woken = lp.block_on(async {
    ///     let guard = condition.lock().await;
    ///     guard.notify(1) // nobody waits
    /// })?;
    /// assert_eq!(woken, 0);
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        self.condition.notify(n)
    }

    /// Wakes every task waiting on the condition: asyncio's
    /// `notify_all()`. Returns how many were woken.
    ///
    /// A waker that panics does not stop it: every waiter is woken, then
    /// the first panic is passed on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Condition, EventLoop, yield_now};
    ///
    /// let lp = EventLoop::new();
    /// let go = Rc::new(Condition::new(false));
    /// for _ in 0..3 {
    ///     let go = go.clone();
    ///     lp.spawn(async move { drop(go.wait_for(go.lock().await, |go| *go).await) });
    /// }
    /// let woken = lp.block_on(async move {
    ///     yield_now().await; // the three wait
    ///     let mut guard = go.lock().await;
    ///     *guard = true;
    ///     guard.notify_all()
    /// })?;
    /// assert_eq!(woken, 3);
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn notify_all(&self) -> usize {
        self.condition.notify(usize::MAX)
    }
}

impl<T> Deref for ConditionGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for ConditionGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.guard, f)
    }
}

/// The future of [`Condition::lock`]; see its example.
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionLock<'a, T> {
    condition: &'a Condition<T>,
    lock: Lock<'a, T>,
}

impl<'a, T> Future for ConditionLock<'a, T> {
    type Output = ConditionGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        Pin::new(&mut this.lock)
            .poll(cx)
            .map(|guard| this.condition.guard(guard))
    }
}

impl<T> fmt::Debug for ConditionLock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionLock")
            .field("lock", &self.lock)
            .finish()
    }
}

/// The future of [`Condition::wait`]: the guard back once notified and
/// locked again (see its example). Dropping it gives up the wait and the
/// guard; a notification it had been given goes to the next waiter.
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'a, T> {
    condition: &'a Condition<T>,
    step: Step<'a, T>,
}

enum Step<'a, T> {
    /// Not polled yet: holds the lock.
    Unlock(Option<ConditionGuard<'a, T>>),
    /// Unlocked, waiting for a notification at this place.
    Notify(usize),
    /// Notified, waiting for the lock.
    Relock(Lock<'a, T>),
    Done,
}

impl<'a, T> Future for ConditionWait<'a, T> {
    type Output = ConditionGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let condition = this.condition;
        loop {
            match &mut this.step {
                Step::Unlock(guard) => {
                    let key = condition.waiters.borrow_mut().push_back(cx.waker().clone());
                    let guard = guard.take();
                    this.step = Step::Notify(key);
                    // Unlocked only once queued: a waiter woken by the
                    // unlock may notify at once, and must find this one.
                    drop(guard);
                    return Poll::Pending;
                }
                Step::Notify(key) => {
                    let key = *key;
                    let mut waiters = condition.waiters.borrow_mut();
                    if waiters.is_waiting(key) {
                        let old = waiters.update_waker(key, cx.waker());
                        drop(waiters);
                        drop(old);
                        return Poll::Pending;
                    }
                    let (_, waker) = waiters.remove(key);
                    drop(waiters);
                    drop(waker);
                    // Free, and nobody in line for it: taken at once.
                    if let Ok(guard) = condition.mutex.try_lock() {
                        this.step = Step::Done;
                        return Poll::Ready(condition.guard(guard));
                    }
                    this.step = Step::Relock(condition.mutex.lock());
                }
                Step::Relock(lock) => {
                    let guard = std::task::ready!(Pin::new(lock).poll(cx));
                    this.step = Step::Done;
                    return Poll::Ready(condition.guard(guard));
                }
                Step::Done => return Poll::Pending, // polled after it finished
            }
        }
    }
}

impl<T> Drop for ConditionWait<'_, T> {
    fn drop(&mut self) {
        let notified = match std::mem::replace(&mut self.step, Step::Done) {
            Step::Notify(key) => {
                let (waiting, waker) = self.condition.waiters.borrow_mut().remove(key);
                drop(waker);
                !waiting
            }
            // Its own `Drop` leaves the mutex's queue (or unlocks).
            Step::Relock(lock) => {
                drop(lock);
                true
            }
            Step::Unlock(guard) => {
                drop(guard);
                false
            }
            Step::Done => false,
        };
        if notified {
            // The notification it took is for somebody else now.
            self.condition.notify(1);
        }
    }
}

/// The future of [`Condition::wait_for`]: the guard back once the
/// predicate holds (see its example). Dropping it is dropping the
/// [`ConditionWait`] it is in, if any.
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWaitFor<'a, T, F> {
    condition: &'a Condition<T>,
    predicate: F,
    step: WaitForStep<'a, T>,
}

enum WaitForStep<'a, T> {
    /// Holds the lock: the predicate is checked next (`None`: finished).
    Check(Option<ConditionGuard<'a, T>>),
    Wait(ConditionWait<'a, T>),
}

impl<'a, T, F: FnMut(&T) -> bool> Future for ConditionWaitFor<'a, T, F> {
    type Output = ConditionGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A leaf for the budget: with a predicate that holds it is ready
        // at once, and a loop of such waits must still yield now and then.
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            loop {
                match &mut this.step {
                    WaitForStep::Check(guard) => {
                        let Some(guard) = guard.take() else {
                            return Poll::Pending; // polled after it finished
                        };
                        if (this.predicate)(&guard) {
                            return Poll::Ready(guard);
                        }
                        this.step = WaitForStep::Wait(this.condition.wait(guard));
                    }
                    WaitForStep::Wait(wait) => {
                        let guard = std::task::ready!(Pin::new(wait).poll(cx));
                        this.step = WaitForStep::Check(Some(guard));
                    }
                }
            }
        })
    }
}

// Never pinned: the predicate is only called, the wait is `Unpin`.
impl<T, F> Unpin for ConditionWaitFor<'_, T, F> {}

impl<T, F> fmt::Debug for ConditionWaitFor<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ConditionWaitFor");
        match &self.step {
            WaitForStep::Check(_) => d.field("step", &"checking"),
            WaitForStep::Wait(wait) => d.field("wait", wait),
        };
        d.finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for ConditionWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            Step::Unlock(_) => "unlocking",
            Step::Notify(_) => "waiting for a notification",
            Step::Relock(_) => "locking again",
            Step::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("step", &step)
            .finish()
    }
}
