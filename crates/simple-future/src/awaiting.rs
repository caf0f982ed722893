//! `.await` on a future, in any executor: [`Observer`] and [`Future`] are
//! `std::future::Future`s themselves.

use std::future::IntoFuture;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::ResultError;
use crate::future::Future;
use crate::observer::{Observer, outcome_result};
use crate::shared::Shared;

/// What `.await` on a [`Future`] or an [`Observer`] runs, kept as a name
/// for code written when it was a type of its own: an [`Observer`], which
/// is a [`std::future::Future`] itself.
pub type Wait<T, E = crate::Exception> = Observer<T, E>;

/// Resolves to a clone of the value, or the error
/// [`result`](Observer::result) would give.
///
/// It needs no particular runtime: completion wakes the task through its
/// [`Waker`](std::task::Waker), from whichever thread completes the future.
/// Awaiting does not stop other threads from blocking on, or attaching
/// callbacks to, the same future. Polling again with another waker replaces
/// the one registered; dropping a handle that waits unregisters its waker.
/// A handle that is ready can be polled again and gives the same answer.
impl<T: Clone, E> std::future::Future for Observer<T, E> {
    type Output = Result<T, ResultError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (shared, handle) = self.get_mut().shared_and_handle();
        let mut key = handle.waker_key();
        let ready = shared.poll_ready(&mut key, cx.waker());
        // Once ready, completion has taken every waker, ours included.
        handle.set_waker_key(if ready { None } else { key });
        if ready {
            let outcome = shared
                .read_outcome()
                .expect("a ready future has an outcome");
            Poll::Ready(outcome_result(outcome).cloned())
        } else {
            Poll::Pending
        }
    }
}

/// Like [`Observer`]'s; but polling a `Future` handle (awaiting it by value)
/// first gives up its part in keeping the future completable, as
/// [`into_observer`](Future::into_observer) does, so an awaiting task does
/// not wait for itself: if it held the last `Future` handle, the future is
/// [`Abandoned`](crate::State::Abandoned) and the `.await` says so. Await a
/// reference, `(&future).await`, to keep the handle able to complete.
impl<T: Clone, E> std::future::Future for Future<T, E> {
    type Output = Result<T, ResultError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.observer.handle.completes() {
            this.observer.handle.give_up_completing();
            Shared::remove_completer(&this.observer);
        }
        Pin::new(&mut this.observer).poll(cx)
    }
}

/// `(&future).await` waits through a new [`Observer`], and leaves the
/// future completable through this handle.
impl<T: Clone, E> IntoFuture for &Future<T, E> {
    type Output = Result<T, ResultError<E>>;
    type IntoFuture = Observer<T, E>;

    fn into_future(self) -> Observer<T, E> {
        self.observer()
    }
}

/// `(&observer).await` waits through a clone.
impl<T: Clone, E> IntoFuture for &Observer<T, E> {
    type Output = Result<T, ResultError<E>>;
    type IntoFuture = Observer<T, E>;

    fn into_future(self) -> Observer<T, E> {
        self.clone()
    }
}
