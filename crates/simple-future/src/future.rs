//! `Future`: the handle that can complete a future, and read it like any
//! `Observer`.

use std::ops::Deref;

use crate::error::InvalidState;
use crate::observer::Observer;
use crate::shared::{Outcome, Shared};
use crate::state::State;
use crate::sync::Arc;

/// A placeholder for a result that is not there yet, shared between threads.
///
/// The model is Python's `concurrent.futures.Future`. Whoever produces the
/// result calls [`set_result`](Future::set_result) or
/// [`set_exception`](Future::set_exception) once; whoever needs it calls
/// [`result`](Observer::result) (blocking),
/// [`add_done_callback`](Observer::add_done_callback), or `.await`s it. All
/// the reading methods are [`Observer`]'s, which `Future` derefs to.
///
/// `Future` is a cheap handle (`Clone`, `Send`, `Sync` when `T` and `E`
/// are): clones are the same future. Every `Future` handle can complete it;
/// when the last one is dropped while the future is pending or running, the
/// future becomes [`Abandoned`](State::Abandoned), so that waiters get
/// [`ResultError::Abandoned`](crate::ResultError::Abandoned) instead of
/// hanging. Hand consumers an [`Observer`] so that their own handle does not
/// keep the future completable.
///
/// `E` is the exception type; the default, [`Exception`](crate::Exception),
/// holds any error.
///
/// A `Future` is also a [`std::future::Future`] (as is an [`Observer`]), so
/// it can be `.await`ed or handed to any combinator that takes one; see the
/// notes on its `std::future::Future` impl.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use simple_future::{Future, ResultError};
///
/// let future = Future::new();
/// let producer = future.clone();
/// let worker = thread::spawn(move || producer.set_result(6 * 7).unwrap());
/// assert_eq!(future.result().ok(), Some(&42)); // blocks until it is set
/// worker.join().unwrap();
///
/// // Set once: a second completion is refused and hands its value back.
/// assert_eq!(future.set_result(0).unwrap_err().into_inner(), 0);
///
/// // An exception instead of a value.
/// let failed: Future<u8> = Future::new();
/// failed.set_exception("no route to host".into()).unwrap();
/// assert!(matches!(failed.result(), Err(ResultError::Exception(_))));
/// ```
pub struct Future<T, E = crate::Exception> {
    /// Its `handle` bits say whether this handle still keeps the future
    /// completable (a polled one gave that up: see its
    /// `std::future::Future` impl).
    pub(crate) observer: Observer<T, E>,
}

impl<T: 'static> Future<T> {
    /// A new, pending future with the default exception type,
    /// [`Exception`](crate::Exception).
    ///
    /// Defined for the default exception type only, as `HashMap::new` is
    /// for the default hasher, so that `let future = Future::new();`
    /// needs no annotation of `E`. For another exception type use
    /// [`with_exception_type`](Future::with_exception_type) (or
    /// [`Default`]).
    ///
    /// ```
    /// use simple_future::Future;
    ///
    /// let future = Future::new();
    /// future.set_result(5_u8).unwrap();
    /// assert_eq!(future.result().ok(), Some(&5));
    /// ```
    pub fn new() -> Future<T> {
        Future::with_exception_type()
    }
}

impl<T: 'static, E: 'static> Future<T, E> {
    /// A new, pending future whose exceptions are `E`.
    ///
    /// ```
    /// use simple_future::Future;
    ///
    /// let future = Future::<u8, std::num::ParseIntError>::with_exception_type();
    /// future.set_exception("x".parse::<u8>().unwrap_err()).unwrap();
    /// assert!(future.exception().unwrap().is_some());
    /// ```
    pub fn with_exception_type() -> Future<T, E> {
        Future::with_hook(crate::shared::hook::<T, E>)
    }
}

impl<T, E> Future<T, E> {
    /// A new, pending future whose value or exception may borrow: `T` and
    /// `E` need not be `'static`.
    ///
    /// Two things differ from a future made by [`new`](Future::new), both
    /// because what it holds may not outlive the call that completes it:
    /// when it is completed inside a done-callback running on the same
    /// thread, its own callbacks run at once, nested, instead of after that
    /// callback returns (see the crate's guarantees), so a long chain of such
    /// completions grows the stack; and its repr names the static exception
    /// type (for a boxed error, `Box<dyn Error + Send + Sync>`).
    ///
    /// ```
    /// use simple_future::Future;
    ///
    /// let text = String::from("borrowed");
    /// let future: Future<&str> = Future::borrowing();
    /// future.set_result(&text).unwrap();
    /// assert_eq!(future.result().ok(), Some(&"borrowed"));
    /// ```
    pub fn borrowing() -> Future<T, E> {
        Future::with_hook(crate::shared::borrowing_hook::<T, E>)
    }

    #[inline]
    fn with_hook(hook: crate::shared::HookFn<T, E>) -> Future<T, E> {
        Future {
            observer: Observer::from_shared(Arc::new(Shared::new(hook))),
        }
    }

    /// Completes the future with a value: wakes every waiter and runs the
    /// done-callbacks, on this thread, in the order they were added.
    ///
    /// Fails with the value handed back if the future is already done
    /// (finished or cancelled); works while it is pending or running.
    #[inline]
    pub fn set_result(&self, value: T) -> Result<(), InvalidState<T>> {
        self.complete(Outcome::Returned(value))
            .map_err(|(outcome, state)| match outcome {
                Outcome::Returned(value) => InvalidState::new(value, state, self.to_string()),
                _ => unreachable!("a refused outcome comes back unchanged"),
            })
    }

    /// Completes the future with an exception; like
    /// [`set_result`](Future::set_result) otherwise.
    pub fn set_exception(&self, error: E) -> Result<(), InvalidState<E>> {
        self.complete(Outcome::Raised(std::sync::Arc::new(error)))
            .map_err(|(outcome, state)| match outcome {
                Outcome::Raised(error) => match std::sync::Arc::try_unwrap(error) {
                    Ok(error) => InvalidState::new(error, state, self.to_string()),
                    Err(_) => unreachable!("a refused exception was never shared"),
                },
                _ => unreachable!("a refused outcome comes back unchanged"),
            })
    }

    /// Declares that only `thread` will ever complete this future — an event
    /// loop's own thread, say. A blocking wait for it on that thread while it
    /// is pending ([`result`](Observer::result),
    /// [`exception`](Observer::exception) and their `_timeout` forms) would
    /// never return, so it panics instead, naming the call. Waits on other
    /// threads, `.await`, callbacks and the `try_` reads are unaffected.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic;
    /// use std::thread;
    /// use simple_future::Future;
    ///
    /// let future: Future<u32> = Future::new();
    /// future.set_completing_thread(thread::current().id());
    ///
    /// // Waiting for it here could never end: this thread must complete it.
    /// let waited = panic::catch_unwind(panic::AssertUnwindSafe(|| future.result().map(|v| *v)));
    /// assert!(waited.is_err());
    ///
    /// // Another thread may wait; this one completes it.
    /// let waiter = future.observer();
    /// let reader = thread::spawn(move || *waiter.result().unwrap());
    /// future.set_result(7).unwrap();
    /// assert_eq!(reader.join().unwrap(), 7);
    /// ```
    pub fn set_completing_thread(&self, thread: std::thread::ThreadId) {
        self.observer.shared().set_owner(thread);
    }

    /// For executors, just before running the work: moves a pending future
    /// to [`Running`](State::Running) and returns `true`, after which it can
    /// no longer be cancelled. Returns `false` if it was cancelled: skip the
    /// work (its waiters already know).
    ///
    /// Fails if the future is already running or done, and when asked a
    /// second time about a cancelled future (it was notified already), as
    /// Python raises `RuntimeError` then.
    ///
    /// ```
    /// use simple_future::{Future, State};
    ///
    /// let future: Future<u8> = Future::new();
    /// future.cancel();
    /// assert_eq!(future.set_running_or_notify_cancel().ok(), Some(false));
    /// let again = future.set_running_or_notify_cancel().unwrap_err();
    /// assert_eq!(again.state(), State::Cancelled);
    /// ```
    pub fn set_running_or_notify_cancel(&self) -> Result<bool, InvalidState<()>> {
        self.observer
            .shared()
            .set_running()
            .map_err(|state| InvalidState::new((), state, self.to_string()))
    }

    /// A handle that reads this future but does not keep it completable.
    pub fn observer(&self) -> Observer<T, E> {
        self.observer.clone()
    }

    /// Turns this handle into an [`Observer`], giving up the right to
    /// complete the future (and abandoning it if this was the last
    /// `Future`).
    pub fn into_observer(self) -> Observer<T, E> {
        self.observer.clone()
    }

    #[inline]
    fn complete(&self, outcome: Outcome<T, E>) -> Result<(), (Outcome<T, E>, State)> {
        Shared::finish(&self.observer, outcome, |state| {
            matches!(state, State::Pending | State::Running)
        })
        .map_err(|refused| (refused.outcome, refused.state))
    }
}

impl<T, E> Deref for Future<T, E> {
    type Target = Observer<T, E>;

    fn deref(&self) -> &Observer<T, E> {
        &self.observer
    }
}

impl<T, E> AsRef<Observer<T, E>> for Future<T, E> {
    fn as_ref(&self) -> &Observer<T, E> {
        &self.observer
    }
}

impl<T, E> AsRef<Observer<T, E>> for Observer<T, E> {
    fn as_ref(&self) -> &Observer<T, E> {
        self
    }
}

/// [`Future::with_exception_type`].
impl<T: 'static, E: 'static> Default for Future<T, E> {
    fn default() -> Self {
        Future::with_exception_type()
    }
}

/// Another handle able to complete the same future (also when this one was
/// polled and gave that up).
impl<T, E> Clone for Future<T, E> {
    fn clone(&self) -> Self {
        self.observer.shared().add_completer();
        Future {
            observer: self.observer.clone(),
        }
    }
}

impl<T, E> Drop for Future<T, E> {
    fn drop(&mut self) {
        if self.observer.handle.completes() {
            Shared::remove_completer(&self.observer);
        }
    }
}
