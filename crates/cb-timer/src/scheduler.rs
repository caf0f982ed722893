//! `Scheduler`: one background thread that runs any number of timers.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crate::error::{ScheduleError, SpawnError};
use crate::panic::{self as caught, PanicReport};
use crate::queue::{DeadlineQueue, NEVER, Tick};
use crate::scheduler::clock::Clock;
use crate::scheduler::handle::TimerHandle;
use crate::task::{self, MissedTicks, Task};
use crate::wait_graph;

/// `sleeping_until` while the worker is awake and will look at the queue
/// again without being told.
const AWAKE: Tick = 0;

type PanicHook = Box<dyn Fn(PanicReport) + Send + Sync>;

mod builder;
pub(crate) mod clock;
pub(crate) mod handle;
mod worker;

pub use builder::Builder;

/// Numbers schedulers, for the process-wide [`wait_graph`].
static NEXT_SCHEDULER: AtomicU64 = AtomicU64::new(0);

/// Runs any number of timers on one background thread.
///
/// Timers wait in a queue ordered by deadline; the thread sleeps until the
/// earliest one is due, runs every due callback in deadline order, and sleeps
/// again. Scheduling is cheap (no thread, no system call unless the new timer
/// is the earliest), so a scheduler holds hundreds of thousands of timers
/// where [`Timer`](crate::Timer) would need as many threads. The price: the
/// callbacks share one thread and run one after another, so a slow callback
/// delays the others. Hand slow work to another thread.
///
/// The crate's free functions [`after`](crate::after), [`at`](crate::at) and
/// [`every`](crate::every) use a [default scheduler](crate::default_scheduler).
///
/// # Guarantees
///
/// - A callback never runs before its deadline.
/// - Callbacks run on the scheduler's thread, one at a time, in deadline
///   order; equal deadlines run in the order they were scheduled.
/// - A callback may schedule and cancel timers, its own included.
/// - A callback that panics is reported (a `tracing` error event and the
///   [`on_panic`](Builder::on_panic) hook) and the thread carries on with the
///   other timers. A repeating timer whose callback panicked does not run
///   again.
/// - So is a panic in the `Drop` of a callback or of anything it captured,
///   wherever the crate drops it: after a one-shot callback ran, when a
///   repeating timer stops, in [`TimerHandle::cancel`], and when shutting
///   down discards it. The drop is caught and reported like a callback panic
///   (with the timer's id), and everything else goes on: the thread keeps
///   running, the other timers are still discarded on shutdown. (A value
///   that panics in `Drop` *while* its callback is already unwinding from a
///   panic aborts the process, as any double panic in Rust does.)
///
/// # Dropping
///
/// Dropping a [`TimerHandle`] does not cancel its timer. Dropping the
/// `Scheduler` shuts it down: a callback that is running finishes, every
/// pending timer is discarded without running (its handle then reports
/// [`TimerState::Cancelled`](crate::TimerState::Cancelled)), and `drop`
/// returns once the thread has ended. [`SchedulerHandle`]s then refuse new
/// timers.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use cb_timer::Scheduler;
///
/// let scheduler = Scheduler::new()?;
/// let (tx, rx) = mpsc::channel();
/// for (name, ms) in [("second", 40), ("first", 20)] {
///     let tx = tx.clone();
///     scheduler.after(Duration::from_millis(ms), move || tx.send(name).unwrap());
/// }
/// assert_eq!(rx.recv().unwrap(), "first");
/// assert_eq!(rx.recv().unwrap(), "second");
/// # Ok::<(), cb_timer::SpawnError>(())
/// ```
pub struct Scheduler {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A cheap, cloneable way to schedule timers on a [`Scheduler`] without
/// owning it, for example from inside a callback.
///
/// It does not keep the scheduler alive: once the scheduler is dropped,
/// scheduling returns [`ScheduleError`] with the callback.
///
/// # Examples
///
/// A callback that schedules the next step through a handle:
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use cb_timer::{ManualClock, Scheduler};
///
/// let clock = ManualClock::new();
/// let scheduler = Scheduler::builder().clock(clock.clone()).build()?;
/// let handle = scheduler.handle();
/// let (tx, rx) = mpsc::channel();
/// scheduler.after(Duration::from_secs(1), move || {
///     tx.send("first").unwrap();
///     // Inside a callback: schedule on the same scheduler.
///     handle
///         .after(Duration::from_secs(1), move || tx.send("second").unwrap())
///         .expect("the scheduler is running");
/// });
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(rx.try_recv()?, "first");
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(rx.try_recv()?, "second");
///
/// let handle = scheduler.handle();
/// drop(scheduler);
/// // Refused, and the callback comes back.
/// let (tx, rx) = mpsc::channel();
/// let error = handle.after(Duration::ZERO, move || tx.send("ran").unwrap()).unwrap_err();
/// (error.into_inner())();
/// assert_eq!(rx.try_recv()?, "ran");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SchedulerHandle {
    shared: Weak<Shared>,
}

pub(crate) struct Shared {
    /// Unique in the process, for the [`wait_graph`].
    id: u64,
    name: String,
    clock: Clock,
    /// The clock reading that is tick 0; ticks are nanoseconds since then.
    epoch: Instant,
    queue: Mutex<Queue>,
    /// The worker waits here for a new earliest timer or shutdown.
    wake: Condvar,
    /// Other threads wait here for the worker's progress.
    progress: Condvar,
    /// Threads waiting on `progress`, so the worker only notifies if needed.
    waiters: AtomicUsize,
    shutdown: AtomicBool,
    next_id: AtomicU64,
    worker: OnceLock<ThreadId>,
    on_panic: Option<PanicHook>,
}

struct Queue {
    timers: DeadlineQueue,
    /// The deadline the worker sleeps until (`AWAKE`, or `NEVER` for none).
    sleeping_until: Tick,
    /// How many times the worker found nothing due. It reads the clock and
    /// settles within one hold of the lock, so a count that moved since a
    /// caller took the lock means a pass that saw the caller's time.
    settled: u64,
}

impl Scheduler {
    /// Starts a scheduler with the default settings.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] if the operating system refuses to start its thread.
    pub fn new() -> Result<Scheduler, SpawnError> {
        Scheduler::builder().build()
    }

    /// A [`Builder`] to name the thread, set a clock or a panic hook.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A handle that schedules on this scheduler without owning it.
    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Runs `callback` once `delay` has passed.
    ///
    /// A zero delay runs it as soon as possible; a delay too large for the
    /// clock (such as `Duration::MAX`) means it never runs.
    pub fn after<F>(&self, delay: Duration, callback: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared.after(delay, callback)
    }

    /// Runs `callback` at `deadline`, or as soon as possible if it has passed.
    pub fn at<F>(&self, deadline: Instant, callback: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared.at(deadline, callback)
    }

    /// Runs `callback` every `period`, first one `period` from now, skipping
    /// ticks it missed ([`MissedTicks::Skip`]).
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    pub fn every<F>(&self, period: Duration, callback: F) -> TimerHandle
    where
        F: FnMut() + Send + 'static,
    {
        self.shared.every(period, MissedTicks::default(), callback)
    }

    /// Like [`every`](Scheduler::every), with a chosen policy for missed ticks.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    pub fn every_with<F>(&self, period: Duration, missed: MissedTicks, callback: F) -> TimerHandle
    where
        F: FnMut() + Send + 'static,
    {
        self.shared.every(period, missed, callback)
    }

    /// The number of timers waiting in the queue: armed, not cancelled, and
    /// not running right now (a repeating timer counts again once its
    /// callback returned).
    pub fn pending(&self) -> usize {
        self.shared.pending()
    }

    /// The current time on this scheduler's clock.
    pub fn now(&self) -> Instant {
        self.shared.clock.now()
    }
}

impl SchedulerHandle {
    fn live(&self) -> Option<Arc<Shared>> {
        self.shared
            .upgrade()
            .filter(|s| !s.shutdown.load(Ordering::Acquire))
    }

    /// Like [`Scheduler::after`].
    ///
    /// # Errors
    ///
    /// [`ScheduleError`], holding `callback`, if the scheduler has shut down.
    pub fn after<F>(&self, delay: Duration, callback: F) -> Result<TimerHandle, ScheduleError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        match self.live() {
            Some(shared) => Ok(shared.after(delay, callback)),
            None => Err(ScheduleError::new(callback)),
        }
    }

    /// Like [`Scheduler::at`].
    ///
    /// # Errors
    ///
    /// [`ScheduleError`], holding `callback`, if the scheduler has shut down.
    pub fn at<F>(&self, deadline: Instant, callback: F) -> Result<TimerHandle, ScheduleError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        match self.live() {
            Some(shared) => Ok(shared.at(deadline, callback)),
            None => Err(ScheduleError::new(callback)),
        }
    }

    /// Like [`Scheduler::every`]: every `period`, skipping missed ticks.
    ///
    /// # Errors
    ///
    /// [`ScheduleError`], holding `callback`, if the scheduler has shut down.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    pub fn every<F>(&self, period: Duration, callback: F) -> Result<TimerHandle, ScheduleError<F>>
    where
        F: FnMut() + Send + 'static,
    {
        self.every_with(period, MissedTicks::default(), callback)
    }

    /// Like [`Scheduler::every_with`].
    ///
    /// # Errors
    ///
    /// [`ScheduleError`], holding `callback`, if the scheduler has shut down.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    pub fn every_with<F>(
        &self,
        period: Duration,
        missed: MissedTicks,
        callback: F,
    ) -> Result<TimerHandle, ScheduleError<F>>
    where
        F: FnMut() + Send + 'static,
    {
        match self.live() {
            Some(shared) => Ok(shared.every(period, missed, callback)),
            None => Err(ScheduleError::new(callback)),
        }
    }

    /// The current time on the scheduler's clock, or `None` once it has
    /// shut down.
    pub fn now(&self) -> Option<Instant> {
        self.live().map(|s| s.clock.now())
    }

    /// Like [`Scheduler::pending`], or `None` once the scheduler has shut
    /// down.
    pub fn pending(&self) -> Option<usize> {
        self.live().map(|s| s.pending())
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // User code never runs under this lock, so it cannot be poisoned by
        // a callback; recover rather than panic twice.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn tick(&self, at: Instant) -> Tick {
        match at.checked_duration_since(self.epoch) {
            None => 0,
            Some(since) => since.as_nanos(),
        }
    }

    fn now_tick(&self) -> Tick {
        self.tick(self.clock.now())
    }

    fn on_worker(&self) -> bool {
        self.worker.get() == Some(&thread::current().id())
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn after<F: FnOnce() + Send + 'static>(self: &Arc<Self>, delay: Duration, f: F) -> TimerHandle {
        let deadline = self
            .clock
            .now()
            .checked_add(delay)
            .map_or(NEVER, |d| self.tick(d));
        self.arm(Arc::new(task::once(self.next_id(), f)), deadline)
    }

    fn at<F: FnOnce() + Send + 'static>(self: &Arc<Self>, deadline: Instant, f: F) -> TimerHandle {
        let deadline = self.tick(deadline);
        self.arm(Arc::new(task::once(self.next_id(), f)), deadline)
    }

    fn every<F: FnMut() + Send + 'static>(
        self: &Arc<Self>,
        period: Duration,
        missed: MissedTicks,
        f: F,
    ) -> TimerHandle {
        assert!(
            !period.is_zero(),
            "cb-timer: a repeating timer needs a non-zero period"
        );
        let first = self
            .clock
            .now()
            .checked_add(period)
            .map_or(NEVER, |d| self.tick(d));
        self.arm(
            Arc::new(task::repeating(self.next_id(), period, missed, f)),
            first,
        )
    }

    fn arm(self: &Arc<Self>, task: Arc<dyn Task>, deadline: Tick) -> TimerHandle {
        let id = task.header().id;
        // A timer that never fires is queued too (last, at `NEVER`), so that
        // dropping the scheduler discards it like any other.
        let mut queue = self.lock();
        if self.shutdown.load(Ordering::Acquire) {
            // Lost a race with `Drop`, which sets the flag under this lock
            // before the worker's final sweep: discard it as that sweep would.
            drop(queue);
            self.discard(std::iter::once(Arc::clone(&task)));
        } else {
            queue.timers.push(deadline, Arc::clone(&task));
            if deadline < queue.sleeping_until {
                self.wake.notify_one();
            }
            drop(queue);
        }
        tracing::trace!(timer = id, deadline_ns = deadline, "timer armed");
        TimerHandle::new(task, Arc::downgrade(self))
    }

    fn pending(&self) -> usize {
        self.lock().timers.pending()
    }

    /// Tells the queue that `task` was cancelled, so that it stops counting
    /// it and compacts once cancelled timers pile up.
    pub(crate) fn note_cancelled(&self, task: &dyn Task) {
        let removed = self.lock().timers.note_cancelled(task);
        // Outside the lock. The tombstones' callbacks are gone already (or
        // their cancellers, holding a handle, are about to drop them).
        drop(removed);
    }

    /// Drops `task`'s callback without running it, reporting a panic in its
    /// `Drop` like a callback's.
    pub(crate) fn discard_callback(&self, task: &dyn Task) {
        if let Err(payload) = task.discard_callback() {
            self.report_panic(task.header().id, payload, caught::Phase::Drop);
        }
    }

    /// Blocks until no callback of `task` is running. Returns at once on the
    /// scheduler's own thread, where that callback is the caller.
    pub(crate) fn wait_not_running(&self, task: &dyn Task) {
        if self.on_worker() {
            return;
        }
        let running = || task.header().state.get() == crate::TimerState::Running;
        // Sequentially consistent, like the state change and the check in
        // `notify_progress`: either we see the callback finished, or the
        // worker sees us waiting and notifies.
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let mut queue = self.lock();
        while running() {
            queue = self
                .progress
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(queue);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Blocks until `task` is done — fired or cancelled, [`TimerState`]'s
    /// final states — or until `deadline` passes. Returns the final state,
    /// or `Err(false)` at the deadline and `Err(true)` on the scheduler's own
    /// thread, where waiting would keep the timer from ever running.
    ///
    /// [`TimerState`]: crate::TimerState
    pub(crate) fn wait_done(
        &self,
        task: &dyn Task,
        deadline: Option<Instant>,
    ) -> Result<crate::TimerState, bool> {
        let done = || {
            let state = task.header().state.get();
            matches!(
                state,
                crate::TimerState::Fired | crate::TimerState::Cancelled
            )
            .then_some(state)
        };
        if let Some(state) = done() {
            return Ok(state);
        }
        if self.on_worker() {
            return Err(true);
        }
        // As in `wait_not_running`: either we see the final state, or whoever
        // sets it (the worker, or a `cancel`) sees us waiting and notifies.
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let mut queue = self.lock();
        let outcome = loop {
            if let Some(state) = done() {
                break Ok(state);
            }
            queue = match deadline {
                None => self
                    .progress
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break Err(false);
                    }
                    self.progress
                        .wait_timeout(queue, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        };
        drop(queue);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        outcome
    }

    /// For [`ManualClock::advance`]: waits until the worker has run
    /// everything due at the clock's time of this call.
    ///
    /// Returns at once on this scheduler's own thread, and on the thread of a
    /// scheduler that this one is blocked waiting for (see [`wait_graph`]).
    pub(crate) fn settle(&self) {
        if self.on_worker() {
            return;
        }
        let Some(_waiting) = wait_graph::begin(self.id) else {
            tracing::debug!(
                scheduler = %self.name,
                "not waiting for a scheduler that waits for this thread"
            );
            return;
        };
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let mut queue = self.lock();
        let seen = queue.settled;
        self.wake.notify_one();
        while queue.settled == seen && !self.shutdown.load(Ordering::Acquire) {
            queue = self
                .progress
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(queue);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    pub(super) fn notify_progress(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _queue = self.lock();
            self.progress.notify_all();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        {
            let _queue = self.shared.lock();
            self.shared.shutdown.store(true, Ordering::Release);
            self.shared.wake.notify_all();
            self.shared.progress.notify_all();
        }
        // Dropped from one of its own callbacks, it cannot wait for itself;
        // the thread ends after that callback returns.
        if let Some(thread) = self.thread.take().filter(|_| !self.shared.on_worker()) {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SchedulerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchedulerHandle")
            .field("live", &self.live().is_some())
            .finish()
    }
}
