//! The worker side of the pool: a queued piece of work with its future, and
//! the loop every worker thread runs.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crossbeam_channel::Receiver;

use super::error::Broken;
use super::pool::Pool;
use crate::future::Future;
use crate::panic::{Panicked, catch};

/// Work in the queue, its types erased.
pub(super) trait Job: Send {
    /// Runs the work and completes its future, unless the future was
    /// cancelled (or completed through another handle) first; the worker
    /// counts as idle again as soon as the work itself is over. A panic in
    /// the work becomes the future's exception; one in dropping work left
    /// unrun is reported. (Dropping the value the future refused, or the
    /// future itself if this was its last handle, may still unwind: the
    /// worker's loop contains that.)
    fn run(self: Box<Self>, pool: &Pool);

    /// Cancels the future and drops the work unrun. Never unwinds: a panic
    /// in a `Drop` there is reported (see [`discard`]), so a loop over the
    /// queue cancels every task.
    fn cancel(self: Box<Self>, pool: &str);

    /// Fails the future with `broken` and drops the work unrun. Never
    /// unwinds, as [`cancel`](Job::cancel).
    fn fail(self: Box<Self>, pool: &str, broken: &Broken);
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
    E: From<Panicked> + From<Broken> + Send + Sync,
{
    fn run(self: Box<Self>, pool: &Pool) {
        let name = pool.name.as_str();
        let WorkItem { id, future, work } = *self;
        match future.set_running_or_notify_cancel() {
            Ok(true) => {}
            Ok(false) => {
                pool.mark_idle();
                tracing::trace!(
                    pool = name,
                    task = id,
                    "task cancelled before it ran; skipped"
                );
                discard(future, work, name, id);
                return;
            }
            Err(refused) => {
                pool.mark_idle();
                // Someone completed the future through their own handle
                // before it ran; the work has no future left to complete.
                tracing::debug!(pool = name, task = id, state = %refused.state(), "task already done before it ran; skipped");
                discard(future, work, name, id);
                return;
            }
        }
        tracing::trace!(pool = name, task = id, "task started");
        // The closure's captures are dropped inside, when it returns.
        let outcome = catch(work);
        // Idle before the future completes: whoever its completion wakes
        // and submits again finds this worker (Python's idle semaphore).
        pool.mark_idle();
        let outcome = match outcome {
            Ok(Ok(value)) => future.set_result(value).map_err(drop),
            Ok(Err(error)) => future.set_exception(error).map_err(drop),
            Err(panicked) => {
                tracing::trace!(pool = name, task = id, %panicked, "task panicked");
                future.set_exception(E::from(panicked)).map_err(drop)
            }
        };
        if outcome.is_err() {
            tracing::debug!(
                pool = name,
                task = id,
                "task finished, but its future was already done"
            );
        } else {
            tracing::trace!(pool = name, task = id, "task finished");
        }
    }

    fn cancel(self: Box<Self>, pool: &str) {
        let WorkItem { id, future, work } = *self;
        future.cancel();
        tracing::trace!(pool, task = id, "queued task cancelled by shutdown");
        discard(future, work, pool, id);
    }

    fn fail(self: Box<Self>, pool: &str, broken: &Broken) {
        let WorkItem { id, future, work } = *self;
        let _ = future.set_exception(E::from(broken.clone()));
        tracing::trace!(pool, task = id, "queued task failed: the pool is broken");
        discard(future, work, pool, id);
    }
}

/// Drops a task's work unrun, and the pool's handle on its future, once the
/// future is done with. Neither unwinds: a panic in the `Drop` of what the
/// closure captured (or of the future's value, if the pool's handle was its
/// last) is reported as an error event, as a panicking done-callback is, so
/// that a loop over queued work (shutdown's cancel, a broken pool's fail)
/// gets through every task, and a worker skipping a task lives on.
fn discard<F, T, E>(future: Future<T, E>, work: F, pool: &str, id: u64) {
    if let Err(panicked) = catch(move || drop(work)) {
        tracing::error!(
            pool,
            task = id,
            panic = panicked.report(),
            "dropping a task's closure panicked"
        );
    }
    future.into_observer().drop_contained();
}

/// How many workers are still alive, for `shutdown(wait)`.
#[derive(Debug, Default)]
pub(super) struct Lifecycle {
    live: Mutex<usize>,
    exited: Condvar,
}

impl Lifecycle {
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

/// A worker thread's life: the initializer, then jobs until the queue is
/// closed and empty.
pub(super) fn work(pool: Arc<Pool>, queue: Receiver<BoxedJob>) {
    // Uncounts this worker however the loop ends.
    struct Exit(Arc<Pool>);
    impl Drop for Exit {
        fn drop(&mut self) {
            tracing::debug!(pool = %self.0.name, "worker exited");
            self.0.lifecycle.exited();
        }
    }
    let exit = Exit(pool);
    let pool = &exit.0;
    if !pool.initialize_worker() {
        return;
    }
    for job in queue {
        // `run` contains the work's panics itself; this outer guard only
        // keeps a worker alive through a panic in our own bookkeeping or in
        // a value's `Drop` (a refused value, the last handle on a future),
        // and costs nothing when nothing panics.
        if let Err(panicked) = catch(|| job.run(pool)) {
            tracing::error!(pool = %pool.name, panic = panicked.report(), "a task panicked outside its closure");
        }
    }
}
