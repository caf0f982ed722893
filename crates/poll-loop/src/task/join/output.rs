//! A task's outcome, shared by the task and its join handles: where the
//! output waits until a reader claims it.
//
// The output goes to exactly one place. A by-value `.await` of a handle
// moves it out (any `T`); the first read through the many-reader view (a
// `simple-future` `Observer`, made only then) moves it into that view's
// future instead, where every reader borrows it. Whichever comes first
// wins; the other is told so (`JoinError::Taken` / `JoinError::Shared`).
// Moving the value out of a future that others may have borrowed it from
// would be unsound, hence the one place.
//
// Failures (cancelled, panicked, abandoned) are kept here in any case, so
// that every reader of either kind sees them.

use std::fmt;
use std::mem;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;

use simple_future::{Future, Observer, Panicked, State};

use crate::error::JoinError;

/// What the task and its handles share.
pub(crate) struct Output<T> {
    slot: Mutex<Slot<T>>,
    /// The many-reader view, made when first asked for. Boxed, as is its
    /// completing side (in `Awaited`): only a task read by reference pays
    /// for them (an output of a sleeping task went from 168 to 120 bytes).
    view: OnceLock<Box<Observer<T>>>,
    /// Set by `cancel`: read lock-free by every poll of the task.
    cancelled: AtomicBool,
    /// Where the task was spawned, for the "never retrieved" report.
    location: &'static Location<'static>,
}

struct Slot<T> {
    outcome: Outcome<T>,
    /// Made by the first awaiter or the view: the output of a task nobody
    /// awaits (a detached or sleeping one) stays 88 bytes, not 120.
    awaited: Option<Box<Awaited<T>>>,
    /// Whether someone read the task's panic (an await, or the view).
    retrieved: bool,
}

enum Outcome<T> {
    Running,
    /// Done with a value nobody has claimed yet.
    Returned(T),
    /// The value was moved out by a by-value await.
    Taken,
    /// The value went to the view's future.
    Viewed,
    Cancelled,
    /// Boxed: only a failed task pays for its report.
    Panicked(Box<Failure>),
    /// The task was dropped unfinished (its loop closed).
    Abandoned,
}

/// Who waits for a task's output.
struct Awaited<T> {
    /// The view's completing side, while the task runs and a view exists.
    completer: Option<Future<T>>,
    /// By-value and by-reference awaiters, by key.
    waiters: Vec<(u64, Waker)>,
    next_key: u64,
}

impl<T> Default for Awaited<T> {
    fn default() -> Self {
        Awaited {
            completer: None,
            waiters: Vec::new(),
            next_key: 0,
        }
    }
}

/// A task's panic, and the task, for the "never retrieved" report.
struct Failure {
    panicked: Panicked,
    /// The task as `current_task()` named it when it panicked (number,
    /// name and spawn location).
    task: Option<String>,
}

/// What to do with the view's future once the lock is released (it runs
/// the view's done-callbacks: user code).
enum Publish<T> {
    Nothing,
    Value(Future<T>, T),
    Exception(Future<T>, JoinErrorOrPanic),
    Cancel(Future<T>),
    Abandon(Future<T>),
}

enum JoinErrorOrPanic {
    Join(JoinError),
    Panic(Panicked),
}

impl<T> Publish<T> {
    /// Completes the view's future. False if it was cancelled meanwhile
    /// (through a plain `Observer`, on another thread).
    fn run(self) -> bool {
        match self {
            Publish::Nothing => true,
            Publish::Value(future, value) => future.set_result(value).is_ok(),
            Publish::Exception(future, error) => {
                let error: simple_future::Exception = match error {
                    JoinErrorOrPanic::Join(error) => Box::new(error),
                    JoinErrorOrPanic::Panic(panicked) => Box::new(panicked),
                };
                future.set_exception(error).is_ok()
            }
            Publish::Cancel(future) => {
                future.cancel();
                true
            }
            Publish::Abandon(future) => {
                drop(future);
                true
            }
        }
    }
}

impl<T> Output<T> {
    pub(crate) fn new(location: &'static Location<'static>) -> Output<T> {
        Output {
            slot: Mutex::new(Slot {
                outcome: Outcome::Running,
                awaited: None,
                retrieved: false,
            }),
            view: OnceLock::new(),
            cancelled: AtomicBool::new(false),
            location,
        }
    }

    /// The slot. No user code runs under the lock; a poisoned one is
    /// recovered.
    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True if nothing but the task can still read or cancel the outcome
    /// once the handles are gone: it is running, not asked to stop (the
    /// task must still see that), and has no view (whose observers would
    /// read it).
    pub(crate) fn unviewed_and_running(&self) -> bool {
        self.view.get().is_none()
            && !self.cancel_requested()
            && matches!(self.lock().outcome, Outcome::Running)
    }

    /// The future's state, as the view would show it, without claiming the
    /// output.
    pub(crate) fn state(&self) -> State {
        self.lock().outcome.state()
    }

    /// The state and, once finished, what the outcome was, for `Display`.
    pub(crate) fn describe(&self) -> (State, Option<&'static str>) {
        let slot = self.lock();
        let detail = match slot.outcome {
            Outcome::Returned(_) | Outcome::Viewed => Some("returned"),
            Outcome::Taken => Some("returned (taken)"),
            Outcome::Panicked(_) => Some("raised Panicked"),
            _ => None,
        };
        (slot.outcome.state(), detail)
    }

    /// True once the task should stop: cancelled through a handle, or
    /// through a plain `Observer` of the view. Lock-free: every poll asks.
    pub(crate) fn cancel_requested(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
            || self.view.get().is_some_and(|view| view.cancelled())
    }

    /// Asks the task to stop, if it has not finished: true if this call
    /// asked first. The outcome stays running until the task's future is
    /// dropped (`cancelled`), so that nobody sees the task cancelled while
    /// its future, and what it holds, still lives.
    pub(crate) fn cancel(&self) -> bool {
        let slot = self.lock();
        if !matches!(slot.outcome, Outcome::Running) || self.cancel_requested() {
            return false;
        }
        self.cancelled.store(true, Ordering::Release);
        true
    }

    /// The task's future was dropped on a cancel: records the outcome and
    /// wakes the awaiters, as asyncio completes a task only once its
    /// `finally` blocks ran.
    pub(crate) fn cancelled(&self) {
        let mut slot = self.lock();
        if !matches!(slot.outcome, Outcome::Running) {
            return;
        }
        slot.outcome = Outcome::Cancelled;
        self.cancelled.store(true, Ordering::Release);
        // A view cancelled by one of its observers is done already:
        // cancelling it again runs nothing.
        let publish = slot
            .take_completer()
            .map_or(Publish::Nothing, Publish::Cancel);
        let waiters = slot.take_waiters();
        drop(slot);
        publish.run();
        wake_all(waiters);
    }

    /// The task is done: stores its outcome, or hands it to the view.
    /// Called in the task's last poll: a panic is recorded with the
    /// [`current_task`](crate::current_task) it came from.
    pub(crate) fn finish(&self, result: Result<T, Panicked>) {
        let mut slot = self.lock();
        if !matches!(slot.outcome, Outcome::Running) {
            return;
        }
        // Under the lock, which `cancel` takes to ask: a cancel either came
        // first and wins, or finds the task done.
        if self.cancel_requested() {
            // Cancelled while its last poll ran (by the task itself, by a
            // done-callback it ran, or from another thread): the value is
            // dropped (outside the lock), as asyncio's task is cancelled
            // when `cancel()` came right before it returned.
            drop(slot);
            drop(result);
            return self.cancelled();
        }
        let publish = match (slot.take_completer(), result) {
            (Some(future), Ok(value)) => {
                slot.outcome = Outcome::Viewed;
                Publish::Value(future, value)
            }
            (Some(future), Err(panicked)) => {
                // Shown by the view; retrieved once somebody reads it there.
                slot.outcome = Outcome::panicked(panicked.clone());
                Publish::Exception(future, JoinErrorOrPanic::Panic(panicked))
            }
            (None, Ok(value)) => {
                slot.outcome = Outcome::Returned(value);
                Publish::Nothing
            }
            (None, Err(panicked)) => {
                slot.outcome = Outcome::panicked(panicked);
                Publish::Nothing
            }
        };
        drop(slot);
        if !publish.run() {
            // The view was cancelled just before: so was the task.
            self.lock().outcome = Outcome::Cancelled;
        }
        let waiters = self.lock().take_waiters();
        wake_all(waiters);
    }

    /// The task was dropped unfinished.
    pub(crate) fn abandon(&self) {
        if self.cancel_requested() {
            return self.cancelled(); // asked to stop, and it did
        }
        let mut slot = self.lock();
        if !matches!(slot.outcome, Outcome::Running) {
            return;
        }
        slot.outcome = Outcome::Abandoned;
        let publish = slot
            .take_completer()
            .map_or(Publish::Nothing, Publish::Abandon);
        let waiters = slot.take_waiters();
        drop(slot);
        publish.run();
        wake_all(waiters);
    }

    /// The many-reader view, made (and handed the output) on first use.
    /// `on_view_done` is registered as the view's done-callback if the task
    /// is still running, so that a cancel through the view reaches the task;
    /// `loop_thread` is declared its completing thread, so a blocking read of
    /// the view there panics instead of hanging.
    pub(crate) fn view(
        &self,
        loop_thread: std::thread::ThreadId,
        on_view_done: impl FnOnce() -> Waker,
    ) -> &Observer<T>
    where
        T: 'static,
    {
        if let Some(view) = self.view.get() {
            return view;
        }
        let mut slot = self.lock();
        if let Some(view) = self.view.get() {
            return view; // made by another thread meanwhile
        }
        let future = Future::new();
        let observer = future.observer();
        let running = matches!(slot.outcome, Outcome::Running);
        let publish = match mem::replace(&mut slot.outcome, Outcome::Viewed) {
            Outcome::Running => {
                slot.outcome = Outcome::Running;
                future.set_completing_thread(loop_thread);
                slot.awaited().completer = Some(future);
                Publish::Nothing
            }
            Outcome::Returned(value) => Publish::Value(future, value),
            Outcome::Viewed => unreachable!("the view is made once"),
            Outcome::Taken => {
                slot.outcome = Outcome::Taken;
                Publish::Exception(future, JoinErrorOrPanic::Join(JoinError::Taken))
            }
            Outcome::Cancelled => {
                slot.outcome = Outcome::Cancelled;
                Publish::Cancel(future)
            }
            Outcome::Panicked(failure) => {
                let panicked = failure.panicked.clone();
                slot.outcome = Outcome::Panicked(failure);
                Publish::Exception(future, JoinErrorOrPanic::Panic(panicked))
            }
            Outcome::Abandoned => {
                slot.outcome = Outcome::Abandoned;
                Publish::Abandon(future)
            }
        };
        let view = self.view.get_or_init(|| Box::new(observer));
        drop(slot);
        publish.run();
        if running {
            let waker = on_view_done();
            view.add_done_callback(move |_| waker.wake());
        }
        view
    }

    /// A by-value await: moves the output out once the task is done.
    pub(crate) fn poll_take(
        &self,
        key: &mut Option<u64>,
        waker: &Waker,
    ) -> Option<Result<T, JoinError>> {
        let mut slot = self.lock();
        let result = match mem::replace(&mut slot.outcome, Outcome::Taken) {
            Outcome::Running => {
                slot.outcome = Outcome::Running;
                slot.register(key, waker);
                return None;
            }
            Outcome::Returned(value) => Ok(value),
            Outcome::Taken => Err(JoinError::Taken),
            other => {
                slot.outcome = other;
                Err(slot.failure().unwrap_or(JoinError::Shared))
            }
        };
        slot.unregister(key);
        Some(result)
    }

    /// A by-reference await, once the view exists: a clone of the output.
    pub(crate) fn poll_clone(
        &self,
        key: &mut Option<u64>,
        waker: &Waker,
    ) -> Option<Result<T, JoinError>>
    where
        T: Clone,
    {
        let mut slot = self.lock();
        let result = match slot.outcome {
            Outcome::Running => None,
            Outcome::Viewed => {
                // Completed after the lock was released: wait for it.
                let view = self.view.get().expect("a viewed output has a view");
                match view.try_result() {
                    Ok(value) => Some(Ok(value.clone())),
                    Err(_) if view.cancelled() => Some(Err(JoinError::Cancelled)),
                    Err(_) => None,
                }
            }
            Outcome::Taken | Outcome::Returned(_) => Some(Err(JoinError::Taken)),
            _ => slot.failure().map(Err),
        };
        match result {
            None => slot.register(key, waker),
            Some(_) => slot.unregister(key),
        }
        result
    }

    /// Forgets an awaiter that was dropped before the task was done.
    pub(crate) fn unregister(&self, key: u64) {
        self.lock().unregister(&mut Some(key));
    }
}

impl<T> Outcome<T> {
    /// A panic of the task being polled.
    fn panicked(panicked: Panicked) -> Outcome<T> {
        let task = crate::state::current::current_task().map(|task| task.to_string());
        Outcome::Panicked(Box::new(Failure { panicked, task }))
    }

    fn state(&self) -> State {
        match self {
            Outcome::Running => State::Pending,
            Outcome::Returned(_) | Outcome::Taken | Outcome::Viewed | Outcome::Panicked(_) => {
                State::Finished
            }
            Outcome::Cancelled => State::Cancelled,
            Outcome::Abandoned => State::Abandoned,
        }
    }
}

impl<T> Slot<T> {
    fn awaited(&mut self) -> &mut Awaited<T> {
        self.awaited.get_or_insert_with(Box::default)
    }

    fn take_completer(&mut self) -> Option<Future<T>> {
        self.awaited.as_mut()?.completer.take()
    }

    fn take_waiters(&mut self) -> Vec<(u64, Waker)> {
        self.awaited
            .as_mut()
            .map(|awaited| mem::take(&mut awaited.waiters))
            .unwrap_or_default()
    }

    fn register(&mut self, key: &mut Option<u64>, waker: &Waker) {
        let awaited = self.awaited();
        if let Some(k) = *key {
            if let Some((_, old)) = awaited.waiters.iter_mut().find(|(w, _)| *w == k) {
                if !old.will_wake(waker) {
                    old.clone_from(waker);
                }
                return;
            }
        }
        let k = awaited.next_key;
        awaited.next_key += 1;
        awaited.waiters.push((k, waker.clone()));
        *key = Some(k);
    }

    fn unregister(&mut self, key: &mut Option<u64>) {
        if let (Some(k), Some(awaited)) = (key.take(), self.awaited.as_mut()) {
            awaited.waiters.retain(|(w, _)| *w != k);
        }
    }

    /// The error for a failed task, if it failed; marks a panic retrieved.
    fn failure(&mut self) -> Option<JoinError> {
        match &self.outcome {
            Outcome::Cancelled => Some(JoinError::Cancelled),
            Outcome::Abandoned => Some(JoinError::Abandoned),
            Outcome::Panicked(failure) => {
                let error = JoinError::Panicked(failure.panicked.clone());
                self.retrieved = true;
                Some(error)
            }
            _ => None,
        }
    }
}

/// Wakes every awaiter, even if one's waker panics (see `panic_later`).
fn wake_all(waiters: Vec<(u64, Waker)>) {
    crate::task::panic_later::wake_all(waiters.into_iter().map(|(_, waker)| waker));
}

/// asyncio logs "Task exception was never retrieved" when a task that
/// raised is collected unread; so does this, when the last handle goes.
impl<T> Drop for Output<T> {
    fn drop(&mut self) {
        let slot = self.slot.get_mut().unwrap_or_else(PoisonError::into_inner);
        // Read through the view counts, adding a done-callback there not.
        let viewed = self
            .view
            .get()
            .is_some_and(|view| view.exception_retrieved());
        if let (Outcome::Panicked(failure), false) = (&slot.outcome, slot.retrieved || viewed) {
            report_unretrieved(self.location, failure.task.as_deref(), &failure.panicked);
        }
    }
}

/// Reports the panic of a task spawned at `location` that nobody read
/// (`task`: the task as `current_task()` named it).
pub(crate) fn report_unretrieved(
    location: &'static Location<'static>,
    task: Option<&str>,
    panicked: &Panicked,
) {
    let panic = panicked.message().unwrap_or("<non-string panic>");
    match task {
        Some(task) => tracing::error!(
            location = %location,
            task = %task,
            panic,
            "task exception was never retrieved: {task} panicked: {panic}",
        ),
        None => tracing::error!(
            location = %location,
            panic,
            "task exception was never retrieved: the task spawned at {location} panicked: {panic}",
        ),
    }
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Output");
        match self.slot.try_lock() {
            Ok(slot) => out.field("state", &slot.outcome.state()),
            Err(_) => out.field("state", &format_args!("<locked>")),
        };
        out.finish_non_exhaustive()
    }
}
