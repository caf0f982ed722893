//! `Timer`: one thread per timer, the model of Python's `threading.Timer`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::error::{JoinError, SpawnError, StartError};
use crate::panic::{self as caught, Phase, drop_caught, payload_message, run_caught};
use crate::state::{CancelOutcome, StateCell, TimerState};

type Callback = Box<dyn FnOnce() + Send + 'static>;

/// Runs a callback once, after a delay, on a thread of its own.
///
/// This is the faithful model of Python's `threading.Timer`: [`start`]
/// spawns one OS thread that waits for the delay and then calls the callback;
/// [`cancel`] stops it if it has not begun. The caller never blocks. One
/// thread per timer is simple and lets timers that fire together really run
/// at the same time, but threads are expensive: for many timers use a
/// [`Scheduler`](crate::Scheduler).
///
/// Dropping a `Timer` does not cancel it: a started timer still fires, as in
/// Python.
///
/// A panic in the callback, or in the `Drop` of the callback or a value it
/// captured (after it ran, or when [`cancel`] drops it), is caught: it is
/// logged, and [`join`](Timer::join) returns it as [`JoinError::Panicked`]. The timer's
/// thread always ends and marks itself finished, so `join` returns.
///
/// [`start`]: Timer::start
/// [`cancel`]: Timer::cancel
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use cb_timer::Timer;
///
/// let (tx, rx) = mpsc::channel();
/// let timer = Timer::new(Duration::from_millis(20), move || tx.send("fired").unwrap());
/// timer.start()?;
/// // `start` returned at once; the callback runs on the timer's thread.
/// assert_eq!(rx.recv()?, "fired");
/// timer.join()?;
/// assert!(!timer.is_alive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Timer {
    delay: Duration,
    shared: Arc<Shared>,
}

/// Numbers `Timer`s for their thread names and `tracing` events.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

struct Shared {
    id: u64,
    state: StateCell,
    inner: Mutex<Inner>,
    changed: Condvar,
}

struct Inner {
    callback: Option<Callback>,
    started: bool,
    finished: bool,
    /// `cancel` took the callback and is dropping it; `join` waits for that
    /// too, so that it sees a panic in the drop.
    dropping: bool,
    thread: Option<ThreadId>,
    /// The first panic caught: the callback's, or its `Drop`'s.
    panic: Option<String>,
}

impl Timer {
    /// A timer that will call `callback` once `delay` has passed after
    /// [`start`](Timer::start).
    ///
    /// A delay too large to add to the current time (such as
    /// `Duration::MAX`) means "never": the thread waits until cancelled.
    pub fn new<F>(delay: Duration, callback: F) -> Timer
    where
        F: FnOnce() + Send + 'static,
    {
        Timer {
            delay,
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                state: StateCell::new(),
                inner: Mutex::new(Inner {
                    callback: Some(Box::new(callback)),
                    started: false,
                    finished: false,
                    dropping: false,
                    thread: None,
                    panic: None,
                }),
                changed: Condvar::new(),
            }),
        }
    }

    /// The delay this timer was made with.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Starts the timer's thread, named `cb-timer-N`, and returns at once.
    ///
    /// # Errors
    ///
    /// [`StartError::AlreadyStarted`] on a second call, and
    /// [`StartError::Spawn`] if the operating system refuses a new thread (the
    /// timer then keeps its callback and `start` may be tried again).
    pub fn start(&self) -> Result<(), StartError> {
        let mut inner = self.shared.lock();
        if inner.started {
            return Err(StartError::AlreadyStarted);
        }
        let deadline = Instant::now().checked_add(self.delay);
        let shared = Arc::clone(&self.shared);
        let handle = thread::Builder::new()
            .name(format!("cb-timer-{}", self.shared.id))
            .spawn(move || shared.run(deadline))
            .map_err(|e| {
                tracing::error!(timer = self.shared.id, error = %e, "could not spawn a timer thread");
                SpawnError(e)
            })?;
        inner.started = true;
        inner.thread = Some(handle.thread().id());
        tracing::trace!(timer = self.shared.id, delay = ?self.delay, "timer thread armed");
        Ok(())
    }

    /// Stops the timer if its callback has not begun.
    ///
    /// Cancelling a timer that was not started yet means it will never run,
    /// even if started later. A waiting thread wakes up and ends at once.
    /// May be called from any thread, the callback's own included.
    ///
    /// A timer stopped here has its callback dropped before `cancel`
    /// returns, on the caller's thread; a panic in that `Drop` does not
    /// escape, [`join`](Timer::join) reports it.
    pub fn cancel(&self) -> CancelOutcome {
        let outcome = self.shared.state.cancel();
        if outcome.stopped_it() {
            tracing::debug!(timer = self.shared.id, "timer thread cancelled");
            // Take the lock so a thread between its check and its wait
            // cannot miss the notification.
            let mut inner = self.shared.lock();
            let callback = inner.callback.take();
            inner.dropping = callback.is_some();
            self.shared.changed.notify_all();
            drop(inner);
            // The user's closure is dropped outside our lock: its `Drop` may
            // call back into this timer.
            let dropped = drop_caught(callback);
            let panic = dropped.err().map(|p| self.shared.caught(p, Phase::Drop));
            let mut inner = self.shared.lock();
            inner.dropping = false;
            if let Some(msg) = panic {
                inner.panic.get_or_insert(msg);
            }
            self.shared.changed.notify_all();
        }
        outcome
    }

    /// Where the timer is in its life.
    pub fn state(&self) -> TimerState {
        self.shared.state.get()
    }

    /// Whether the timer's thread was started and has not finished yet.
    pub fn is_alive(&self) -> bool {
        let inner = self.shared.lock();
        inner.started && !inner.finished
    }

    /// Blocks until the timer's thread has finished: the callback ran, or the
    /// timer was cancelled.
    ///
    /// # Errors
    ///
    /// [`JoinError::NotStarted`], [`JoinError::OwnThread`] when called from
    /// the callback itself, and [`JoinError::Panicked`] if the callback
    /// panicked, or the `Drop` of the callback or of a value it captured.
    pub fn join(&self) -> Result<(), JoinError> {
        self.join_until(None)
    }

    /// Like [`join`](Timer::join), but gives up with [`JoinError::Timeout`]
    /// after `timeout`.
    pub fn join_timeout(&self, timeout: Duration) -> Result<(), JoinError> {
        self.join_until(Some(Instant::now().checked_add(timeout)).flatten())
    }

    fn join_until(&self, deadline: Option<Instant>) -> Result<(), JoinError> {
        let mut inner = self.shared.lock();
        if !inner.started {
            return Err(JoinError::NotStarted);
        }
        if inner.thread == Some(thread::current().id()) && !inner.finished {
            return Err(JoinError::OwnThread);
        }
        while !inner.finished || inner.dropping {
            inner = match deadline {
                None => self.shared.wait(inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(JoinError::Timeout);
                    }
                    self.shared.wait_timeout(inner, left)
                }
            };
        }
        match &inner.panic {
            Some(msg) => Err(JoinError::Panicked(msg.clone())),
            None => Ok(()),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Callbacks never run under this lock, so it is never poisoned by
        // them; recover anyway rather than panic twice.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_timeout<'a>(&self, guard: MutexGuard<'a, Inner>, d: Duration) -> MutexGuard<'a, Inner> {
        self.changed
            .wait_timeout(guard, d)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    /// The body of the timer's thread.
    fn run(&self, deadline: Option<Instant>) {
        let mut finished = MarkFinished {
            shared: self,
            panic: None,
        };
        let Some(callback) = self.wait_for_start(deadline) else {
            return; // cancelled: `cancel` dropped the callback
        };
        if let Some(deadline) = deadline {
            let late = deadline.elapsed();
            tracing::trace!(
                timer = self.id,
                late_us = late.as_micros() as u64,
                "timer thread fired"
            );
        }
        if let Err(payload) = run_caught(callback) {
            finished.panic = Some(self.caught(payload, Phase::Run));
        }
        self.state.finish();
    }

    /// Waits for the deadline, then starts the timer and takes its callback;
    /// `None` if it was cancelled first.
    fn wait_for_start(&self, deadline: Option<Instant>) -> Option<Callback> {
        let mut inner = self.lock();
        // Wait for the deadline on the condition variable rather than
        // sleeping, so `cancel` ends the thread at once.
        loop {
            if self.state.get() != TimerState::Pending {
                return None;
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match left {
                Some(left) if left.is_zero() => break,
                Some(left) => inner = self.wait_timeout(inner, left),
                None => inner = self.wait(inner),
            }
        }
        // Start and take under the lock: a `cancel` that wins the start then
        // finds the callback still here and drops it itself, so this thread
        // never holds a callback it may not run.
        if !self.state.try_start() {
            return None;
        }
        inner.callback.take()
    }

    /// Logs a caught panic and gives its message; drops the payload.
    fn caught(&self, payload: Box<dyn std::any::Any + Send>, phase: Phase) -> String {
        caught::log_panic(self.id, &*payload, phase);
        let msg = payload_message(&*payload)
            .unwrap_or("<non-string panic>")
            .to_owned();
        caught::drop_payload(payload);
        msg
    }
}

/// Marks the timer's thread finished when it ends, however it ends.
struct MarkFinished<'a> {
    shared: &'a Shared,
    panic: Option<String>,
}

impl Drop for MarkFinished<'_> {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.finished = true;
        let panic = self
            .panic
            .take()
            .or_else(|| thread::panicking().then(|| "the timer's thread panicked".to_owned()));
        if let Some(msg) = panic {
            inner.panic.get_or_insert(msg);
        }
        self.shared.changed.notify_all();
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("delay", &self.delay)
            .field("state", &self.state())
            .finish()
    }
}
