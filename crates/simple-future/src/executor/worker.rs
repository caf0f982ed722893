//! The worker side of the pool: a queued piece of work with its future, and
//! the loop every worker thread runs.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crossbeam_channel::Receiver;

use crate::future::Future;
use crate::panic::Panicked;

/// Work in the queue, its types erased.
pub(super) trait Job: Send {
    /// Runs the work and completes its future, unless the future was
    /// cancelled (or completed through another handle) first. Never
    /// unwinds: a panic in the work becomes the future's exception.
    fn run(self: Box<Self>, pool: &str);

    /// Cancels the future and drops the work unrun.
    fn cancel(self: Box<Self>, pool: &str);
}

pub(super) type BoxedJob = Box<dyn Job>;

/// A closure and the future it completes: Python's `_WorkItem`.
pub(super) struct WorkItem<F, T, E> {
    pub(super) id: u64,
    pub(super) future: Future<T, E>,
    pub(super) work: F,
}

impl<F, T, E> Job for WorkItem<F, T, E>
where
    F: FnOnce() -> Result<T, E> + Send,
    T: Send + Sync,
    E: From<Panicked> + Send + Sync,
{
    fn run(self: Box<Self>, pool: &str) {
        let WorkItem { id, future, work } = *self;
        match future.set_running_or_notify_cancel() {
            Ok(true) => {}
            Ok(false) => {
                tracing::trace!(pool, task = id, "task cancelled before it ran; skipped");
                return;
            }
            Err(refused) => {
                // Someone completed the future through their own handle
                // before it ran; the work has no future left to complete.
                tracing::debug!(pool, task = id, state = %refused.state(), "task already done before it ran; skipped");
                return;
            }
        }
        tracing::trace!(pool, task = id, "task started");
        let outcome = match panic::catch_unwind(AssertUnwindSafe(work)) {
            Ok(Ok(value)) => future.set_result(value).map_err(drop),
            Ok(Err(error)) => future.set_exception(error).map_err(drop),
            Err(payload) => {
                let panicked = Panicked::from_payload(payload.as_ref());
                tracing::trace!(pool, task = id, %panicked, "task panicked");
                future.set_exception(E::from(panicked)).map_err(drop)
            }
        };
        if outcome.is_err() {
            tracing::debug!(
                pool,
                task = id,
                "task finished, but its future was already done"
            );
        } else {
            tracing::trace!(pool, task = id, "task finished");
        }
    }

    fn cancel(self: Box<Self>, pool: &str) {
        self.future.cancel();
        tracing::trace!(pool, task = self.id, "queued task cancelled by shutdown");
    }
}

/// What the pool and its workers share: how many workers are still alive.
#[derive(Debug)]
pub(super) struct Lifecycle {
    pub(super) name: String,
    live: Mutex<usize>,
    exited: Condvar,
}

impl Lifecycle {
    pub(super) fn new(name: String) -> Lifecycle {
        Lifecycle {
            name,
            live: Mutex::new(0),
            exited: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // Only counting happens under this lock.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a worker about to start.
    pub(super) fn starting(&self) {
        *self.lock() += 1;
    }

    /// Uncounts a worker that is gone (or that never started).
    pub(super) fn exited(&self) {
        let mut live = self.lock();
        *live -= 1;
        if *live == 0 {
            self.exited.notify_all();
        }
    }

    /// Blocks until no worker is left.
    pub(super) fn wait_for_exit(&self) {
        let mut live = self.lock();
        while *live > 0 {
            live = self
                .exited
                .wait(live)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A worker thread's life: run jobs until the queue is closed and empty.
pub(super) fn work(lifecycle: Arc<Lifecycle>, queue: Receiver<BoxedJob>) {
    // Uncounts this worker however the loop ends.
    struct Exit(Arc<Lifecycle>);
    impl Drop for Exit {
        fn drop(&mut self) {
            tracing::debug!(pool = %self.0.name, "worker exited");
            self.0.exited();
        }
    }
    let exit = Exit(lifecycle);
    for job in queue {
        // `run` contains the work's panics itself; this outer guard only
        // keeps a worker alive through a panic in our own bookkeeping or in
        // a value's `Drop`, and costs nothing when nothing panics.
        if panic::catch_unwind(AssertUnwindSafe(|| job.run(&exit.0.name))).is_err() {
            tracing::error!(pool = %exit.0.name, "a task panicked outside its closure");
        }
    }
}
