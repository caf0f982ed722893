//! The bridge from blocking code: `run_in_executor` runs a closure on a
//! thread pool and gives the loop a future to await.

use std::thread;

use simple_future::{Future, SubmitError, ThreadPoolExecutor};

use crate::event_loop::inner::LoopHandle;

impl LoopHandle {
    /// Runs the blocking `work` on the loop's thread pool and returns its
    /// future at once — asyncio's `run_in_executor`.
    ///
    /// The loop runs one thing at a time, so anything that blocks (a
    /// synchronous read, a long computation, `thread::sleep`) must not run
    /// on it: debug mode reports a task poll or callback that takes longer
    /// than [`slow_callback_duration`](LoopHandle::slow_callback_duration),
    /// naming where it was spawned. Move such work here instead and
    /// `.await` the future in a task; it completes on a worker thread, and
    /// the completion wakes the loop. A panic in `work` completes the
    /// future with a [`Panicked`](simple_future::Panicked) exception.
    ///
    /// The pool is a [`ThreadPoolExecutor`] made on first use, with
    /// Python's default size (CPUs + 4, at most 32), unless one was set
    /// with [`set_default_executor`](LoopHandle::set_default_executor).
    /// Closing the loop cancels the work not yet started and waits for the
    /// work already running.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `work` back, if the pool was shut down.
    ///
    /// # Panics
    ///
    /// If the loop is closed, or the pool's threads cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poll_loop::EventLoop;
    ///
    /// let lp = EventLoop::new();
    /// let sum = lp.block_on(async {
    ///     let slow = lp.run_in_executor(|| {
    ///         std::thread::sleep(Duration::from_millis(20)); // blocking: fine here
    ///         (1..=10).sum::<u64>()
    ///     })?;
    ///     Ok::<_, Box<dyn std::error::Error>>(slow.await?)
    /// })??;
    /// assert_eq!(sum, 55);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_in_executor<F, T>(&self, work: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + Sync + 'static,
    {
        let mut executor = self.live().executor.borrow_mut();
        let pool = executor.get_or_insert_with(default_executor);
        pool.submit(work)
    }

    /// Makes `pool` the pool of [`run_in_executor`](LoopHandle::run_in_executor).
    /// A previous pool is dropped, which waits for the work it runs.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    pub fn set_default_executor(&self, pool: ThreadPoolExecutor) {
        let previous = self.live().executor.replace(Some(pool));
        drop(previous); // outside the borrow
    }
}

fn default_executor() -> ThreadPoolExecutor {
    let cpus = thread::available_parallelism().map_or(1, usize::from);
    ThreadPoolExecutor::builder()
        .workers((cpus + 4).min(32))
        .thread_name_prefix("poll-loop-executor")
        .build()
        .expect("poll-loop: cannot start the run_in_executor pool")
}
