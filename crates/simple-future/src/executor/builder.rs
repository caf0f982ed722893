//! Setting up a pool: the most workers it runs, their names, their stack
//! size, and what each runs first.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use super::pool::{Initializer, Pool};
use super::{BuildError, ThreadPoolExecutor};

/// Sets up a [`ThreadPoolExecutor`]; get one from
/// [`ThreadPoolExecutor::builder`].
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use simple_future::ThreadPoolExecutor;
///
/// let started = Arc::new(AtomicUsize::new(0));
/// let counter = Arc::clone(&started);
/// let pool = ThreadPoolExecutor::builder()
///     .workers(4)
///     .thread_name_prefix("io")
///     .initializer(move || {
///         counter.fetch_add(1, Ordering::SeqCst);
///     })
///     .build()?;
/// pool.submit(|| ())?.result()?;
/// pool.shutdown(true);
/// // Once per worker that started: here one, which ran the only task.
/// assert_eq!(started.load(Ordering::SeqCst), pool.worker_count());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct ThreadPoolBuilder {
    workers: Option<usize>,
    thread_name_prefix: Option<String>,
    stack_size: Option<usize>,
    initializer: Option<Initializer>,
}

/// Numbers the pools, for the default thread names, as Python does.
static POOLS: AtomicU64 = AtomicU64::new(0);

impl ThreadPoolBuilder {
    /// The most worker threads the pool runs: Python's `max_workers`. They
    /// start as work arrives, when no worker is idle (see
    /// [`ThreadPoolExecutor`]). The default is Python's: the number of CPUs
    /// plus 4, at most 32. Any number is fine, `usize::MAX` too: nothing is
    /// allocated per worker before it starts.
    pub fn workers(mut self, workers: usize) -> ThreadPoolBuilder {
        self.workers = Some(workers);
        self
    }

    /// Names the workers `{prefix}_0`, `{prefix}_1`, …; the prefix also
    /// names the pool in `tracing` events. The default prefix is
    /// `ThreadPoolExecutor-{n}`, `n` counting the pools of this process, as
    /// in Python.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> ThreadPoolBuilder {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// The stack size of each worker, in bytes (the default is `std`'s).
    pub fn stack_size(mut self, bytes: usize) -> ThreadPoolBuilder {
        self.stack_size = Some(bytes);
        self
    }

    /// Runs `initializer` once on each worker thread as it starts, before
    /// it takes any work: Python's `initializer`.
    ///
    /// If it panics, the pool is *broken*, as Python's is: the panic is
    /// reported as a `tracing` error event, the work still queued fails with
    /// a [`Broken`](crate::Broken) exception (all of it, even if a closure
    /// panics as it is dropped: that is reported too), and later
    /// submissions are refused with a [`SubmitError`](crate::SubmitError)
    /// that says so.
    /// Workers that did start go on with the work they took.
    pub fn initializer<F>(mut self, initializer: F) -> ThreadPoolBuilder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.initializer = Some(Arc::new(initializer));
        self
    }

    /// Makes the pool and starts its first worker.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoWorkers`] for zero workers; [`BuildError::Spawn`] if
    /// the operating system refuses the first worker thread.
    pub fn build(self) -> Result<ThreadPoolExecutor, BuildError> {
        let workers = self.workers.unwrap_or_else(default_workers);
        if workers == 0 {
            return Err(BuildError::NoWorkers);
        }
        let name = self.thread_name_prefix.unwrap_or_else(|| {
            format!(
                "ThreadPoolExecutor-{}",
                POOLS.fetch_add(1, Ordering::Relaxed)
            )
        });
        let pool = Pool::new(name, workers, self.initializer, self.stack_size);
        if let Err(error) = pool.start_worker() {
            tracing::debug!(pool = %pool.name, %error, "could not spawn a worker");
            // Closing the queue lets the pool go.
            pool.close();
            return Err(BuildError::Spawn(error));
        }
        // The first worker waits for the first task.
        pool.mark_idle();
        tracing::debug!(pool = %pool.name, max_workers = workers, "thread pool started");
        Ok(ThreadPoolExecutor { pool })
    }
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("workers", &self.workers)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field("stack_size", &self.stack_size)
            .field("initializer", &self.initializer.as_ref().map(|_| ".."))
            .finish()
    }
}

/// Python's default: `min(32, os.cpu_count() + 4)`.
fn default_workers() -> usize {
    let cpus = thread::available_parallelism().map_or(1, usize::from);
    (cpus + 4).min(32)
}
