//! `JoinHandle`: a spawned task's outcome — a std future that moves the
//! output out, and a many-reader `simple-future` view.

mod output;

use std::fmt;
use std::future::{Future as StdFuture, IntoFuture};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use simple_future::{Exception, Observer, ResultError, ResultTimeoutError, State};

pub(crate) use self::output::{Output, report_unretrieved};
use crate::error::JoinError;
use crate::state::tasks::Header;
use crate::task::is_polling;

/// What [`spawn`](crate::LoopHandle::spawn) returns: the task's outcome.
///
/// It is a [`std::future::Future`] itself: `.await` it (in a task on this
/// loop, in [`block_on`](crate::LoopHandle::block_on), or in any other
/// executor), or pass it wherever a future is expected, such as
/// `futures::future::join_all(handles)`. Awaiting it **moves the output
/// out**, as tokio's `JoinHandle` does, so it works for any `T` (a
/// connection, a file): `Ok(output)`, or a [`JoinError`] saying why there
/// is none.
///
/// It also derefs to a many-reader view of the outcome, a `simple-future`
/// [`Observer`], so it can be read by reference from any thread
/// ([`result`](JoinHandle::result) blocks until the task is done,
/// [`try_result`](Observer::try_result) does not), called back
/// ([`add_done_callback`](Observer::add_done_callback)) or passed to
/// [`run_until_complete`](crate::LoopHandle::run_until_complete).
/// `(&handle).await` gives each awaiter a clone, so it needs `T: Clone`.
///
/// # One output, one place
///
/// The output is handed out once, to whichever kind of reader comes first:
///
/// - a by-value `.await` moves it out; the view made after that shows the
///   task finished with the exception [`JoinError::Taken`], and a second
///   by-value `.await` (of a clone of the handle) gets `Err(JoinError::Taken)`;
/// - a read through the view (anything through `Deref`, such as `result()`,
///   `try_result()`, `add_done_callback()`, `run_until_complete(&handle)`,
///   or [`observer`](JoinHandle::observer)) moves it into the view, where
///   every reader borrows it; a by-value `.await` after that gets
///   `Err(JoinError::Shared)` (await `&handle` instead).
///
/// [`state`](JoinHandle::state), [`done`](JoinHandle::done),
/// [`cancelled`](JoinHandle::cancelled), [`cancel`](JoinHandle::cancel),
/// `Display` and `Debug` do not claim the output. Failures (cancelled,
/// panicked, abandoned) are seen alike by every reader of either kind.
///
/// # Outcomes
///
/// - The task's output is the result.
/// - A task that panics fails with its [`Panicked`](simple_future::Panicked)
///   (`JoinError::Panicked` when awaited; a `Panicked` exception in the
///   view). If nobody reads that panic, an ERROR event "task exception was
///   never retrieved" names the task (as [`current_task`](crate::current_task)
///   did: its number, its name if it has one, where it was spawned) when its
///   last handle goes away (asyncio logs the same).
/// - [`cancel`](JoinHandle::cancel) cancels the task: its future is dropped
///   at the loop's next turn, without being polled again — nothing is
///   thrown into it (asyncio throws `CancelledError` into the coroutine;
///   here, as with tokio's `abort`, cancellation is a drop).
/// - A task dropped unfinished, because the loop was closed, is
///   [abandoned](simple_future::State::Abandoned), so that nobody waits for
///   it forever.
/// - A task that awaits its own handle gets `Err(JoinError::AwaitedItself)`
///   at once instead of hanging.
///
/// # Detaching, and cancelling on timeout
///
/// Dropping the handle detaches the task: it still runs to the end, and
/// once its last handle (and [view](JoinHandle::observer)) is gone, the loop
/// stops keeping a place for its output, which nobody could read; a panic
/// is still reported as never retrieved. So does
/// a [`timeout`](crate::timeout) that expires over a handle: it drops the
/// handle, not the task (asyncio's `wait_for` cancels the task). To cancel
/// on timeout, keep a clone:
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, JoinError, sleep, timeout};
///
/// let lp = EventLoop::new();
/// let slow = lp.spawn(sleep(Duration::from_secs(60)));
/// let outcome = lp.block_on(async {
///     match timeout(Duration::from_millis(10), slow.clone()).await {
///         Ok(done) => done,
///         Err(_elapsed) => {
///             slow.cancel(); // asyncio's wait_for does this for you
///             Err(JoinError::Cancelled)
///         }
///     }
/// })?;
/// assert_eq!(outcome, Err(JoinError::Cancelled));
/// lp.run_until_idle()?; // returns at once: the task is gone
/// assert!(slow.cancelled());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Examples
///
/// Awaiting moves the output out, so it need not be `Clone`:
///
/// ```
/// use poll_loop::EventLoop;
///
/// struct Connection(u16); // not Clone
///
/// let lp = EventLoop::new();
/// let connection = lp.block_on(async {
///     let task = lp.spawn(async { Connection(8080) });
///     task.await
/// })??;
/// assert_eq!(connection.0, 8080);
///
/// // Or read by reference, from any thread, once the loop has run it:
/// let task = lp.spawn(async { Connection(443) });
/// lp.run_until_idle()?;
/// assert_eq!(task.try_result()?.0, 443);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JoinHandle<T: 'static> {
    output: Arc<Output<T>>,
    task: Arc<Header>,
    /// This handle's registration as a by-value awaiter, once polled.
    waiter: Option<u64>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(output: Arc<Output<T>>, task: Arc<Header>) -> JoinHandle<T> {
        JoinHandle {
            output,
            task,
            waiter: None,
        }
    }

    /// Asks the task to stop if it has not finished: the task is woken,
    /// and at its next poll the loop drops its future instead (Rust's
    /// cancellation: whatever the future holds, a guard or a place in a
    /// queue, is released by its `Drop`). Only then is the task
    /// [cancelled](JoinHandle::cancelled) and its awaiters woken, as
    /// asyncio's `await task` returns once the task's `finally` blocks ran;
    /// until then it is still pending. Returns whether this call asked
    /// first: false if the task was done or asked already.
    ///
    /// Cancelling through the view ([`Observer::cancel`], on any handle's
    /// view or an [`observer`](JoinHandle::observer)) cancels the task as
    /// well; the view itself, a `concurrent.futures`-shaped future, is
    /// cancelled at once.
    pub fn cancel(&self) -> bool {
        let cancelled = self.output.cancel();
        if cancelled {
            Waker::from(Arc::clone(&self.task)).wake();
        }
        cancelled
    }

    /// The task's state: [`Pending`](State::Pending) until it is done, then
    /// [`Finished`](State::Finished) (returned or panicked),
    /// [`Cancelled`](State::Cancelled) or [`Abandoned`](State::Abandoned).
    /// Does not claim the output.
    pub fn state(&self) -> State {
        self.output.state()
    }

    /// True once the task is finished, cancelled or abandoned. Does not
    /// claim the output.
    pub fn done(&self) -> bool {
        self.state().is_done()
    }

    /// True if the task was cancelled. Does not claim the output.
    pub fn cancelled(&self) -> bool {
        self.state() == State::Cancelled
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
        self.view().result()
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
        self.view().result_timeout(timeout)
    }

    /// Waits until the task is done and returns its exception, as
    /// [`Observer::exception`].
    ///
    /// # Panics
    ///
    /// As [`result`](JoinHandle::result).
    #[track_caller]
    pub fn exception(&self) -> Result<Option<std::sync::Arc<Exception>>, ResultError<Exception>> {
        self.refuse_to_block("JoinHandle::exception()");
        self.view().exception()
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
    ) -> Result<Option<std::sync::Arc<Exception>>, ResultTimeoutError<Exception>> {
        self.refuse_to_block("JoinHandle::exception_timeout()");
        self.view().exception_timeout(timeout)
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

    /// A plain [`Observer`] of the task's outcome (claiming the output for
    /// the view, see [the type's docs](JoinHandle#one-output-one-place)).
    pub fn observer(&self) -> Observer<T> {
        self.view().clone()
    }

    /// The handle as a plain [`Observer`] of the task's outcome.
    pub fn into_observer(self) -> Observer<T> {
        self.observer()
    }

    /// The many-reader view, made on first use.
    fn view(&self) -> &Observer<T> {
        self.output.view(self.task.loop_thread(), || {
            Waker::from(Arc::clone(&self.task))
        })
    }
}

impl<T> Deref for JoinHandle<T> {
    type Target = Observer<T>;

    /// The many-reader view (claiming the output for it, see
    /// [the type's docs](JoinHandle#one-output-one-place)).
    fn deref(&self) -> &Observer<T> {
        self.view()
    }
}

impl<T> AsRef<Observer<T>> for JoinHandle<T> {
    fn as_ref(&self) -> &Observer<T> {
        self.view()
    }
}

/// A clone is another handle of the same task (it has not been awaited).
impl<T> Clone for JoinHandle<T> {
    fn clone(&self) -> Self {
        JoinHandle::new(Arc::clone(&self.output), Arc::clone(&self.task))
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter {
            self.output.unregister(key);
        }
        // The last handle of a running task (the task holds the other
        // count): the loop need not keep the output until the task ends.
        if Arc::strong_count(&self.output) == 2
            && self.task.on_loop_thread()
            && self.output.unviewed_and_running()
        {
            if let Some(lp) = crate::event_loop::inner::LoopHandle::current() {
                lp.release_output(&self.task);
            }
        }
    }
}

/// Resolves to the task's output, moved out, or the [`JoinError`] saying
/// why there is none (see [the type's docs](JoinHandle#one-output-one-place)).
/// Polling it again after it resolved gives `Err(JoinError::Taken)`.
impl<T> StdFuture for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            if is_polling(&this.task) {
                return Poll::Ready(Err(JoinError::AwaitedItself));
            }
            match this.output.poll_take(&mut this.waiter, cx.waker()) {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            }
        })
    }
}

/// `(&handle).await`: a clone of the output, which stays in the view for
/// other readers.
impl<'a, T: Clone> IntoFuture for &'a JoinHandle<T> {
    type Output = Result<T, JoinError>;
    type IntoFuture = JoinClone<'a, T>;

    fn into_future(self) -> JoinClone<'a, T> {
        JoinClone {
            handle: self,
            waiter: None,
        }
    }
}

/// What `.await` on a `&JoinHandle` runs: resolves to a clone of the
/// task's output, or the [`JoinError`] saying why there is none. The
/// output stays in the many-reader view (this claims it for the view).
#[must_use = "futures do nothing unless awaited"]
pub struct JoinClone<'a, T: 'static> {
    handle: &'a JoinHandle<T>,
    waiter: Option<u64>,
}

impl<T: Clone> StdFuture for JoinClone<'_, T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            if is_polling(&this.handle.task) {
                return Poll::Ready(Err(JoinError::AwaitedItself));
            }
            this.handle.view();
            match this.handle.output.poll_clone(&mut this.waiter, cx.waker()) {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            }
        })
    }
}

impl<T> Drop for JoinClone<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter {
            self.handle.output.unregister(key);
        }
    }
}

impl<T> fmt::Debug for JoinClone<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinClone")
            .field("handle", self.handle)
            .finish()
    }
}

/// Python's repr of the task's future, such as
/// `<Future at 0x… state=finished returned i32>`. Does not claim the
/// output.
impl<T> fmt::Display for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (state, detail) = self.output.describe();
        write!(
            f,
            "<Future at {:p} state={state}",
            Arc::as_ptr(&self.output)
        )?;
        match detail {
            Some("returned") => write!(f, " returned {}", short_type_name::<T>())?,
            Some(detail) => write!(f, " {detail}")?,
            None => {}
        }
        f.write_str(">")
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("output", &self.output)
            .field("task", &self.task)
            .finish()
    }
}

/// `T`'s name without module paths: `Vec<String>`, not
/// `alloc::vec::Vec<alloc::string::String>`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut short = String::with_capacity(full.len());
    let mut segment = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear(); // a path prefix: drop it
        } else if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else {
            short.push_str(&segment);
            segment.clear();
            short.push(c);
        }
    }
    short.push_str(&segment);
    short
}
