//! `EventLoop` and `LoopHandle`: the loop's state, and scheduling on it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ops::Deref;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use simple_future::{ShutdownOptions, ThreadPoolExecutor};

use crate::exception::ExceptionContext;
use crate::handle::{Handle, TimerHandle};
use crate::run::PollStrategy;
use crate::source::{Source, SourceHandle, Sources};
use crate::state::queue::{self, Callback, Queues, Spare, Timed, TimerId};
use crate::state::stats::{Counters, Stats};
use crate::task::Tasks;
use crate::threadsafe::{Remote, ThreadsafeHandle};

pub(crate) type Handler = dyn Fn(&LoopHandle, ExceptionContext);

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

/// A cheap, cloneable handle to an [`EventLoop`], for use on the loop's
/// thread — typically captured by a callback to schedule more work.
///
/// It is neither `Send` nor `Sync`: the loop is single-threaded. Other
/// threads use a [`ThreadsafeHandle`] instead.
///
/// Scheduling on a [closed](LoopHandle::close) loop panics (asyncio raises
/// `RuntimeError` there); a callback cannot observe that, since callbacks of
/// a closed loop never run.
///
/// # Examples
///
/// A callback that reschedules itself through the handle it captured:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use poll_loop::{EventLoop, LoopHandle};
///
/// fn countdown(lp: LoopHandle, left: Rc<Cell<u32>>) {
///     left.set(left.get() - 1);
///     if left.get() > 0 {
///         lp.clone().call_soon(move || countdown(lp, left));
///     }
/// }
///
/// let lp = EventLoop::new();
/// let left = Rc::new(Cell::new(3));
/// let (handle, l) = (lp.handle(), left.clone());
/// lp.call_soon(move || countdown(handle, l));
/// lp.run_until_idle()?;
/// assert_eq!(left.get(), 0);
/// assert_eq!(lp.stats().iterations, 3, "one iteration per step");
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    pub(crate) inner: Rc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) state: RefCell<State>,
    pub(crate) remote: Arc<Remote>,
    pub(crate) counters: Counters,
    pub(crate) running: Cell<bool>,
    closed: Cell<bool>,
    /// Set when the `EventLoop` is dropped while running.
    pub(crate) close_on_exit: Cell<bool>,
    pub(crate) debug: Cell<bool>,
    pub(crate) slow_callback: Cell<Duration>,
    pub(crate) strategy: Cell<PollStrategy>,
    pub(crate) handler: Cell<Option<Rc<Handler>>>,
    /// The pool behind `run_in_executor`, made on first use.
    pub(crate) executor: RefCell<Option<ThreadPoolExecutor>>,
    /// The last `call_soon` callback's box, for the next one to reuse.
    pub(crate) spare: Spare,
    /// The file descriptors watched, made with the first (`io.rs`).
    pub(crate) io: crate::io::Io,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) queues: Queues,
    pub(crate) sources: Sources,
    pub(crate) tasks: Tasks,
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
        let inner = Inner {
            state: RefCell::new(State::default()),
            remote: Remote::new(),
            counters: Counters::default(),
            running: Cell::new(false),
            closed: Cell::new(false),
            close_on_exit: Cell::new(false),
            debug: Cell::new(false),
            slow_callback: Cell::new(Duration::from_millis(100)),
            strategy: Cell::new(strategy),
            handler: Cell::new(None),
            executor: RefCell::new(None),
            spare: Spare::default(),
            io: crate::io::Io::default(),
        };
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
        if crate::run::trace_enabled() {
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
        crate::run::current()
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
            let fds = crate::io::take_all(&self.inner);
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
        if let Err(payload) = crate::exception::run_caught(|| drop(self.inner.handler.take())) {
            crate::exception::report_to_default(payload, Location::caller(), "drop on close");
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
    if let Err(payload) = crate::exception::run_caught(move || drop(value)) {
        panics.push((payload, location));
    }
}

impl Inner {
    pub(crate) fn cancel_ready(&self, seq: u64) -> bool {
        let taken = self.state.borrow_mut().queues.cancel_ready(seq);
        taken.is_some() // dropped here, outside the borrow
    }

    pub(crate) fn cancel_timer(&self, when: Option<Instant>, id: TimerId) -> bool {
        let taken = self.state.borrow_mut().queues.cancel_timer(when, id);
        if taken.is_some() {
            tracing::trace!(timer = id.seq, "timer cancelled");
        }
        taken.is_some()
    }

    pub(crate) fn ready_is_pending(&self, seq: u64) -> bool {
        self.state.borrow().queues.ready_is_pending(seq)
    }

    pub(crate) fn timer_is_pending(&self, id: TimerId) -> bool {
        self.state.borrow().queues.timer_is_pending(id)
    }

    /// True if the timer `id` is pending and will wake what `waker` wakes.
    pub(crate) fn timer_will_wake(&self, id: TimerId, waker: &Waker) -> bool {
        self.state.borrow().queues.timer_will_wake(id, waker)
    }

    pub(crate) fn remove_source(&self, id: u64) -> bool {
        let (registered, source) = self.state.borrow_mut().sources.remove(id);
        drop(source);
        registered
    }

    pub(crate) fn source_is_registered(&self, id: u64) -> bool {
        self.state.borrow().sources.contains(id)
    }

    /// Nothing queued, no timer with a deadline, no source, no
    /// notification from another thread waiting.
    pub(crate) fn is_idle(&self) -> bool {
        let state = self.state.borrow();
        state.queues.is_idle()
            && state.sources.is_empty()
            && state.tasks.is_empty()
            && !self.remote.wake.is_notified()
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
