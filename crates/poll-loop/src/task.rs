//! Tasks: Rust futures driven by the loop. A task is polled as a callback
//! on the loop's thread; its waker queues the next poll from any thread.
//
// A spawned future lives in the loop's task slab (it need not be `Send`).
// What wakers hold is only the task's `Header` (`Send + Sync`): its
// scheduling state, its slab slot and the loop's cross-thread queue. A
// wake-up that finds the task idle queues a `TaskPoll` through that queue
// (which wakes a parked loop); one that finds it running marks it, and the
// loop queues the poll itself when the poll returns. See `state` for the
// rule, modelled under loom.

mod state;

use std::fmt;
use std::future::{Future as StdFuture, poll_fn};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use simple_future::{Future, Observer, Panicked};

use self::state::TaskState;
use crate::error::ScheduleError;
use crate::event_loop::LoopHandle;
use crate::exception::run_caught;
use crate::queue::Call;
use crate::run::trace_enabled;
use crate::threadsafe::{Remote, ThreadsafeHandle};

/// What [`spawn`](LoopHandle::spawn) returns: the task's result, as the
/// read side of a `simple-future` future (the task holds the side that
/// completes it).
///
/// Like any `simple-future` future it can be read from any thread
/// ([`result`](simple_future::Observer::result) blocks until the task is
/// done — never call that on the loop's own thread), called back
/// ([`add_done_callback`](simple_future::Observer::add_done_callback)), or
/// awaited, in a task on this loop or in any other executor.
///
/// - The task's output becomes the future's result.
/// - A task that panics completes it with a [`Panicked`] exception.
/// - [`cancel`](simple_future::Observer::cancel)ling it cancels the task:
///   the task's future is dropped at the loop's next turn without being
///   polled again (asyncio's `Task.cancel`).
/// - A task dropped unfinished, because the loop was closed, leaves it
///   [abandoned](simple_future::State::Abandoned), so that nobody waits
///   for it forever.
///
/// Dropping the handle detaches the task: it still runs to the end.
pub type JoinHandle<T> = Observer<T>;

/// A task's future, once wrapped to publish its outcome.
type LocalTask = Pin<Box<dyn StdFuture<Output = ()>>>;

/// What a task's wakers share, on any thread.
pub(crate) struct Header {
    state: TaskState,
    /// The task's slot in the loop's slab.
    slot: usize,
    /// Numbers the task in `tracing` events.
    id: u64,
    remote: Arc<Remote>,
    /// Where the task was spawned: slow-poll warnings name it.
    location: &'static Location<'static>,
}

impl Wake for Header {
    fn wake(self: Arc<Self>) {
        if self.state.wake() {
            schedule(self);
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.wake() {
            schedule(Arc::clone(self));
        }
    }
}

/// Queues a poll of a woken task: on the loop's own thread (woken by a
/// timer, or by another task) straight onto its ready queue; from other
/// threads through its cross-thread queue, which also wakes it if it
/// sleeps.
fn schedule(header: Arc<Header>) {
    if let Some(lp) = LoopHandle::current() {
        if Arc::ptr_eq(&lp.inner.remote, &header.remote) {
            if let Ok(mut state) = lp.inner.state.try_borrow_mut() {
                state.queues.push_ready(Box::new(TaskPoll(header)));
                return;
            }
        }
    }
    let remote = Arc::clone(&header.remote);
    // Refused only by a closed loop, which has dropped the task already.
    drop(remote.inject(Box::new(TaskPoll(header))));
}

/// The callback that polls a task once.
struct TaskPoll(Arc<Header>);

impl Call for TaskPoll {
    fn location(&self) -> &'static Location<'static> {
        self.0.location
    }

    fn call(self: Box<Self>, running: &mut Option<&'static Location<'static>>) {
        *running = Some(self.0.location);
        // Task polls only ever run on their own loop, which is running.
        if let Some(lp) = LoopHandle::current() {
            lp.poll_task(self.0);
        }
    }

    fn what(&self) -> &'static str {
        "task poll"
    }
}

/// The loop's tasks, by slot. A task's future is out of its slot while it
/// is polled.
//
// The free slots are a list threaded through the slab itself, as in
// `queue.rs` and for the same reason: a separate `Vec` of free slots grows
// while tasks finish, and each growth past a few pages made glibc's
// `malloc` consolidate the many small blocks the finished tasks freed —
// stalls of up to tens of milliseconds, measured by benches/tasks as sleep
// lateness.
#[derive(Default)]
pub(crate) struct Tasks {
    slots: Vec<Entry>,
    /// The first free slot, if any.
    free: Option<usize>,
    live: usize,
    next_id: u64,
}

enum Entry {
    Live(Slot),
    /// Free, with the next free slot.
    Free(Option<usize>),
}

struct Slot {
    header: Arc<Header>,
    future: Option<LocalTask>,
}

impl Tasks {
    /// Stores a new task and returns its header, scheduled: the caller
    /// queues its first poll.
    fn insert(
        &mut self,
        future: LocalTask,
        remote: &Arc<Remote>,
        location: &'static Location<'static>,
    ) -> Arc<Header> {
        let slot = self.free.unwrap_or(self.slots.len());
        let header = Arc::new(Header {
            state: TaskState::scheduled(),
            slot,
            id: self.next_id,
            remote: Arc::clone(remote),
            location,
        });
        self.next_id += 1;
        self.live += 1;
        let entry = Entry::Live(Slot {
            header: Arc::clone(&header),
            future: Some(future),
        });
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else if let Entry::Free(next) = std::mem::replace(&mut self.slots[slot], entry) {
            self.free = next;
        }
        header
    }

    fn slot(&mut self, header: &Arc<Header>) -> Option<&mut Slot> {
        match self.slots.get_mut(header.slot)? {
            Entry::Live(slot) if Arc::ptr_eq(&slot.header, header) => Some(slot),
            _ => None,
        }
    }

    /// Takes the task's future out, to poll it.
    fn take(&mut self, header: &Arc<Header>) -> Option<LocalTask> {
        self.slot(header)?.future.take()
    }

    fn put_back(&mut self, header: &Arc<Header>, future: LocalTask) {
        if let Some(slot) = self.slot(header) {
            slot.future = Some(future);
        }
    }

    /// Frees the slot of a finished task.
    fn remove(&mut self, header: &Arc<Header>) {
        if self.slot(header).is_some() {
            self.slots[header.slot] = Entry::Free(self.free);
            self.free = Some(header.slot);
            self.live -= 1;
        }
    }

    /// True when no task is unfinished.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Takes every task, for closing: they are finished as far as their
    /// wakers know, and their futures are for the caller to drop.
    pub(crate) fn take_all(&mut self) -> Vec<LocalTask> {
        let slots = std::mem::take(&mut self.slots);
        self.free = None;
        self.live = 0;
        slots
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Live(slot) => {
                    slot.header.state.finish();
                    slot.future
                }
                Entry::Free(_) => None,
            })
            .collect()
    }
}

/// Wraps a spawned future: polls it with panics caught, watches for the
/// join handle's cancellation, and publishes the outcome.
async fn task_body<F: StdFuture>(future: F, join: Future<F::Output>) {
    {
        let outcome = {
            let mut future = pin!(future);
            let mut watching_cancel = false;
            poll_fn(|cx| {
                if join.cancelled() {
                    return Poll::Ready(None);
                }
                match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Ready(value)) => Poll::Ready(Some(Ok(value))),
                    Ok(Poll::Pending) => {
                        if !watching_cancel {
                            // Only once the task waits: a task done in its
                            // first poll never pays for this callback.
                            watching_cancel = true;
                            let waker = cx.waker().clone();
                            join.add_done_callback(move |_| waker.wake());
                        }
                        Poll::Pending
                    }
                    Err(payload) => Poll::Ready(Some(Err(payload))),
                }
            })
            .await
            // The future is dropped here, before its outcome is published.
        };
        match outcome {
            None => tracing::debug!("task cancelled"),
            // Refused only if the handle was cancelled meanwhile (by the
            // task itself, or by a done-callback of another future).
            Some(Ok(value)) => drop(join.set_result(value)),
            Some(Err(payload)) => {
                let panicked = Panicked::from_payload(&*payload);
                tracing::debug!(panic = panicked.message(), "task panicked");
                drop(join.set_exception(Box::new(panicked)));
            }
        }
    }
}

impl LoopHandle {
    /// Runs `future` as a task on this loop, and returns its
    /// [`JoinHandle`] at once.
    ///
    /// The task's first poll is queued like a [`call_soon`](LoopHandle::call_soon)
    /// callback; each wake-up of its [`Waker`] (from any thread) queues one
    /// more. The future need not be `Send`: it never leaves this thread.
    /// (From other threads, spawn `Send` futures with
    /// [`ThreadsafeHandle::spawn`].)
    ///
    /// An unfinished task keeps [`run_until_idle`](LoopHandle::run_until_idle)
    /// running, as a registered source does.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use poll_loop::{EventLoop, sleep};
    ///
    /// let lp = EventLoop::new();
    /// let name = Rc::new("not Send"); // fine: the task stays on this thread
    /// let task = lp.spawn(async move {
    ///     sleep(Duration::from_millis(10)).await;
    ///     format!("hello from a task that is {name}")
    /// });
    /// lp.run_until_idle()?;
    /// assert_eq!(task.result()?, "hello from a task that is not Send");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: StdFuture + 'static,
    {
        let join = Future::new();
        let handle = join.observer();
        self.spawn_into(future, join, Location::caller());
        handle
    }

    fn spawn_into<F>(
        &self,
        future: F,
        join: Future<F::Output>,
        location: &'static Location<'static>,
    ) where
        F: StdFuture + 'static,
    {
        let task: LocalTask = Box::pin(task_body(future, join));
        let inner = self.live();
        let mut state = inner.state.borrow_mut();
        let header = state.tasks.insert(task, &inner.remote, location);
        if trace_enabled() {
            tracing::trace!(task = header.id, %location, "task spawned");
        }
        state.queues.push_ready(Box::new(TaskPoll(header)));
    }

    /// Polls a task once, if it is scheduled and still here.
    fn poll_task(&self, header: Arc<Header>) {
        if !header.state.start_poll() {
            return;
        }
        let taken = self.inner.state.borrow_mut().tasks.take(&header);
        let Some(mut future) = taken else {
            header.state.finish();
            return;
        };
        let waker = Waker::from(Arc::clone(&header));
        // The task's own wrapper catches its panics; this only guards the
        // loop's bookkeeping should publishing the outcome panic.
        let poll = run_caught(|| future.as_mut().poll(&mut Context::from_waker(&waker)));
        match poll {
            Ok(Poll::Pending) => {
                let mut state = self.inner.state.borrow_mut();
                state.tasks.put_back(&header, future);
                if header.state.end_poll_pending() {
                    state.queues.push_ready(Box::new(TaskPoll(header)));
                }
            }
            Ok(Poll::Ready(())) => {
                header.state.finish();
                self.inner.state.borrow_mut().tasks.remove(&header);
                if trace_enabled() {
                    tracing::trace!(task = header.id, "task done");
                }
                drop(future); // outside the borrow: it may run user code
            }
            Err(payload) => {
                header.state.finish();
                self.inner.state.borrow_mut().tasks.remove(&header);
                drop(future);
                self.report_panic(payload, header.location, "task");
            }
        }
    }
}

/// A future sent from another thread, to be spawned on the loop.
struct SpawnCall<F: StdFuture> {
    future: F,
    join: Future<F::Output>,
    location: &'static Location<'static>,
}

impl<F: StdFuture + 'static> Call for SpawnCall<F> {
    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn call(self: Box<Self>, running: &mut Option<&'static Location<'static>>) {
        *running = Some(self.location);
        let SpawnCall {
            future,
            join,
            location,
        } = *self;
        if let Some(lp) = LoopHandle::current() {
            lp.spawn_into(future, join, location);
        }
    }
}

impl ThreadsafeHandle {
    /// Spawns `future` as a task on the loop, from any thread, and wakes
    /// the loop; returns the task's [`JoinHandle`] at once.
    ///
    /// The future crosses to the loop's thread, so it must be `Send`, and
    /// its output comes back through a [`JoinHandle`] shared with this
    /// thread, so it must be `Send + Sync`. On the loop it runs as any
    /// [`LoopHandle::spawn`]ed task.
    ///
    /// # Errors
    ///
    /// [`ScheduleError`], holding `future`, if the loop is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use poll_loop::EventLoop;
    ///
    /// let lp = EventLoop::new();
    /// let remote = lp.threadsafe();
    /// let task = thread::spawn(move || remote.spawn(async { 6 * 7 }).unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(*lp.run_until_complete(&task)?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, ScheduleError<F>>
    where
        F: StdFuture + Send + 'static,
        F::Output: Send + Sync + 'static,
    {
        let join = Future::new();
        let handle = join.observer();
        let call = Box::new(SpawnCall {
            future,
            join,
            location: Location::caller(),
        });
        match self.remote.inject(call) {
            Ok(()) => Ok(handle),
            Err(call) => Err(ScheduleError(call.future)),
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}
