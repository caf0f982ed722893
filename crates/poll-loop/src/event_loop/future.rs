//! Futures completed on other threads, seen on the loop's thread:
//! `run_until_complete` and `on_future_done`.

use std::fmt;
use std::time::Instant;

use simple_future::Observer;

use crate::error::{RunError, RunUntilCompleteError};
use crate::event_loop::inner::LoopHandle;
use crate::event_loop::run::{Exit, Until};
use crate::event_loop::source::{PostAction, Readiness, Source, SourceHandle};
use crate::event_loop::threadsafe::ThreadsafeHandle;

/// The source behind [`LoopHandle::on_future_done`]: ready once its future
/// is done. Its done-callback, which runs on whatever thread completes the
/// future, only wakes the loop; the user's callback runs on the loop.
struct FutureSource<T: 'static, E: 'static> {
    future: Observer<T, E>,
    callback: Option<DoneCallback<T, E>>,
}

type DoneCallback<T, E> = Box<dyn FnOnce(&Observer<T, E>)>;

impl<T: 'static, E: 'static> Source for FutureSource<T, E> {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        if self.future.done() {
            Readiness::Ready
        } else {
            Readiness::Pending
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        if let Some(callback) = self.callback.take() {
            callback(&self.future);
        }
        PostAction::Remove
    }

    fn register(&mut self, waker: &ThreadsafeHandle) {
        let waker = waker.clone();
        self.future.add_done_callback(move |_| waker.wake());
    }
}

impl<T: 'static, E: 'static> fmt::Debug for FutureSource<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureSource")
            .field("state", &self.future.state())
            .finish_non_exhaustive()
    }
}

impl LoopHandle {
    /// Runs the loop until `future` is done, and returns its value.
    ///
    /// The future may be completed by a callback on the loop or by any other
    /// thread; completion wakes a sleeping loop. A future that is already
    /// done returns at once, without running the loop. Pass a
    /// [`simple_future::Future`] or an [`Observer`] (a `Future` derefs to
    /// one); the value is borrowed from it, as with
    /// [`Observer::result`].
    ///
    /// As asyncio's, it returns after the iteration in which the future
    /// completed is finished, so that what that iteration queued (the
    /// callbacks scheduled by the completing callback, or by the future's
    /// done-callbacks) has run too; what those queue in turn waits for the
    /// next run.
    ///
    /// # Errors
    ///
    /// - [`RunUntilCompleteError::Run`] if the loop cannot run;
    /// - [`RunUntilCompleteError::Stopped`] if [`stop`](LoopHandle::stop) was
    ///   called before the future was done;
    /// - [`RunUntilCompleteError::Failed`] if the future was cancelled,
    ///   completed with an exception, or abandoned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poll_loop::EventLoop;
    /// use simple_future::Future;
    ///
    /// let lp = EventLoop::new();
    /// let future: Future<&str> = Future::new();
    /// let producer = future.clone();
    /// lp.call_later(Duration::from_millis(10), move || {
    ///     producer.set_result("Hello World").unwrap();
    /// });
    /// assert_eq!(*lp.run_until_complete(&future)?, "Hello World");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_until_complete<'f, T, E>(
        &self,
        future: &'f Observer<T, E>,
    ) -> Result<&'f T, RunUntilCompleteError<E>> {
        if future.done() {
            if self.is_running() {
                return Err(RunError::AlreadyRunning.into());
            }
            if self.is_closed() {
                return Err(RunError::Closed.into());
            }
        } else {
            // Completion on any thread wakes the loop; the loop sees `done`.
            // A wake-up left over after this run returns costs the next run
            // one extra look, nothing more.
            let waker = self.threadsafe();
            future.add_done_callback(move |_| waker.wake());
            if let Exit::Stopped = self.run(&Until::Complete(&|| future.done()))? {
                return Err(RunUntilCompleteError::Stopped);
            }
        }
        Ok(future.result()?)
    }

    /// Calls `callback` on the loop's thread once `future` is done, however
    /// and on whatever thread it is completed (or cancelled, or abandoned).
    ///
    /// This is asyncio's `wrap_future`: a `simple_future` done-callback
    /// runs on the completing thread, which is the wrong place for loop
    /// code, so the done-callback here only wakes the loop, and the loop
    /// runs `callback` in its next iteration. The callback need not be
    /// `Send`. Until then the future counts as a registered source (it
    /// keeps [`run_until_idle`](LoopHandle::run_until_idle) running);
    /// removing the returned handle forgets it.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::thread;
    /// use poll_loop::EventLoop;
    /// use simple_future::Future;
    ///
    /// let lp = EventLoop::new();
    /// let future: Future<u32> = Future::new();
    /// let seen = Rc::new(Cell::new(0)); // not Send: stays on the loop
    /// let sink = seen.clone();
    /// lp.on_future_done(&future, move |f| sink.set(*f.result().unwrap()));
    ///
    /// let producer = future.clone();
    /// let worker = thread::spawn(move || producer.set_result(9).unwrap());
    /// lp.run_until_idle()?;
    /// worker.join().unwrap();
    /// assert_eq!(seen.get(), 9);
    /// # Ok::<(), poll_loop::RunError>(())
    /// ```
    #[track_caller]
    pub fn on_future_done<T, E, F>(&self, future: &Observer<T, E>, callback: F) -> SourceHandle
    where
        T: 'static,
        E: 'static,
        F: FnOnce(&Observer<T, E>) + 'static,
    {
        self.insert_source(FutureSource {
            future: future.clone(),
            callback: Some(Box::new(callback)),
        })
    }
}
