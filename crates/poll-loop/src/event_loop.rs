//! The loop itself, above the state and the operating system: `EventLoop`
//! and scheduling on it (here), the loop's own state (`inner`), running an
//! iteration (`run`), handles to what was scheduled (`handle`), sources
//! (`source`, and those built in: `timer`, `channel`, `future`), file
//! descriptors (`io`), other threads' way in (`threadsafe`), and panics
//! (`context`, `exception`). Each module here imports `inner` and the
//! layers below, never the task layer or the toolbox above.

pub(crate) mod channel;
pub(crate) mod context;
pub(crate) mod exception;
pub(crate) mod future;
pub(crate) mod handle;
pub(crate) mod inner;
#[cfg(any(unix, windows))]
pub(crate) mod io;
#[cfg(not(any(unix, windows)))]
#[path = "event_loop/io_unsupported.rs"]
pub(crate) mod io;
pub(crate) mod run;
pub(crate) mod source;
pub(crate) mod strategy;
pub(crate) mod threadsafe;
pub(crate) mod timer;

use std::fmt;
use std::ops::Deref;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use simple_future::ShutdownOptions;

use crate::event_loop::handle::{Handle, TimerHandle};
use crate::event_loop::inner::{Inner, LoopHandle};
use crate::event_loop::source::{Source, SourceHandle};
use crate::event_loop::strategy::PollStrategy;
use crate::event_loop::threadsafe::ThreadsafeHandle;
use crate::state::queue::{self, Callback, Timed, TimerId};
use crate::state::stats::Stats;

/// A single-threaded event loop: callbacks, timers and [`Source`]s, run one
/// at a time on the thread that created it.
///
/// `EventLoop` owns the loop; everything you do with it is on
/// [`LoopHandle`], which it derefs to. Closures scheduled on the loop
/// capture a `LoopHandle` (from [`handle`](EventLoop::handle)) to schedule
/// or cancel more.
///
/// Dropping the `EventLoop` [closes](LoopHandle::close) the loop: pending
/// callbacks and sources are dropped without running, which also frees the
/// `LoopHandle`s they captured. (Dropped from one of its own callbacks, it
/// closes when the run returns.)
///
/// See the [crate documentation](crate) for the rules it follows.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let handle = lp.handle(); // for the callback to capture
/// lp.call_later(Duration::from_millis(10), move || handle.stop());
/// lp.run_forever()?; // until the timer stops it
/// lp.close()?; // (dropping `lp` would close it too)
/// assert!(lp.is_closed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EventLoop {
    handle: LoopHandle,
}

const CLOSED: &str = "poll-loop: the event loop is closed";

impl EventLoop {
    /// A new loop for the calling thread, with the [`Park`](PollStrategy::Park)
    /// strategy.
    pub fn new() -> EventLoop {
        EventLoop::with_strategy(PollStrategy::default())
    }

    /// A new loop with the given polling strategy.
    pub fn with_strategy(strategy: PollStrategy) -> EventLoop {
        let inner = Inner::new(strategy);
        EventLoop {
            handle: LoopHandle {
                inner: Rc::new(inner),
            },
        }
    }

    /// A handle to this loop, for closures to capture.
    pub fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl Deref for EventLoop {
    type Target = LoopHandle;

    fn deref(&self) -> &LoopHandle {
        &self.handle
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        if self.handle.close().is_err() {
            self.handle.inner.close_on_exit.set(true);
        }
    }
}

impl LoopHandle {
    /// Schedules `callback` to run in the next iteration of the loop.
    ///
    /// Callbacks run in the order they were scheduled (FIFO), in one queue
    /// with [`call_soon_threadsafe`](ThreadsafeHandle::call_soon_threadsafe)'s:
    /// a thread-safe call that happened before this one runs before it. One
    /// scheduled from a running callback waits for the next iteration, so a
    /// callback that keeps rescheduling itself cannot starve timers and
    /// sources.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[inline]
    #[track_caller]
    pub fn call_soon<F>(&self, callback: F) -> Handle
    where
        F: FnOnce() + 'static,
    {
        // Generic and inlined: the boxing, so that the closure is moved
        // straight into its allocation (a reused one if it can).
        let callback = self.inner.spare.callback(callback, Location::caller());
        self.push_soon(callback)
    }

    // Inlined too: as a call it was ~1 ns of a chained callback's ~17 ns
    // (benches/event_loop).
    #[inline]
    fn push_soon(&self, callback: Callback) -> Handle {
        let inner = self.live();
        let mut state = inner.state.borrow_mut();
        inner.remote.flush_into(&mut state.queues);
        let seq = state.queues.push_ready(callback);
        drop(state);
        Handle::new(seq, Rc::downgrade(&self.inner))
    }

    /// Schedules `callback` to run once `delay` has passed.
    ///
    /// It never runs early. `Duration::MAX`, or any delay whose deadline
    /// does not fit in an [`Instant`], means never: the timer is kept (it
    /// can be cancelled) but never runs and never keeps the loop awake.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[inline]
    #[track_caller]
    pub fn call_later<F>(&self, delay: Duration, callback: F) -> TimerHandle
    where
        F: FnOnce() + 'static,
    {
        let when = Instant::now().checked_add(delay);
        self.schedule_timer(when, queue::callback(callback, Location::caller()))
    }

    /// Schedules `callback` to run at `when` (as soon as possible if it has
    /// passed).
    ///
    /// Timers run in deadline order; equal deadlines in the order they were
    /// scheduled.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[inline]
    #[track_caller]
    pub fn call_at<F>(&self, when: Instant, callback: F) -> TimerHandle
    where
        F: FnOnce() + 'static,
    {
        self.schedule_timer(Some(when), queue::callback(callback, Location::caller()))
    }

    pub(crate) fn schedule_timer(&self, when: Option<Instant>, callback: Callback) -> TimerHandle {
        let location = callback.location();
        let id = self.push_timer(when, Timed::Call(callback), location);
        TimerHandle::new(id, when, Rc::downgrade(&self.inner))
    }

    /// Sets a timer that wakes `waker` (a `sleep`'s), scheduled at `location`.
    pub(crate) fn schedule_wake(
        &self,
        when: Instant,
        waker: Waker,
        location: &'static Location<'static>,
    ) -> TimerId {
        self.push_timer(Some(when), Timed::Wake(waker), location)
    }

    fn push_timer(
        &self,
        when: Option<Instant>,
        timed: Timed,
        location: &'static Location<'static>,
    ) -> TimerId {
        let id = self
            .live()
            .state
            .borrow_mut()
            .queues
            .push_timer(when, timed);
        if crate::event_loop::run::trace_enabled() {
            tracing::trace!(timer = id.seq, ?when, %location, "timer scheduled");
        }
        id
    }

    /// The loop's clock: the monotonic system clock that deadlines are
    /// measured against.
    pub fn time(&self) -> Instant {
        Instant::now()
    }

    /// Registers a [`Source`]; the loop polls it from the next iteration
    /// on.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[track_caller]
    pub fn insert_source<S>(&self, mut source: S) -> SourceHandle
    where
        S: Source + 'static,
    {
        let location = Location::caller();
        self.live();
        source.register(&self.threadsafe());
        let id = self
            .live()
            .state
            .borrow_mut()
            .sources
            .insert(Box::new(source), location);
        SourceHandle::new(id, Rc::downgrade(&self.inner))
    }

    /// A handle that other threads can use to schedule callbacks on this
    /// loop, wake it or stop it.
    pub fn threadsafe(&self) -> ThreadsafeHandle {
        ThreadsafeHandle::new(Arc::clone(&self.inner.remote))
    }

    /// The handle of the loop running on this thread, if one is running —
    /// asyncio's `get_running_loop()`. This is how a callback sent with
    /// [`call_soon_threadsafe`](ThreadsafeHandle::call_soon_threadsafe),
    /// which cannot capture a `LoopHandle`, reaches its loop.
    pub fn current() -> Option<LoopHandle> {
        crate::event_loop::run::current()
    }

    /// True while the loop runs (inside `run_forever`, `run_until_idle` or
    /// `run_until_complete`).
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// True once the loop is closed.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }

    /// Closes the loop: every pending callback, timer and source is dropped
    /// without running, the [`ThreadsafeHandle`]s refuse new callbacks, and
    /// running or scheduling on the loop is an error from now on. Closing a
    /// closed loop does nothing.
    ///
    /// A dropped value whose `Drop` panics does not stop the close: every
    /// other value is still dropped and the loop is marked closed, then each
    /// such panic goes to the [exception handler](LoopHandle::set_exception_handler)
    /// (with [`what`](crate::ExceptionContext::what) `"drop on close"`), as a
    /// callback's panic would.
    ///
    /// Work already running on the [`run_in_executor`](LoopHandle::run_in_executor)
    /// pool is waited for (work not started is cancelled), so that no thread
    /// of the loop outlives it: `close` can block that long.
    ///
    /// # Errors
    ///
    /// [`CloseError`](crate::CloseError) if the loop is running: stop it,
    /// and close it once the run has returned.
    pub fn close(&self) -> Result<(), crate::CloseError> {
        if self.inner.running.get() {
            return Err(crate::CloseError);
        }
        if self.inner.closed.get() {
            return Ok(());
        }
        // Dropping a callback may run user code (a captured value's `Drop`)
        // that schedules more, or panics. Drop outside the borrow, one value
        // at a time with panics caught, until nothing is left; then refuse
        // new work, and only then report the panics.
        let mut panics = Vec::new();
        loop {
            let fds = crate::event_loop::io::take_all(&self.inner);
            let (queues, sources, tasks) = {
                let mut state = self.inner.state.borrow_mut();
                if state.queues.is_empty()
                    && state.sources.is_empty()
                    && state.tasks.is_empty()
                    && fds.is_empty()
                {
                    break;
                }
                (
                    state.queues.take_all(),
                    state.sources.take_all(),
                    state.tasks.take_all(),
                )
            };
            for callback in queues.into_callbacks() {
                let location = callback.location().unwrap_or(Location::caller());
                drop_caught(callback, location, &mut panics);
            }
            for (source, location) in sources {
                drop_caught(source, location, &mut panics);
            }
            for (task, location) in tasks {
                drop_caught(task, location, &mut panics);
            }
            for (slot, location) in fds {
                drop_caught(slot, location, &mut panics);
            }
        }
        self.inner.closed.set(true);
        for callback in self.inner.remote.close() {
            let location = callback.location();
            drop_caught(callback, location, &mut panics);
        }
        // The default pool's queued work is cancelled; work already
        // running is waited for, so that no thread outlives the loop.
        if let Some(pool) = self.inner.executor.take() {
            pool.shutdown_with(ShutdownOptions {
                wait: true,
                cancel_futures: true,
            });
        }
        for (payload, location) in panics {
            self.report_panic(payload, location, "drop on close");
        }
        if let Err(payload) =
            crate::event_loop::context::run_caught(|| drop(self.inner.handler.take()))
        {
            crate::event_loop::context::report_to_default(
                payload,
                Location::caller(),
                "drop on close",
            );
        }
        tracing::debug!("event loop closed");
        Ok(())
    }

    /// The loop's counters so far.
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// How the loop waits when it has nothing to do.
    pub fn poll_strategy(&self) -> PollStrategy {
        self.inner.strategy.get()
    }

    /// Chooses how the loop waits, from its next iteration on.
    pub fn set_poll_strategy(&self, strategy: PollStrategy) {
        self.inner.strategy.set(strategy);
    }

    /// The loop's inner state, after checking it is not closed.
    #[inline]
    pub(crate) fn live(&self) -> &Inner {
        assert!(!self.inner.closed.get(), "{CLOSED}");
        &self.inner
    }
}

/// Drops `value`, catching a panic of its `Drop` into `panics`.
fn drop_caught<V>(
    value: V,
    location: &'static Location<'static>,
    panics: &mut Vec<(Box<dyn std::any::Any + Send>, &'static Location<'static>)>,
) {
    if let Err(payload) = crate::event_loop::context::run_caught(move || drop(value)) {
        panics.push((payload, location));
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.handle.fmt_fields(f, "EventLoop")
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_fields(f, "LoopHandle")
    }
}

impl LoopHandle {
    fn fmt_fields(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        f.debug_struct(name)
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .field("debug", &self.get_debug())
            .field("strategy", &self.poll_strategy())
            .finish_non_exhaustive()
    }
}
