//! The state a pool's handle, its workers and its `map` iterators share:
//! the queue, the workers started so far and how many are idle, and
//! whether an initializer broke the pool.
//!
//! Workers start as work arrives (Python's `_adjust_thread_count`): a
//! submission first takes an idle worker's token (each worker gives one
//! back after each task), and only when there is none starts a new worker,
//! up to the maximum. No user code (closures, their drops, done-callbacks,
//! initializers, tracing) runs under any lock here.

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard};
use std::thread::{self, JoinHandle, ThreadId};

use crossbeam_channel::{Receiver, Sender};

use super::error::Broken;
use super::worker::{self, BoxedJob, Lifecycle};
use crate::panic::catch;

/// A closure run once on each worker as it starts.
pub(super) type Initializer = Arc<dyn Fn() + Send + Sync>;

/// The workers started so far.
#[derive(Default)]
struct Workers {
    handles: Vec<JoinHandle<()>>,
    ids: Vec<ThreadId>,
    /// Started so far (`handles` is emptied when they are joined).
    started: usize,
    /// Set by a shutdown: no more workers start.
    closed: bool,
}

pub(super) struct Pool {
    pub(super) name: String,
    pub(super) max_workers: usize,
    /// `None` once shut down. Submitters share the read lock.
    queue: RwLock<Option<Sender<BoxedJob>>>,
    /// The pool's own end of the queue: keeps sends infallible, lets
    /// shutdown (and a broken initializer) take queued work out.
    backlog: Receiver<BoxedJob>,
    /// Workers waiting for work, or about to: a submission that takes one
    /// starts no new worker.
    idle: AtomicUsize,
    workers: Mutex<Workers>,
    pub(super) lifecycle: Lifecycle,
    broken: OnceLock<Broken>,
    next_task: AtomicU64,
    initializer: Option<Initializer>,
    stack_size: Option<usize>,
}

/// Why the pool took no work.
pub(super) enum Refused {
    ShutDown,
    Broken(Broken),
}

impl Pool {
    pub(super) fn new(
        name: String,
        max_workers: usize,
        initializer: Option<Initializer>,
        stack_size: Option<usize>,
    ) -> Arc<Pool> {
        let (sender, backlog) = crossbeam_channel::unbounded();
        Arc::new(Pool {
            name,
            max_workers,
            queue: RwLock::new(Some(sender)),
            backlog,
            idle: AtomicUsize::new(0),
            workers: Mutex::new(Workers::default()),
            lifecycle: Lifecycle::default(),
            broken: OnceLock::new(),
            next_task: AtomicU64::new(0),
            initializer,
            stack_size,
        })
    }

    fn read_queue(&self) -> RwLockReadGuard<'_, Option<Sender<BoxedJob>>> {
        // No user code runs under this lock; its data is whole after a panic.
        self.queue.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_workers(&self) -> MutexGuard<'_, Workers> {
        self.workers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues the job `make` builds from a fresh task id, then makes sure a
    /// worker will take it. `make` must not run user code.
    pub(super) fn submit<R>(
        self: &Arc<Pool>,
        make: impl FnOnce(u64) -> (BoxedJob, R),
    ) -> Result<(u64, R), Refused> {
        let queue = self.read_queue();
        if let Some(broken) = self.broken.get() {
            return Err(Refused::Broken(broken.clone()));
        }
        let Some(sender) = queue.as_ref() else {
            return Err(Refused::ShutDown);
        };
        let id = self.next_task.fetch_add(1, Ordering::Relaxed);
        let (job, out) = make(id);
        sender
            .send(job)
            .expect("the pool's own receiver keeps the queue open");
        drop(queue);
        self.adjust_thread_count();
        Ok((id, out))
    }

    /// Python's `_adjust_thread_count`: takes an idle worker for the work
    /// just queued, or starts one if none is idle and the pool is not full.
    /// A worker that cannot start is reported; the workers already running
    /// take the work.
    fn adjust_thread_count(self: &Arc<Pool>) {
        let took_idle = self
            .idle
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        if took_idle {
            return;
        }
        if let Err(error) = self.start_worker() {
            tracing::error!(pool = %self.name, %error, "could not start a worker thread; the running ones take the work");
        }
    }

    /// Starts a worker unless the pool is full or shut down.
    pub(super) fn start_worker(self: &Arc<Pool>) -> io::Result<()> {
        let mut workers = self.lock_workers();
        if workers.closed || workers.started >= self.max_workers {
            return Ok(());
        }
        let index = workers.started;
        let mut builder = thread::Builder::new().name(format!("{}_{index}", self.name));
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        let (pool, queue) = (Arc::clone(self), self.backlog.clone());
        self.lifecycle.starting();
        match builder.spawn(move || worker::work(pool, queue)) {
            Ok(handle) => {
                workers.started += 1;
                workers.ids.push(handle.thread().id());
                workers.handles.push(handle);
                drop(workers);
                tracing::debug!(pool = %self.name, worker = index, "worker started");
                Ok(())
            }
            Err(error) => {
                self.lifecycle.exited();
                Err(error)
            }
        }
    }

    /// A worker is done with a task (or has just started without one) and
    /// goes back to the queue.
    pub(super) fn mark_idle(&self) {
        self.idle.fetch_add(1, Ordering::AcqRel);
    }

    /// Runs the initializer on a worker that starts; false if it panicked,
    /// which breaks the pool.
    pub(super) fn initialize_worker(&self) -> bool {
        let Some(initializer) = &self.initializer else {
            return true;
        };
        match catch(|| initializer()) {
            Ok(()) => true,
            Err(panicked) => {
                self.break_pool(Broken::new(panicked.message().map(str::to_owned)));
                false
            }
        }
    }

    /// Python's `_initializer_failed`: refuses later work and fails the
    /// queued work with `broken`.
    fn break_pool(&self, broken: Broken) {
        let queued: Vec<BoxedJob> = {
            let _submitters_wait = self.queue.write().unwrap_or_else(PoisonError::into_inner);
            if self.broken.set(broken.clone()).is_err() {
                // Another initializer broke it first and failed the queue.
                return;
            }
            self.backlog.try_iter().collect()
        };
        tracing::error!(pool = %self.name, panic = broken.message().unwrap_or("<non-string payload>"), failed = queued.len(), "a thread initializer panicked; the pool is broken");
        // `fail` never unwinds, so every queued future fails.
        for job in queued {
            job.fail(&self.name, &broken);
        }
    }

    pub(super) fn broken(&self) -> Option<&Broken> {
        self.broken.get()
    }

    /// How many workers have started.
    pub(super) fn started(&self) -> usize {
        self.lock_workers().started
    }

    pub(super) fn is_worker(&self, thread: ThreadId) -> bool {
        self.lock_workers().ids.contains(&thread)
    }

    pub(super) fn is_shut_down(&self) -> Option<bool> {
        match self.queue.try_read() {
            Ok(queue) => Some(queue.is_none()),
            Err(std::sync::TryLockError::Poisoned(queue)) => Some(queue.into_inner().is_none()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Takes the sender out: no more work is queued, and the workers exit
    /// once the queue is empty. True the first time.
    pub(super) fn close(&self) -> bool {
        let sender = self
            .queue
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.lock_workers().closed = true;
        sender.is_some()
    }

    /// The queued work no worker has taken yet.
    pub(super) fn take_queued(&self) -> Vec<BoxedJob> {
        self.backlog.try_iter().collect()
    }

    /// The workers' threads, to join (each once).
    pub(super) fn take_threads(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut self.lock_workers().handles)
    }
}
