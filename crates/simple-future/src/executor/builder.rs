//! Setting up a pool: the number of workers, their names, their stack
//! size.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;

use super::worker::{self, Lifecycle};
use super::{BuildError, ThreadPoolExecutor};

/// Sets up a [`ThreadPoolExecutor`]; get one from
/// [`ThreadPoolExecutor::builder`].
#[derive(Clone, Debug, Default)]
pub struct ThreadPoolBuilder {
    workers: Option<usize>,
    thread_name_prefix: Option<String>,
    stack_size: Option<usize>,
}

/// Numbers the pools, for the default thread names, as Python does.
static POOLS: AtomicU64 = AtomicU64::new(0);

impl ThreadPoolBuilder {
    /// How many worker threads to start (Python's `max_workers`, except
    /// that all start at once). The default is Python's: the number of
    /// CPUs plus 4, at most 32.
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

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoWorkers`] for zero workers; [`BuildError::Spawn`] if
    /// the operating system refuses a thread, after stopping the ones
    /// already started.
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
        let lifecycle = Arc::new(Lifecycle::new(name));
        let (sender, backlog) = crossbeam_channel::unbounded();
        let mut threads = Vec::with_capacity(workers);
        for index in 0..workers {
            let mut builder = thread::Builder::new().name(format!("{}_{index}", lifecycle.name));
            if let Some(bytes) = self.stack_size {
                builder = builder.stack_size(bytes);
            }
            let (worker_lifecycle, queue) = (Arc::clone(&lifecycle), backlog.clone());
            lifecycle.starting();
            match builder.spawn(move || worker::work(worker_lifecycle, queue)) {
                Ok(thread) => threads.push(thread),
                Err(error) => {
                    lifecycle.exited();
                    tracing::debug!(pool = %lifecycle.name, %error, "could not spawn a worker");
                    // Closing the queue stops the workers already started.
                    drop(sender);
                    for thread in threads {
                        let _ = thread.join();
                    }
                    return Err(BuildError::Spawn(error));
                }
            }
        }
        tracing::debug!(pool = %lifecycle.name, workers, "thread pool started");
        Ok(ThreadPoolExecutor {
            queue: RwLock::new(Some(sender)),
            backlog,
            worker_ids: threads.iter().map(|t| t.thread().id()).collect(),
            threads: Mutex::new(threads),
            lifecycle,
            next_task: AtomicU64::new(0),
        })
    }
}

/// Python's default: `min(32, os.cpu_count() + 4)`.
fn default_workers() -> usize {
    let cpus = thread::available_parallelism().map_or(1, usize::from);
    (cpus + 4).min(32)
}
