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
pub struct Future<T, E = crate::Exception> {
    observer: Observer<T, E>,
}

impl<T, E> Future<T, E> {
    /// A new, pending future.
    pub fn new() -> Future<T, E> {
        Future {
            observer: Observer::from_shared(Arc::new(Shared::new())),
        }
    }

    /// Completes the future with a value: wakes every waiter and runs the
    /// done-callbacks, on this thread, in the order they were added.
    ///
    /// Fails with the value handed back if the future is already done
    /// (finished or cancelled); works while it is pending or running.
    pub fn set_result(&self, value: T) -> Result<(), InvalidState<T>> {
        self.complete(Outcome::Returned(value))
            .map_err(|(outcome, state)| match outcome {
                Outcome::Returned(value) => InvalidState::new(value, state),
                _ => unreachable!("a refused outcome comes back unchanged"),
            })
    }

    /// Completes the future with an exception; like
    /// [`set_result`](Future::set_result) otherwise.
    pub fn set_exception(&self, error: E) -> Result<(), InvalidState<E>> {
        self.complete(Outcome::Raised(std::sync::Arc::new(error)))
            .map_err(|(outcome, state)| match outcome {
                Outcome::Raised(error) => match std::sync::Arc::try_unwrap(error) {
                    Ok(error) => InvalidState::new(error, state),
                    Err(_) => unreachable!("a refused exception was never shared"),
                },
                _ => unreachable!("a refused outcome comes back unchanged"),
            })
    }

    /// For executors, just before running the work: moves a pending future
    /// to [`Running`](State::Running) and returns `true`, after which it can
    /// no longer be cancelled. Returns `false` if it was cancelled: skip the
    /// work (its waiters already know).
    ///
    /// Fails if the future is already running or done, as in Python. One
    /// difference: asking again about a cancelled future answers `false`
    /// again, where Python raises on the second call.
    pub fn set_running_or_notify_cancel(&self) -> Result<bool, InvalidState<()>> {
        self.observer
            .shared()
            .set_running()
            .map_err(|state| InvalidState::new((), state))
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

impl<T, E> Default for Future<T, E> {
    fn default() -> Self {
        Future::new()
    }
}

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
        Shared::remove_completer(&self.observer);
    }
}
