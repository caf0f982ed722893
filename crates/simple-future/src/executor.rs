//! `ThreadPoolExecutor`: Python's thread pool, handing out futures.
//!
//! The queue is one unbounded crossbeam channel, in the `Pool` the handle,
//! its workers and its `map` iterators share (`pool.rs`). The pool keeps the
//! `Sender` behind a `RwLock` (submitters share the read lock; shutdown
//! takes the sender out under the write lock, so nothing is queued after
//! it) and a `Receiver` of its own, which keeps sends infallible and lets
//! shutdown drain the queue to cancel it. Workers start as work arrives and
//! run until the channel is closed and empty, and count themselves out in
//! `Lifecycle`, which `shutdown(wait)` waits on. No user code (closures,
//! their drops, done-callbacks, tracing) runs under any lock.

mod builder;
mod error;
mod map;
mod pool;
mod shutdown;
mod worker;

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use self::builder::ThreadPoolBuilder;
pub use self::error::{Broken, BuildError, SubmitError};
pub use self::map::MapResults;
use self::pool::{Pool, Refused};
pub use self::shutdown::ShutdownOptions;
use self::worker::WorkItem;
use crate::Exception;
use crate::future::Future;
use crate::panic::Panicked;

/// Worker threads that run closures and hand out a [`Future`] for each:
/// Python's `concurrent.futures.ThreadPoolExecutor`.
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
/// - **Workers start as work arrives.** The first starts when the pool is
///   built; after that a submission starts a new worker only when no worker
///   is idle, up to the pool's [`workers`](ThreadPoolExecutor::workers)
///   (Python's `max_workers`), and idle workers are reused: a pool of five
///   that runs three quick tasks one after another has one thread, three
///   tasks at once have three. A worker counts as idle again once its
///   closure has returned. Workers live until the pool shuts down;
///   [`worker_count`](ThreadPoolExecutor::worker_count) says how many have
///   started.
/// - **In order, at most once.** Work starts in the order it was submitted
///   (with several workers it may finish in any order), and each closure
///   runs at most once. Work whose future was
///   [cancelled](crate::Observer::cancel) before a worker took it never
///   runs: the worker calls
///   [`set_running_or_notify_cancel`](Future::set_running_or_notify_cancel)
///   first and skips it.
/// - **Panics are exceptions.** A closure that panics completes its future
///   with a [`Panicked`] exception, and its worker lives on. (The panic hook
///   still prints the panic, as for any panic.) A closure dropped unrun
///   (its future cancelled, a shutdown with
///   [`cancel_futures`](ShutdownOptions::cancel_futures), a
///   [broken](Broken) pool) whose `Drop` panics, in something it captured,
///   is reported as a `tracing` error event, as a panicking done-callback
///   is: the rest of the queue is still cancelled or failed, and neither
///   the caller nor a worker unwinds.
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
/// - The first worker starts when the pool is built (Python starts it with
///   the first task), so that a pool that cannot start a thread at all is an
///   error of [`build`](ThreadPoolBuilder::build). A later worker that the
///   operating system refuses is reported as a `tracing` error event, and
///   the workers already running take the work (Python raises from
///   `submit`).
/// - Dropping the pool waits, as `with ThreadPoolExecutor() as pool:` does;
///   there is no garbage collector to shut it down later.
/// - Shutting down from one of the pool's own workers never waits (Python
///   fails trying to join the calling thread); see
///   [`shutdown_with`](ThreadPoolExecutor::shutdown_with).
/// - [`map`](ThreadPoolExecutor::map) takes one iterable (zip several);
///   `chunksize` (which Python ignores for threads) does not exist, and the
///   buffered form is a method of its own,
///   [`map_buffered`](ThreadPoolExecutor::map_buffered).
///
/// # Deadlocks
///
/// As in Python, work that waits for other work of the same pool can
/// deadlock: if every worker blocks on a future whose work is still
/// queued, nobody is left to run it. And dropping the pool (or
/// `shutdown(true)`) waits for every queued closure, so a closure that
/// never returns makes it wait forever.
pub struct ThreadPoolExecutor {
    pool: Arc<Pool>,
}

impl ThreadPoolExecutor {
    /// A pool of at most `workers` threads, with the default thread names.
    /// Nothing is allocated per worker before it starts, so any number
    /// works, `usize::MAX` too.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoWorkers`] for zero workers,
    /// [`BuildError::Spawn`] if the operating system refuses the first
    /// thread.
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

    /// The most worker threads the pool runs (Python's `max_workers`).
    pub fn workers(&self) -> usize {
        self.pool.max_workers
    }

    /// How many worker threads have started so far: they start as work
    /// arrives and no worker is idle, up to [`workers`](Self::workers).
    ///
    /// ```
    /// use simple_future::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(5)?;
    /// for n in 0..3 {
    ///     pool.submit(move || n * 2)?.result()?;
    /// }
    /// assert_eq!(pool.worker_count(), 1); // one idle worker, reused
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn worker_count(&self) -> usize {
        self.pool.started()
    }

    /// True once a worker's
    /// [`initializer`](ThreadPoolBuilder::initializer) panicked: the pool
    /// takes no more work (see [`Broken`]).
    pub fn is_broken(&self) -> bool {
        self.pool.broken().is_some()
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
    /// [`SubmitError`], with `f` back, if the pool has shut down or is
    /// [broken](SubmitError::broken).
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
    /// as the exception. A panic becomes `E::from(Panicked)`, and work that
    /// a [broken](Broken) pool will not run fails with `E::from(Broken)`,
    /// so `E` may be [`Exception`] or your own error type with those two
    /// `From`s.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `f` back, if the pool has shut down or is
    /// broken.
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
        E: From<Panicked> + From<Broken> + Send + Sync + 'static,
    {
        self.submit_as(f, |f| f)
    }

    /// Runs `f` on every item on the workers and returns the results in
    /// input order: Python's `Executor.map(fn, iterable, timeout=...)`.
    ///
    /// Every item is submitted before `map` returns (the iterator is read to
    /// the end first, on this thread), and every call runs even if nobody
    /// reads its result: `pool.map(f, items, None)?;` for the side effects
    /// runs them all (Python's bpo-11777). The [`MapResults`] iterator then
    /// waits for each result in turn. `timeout` counts from this call and
    /// bounds the whole iteration; once the iteration has started, the
    /// first error (an exception, a panic as [`Panicked`], a cancellation or
    /// the timeout) ends it and cancels the work not yet started, as does
    /// dropping the iterator after its first `next`. Zip the inputs to map
    /// over several iterables. For an endless or huge input, see
    /// [`map_buffered`](ThreadPoolExecutor::map_buffered).
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `f` back, if the pool has shut down or is
    /// broken; then nothing was submitted and the items are dropped.
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
        let deadline = deadline_after(timeout);
        // The caller's iterator is user code: run it before taking a lock.
        let items: Vec<I::Item> = iterable.into_iter().collect();
        if let Some(refused) = self.refusal() {
            return Err(refused.into_error(f));
        }
        let f = Arc::new(f);
        let mut pending = std::collections::VecDeque::with_capacity(items.len());
        let mut refused = false;
        for item in items {
            match map::submit_one(&self.pool, &f, item) {
                Some(observer) => pending.push_back(observer),
                // Shut down meanwhile: the rest would be refused too.
                None => {
                    refused = true;
                    break;
                }
            }
        }
        tracing::trace!(pool = %self.pool.name, tasks = pending.len(), "map submitted");
        let mut results = MapResults::new(pending, deadline, None);
        if refused {
            results.refused();
        }
        Ok(results)
    }

    /// Like [`map`](ThreadPoolExecutor::map), but reads the input lazily and
    /// keeps at most about `buffer_size` calls in flight: Python 3.14's
    /// `map(..., buffersize=n)`.
    ///
    /// `buffer_size` is only a bound: memory is taken for the calls actually
    /// in flight, so a buffer larger than the input (up to `usize::MAX`, for
    /// "submit the whole input at once, but lazily") costs what the input
    /// costs.
    ///
    /// `map_buffered` submits the first `buffer_size` items; each
    /// [`next`](Iterator::next) of the results then takes one more item from
    /// the input and submits it before it waits for the oldest result. So
    /// it works over an endless iterator, and results come as they are
    /// ready. The input's `next` runs on the thread reading the results.
    /// Items not yet taken are never submitted, so dropping the results
    /// leaves them unrun; if the pool shuts down meanwhile, the iteration
    /// ends with one [`Cancelled`](crate::ResultError::Cancelled) error
    /// where the next item would have been.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with `f` back, if the pool has shut down or is
    /// broken; then nothing was read from the input.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use simple_future::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// let four = NonZeroUsize::new(4).unwrap();
    /// // An endless input: only what is read is run.
    /// let evens: Vec<u64> = pool
    ///     .map_buffered(|n: u64| n * 2, 0.., four, None)?
    ///     .take(5)
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(evens, [0, 2, 4, 6, 8]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_buffered<F, I, T>(
        &self,
        f: F,
        iterable: I,
        buffer_size: NonZeroUsize,
        timeout: Option<Duration>,
    ) -> Result<MapResults<T>, SubmitError<F>>
    where
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        T: Send + 'static,
    {
        let deadline = deadline_after(timeout);
        if let Some(refused) = self.refusal() {
            return Err(refused.into_error(f));
        }
        let f = Arc::new(f);
        let mut items = iterable.into_iter();
        // A buffer size is a bound, not an allocation: `usize::MAX` means
        // "no limit" as much as "that many". Room for a few calls is made
        // up front; beyond that the queue grows with the calls actually in
        // flight (never more than the input has, nor than the buffer).
        let mut pending =
            std::collections::VecDeque::with_capacity(buffer_size.get().min(PREALLOCATED_CALLS));
        let mut refused = false;
        for item in items.by_ref().take(buffer_size.get()) {
            match map::submit_one(&self.pool, &f, item) {
                Some(observer) => pending.push_back(observer),
                None => {
                    refused = true;
                    break;
                }
            }
        }
        let refill = (!refused).then(|| map::Refill::new(Arc::downgrade(&self.pool), f, items));
        tracing::trace!(pool = %self.pool.name, tasks = pending.len(), buffer_size, "buffered map submitted");
        let mut results = MapResults::new(pending, deadline, refill);
        if refused {
            results.refused();
        }
        Ok(results)
    }

    /// Why the pool would refuse work now, if it would.
    fn refusal(&self) -> Option<Refused> {
        match self.pool.broken() {
            Some(broken) => Some(Refused::Broken(broken.clone())),
            None => (self.pool.is_shut_down() == Some(true)).then_some(Refused::ShutDown),
        }
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
        E: From<Panicked> + From<Broken> + Send + Sync + 'static,
    {
        // `f` is moved into the job only once the pool takes it.
        let mut f = Some(f);
        let submitted = self.pool.submit(|id| {
            let future = Future::with_exception_type();
            let work = wrap(f.take().expect("taken once"));
            let job = Box::new(WorkItem {
                id,
                future: future.clone(),
                work,
            });
            (job as worker::BoxedJob, future)
        });
        match submitted {
            Ok((id, future)) => {
                tracing::trace!(pool = %self.pool.name, task = id, "task submitted");
                Ok(future)
            }
            Err(refused) => Err(refused.into_error(f.take().expect("not submitted"))),
        }
    }
}

/// The most result slots [`ThreadPoolExecutor::map_buffered`] allocates
/// before its calls are submitted, whatever the buffer size.
const PREALLOCATED_CALLS: usize = 64;

/// `None` (no limit) for no timeout or one past the end of time.
fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|timeout| Instant::now().checked_add(timeout))
}

impl Refused {
    fn into_error<F>(self, f: F) -> SubmitError<F> {
        match self {
            Refused::ShutDown => SubmitError::shut_down(f),
            Refused::Broken(broken) => SubmitError::broken_pool(f, broken),
        }
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shut_down = self.pool.is_shut_down();
        let mut out = f.debug_struct("ThreadPoolExecutor");
        out.field("name", &self.pool.name)
            .field("workers", &self.pool.max_workers);
        match shut_down {
            Some(shut_down) => out.field("shut_down", &shut_down),
            None => out.field("shut_down", &format_args!("<locked>")),
        };
        out.finish()
    }
}
