//! Shutting a pool down: Python's `shutdown(wait, cancel_futures)`, and
//! `Drop`.

use std::thread;

use super::ThreadPoolExecutor;

impl ThreadPoolExecutor {
    /// Python's `shutdown(wait)`: takes no more work, and with `wait`
    /// blocks until all queued work has run and the workers have exited.
    /// Queued work still runs either way; see
    /// [`shutdown_with`](ThreadPoolExecutor::shutdown_with) to cancel it.
    ///
    /// ```
    /// use simple_future::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let work = pool.submit(|| "done")?;
    /// pool.shutdown(true);
    /// assert_eq!(*work.try_result()?, "done");
    /// assert!(pool.submit(|| "too late").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, wait: bool) {
        self.shutdown_with(ShutdownOptions {
            wait,
            ..ShutdownOptions::default()
        });
    }

    /// Python's `shutdown(wait, *, cancel_futures)`: stops taking work,
    /// optionally cancels the queued work, optionally waits.
    ///
    /// - Later [`submit`](ThreadPoolExecutor::submit)s and
    ///   [`map`](ThreadPoolExecutor::map)s fail with
    ///   [`SubmitError`](super::SubmitError).
    /// - With [`cancel_futures`](ShutdownOptions::cancel_futures), every
    ///   future whose work no worker has taken yet is cancelled (its
    ///   done-callbacks run on this thread) and its closure dropped unrun.
    ///   A closure whose `Drop` panics (in something it captured) is
    ///   reported as a `tracing` error event, as a panicking done-callback
    ///   is; the other futures are cancelled all the same, and this call
    ///   does not panic. Running work is not interrupted. Without
    ///   `cancel_futures`, queued work still runs.
    /// - With [`wait`](ShutdownOptions::wait), this blocks until the workers
    ///   have run what is left and exited, and joins them. Called from one
    ///   of the pool's own workers (a task, or a done-callback running on a
    ///   worker) it does not wait, since the worker would wait for itself,
    ///   and two workers shutting down at once would wait for each other;
    ///   the workers still exit once the queue is empty.
    ///
    /// Calling it again is harmless; a later call with `wait` waits too.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use simple_future::{ShutdownOptions, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(1)?;
    /// let (release, blocked) = mpsc::channel::<()>();
    /// let running = pool.submit(move || blocked.recv().unwrap())?;
    /// let queued = pool.submit(|| "never runs")?;
    /// while !running.running() {
    ///     std::thread::yield_now();
    /// }
    ///
    /// pool.shutdown_with(ShutdownOptions { wait: false, cancel_futures: true });
    /// assert!(queued.cancelled());
    /// release.send(()).unwrap();
    /// assert!(running.result().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown_with(&self, options: ShutdownOptions) {
        let pool = &self.pool;
        // Closing the queue: the workers exit once it is empty.
        if pool.close() {
            tracing::debug!(pool = %pool.name, ?options, "thread pool shutting down");
        }
        if options.cancel_futures {
            let queued = pool.take_queued();
            let cancelled = queued.len();
            // `cancel` never unwinds (a closure whose `Drop` panics is
            // reported), so every queued future ends cancelled.
            for job in queued {
                job.cancel(&pool.name);
            }
            tracing::debug!(pool = %pool.name, cancelled, "queued tasks cancelled");
        }
        if !options.wait {
            return;
        }
        if pool.is_worker(thread::current().id()) {
            tracing::debug!(pool = %pool.name, "shutdown called on a worker: not waiting");
            return;
        }
        pool.lifecycle.wait_for_exit();
        for thread in pool.take_threads() {
            // Workers never unwind (see `worker::work`), so this is `Ok`.
            let _ = thread.join();
        }
    }
}

/// Shuts the pool down and waits, as
/// [`shutdown(true)`](ThreadPoolExecutor::shutdown) does (so not on one of
/// its own workers).
impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        self.shutdown(true);
    }
}

/// How [`ThreadPoolExecutor::shutdown_with`] shuts down. The default is
/// Python's: wait, and let queued work run.
///
/// ```
/// use simple_future::ShutdownOptions;
///
/// let options = ShutdownOptions { cancel_futures: true, ..ShutdownOptions::default() };
/// assert!(options.wait);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShutdownOptions {
    /// Block until the queued work has run and the workers have exited.
    /// Default `true`.
    pub wait: bool,
    /// Cancel the futures whose work has not started, instead of running
    /// it. Default `false`. (Python 3.9's `cancel_futures`.)
    pub cancel_futures: bool,
}

impl Default for ShutdownOptions {
    fn default() -> Self {
        ShutdownOptions {
            wait: true,
            cancel_futures: false,
        }
    }
}
