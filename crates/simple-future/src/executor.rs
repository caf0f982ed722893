//! `ThreadPoolExecutor`: Python's thread pool, handing out futures.
//!
//! The queue is one unbounded crossbeam channel. The pool keeps a `Sender`
//! behind a `RwLock` (submitters share the read lock; shutdown takes the
//! sender out under the write lock, so nothing is queued after it) and a
//! `Receiver` of its own, which keeps sends infallible and lets shutdown
//! drain the queue to cancel it. Workers run until the channel is closed and
//! empty, and count themselves out in `Lifecycle`, which `shutdown(wait)`
//! waits on. No user code (closures, their drops, done-callbacks, tracing)
//! runs under either lock.

mod builder;
mod error;
mod map;
mod shutdown;
mod worker;

use std::collections::VecDeque;
use std::fmt;
// `std`, not `crate::sync`: the pool runs real threads, which loom does not
// model.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, TryLockError};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

pub use self::builder::ThreadPoolBuilder;
pub use self::error::{Broken, BuildError, SubmitError};
pub use self::map::MapResults;
use self::map::Slot;
pub use self::shutdown::ShutdownOptions;
use self::worker::{BoxedJob, Lifecycle, WorkItem};
use crate::Exception;
use crate::future::Future;
use crate::panic::Panicked;

/// A fixed set of worker threads that run closures and hand out a
/// [`Future`] for each: Python's `concurrent.futures.ThreadPoolExecutor`.
///
/// [`submit`](ThreadPoolExecutor::submit) queues a closure and returns its
/// future at once; a worker later runs it and completes the future with its
/// value. [`map`](ThreadPoolExecutor::map) does that for every item of an
/// iterator and gives the results back in order.
/// [`shutdown`](ThreadPoolExecutor::shutdown) stops taking work; dropping
/// the pool shuts it down and waits for the queued work, like leaving
/// Python's `with` block.
///
/// # Examples
///
/// ```
/// use simple_future::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(4)?;
/// let square = pool.submit(|| 7 * 7)?;
/// assert_eq!(*square.result()?, 49);
///
/// let lengths: Vec<usize> = pool
///     .map(|word: &str| word.len(), ["a", "future", "per", "item"], None)?
///     .collect::<Result<_, _>>()?;
/// assert_eq!(lengths, [1, 6, 3, 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Guarantees
///
/// - **In order, at most once.** Work starts in the order it was submitted
///   (with several workers it may finish in any order), and each closure
///   runs at most once. Work whose future was
///   [cancelled](crate::Observer::cancel) before a worker took it never
///   runs: the worker calls
///   [`set_running_or_notify_cancel`](Future::set_running_or_notify_cancel)
///   first and skips it.
/// - **Panics are exceptions.** A closure that panics completes its future
///   with a [`Panicked`] exception, and its worker lives on. (The panic hook
///   still prints the panic, as for any panic.)
/// - **Callbacks on the worker.** A future's done-callbacks run on the
///   worker that completes it, after the closure returns.
/// - **Quiet by default.** `tracing` events: `debug` when the pool starts,
///   shuts down or loses a worker; `trace` for each submit, start and
///   finish. Nothing is printed without a subscriber.
///
/// `ThreadPoolExecutor` is `Send` and `Sync`: share it by reference (or in
/// an `Arc`) and submit from any thread, including from its own workers.
///
/// # Differences from Python
///
/// - All the workers start when the pool is built (Python starts them as
///   work arrives), so the failure to start one is an error of
///   [`build`](ThreadPoolBuilder::build), not of `submit`.
/// - Dropping the pool waits, as `with ThreadPoolExecutor() as pool:` does;
///   there is no garbage collector to shut it down later.
/// - Shutting down from one of the pool's own workers never waits (Python
///   fails trying to join the calling thread); see
///   [`shutdown_with`](ThreadPoolExecutor::shutdown_with).
/// - No `initializer`: start each closure with whatever it needs.
///
/// # Deadlocks
///
/// As in Python, work that waits for other work of the same pool can
/// deadlock: if every worker blocks on a future whose work is still
/// queued, nobody is left to run it. And dropping the pool (or
/// `shutdown(true)`) waits for every queued closure, so a closure that
/// never returns makes it wait forever.
pub struct ThreadPoolExecutor {
    /// `None` once shut down. Submitters share the read lock.
    queue: RwLock<Option<Sender<BoxedJob>>>,
    /// The pool's own end of the queue: keeps sends infallible, and lets
    /// shutdown take queued work out to cancel it.
    backlog: Receiver<BoxedJob>,
    lifecycle: Arc<Lifecycle>,
    /// Taken by the first shutdown that waits, which joins them.
    threads: Mutex<Vec<JoinHandle<()>>>,
    worker_ids: Vec<ThreadId>,
    next_task: AtomicU64,
}

impl ThreadPoolExecutor {
    /// A pool of `workers` threads, with the default thread names.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoWorkers`] for zero workers,
    /// [`BuildError::Spawn`] if the operating system refuses a thread.
    pub fn new(workers: usize) -> Result<ThreadPoolExecutor, BuildError> {
        ThreadPoolExecutor::builder().workers(workers).build()
    }

    /// A [`ThreadPoolBuilder`] to set the number of workers, their names
    /// and their stack size.
    ///
    /// ```
    /// use simple_future::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .workers(2)
    ///     .thread_name_prefix("downloader")
    ///     .build()?;
    /// let name = pool.submit(|| std::thread::current().name().map(str::to_owned))?;
    /// assert!(name.result()?.as_deref().unwrap().starts_with("downloader_"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::default()
    }

    /// How many worker threads the pool started with.
    pub fn workers(&self) -> usize {
        self.worker_ids.len()
    }

    /// Queues `f` to run on a worker and returns its future at once.
    ///
    /// The future finishes with `f`'s value or, if `f` panics, with a
    /// [`Panicked`] exception. If it is cancelled before a worker takes it,
    /// `f` never runs.
    ///
    /// It is a [`Future`], as in Python, which anyone holding it could
    /// complete; most callers only read it. The pool keeps a `Future` handle
    /// of its own with the queued work, and that handle is what keeps the
    /// future completable: drop yours or turn it into an
    /// [`Observer`](crate::Observer) with
    /// [`into_observer`](Future::into_observer) and the pool still
    /// completes it (or cancels it, on `shutdown` with `cancel_futures`).
    /// Completing it yourself before it runs makes the pool skip `f`.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `f` back, if the pool has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use simple_future::{Panicked, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(1)?;
    /// let answer = pool.submit(|| 42)?;
    /// let oops = pool.submit(|| -> u8 { panic!("oops") })?;
    ///
    /// assert_eq!(*answer.result()?, 42);
    /// let error = oops.exception()?.unwrap();
    /// assert_eq!(error.downcast_ref::<Panicked>().unwrap().message(), Some("oops"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + Sync + 'static,
    {
        self.submit_as(f, |f| move || Ok::<T, Exception>(f()))
    }

    /// Like [`submit`](ThreadPoolExecutor::submit), for a closure that can
    /// fail: `Ok` completes the future with its value, `Err` with its error
    /// as the exception. A panic becomes `E::from(Panicked)`, so `E` may be
    /// [`Exception`] or your own error type with a `From<Panicked>`.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `f` back, if the pool has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use simple_future::{Exception, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let parsed = pool.submit_fallible(|| Ok::<i32, Exception>("12".parse()?))?;
    /// let failed = pool.submit_fallible(|| Ok::<i32, Exception>("twelve".parse()?))?;
    ///
    /// assert_eq!(*parsed.result()?, 12);
    /// assert!(failed.exception()?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_fallible<F, T, E>(&self, f: F) -> Result<Future<T, E>, SubmitError<F>>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + Sync + 'static,
        E: From<Panicked> + Send + Sync + 'static,
    {
        self.submit_as(f, |f| f)
    }

    /// Runs `f` on every item on the workers and returns the results in
    /// input order: Python's `Executor.map(fn, iterable, timeout=...)`.
    ///
    /// Every item is submitted before `map` returns (the iterator is read to
    /// the end first, on this thread); the [`MapResults`] iterator then
    /// waits for each result in turn. `timeout` counts from this call and
    /// bounds the whole iteration; the first error (an exception, a panic
    /// as [`Panicked`], a cancellation or the timeout) ends it and cancels
    /// the work not yet started, as does dropping the iterator early. Zip
    /// the inputs to map over several iterables.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `f` back, if the pool has shut down; then
    /// nothing was submitted and the items are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use simple_future::{ResultTimeoutError, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(3)?;
    /// let squares = pool.map(|n: u64| n * n, 1..=5, Some(Duration::from_secs(10)))?;
    /// assert_eq!(squares.collect::<Result<Vec<_>, _>>()?, [1, 4, 9, 16, 25]);
    ///
    /// let slow = pool.map(
    ///     |ms: u64| std::thread::sleep(Duration::from_millis(ms)),
    ///     [0, 50],
    ///     Some(Duration::from_millis(10)),
    /// )?;
    /// let results: Vec<_> = slow.collect();
    /// assert!(matches!(results.last(), Some(Err(ResultTimeoutError::Timeout))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map<F, I, T>(
        &self,
        f: F,
        iterable: I,
        timeout: Option<Duration>,
    ) -> Result<MapResults<T>, SubmitError<F>>
    where
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        I: IntoIterator,
        I::Item: Send + 'static,
        T: Send + 'static,
    {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        // The caller's iterator is user code: run it before taking the lock.
        let items: Vec<I::Item> = iterable.into_iter().collect();
        let queue = self.read_queue();
        let Some(sender) = queue.as_ref() else {
            drop(queue);
            return Err(SubmitError(f));
        };
        let f = Arc::new(f);
        let mut futures = Vec::with_capacity(items.len());
        let mut first = None;
        for item in items {
            let f = Arc::clone(&f);
            let (id, future) = self.enqueue(sender, move || Ok::<_, Exception>(Slot::new(f(item))));
            first.get_or_insert(id);
            futures.push(future);
        }
        drop(queue);
        // Outside the lock: if every task already ran, this drops `f`.
        drop(f);
        tracing::trace!(pool = %self.lifecycle.name, tasks = futures.len(), first_task = first, "map submitted");
        let pending: VecDeque<_> = futures.into_iter().map(Future::into_observer).collect();
        Ok(MapResults::new(pending, deadline))
    }

    fn read_queue(&self) -> RwLockReadGuard<'_, Option<Sender<BoxedJob>>> {
        // No user code runs under this lock; its data is whole after a panic.
        self.queue.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The common part of the `submit`s: `wrap` turns the caller's closure
    /// into one returning `Result`, once we know the pool takes it.
    fn submit_as<F, G, T, E>(
        &self,
        f: F,
        wrap: impl FnOnce(F) -> G,
    ) -> Result<Future<T, E>, SubmitError<F>>
    where
        G: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + Sync + 'static,
        E: From<Panicked> + Send + Sync + 'static,
    {
        let queue = self.read_queue();
        let Some(sender) = queue.as_ref() else {
            drop(queue);
            return Err(SubmitError(f));
        };
        let (id, future) = self.enqueue(sender, wrap(f));
        drop(queue);
        tracing::trace!(pool = %self.lifecycle.name, task = id, "task submitted");
        Ok(future)
    }

    /// Queues `work` with a new future; called under the read lock.
    fn enqueue<G, T, E>(&self, sender: &Sender<BoxedJob>, work: G) -> (u64, Future<T, E>)
    where
        G: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + Sync + 'static,
        E: From<Panicked> + Send + Sync + 'static,
    {
        let id = self.next_task.fetch_add(1, Ordering::Relaxed);
        let future = Future::with_exception_type();
        let job = Box::new(WorkItem {
            id,
            future: future.clone(),
            work,
        });
        sender
            .send(job)
            .expect("the pool's own receiver keeps the queue open");
        (id, future)
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shut_down = match self.queue.try_read() {
            Ok(queue) => Some(queue.is_none()),
            Err(TryLockError::Poisoned(queue)) => Some(queue.into_inner().is_none()),
            Err(TryLockError::WouldBlock) => None,
        };
        let mut out = f.debug_struct("ThreadPoolExecutor");
        out.field("name", &self.lifecycle.name)
            .field("workers", &self.worker_ids.len());
        match shut_down {
            Some(shut_down) => out.field("shut_down", &shut_down),
            None => out.field("shut_down", &format_args!("<locked>")),
        };
        out.finish()
    }
}
