//! `.await` on a future, in any executor.

use std::fmt;
use std::future::IntoFuture;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::ResultError;
use crate::future::Future;
use crate::observer::{Observer, outcome_result};

/// What `.await` on a [`Future`] or an [`Observer`] runs: resolves to a
/// clone of the value, or the error [`result`](Observer::result) would give.
///
/// It needs no particular runtime: completion wakes the task through its
/// [`Waker`](std::task::Waker), from whichever thread completes the future.
/// Awaiting does not stop other threads from blocking on, or attaching
/// callbacks to, the same future.
///
/// Awaiting a `Future` by value turns it into an [`Observer`] first, so an
/// awaiting task does not keep the future completable; dropping a `Wait`
/// unregisters its waker.
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T, E = crate::Exception> {
    observer: Observer<T, E>,
    /// Where this task's waker is registered, once it is.
    key: Option<u64>,
}

impl<T, E> Wait<T, E> {
    fn new(observer: Observer<T, E>) -> Wait<T, E> {
        Wait {
            observer,
            key: None,
        }
    }
}

impl<T: Clone, E> std::future::Future for Wait<T, E> {
    type Output = Result<T, ResultError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.observer.shared().poll_ready(&mut this.key, cx.waker()) {
            // Completion took every waker, ours included.
            this.key = None;
            let outcome = this.observer.shared().outcome();
            let outcome = outcome.expect("a ready future has an outcome");
            Poll::Ready(outcome_result(outcome).cloned())
        } else {
            Poll::Pending
        }
    }
}

impl<T, E> Drop for Wait<T, E> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.observer.shared().remove_waker(key);
        }
    }
}

impl<T, E> fmt::Debug for Wait<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("future", &self.observer)
            .finish()
    }
}

impl<T: Clone, E> IntoFuture for Future<T, E> {
    type Output = Result<T, ResultError<E>>;
    type IntoFuture = Wait<T, E>;

    fn into_future(self) -> Wait<T, E> {
        Wait::new(self.into_observer())
    }
}

impl<T: Clone, E> IntoFuture for &Future<T, E> {
    type Output = Result<T, ResultError<E>>;
    type IntoFuture = Wait<T, E>;

    fn into_future(self) -> Wait<T, E> {
        Wait::new(self.observer())
    }
}

impl<T: Clone, E> IntoFuture for Observer<T, E> {
    type Output = Result<T, ResultError<E>>;
    type IntoFuture = Wait<T, E>;

    fn into_future(self) -> Wait<T, E> {
        Wait::new(self)
    }
}

impl<T: Clone, E> IntoFuture for &Observer<T, E> {
    type Output = Result<T, ResultError<E>>;
    type IntoFuture = Wait<T, E>;

    fn into_future(self) -> Wait<T, E> {
        Wait::new(self.clone())
    }
}
