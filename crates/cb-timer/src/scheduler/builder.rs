//! `Builder`: a scheduler's settings, and starting its thread.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;

use super::{AWAKE, NEXT_SCHEDULER, PanicHook, Queue, Scheduler, Shared};
use crate::error::SpawnError;
use crate::panic::{self as caught, PanicReport};
use crate::queue::DeadlineQueue;
use crate::scheduler::clock::{Clock, ManualClock};

/// Configures a [`Scheduler`] before its thread starts.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use cb_timer::{ManualClock, Scheduler};
///
/// let clock = ManualClock::new();
/// let panics = Arc::new(Mutex::new(Vec::new()));
/// let scheduler = Scheduler::builder()
///     .name("my-timers")
///     .clock(clock.clone())
///     .on_panic({
///         let panics = panics.clone();
///         move |report| panics.lock().unwrap().push(report.timer())
///     })
///     .build()?;
/// let (tx, rx) = std::sync::mpsc::channel();
/// scheduler.after(Duration::ZERO, move || {
///     tx.send(std::thread::current().name().map(str::to_owned)).unwrap();
/// });
/// let bad = scheduler.after(Duration::ZERO, || panic!("oops"));
/// clock.advance(Duration::ZERO);
/// assert_eq!(rx.recv()?.as_deref(), Some("my-timers"));
/// assert_eq!(*panics.lock().unwrap(), [bad.id()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Builder {
    name: String,
    clock: Clock,
    on_panic: Option<PanicHook>,
}

impl Builder {
    pub(super) fn new() -> Builder {
        Builder {
            name: "cb-timer".into(),
            clock: Clock::System,
            on_panic: None,
        }
    }

    /// Names the scheduler's thread (default `cb-timer`).
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = name.into();
        self
    }

    /// Runs the scheduler on a [`ManualClock`] instead of the system clock.
    pub fn clock(mut self, clock: ManualClock) -> Builder {
        self.clock = Clock::Manual(clock);
        self
    }

    /// Calls `hook` for every callback that panics, and every callback (or
    /// value it captured) whose `Drop` panics, after the `tracing` error
    /// event. A panic in the hook itself is caught and only logged.
    ///
    /// The hook runs on the scheduler's thread, except for a `Drop` that
    /// panics in [`TimerHandle::cancel`](crate::TimerHandle::cancel): that one is reported on the thread
    /// that called `cancel`.
    pub fn on_panic<H>(mut self, hook: H) -> Builder
    where
        H: Fn(PanicReport) + Send + Sync + 'static,
    {
        self.on_panic = Some(Box::new(hook));
        self
    }

    /// Starts the scheduler's thread.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] if the operating system refuses to start it.
    pub fn build(self) -> Result<Scheduler, SpawnError> {
        let shared = Arc::new(Shared {
            id: NEXT_SCHEDULER.fetch_add(1, Ordering::Relaxed),
            epoch: self.clock.now(),
            name: self.name,
            clock: self.clock,
            queue: Mutex::new(Queue {
                timers: DeadlineQueue::default(),
                sleeping_until: AWAKE,
                settled: 0,
            }),
            wake: Condvar::new(),
            progress: Condvar::new(),
            waiters: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            worker: OnceLock::new(),
            on_panic: self.on_panic,
        });
        let worker = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(shared.name.clone())
            .spawn(move || {
                worker.run();
                // The last owner may be this thread (the scheduler was dropped
                // from a callback): the hook is the user's, and so its `Drop`.
                caught::drop_logged(worker, "the on_panic hook");
            })
            .map_err(SpawnError)?;
        let _ = shared.worker.set(thread.thread().id());
        if let Clock::Manual(clock) = &shared.clock {
            clock.register(Arc::downgrade(&shared));
        }
        tracing::debug!(scheduler = %shared.name, "scheduler started");
        Ok(Scheduler {
            shared,
            thread: Some(thread),
        })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("manual_clock", &self.clock.is_manual())
            .field("on_panic", &self.on_panic.is_some())
            .finish()
    }
}
