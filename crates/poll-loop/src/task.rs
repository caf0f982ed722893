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

mod body;
mod state;

use std::cell::Cell;
use std::fmt;
use std::future::Future as StdFuture;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use self::body::{Reader, TaskFuture, TaskOutput};
use self::state::TaskState;
use crate::error::ScheduleError;
use crate::event_loop::LoopHandle;
use crate::exception::run_caught;
use crate::join::{JoinHandle, Output};
use crate::run::trace_enabled;
use crate::state::pages::Pages;
use crate::state::queue::Call;
use crate::threadsafe::{Remote, ThreadsafeHandle};

/// A task's future, boxed (see `body`).
type LocalTask = Pin<Box<dyn TaskFuture>>;

/// Who reads a task's outcome, as the loop holds it.
enum Readers {
    /// Its join handles, through this output.
    Handles(Arc<dyn TaskOutput>),
    /// Nobody any more: its last handle was dropped unread while it ran,
    /// and the loop let the output go at once rather than hold it until
    /// the task ends (a sleeping task of benches/tasks: 88 bytes less).
    Gone,
    /// Nobody: spawned without handles.
    Never,
}

impl Readers {
    /// Lets the output go if its handles are all gone (the task holds the
    /// one count left): spawned and dropped before the loop ran, say.
    fn let_go_if_unread(&mut self) {
        if let Readers::Handles(output) = self {
            if Arc::strong_count(output) == 1 && output.unviewed_and_running() {
                *self = Readers::Gone;
            }
        }
    }

    fn reader(&self, location: &'static Location<'static>) -> Reader<'_> {
        match self {
            Readers::Handles(output) => Reader::Handles(&**output),
            Readers::Gone => Reader::Gone(location),
            Readers::Never => Reader::None,
        }
    }
}

/// What a task's wakers (and its [`JoinHandle`]) share, on any thread.
pub(crate) struct Header {
    state: TaskState,
    /// The task's slot in the loop's slab, set when the loop stores it
    /// (the header may be made on another thread, by
    /// `ThreadsafeHandle::spawn`). Only the loop's thread reads it.
    /// 32 bits, so that the header is 48 bytes with its counts, not 56.
    slot: AtomicU32,
    /// Numbers the task in `tracing` events.
    id: u64,
    remote: Arc<Remote>,
    /// Where the task was spawned: slow-poll warnings name it.
    location: &'static Location<'static>,
}

/// Numbers the tasks of every loop.
static NEXT_TASK_ID: AtomicU64 = AtomicU64::new(0);

impl Header {
    /// The header of a task about to be queued for its first poll.
    fn new(remote: &Arc<Remote>, location: &'static Location<'static>) -> Arc<Header> {
        Arc::new(Header {
            state: TaskState::scheduled(),
            slot: AtomicU32::new(u32::MAX),
            id: NEXT_TASK_ID.fetch_add(1, Ordering::Relaxed),
            remote: Arc::clone(remote),
            location,
        })
    }

    fn slot(&self) -> usize {
        self.slot.load(Ordering::Relaxed) as usize
    }

    /// True on the thread of the task's loop: the one thread that polls
    /// the task, so that blocking it until the task is done never ends.
    pub(crate) fn on_loop_thread(&self) -> bool {
        std::thread::current().id() == self.remote.thread
    }

    /// The thread of the task's loop.
    pub(crate) fn loop_thread(&self) -> std::thread::ThreadId {
        self.remote.thread
    }
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
                lp.inner.remote.flush_into(&mut state.queues);
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
    slots: Pages<Entry>,
    /// The first free slot, if any.
    free: Option<usize>,
    live: usize,
}

enum Entry {
    Live(Slot),
    /// Free, with the next free slot.
    Free(Option<usize>),
}

struct Slot {
    header: Arc<Header>,
    /// The future and the output, out of the slot while the task is polled.
    future: Option<(LocalTask, Readers)>,
}

/// A task the loop dropped unfinished (it closed): dropping this drops the
/// future, then (even if that panics: fields drop in order) leaves the
/// task's handles abandoned.
pub(crate) struct Unfinished {
    _future: LocalTask,
    _output: Abandon,
}

/// Abandons a task's output when dropped, unless the task finished.
struct Abandon(Readers);

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Readers::Handles(output) = &self.0 {
            output.abandon();
        }
    }
}

impl Tasks {
    /// Stores a new task, whose first poll the caller queues.
    fn insert(&mut self, header: &Arc<Header>, future: LocalTask, output: Readers) {
        let slot = self.free.unwrap_or(self.slots.len());
        let number = u32::try_from(slot).expect("fewer than 2^32 tasks at once");
        header.slot.store(number, Ordering::Relaxed);
        self.live += 1;
        let entry = Entry::Live(Slot {
            header: Arc::clone(header),
            future: Some((future, output)),
        });
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else if let Entry::Free(next) = std::mem::replace(&mut self.slots[slot], entry) {
            self.free = next;
        }
    }

    fn slot(&mut self, header: &Arc<Header>) -> Option<&mut Slot> {
        match self.slots.get_mut(header.slot())? {
            Entry::Live(slot) if Arc::ptr_eq(&slot.header, header) => Some(slot),
            _ => None,
        }
    }

    /// Takes the task's future and output out, to poll it.
    fn take(&mut self, header: &Arc<Header>) -> Option<(LocalTask, Readers)> {
        self.slot(header)?.future.take()
    }

    fn put_back(&mut self, header: &Arc<Header>, task: (LocalTask, Readers)) {
        if let Some(slot) = self.slot(header) {
            slot.future = Some(task);
        }
    }

    /// Takes the output of a waiting task whose handles are all gone but
    /// the one being dropped (`Output` counts it too).
    fn release_output(&mut self, header: &Arc<Header>) -> Option<Arc<dyn TaskOutput>> {
        let (_, readers) = self.slot(header)?.future.as_mut()?;
        if !matches!(readers, Readers::Handles(output) if Arc::strong_count(output) == 2) {
            return None;
        }
        match std::mem::replace(readers, Readers::Gone) {
            Readers::Handles(output) => Some(output),
            _ => None,
        }
    }

    /// Frees the slot of a finished task.
    fn remove(&mut self, header: &Arc<Header>) {
        if self.slot(header).is_some() {
            let slot = header.slot();
            self.slots[slot] = Entry::Free(self.free);
            self.free = Some(slot);
            self.live -= 1;
        }
    }

    /// True when no task is unfinished.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Takes every task, for closing: they are finished as far as their
    /// wakers know, and their futures are for the caller to drop.
    pub(crate) fn take_all(&mut self) -> Vec<(Unfinished, &'static Location<'static>)> {
        let slots = std::mem::take(&mut self.slots);
        self.free = None;
        self.live = 0;
        slots
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Live(slot) => {
                    slot.header.state.finish();
                    let (future, output) = slot.future?;
                    let unfinished = Unfinished {
                        _future: future,
                        _output: Abandon(output),
                    };
                    Some((unfinished, slot.header.location))
                }
                Entry::Free(_) => None,
            })
            .collect()
    }
}

thread_local! {
    /// The header of the task being polled on this thread, as an address.
    static POLLING: Cell<usize> = const { Cell::new(0) };
}

/// True while `header`'s task is being polled on this thread: it is the
/// one asking.
pub(crate) fn is_polling(header: &Arc<Header>) -> bool {
    POLLING.with(Cell::get) == Arc::as_ptr(header) as usize
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
        let inner = self.live();
        let location = Location::caller();
        let output = Arc::new(Output::new(location));
        let header = Header::new(&inner.remote, location);
        let handle = JoinHandle::new(Arc::clone(&output), Arc::clone(&header));
        self.spawn_into(future, output, header);
        handle
    }

    fn spawn_into<F>(&self, future: F, output: Arc<Output<F::Output>>, header: Arc<Header>)
    where
        F: StdFuture + 'static,
    {
        self.insert_task(Box::pin(Some(future)), Readers::Handles(output), header);
    }

    /// Runs `future` as a task with no [`JoinHandle`]: for a `TaskGroup`,
    /// whose children catch their own panics and report how they end.
    #[track_caller]
    pub(crate) fn spawn_detached<F>(&self, future: F)
    where
        F: StdFuture<Output = ()> + 'static,
    {
        let header = Header::new(&self.live().remote, Location::caller());
        self.insert_task(Box::pin(Some(future)), Readers::Never, header);
    }

    /// Stores a new task and queues its first poll.
    fn insert_task(&self, task: LocalTask, output: Readers, header: Arc<Header>) {
        let mut state = self.live().state.borrow_mut();
        state.tasks.insert(&header, task, output);
        if trace_enabled() {
            tracing::trace!(task = header.id, location = %header.location, "task spawned");
        }
        self.inner.remote.flush_into(&mut state.queues);
        state.queues.push_ready(Box::new(TaskPoll(header)));
    }

    /// Lets the output of `header`'s task go, if the handle being dropped
    /// (on this loop's thread) is its last: nobody can read it any more.
    pub(crate) fn release_output(&self, header: &Arc<Header>) {
        if !Arc::ptr_eq(&self.inner.remote, &header.remote) {
            return;
        }
        // Borrowed only by the loop's own bookkeeping, never around user
        // code; should it be, the output simply stays until the task ends.
        let Ok(mut state) = self.inner.state.try_borrow_mut() else {
            return;
        };
        let released = state.tasks.release_output(header);
        drop(state);
        drop(released); // a running task's output: dropping it runs nothing
    }

    /// Polls a task once, if it is scheduled and still here.
    fn poll_task(&self, header: Arc<Header>) {
        if !header.state.start_poll() {
            return;
        }
        let taken = self.inner.state.borrow_mut().tasks.take(&header);
        let Some((mut future, mut output)) = taken else {
            header.state.finish();
            return;
        };
        output.let_go_if_unread();
        let waker = Waker::from(Arc::clone(&header));
        let current = crate::current::enter(header.id, header.location);
        // The task's own wrapper catches its panics; this only guards the
        // loop's bookkeeping should publishing the outcome panic.
        let outer = POLLING.with(|polling| polling.replace(Arc::as_ptr(&header) as usize));
        let poll = run_caught(|| {
            let cx = &mut Context::from_waker(&waker);
            crate::coop::budgeted(|| {
                future
                    .as_mut()
                    .poll_task(cx, output.reader(header.location))
            })
        });
        POLLING.with(|polling| polling.set(outer));
        drop(current);
        match poll {
            Ok(Poll::Pending) => {
                let mut state = self.inner.state.borrow_mut();
                state.tasks.put_back(&header, (future, output));
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
                // A panic publishing the outcome, or dropping the future:
                // its handles must not wait for it.
                drop(Unfinished {
                    _future: future,
                    _output: Abandon(output),
                });
                self.report_panic(payload, header.location, "task");
            }
        }
    }
}

/// Runs `future` as a task on the event loop running on this thread, and
/// returns its [`JoinHandle`] at once: asyncio's `create_task`, tokio's
/// `spawn`. The same as [`LoopHandle::current`]`().spawn(future)`.
///
/// # Panics
///
/// If no event loop is running on this thread (call it from a task or
/// callback, or use [`LoopHandle::spawn`]).
///
/// # Examples
///
/// ```
/// use poll_loop::{EventLoop, spawn};
///
/// async fn double(n: u32) -> u32 {
///     n * 2
/// }
///
/// let lp = EventLoop::new();
/// let sum = lp.block_on(async {
///     let (a, b) = (spawn(double(1)), spawn(double(20)));
///     Ok::<_, poll_loop::JoinError>(a.await? + b.await?)
/// })??;
/// assert_eq!(sum, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: StdFuture + 'static,
{
    match LoopHandle::current() {
        Some(lp) => lp.spawn(future),
        None => panic!(
            "poll-loop: spawn() called with no event loop running on this thread \
             (call it from a task or callback, or use LoopHandle::spawn)"
        ),
    }
}

/// A future sent from another thread, to be spawned on the loop.
struct SpawnCall<F: StdFuture> {
    future: F,
    output: Arc<Output<F::Output>>,
    header: Arc<Header>,
}

impl<F: StdFuture + 'static> Call for SpawnCall<F> {
    fn location(&self) -> &'static Location<'static> {
        self.header.location
    }

    fn call(self: Box<Self>, running: &mut Option<&'static Location<'static>>) {
        *running = Some(self.header.location);
        let SpawnCall {
            future,
            output,
            header,
        } = *self;
        if let Some(lp) = LoopHandle::current() {
            lp.spawn_into(future, output, header);
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
        let location = Location::caller();
        let output = Arc::new(Output::new(location));
        let header = Header::new(&self.remote, location);
        let handle = JoinHandle::new(Arc::clone(&output), Arc::clone(&header));
        let call = Box::new(SpawnCall {
            future,
            output,
            header,
        });
        match self.remote.inject(call) {
            Ok(()) => Ok(handle),
            Err(call) => Err(ScheduleError::new(call.future)),
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
