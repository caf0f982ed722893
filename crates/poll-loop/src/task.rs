//! Tasks: Rust futures driven by the loop. A task is polled as a callback
//! on the loop's thread; its waker queues the next poll from any thread.
//
// A spawned future lives in the loop's task slab (it need not be `Send`).
// What wakers hold is only the task's `Header` (`Send + Sync`): its
// scheduling state, its slab slot and the loop's cross-thread queue. A
// wake-up that finds the task idle queues a `TaskPoll` through that queue
// (which wakes a parked loop); one that finds it running marks it, and the
// loop queues the poll itself when the poll returns. See `state::task_state` for the
// rule, modelled under loom.

pub(crate) mod block_on;
pub(crate) mod blocking;
mod body;
pub(crate) mod coop;
pub(crate) mod join;
pub(crate) mod named;
pub(crate) mod panic_later;

use std::cell::Cell;
use std::fmt;
use std::future::Future as StdFuture;
use std::panic::Location;
use std::sync::Arc;

use std::task::{Context, Poll, Wake, Waker};

use crate::error::ScheduleError;
use crate::event_loop::context::run_caught;
use crate::event_loop::inner::LoopHandle;
use crate::event_loop::run::trace_enabled;
use crate::event_loop::threadsafe::ThreadsafeHandle;
use crate::state::queue::Call;
use crate::state::tasks::{Abandon, Header, LocalTask, Readers, Unfinished};
use crate::task::join::{JoinHandle, Output};

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
        let current = crate::state::current::enter(header.id, header.location);
        // The task's own wrapper catches its panics; this only guards the
        // loop's bookkeeping should publishing the outcome panic.
        let outer = POLLING.with(|polling| polling.replace(Arc::as_ptr(&header) as usize));
        let poll = run_caught(|| {
            let cx = &mut Context::from_waker(&waker);
            crate::task::coop::budgeted(|| {
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
