//! `JoinHandle`: a spawned task's result, as a `simple-future` future.

use std::fmt;
use std::future::IntoFuture;
use std::ops::Deref;
use std::sync::Arc;
use std::task::Wake;

use std::time::Duration;

use simple_future::{Exception, Observer, ResultError, ResultTimeoutError, Wait};

use crate::task::Header;

/// What [`spawn`](crate::LoopHandle::spawn) returns: the task's result, as
/// a `simple-future` future.
///
/// It derefs to the read side of that future, an [`Observer`], so it can be
/// read from any thread ([`result`](JoinHandle::result) blocks until the
/// task is done), called back
/// ([`add_done_callback`](Observer::add_done_callback)), or awaited, in a
/// task on this loop or in any other executor.
///
/// Blocking on the loop's own thread for a task that is not done would
/// never end, since only that thread runs the task: the handle's
/// [`result`](JoinHandle::result), [`result_timeout`](JoinHandle::result_timeout),
/// [`exception`](JoinHandle::exception) and
/// [`exception_timeout`](JoinHandle::exception_timeout) panic there instead,
/// naming the call. A plain [`Observer`] (from [`observer`](JoinHandle::observer),
/// or of any `simple-future` future the loop completes) knows nothing of
/// the loop and cannot tell: blocking on one on the loop's thread still
/// hangs.
///
/// `.await` gives `Ok` with a clone of the output (every awaiter gets one,
/// so it needs `T: Clone`) or the error `result` would give. A task whose
/// output is not `Clone` is read by reference, with
/// [`try_result`](Observer::try_result) once it is done, or with
/// [`run_until_complete`](crate::LoopHandle::run_until_complete).
///
/// - The task's output becomes the future's result.
/// - A task that panics completes it with a
///   [`Panicked`](simple_future::Panicked) exception.
/// - [`cancel`](JoinHandle::cancel) cancels the task: its future is dropped
///   at the loop's next turn, without being polled again (asyncio's
///   `Task.cancel`).
/// - A task dropped unfinished, because the loop was closed, leaves it
///   [abandoned](simple_future::State::Abandoned), so that nobody waits for
///   it forever.
///
/// Dropping the handle detaches the task: it still runs to the end.
pub struct JoinHandle<T> {
    observer: Observer<T>,
    task: Arc<Header>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(observer: Observer<T>, task: Arc<Header>) -> JoinHandle<T> {
        JoinHandle { observer, task }
    }

    /// Cancels the task if it has not finished: the handle is
    /// [cancelled](Observer::cancelled) at once, and the task is woken so
    /// that the loop drops its future at its next turn. Returns whether
    /// this call cancelled it (false if the task was done or cancelled
    /// already).
    ///
    /// (Cancelling through a plain [`Observer`] of the same future, such
    /// as one from [`observer`](JoinHandle::observer), also cancels the
    /// task, but the loop finds out only when the task is next woken.)
    pub fn cancel(&self) -> bool {
        let cancelled = self.observer.cancel();
        if cancelled {
            self.task.wake_by_ref();
        }
        cancelled
    }

    /// Waits until the task is done and returns its output, as
    /// [`Observer::result`] — from another thread.
    ///
    /// # Panics
    ///
    /// On the thread of the task's loop while the task is not done: only
    /// that thread runs the task, so the wait would never end (tokio
    /// panics alike; asyncio's `Task.result()` raises rather than block).
    /// There, `.await` the handle in a task, or run the loop with
    /// [`run_until_complete`](crate::LoopHandle::run_until_complete) or
    /// [`block_on`](crate::LoopHandle::block_on), or poll with
    /// [`try_result`](Observer::try_result).
    #[track_caller]
    pub fn result(&self) -> Result<&T, ResultError<Exception>> {
        self.refuse_to_block("JoinHandle::result()");
        self.observer.result()
    }

    /// Like [`result`](JoinHandle::result), but gives up after `timeout`.
    ///
    /// # Panics
    ///
    /// As [`result`](JoinHandle::result): on the loop's thread no timeout
    /// can help, since the loop cannot run while it waits.
    #[track_caller]
    pub fn result_timeout(&self, timeout: Duration) -> Result<&T, ResultTimeoutError<Exception>> {
        self.refuse_to_block("JoinHandle::result_timeout()");
        self.observer.result_timeout(timeout)
    }

    /// Waits until the task is done and returns its exception, as
    /// [`Observer::exception`].
    ///
    /// # Panics
    ///
    /// As [`result`](JoinHandle::result).
    #[track_caller]
    pub fn exception(&self) -> Result<Option<Arc<Exception>>, ResultError<Exception>> {
        self.refuse_to_block("JoinHandle::exception()");
        self.observer.exception()
    }

    /// Like [`exception`](JoinHandle::exception), but gives up after
    /// `timeout`.
    ///
    /// # Panics
    ///
    /// As [`result`](JoinHandle::result).
    #[track_caller]
    pub fn exception_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<Arc<Exception>>, ResultTimeoutError<Exception>> {
        self.refuse_to_block("JoinHandle::exception_timeout()");
        self.observer.exception_timeout(timeout)
    }

    /// Panics if waiting for the task here would never end.
    #[track_caller]
    fn refuse_to_block(&self, call: &str) {
        if !self.done() && self.task.on_loop_thread() {
            panic!(
                "poll-loop: {call} called on the event loop's own thread before the task is \
                 done: it would block forever, since only this thread runs the task. \
                 `.await` the JoinHandle in a task, run the loop (`run_until_complete`, \
                 `block_on`), or use `try_result()`"
            );
        }
    }

    /// A plain [`Observer`] of the task's result.
    pub fn observer(&self) -> Observer<T> {
        self.observer.clone()
    }

    /// The handle as a plain [`Observer`] of the task's result.
    pub fn into_observer(self) -> Observer<T> {
        self.observer
    }
}

impl<T> Deref for JoinHandle<T> {
    type Target = Observer<T>;

    fn deref(&self) -> &Observer<T> {
        &self.observer
    }
}

impl<T> AsRef<Observer<T>> for JoinHandle<T> {
    fn as_ref(&self) -> &Observer<T> {
        &self.observer
    }
}

impl<T> Clone for JoinHandle<T> {
    fn clone(&self) -> Self {
        JoinHandle {
            observer: self.observer.clone(),
            task: Arc::clone(&self.task),
        }
    }
}

/// `.await` resolves to a clone of the task's output, or the error
/// [`result`](Observer::result) would give.
impl<T: Clone> IntoFuture for JoinHandle<T> {
    type Output = <Observer<T> as IntoFuture>::Output;
    type IntoFuture = Wait<T>;

    fn into_future(self) -> Wait<T> {
        self.observer.into_future()
    }
}

impl<T: Clone> IntoFuture for &JoinHandle<T> {
    type Output = <Observer<T> as IntoFuture>::Output;
    type IntoFuture = Wait<T>;

    fn into_future(self) -> Wait<T> {
        (&self.observer).into_future()
    }
}

/// Python's repr of the task's future, such as
/// `<Future at 0x… state=finished returned i32>`.
impl<T> fmt::Display for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.observer, f)
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("future", &self.observer)
            .field("task", &self.task)
            .finish()
    }
}
