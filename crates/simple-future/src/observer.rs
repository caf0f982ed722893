//! `Observer`: a handle that reads, waits for, calls back on and cancels a
//! future, but cannot complete it.

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use crate::error::{ResultError, ResultTimeoutError, TryResultError};
use crate::shared::{Outcome, Shared};
use crate::state::State;
use crate::sync::Arc;

/// A handle that watches a future without being able to complete it.
///
/// Every way of reading a future lives here; a [`Future`](crate::Future)
/// derefs to its `Observer`, so these methods work on both. Get one with
/// [`Future::observer`](crate::Future::observer); a done-callback receives
/// one.
///
/// What sets an `Observer` apart is what it does *not* do: it does not keep
/// the future completable. When the last [`Future`](crate::Future) handle is
/// dropped while the future is pending, the future is
/// [`Abandoned`](State::Abandoned) and everyone waiting through an
/// `Observer` gets [`ResultError::Abandoned`] instead of waiting forever. So
/// give producers a `Future` and consumers an `Observer`.
///
/// Clones watch the same future. An `Observer` is a
/// [`std::future::Future`]: `.await` it, or pass it to anything that takes a
/// std future; it resolves to a clone of the value.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use simple_future::{Future, Observer, ResultError, State};
///
/// let future: Future<String> = Future::new();
/// let observer: Observer<String> = future.observer();
///
/// let (tx, rx) = mpsc::channel();
/// observer.add_done_callback(move |done| {
///     tx.send(done.result().map(String::len).ok()).unwrap();
/// });
/// assert_eq!(observer.state(), State::Pending);
///
/// future.set_result("ready".to_string()).unwrap();
/// assert_eq!(rx.recv().unwrap(), Some(5));
/// assert_eq!(observer.result().map(String::as_str).ok(), Some("ready"));
///
/// // Once the producer's handles are gone, waiting cannot hang.
/// let orphan: Observer<u8> = Future::new().into_observer();
/// assert!(matches!(orphan.result(), Err(ResultError::Abandoned)));
/// ```
pub struct Observer<T, E = crate::Exception> {
    shared: Arc<Shared<T, E>>,
    pub(crate) handle: HandleBits,
}

/// Names a done-callback added with
/// [`add_removable_done_callback`](Observer::add_removable_done_callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackKey(u64);

/// A handle's own state in one word, so that a `Future` handle stays two
/// words and is returned in registers (a third word cost a quarter of a
/// create-complete-read): the key its waker is registered under, once it
/// has been polled and is still waiting (zero for none; unregistered when
/// the handle is dropped); and, in the top bit, whether a `Future` handle
/// gave up its part in keeping the future completable.
#[derive(Clone, Copy, Default)]
pub(crate) struct HandleBits(u64);

const GAVE_UP_COMPLETING: u64 = 1 << 63;

impl HandleBits {
    pub(crate) fn waker_key(self) -> Option<NonZeroU64> {
        NonZeroU64::new(self.0 & !GAVE_UP_COMPLETING)
    }

    pub(crate) fn set_waker_key(&mut self, key: Option<NonZeroU64>) {
        let key = key.map_or(0, NonZeroU64::get);
        // Keys count up from one, a step per registration: the top bit
        // would take centuries to reach.
        assert!(key & GAVE_UP_COMPLETING == 0, "waker keys exhausted");
        self.0 = (self.0 & GAVE_UP_COMPLETING) | key;
    }

    pub(crate) fn completes(self) -> bool {
        self.0 & GAVE_UP_COMPLETING == 0
    }

    pub(crate) fn give_up_completing(&mut self) {
        self.0 |= GAVE_UP_COMPLETING;
    }
}

impl<T, E> Observer<T, E> {
    pub(crate) fn from_shared(shared: Arc<Shared<T, E>>) -> Observer<T, E> {
        Observer {
            shared,
            handle: HandleBits::default(),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<T, E>> {
        &self.shared
    }

    /// The state and this handle's own bits, borrowed together.
    pub(crate) fn shared_and_handle(&mut self) -> (&Shared<T, E>, &mut HandleBits) {
        (&self.shared, &mut self.handle)
    }

    /// The future's current state.
    pub fn state(&self) -> State {
        self.shared.state()
    }

    /// True once the future is cancelled, finished or abandoned.
    pub fn done(&self) -> bool {
        self.state().is_done()
    }

    /// True if the future was cancelled.
    pub fn cancelled(&self) -> bool {
        self.state() == State::Cancelled
    }

    /// True while an executor runs the future's work (see
    /// [`set_running_or_notify_cancel`](crate::Future::set_running_or_notify_cancel)).
    pub fn running(&self) -> bool {
        self.state() == State::Running
    }

    /// Cancels the future if it has not started.
    ///
    /// Returns `false` if it is running, finished or abandoned; `true` if it
    /// is now cancelled (including when it already was). Cancelling wakes
    /// every waiter with [`ResultError::Cancelled`] and runs the
    /// done-callbacks on this thread.
    pub fn cancel(&self) -> bool {
        Shared::cancel(self)
    }

    /// Waits until the future is done and returns its value.
    ///
    /// Blocks the calling thread. Any number of threads may wait and read
    /// the same value. Waiting on a future that nobody will complete blocks
    /// forever *unless* you wait through an `Observer` and every
    /// [`Future`](crate::Future) handle is gone (see the type's docs).
    #[inline]
    pub fn result(&self) -> Result<&T, ResultError<E>> {
        self.shared.wait(None, Some("result"));
        self.finished_result()
    }

    /// Returns the value if the future is done, without blocking.
    pub fn try_result(&self) -> Result<&T, TryResultError<E>> {
        match self.shared.read_outcome() {
            None => Err(TryResultError::Pending),
            Some(outcome) => Ok(outcome_result(outcome)?),
        }
    }

    /// Like [`result`](Observer::result), but gives up after `timeout`.
    pub fn result_timeout(&self, timeout: Duration) -> Result<&T, ResultTimeoutError<E>> {
        let deadline = Instant::now().checked_add(timeout);
        if self.shared.wait(deadline, Some("result_timeout")) {
            Ok(self.finished_result()?)
        } else {
            Err(ResultTimeoutError::Timeout)
        }
    }

    /// Waits until the future is done and returns its exception: `Some` if
    /// it was completed with
    /// [`set_exception`](crate::Future::set_exception), `None` if it
    /// returned a value.
    ///
    /// Fails like [`result`](Observer::result) when the future was
    /// cancelled or abandoned (never with [`ResultError::Exception`]: that
    /// is this method's value).
    pub fn exception(&self) -> Result<Option<std::sync::Arc<E>>, ResultError<E>> {
        self.shared.wait(None, Some("exception"));
        self.finished_exception()
    }

    /// Returns the exception if the future is done, without blocking.
    pub fn try_exception(&self) -> Result<Option<std::sync::Arc<E>>, TryResultError<E>> {
        match self.shared.read_outcome() {
            None => Err(TryResultError::Pending),
            Some(outcome) => Ok(outcome_exception(outcome)?),
        }
    }

    /// Like [`exception`](Observer::exception), but gives up after
    /// `timeout`.
    pub fn exception_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<std::sync::Arc<E>>, ResultTimeoutError<E>> {
        let deadline = Instant::now().checked_add(timeout);
        if self.shared.wait(deadline, Some("exception_timeout")) {
            Ok(self.finished_exception()?)
        } else {
            Err(ResultTimeoutError::Timeout)
        }
    }

    /// Calls `callback` with this future once it is done.
    ///
    /// Callbacks added while the future is pending run in the order added,
    /// on the thread that completes (or cancels, or abandons) it. A callback
    /// added to a future that is already done runs at once, on this thread.
    /// Callbacks run outside any lock of the future: they may read it, add
    /// more callbacks or complete other futures. A callback that panics is
    /// reported as a `tracing` error event, and the other callbacks still
    /// run.
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(&Observer<T, E>) + Send + 'static,
    {
        Shared::add_callback(self, Box::new(callback));
    }

    /// As [`add_done_callback`](Observer::add_done_callback), and returns
    /// a key that can [remove](Observer::remove_done_callback) the callback
    /// until it runs; `None` if the future was done, so the callback has
    /// run already. For code that stops caring before the future is done
    /// (a wait with a timeout), so that a long-lived future does not
    /// collect its callbacks.
    ///
    /// ```
    /// use simple_future::Future;
    ///
    /// let future: Future<u8> = Future::new();
    /// let key = future.add_removable_done_callback(|_| panic!("removed"));
    /// assert!(future.remove_done_callback(key.unwrap()));
    /// future.set_result(1).unwrap(); // runs nothing
    /// ```
    pub fn add_removable_done_callback<F>(&self, callback: F) -> Option<CallbackKey>
    where
        F: FnOnce(&Observer<T, E>) + Send + 'static,
    {
        Shared::add_callback(self, Box::new(callback)).map(CallbackKey)
    }

    /// Removes the callback added under `key` if it has not run (nor
    /// started). True if it was removed; false if it ran, or if `key`
    /// belongs to another future (which it leaves alone). Like asyncio's
    /// `Future.remove_done_callback`, by key rather than by function.
    pub fn remove_done_callback(&self, key: CallbackKey) -> bool {
        // Keys are unique among all futures: another's finds nothing here.
        self.shared.remove_callback(key.0)
    }

    /// True if both handles belong to the same future.
    pub fn same_future(&self, other: &Observer<T, E>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// True once the future's exception was read, through this handle or
    /// any other: by [`result`](Observer::result),
    /// [`exception`](Observer::exception), their `try_` and `_timeout`
    /// forms, or an `.await`. False while it is pending, or if it did not
    /// raise. A loop uses it to report, as asyncio's "exception was never
    /// retrieved", an exception that nobody read; a done-callback that
    /// does not read it does not count.
    ///
    /// ```
    /// use simple_future::Future;
    ///
    /// let future = Future::<u8>::new();
    /// let observer = future.observer();
    /// observer.add_done_callback(|_| {}); // does not read it
    /// future.set_exception("boom".into()).unwrap();
    /// assert!(!observer.exception_retrieved());
    /// assert!(observer.exception().unwrap().is_some());
    /// assert!(observer.exception_retrieved());
    /// ```
    pub fn exception_retrieved(&self) -> bool {
        self.shared.exception_retrieved()
    }

    /// The future's identity: equal for two handles exactly when
    /// [`same_future`](Observer::same_future) is true, and hashable, to
    /// find duplicates among many futures in linear time. Only meaningful
    /// while a handle of the future lives (a freed future's identity may be
    /// reused).
    ///
    /// ```
    /// use simple_future::Future;
    ///
    /// let (a, b) = (Future::<u8>::new(), Future::<u8>::new());
    /// assert_eq!(a.observer().id(), a.observer().id());
    /// assert_ne!(a.observer().id(), b.observer().id());
    /// ```
    pub fn id(&self) -> FutureId {
        FutureId(self.shared.address() as usize)
    }

    /// Drops this handle; if it was the last one and the future's value or
    /// exception panics in its `Drop`, reports that as a `tracing` error
    /// event instead of unwinding. For the crate's loops that let go of
    /// several handles in a row, and must get through all of them.
    pub(crate) fn drop_contained(self) {
        let future = self.shared.address();
        if let Err(panicked) = crate::panic::catch(move || drop(self)) {
            tracing::error!(
                future = ?future,
                panic = panicked.report(),
                "dropping a future panicked"
            );
        }
    }

    #[inline]
    fn finished_result(&self) -> Result<&T, ResultError<E>> {
        outcome_result(self.finished_outcome())
    }

    fn finished_exception(&self) -> Result<Option<std::sync::Arc<E>>, ResultError<E>> {
        outcome_exception(self.finished_outcome())
    }

    fn finished_outcome(&self) -> &Outcome<T, E> {
        self.shared
            .read_outcome()
            .expect("a future that was waited for is done")
    }
}

pub(crate) fn outcome_result<T, E>(outcome: &Outcome<T, E>) -> Result<&T, ResultError<E>> {
    match outcome {
        Outcome::Returned(value) => Ok(value),
        Outcome::Raised(error) => Err(ResultError::Exception(std::sync::Arc::clone(error))),
        Outcome::Cancelled => Err(ResultError::Cancelled),
        Outcome::Abandoned => Err(ResultError::Abandoned),
    }
}

fn outcome_exception<T, E>(
    outcome: &Outcome<T, E>,
) -> Result<Option<std::sync::Arc<E>>, ResultError<E>> {
    match outcome {
        Outcome::Returned(_) => Ok(None),
        Outcome::Raised(error) => Ok(Some(std::sync::Arc::clone(error))),
        Outcome::Cancelled => Err(ResultError::Cancelled),
        Outcome::Abandoned => Err(ResultError::Abandoned),
    }
}

/// A clone watches the same future; it has not been polled.
impl<T, E> Clone for Observer<T, E> {
    fn clone(&self) -> Self {
        Observer::from_shared(Arc::clone(&self.shared))
    }
}

/// Unregisters the waker of a handle dropped while it waits, so that an
/// `.await` given up (a `select` that took another branch, a timeout) leaves
/// nothing behind on a long-lived future.
impl<T, E> Drop for Observer<T, E> {
    fn drop(&mut self) {
        if let Some(key) = self.handle.waker_key() {
            self.shared.remove_waker(key);
        }
    }
}

/// What [`Observer::id`] gives: a future's identity, as a hashable value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FutureId(usize);
