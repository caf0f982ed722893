//! `current_task()` and task names, for diagnostics.
//
// The loop marks the task it polls (`enter`, in `poll_task`); a named task's
// wrapper adds its name for the length of each of its polls. One loop runs
// on a thread at a time, so a thread-local is the loop's own.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::event_loop::LoopHandle;
use crate::join::JoinHandle;

thread_local! {
    static CURRENT: RefCell<Option<TaskInfo>> = const { RefCell::new(None) };
    /// The task whose poll ended last, for the slow-poll warning.
    static LAST: RefCell<Option<TaskInfo>> = const { RefCell::new(None) };
}

/// The task whose poll ended last on this thread.
pub(crate) fn last_polled() -> Option<TaskInfo> {
    LAST.with(|last| last.borrow().clone())
}

/// Which task is running: its number, its name if it was given one, and
/// where it was spawned. What [`current_task`] gives.
#[derive(Clone, PartialEq, Eq)]
pub struct TaskInfo {
    id: u64,
    name: Option<Rc<str>>,
    location: &'static Location<'static>,
}

impl TaskInfo {
    /// The task's number, unique among the tasks of this process (as in
    /// the loop's `tracing` events).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name given with [`spawn_named`](LoopHandle::spawn_named), if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }
}

/// `Task-7 'fetch' (src/main.rs:12:5)`: asyncio's way of naming a task.
impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task-{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " '{name}'")?;
        }
        write!(f, " ({})", self.location)
    }
}

impl fmt::Debug for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskInfo")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("location", &self.location)
            .finish()
    }
}

/// The task being polled on this thread, if any: asyncio's
/// `current_task()`. `None` outside a task (in a plain callback, or in the
/// future given to [`block_on`](LoopHandle::block_on), which is not a task).
///
/// # Examples
///
/// ```
/// use poll_loop::{EventLoop, current_task};
///
/// let lp = EventLoop::new();
/// let task = lp.spawn_named("worker", async { current_task().unwrap().to_string() });
/// lp.run_until_idle()?;
/// assert!(task.try_result()?.contains("'worker'"));
/// assert!(current_task().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn current_task() -> Option<TaskInfo> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Marks the task `id` as running until the guard is dropped.
pub(crate) fn enter(id: u64, location: &'static Location<'static>) -> Entered {
    let task = TaskInfo {
        id,
        name: None,
        location,
    };
    Entered(CURRENT.with(|current| current.replace(Some(task))))
}

/// Restores what ran before (nothing, but for a task polled from inside
/// another's poll by a foreign executor).
#[must_use]
pub(crate) struct Entered(Option<TaskInfo>);

impl Drop for Entered {
    fn drop(&mut self) {
        let outer = self.0.take();
        let inner = CURRENT.with(|current| current.replace(outer));
        let before = LAST.with(|last| last.replace(inner));
        drop(before); // outside the borrow
    }
}

/// A future that names the task it runs in, for each of its polls.
struct Named<F> {
    name: Rc<str>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let name = Rc::clone(&self.name);
        CURRENT.with(|current| {
            if let Some(task) = current.borrow_mut().as_mut() {
                task.name = Some(name);
            }
        });
        self.future.as_mut().poll(cx)
    }
}

impl LoopHandle {
    /// [`spawn`](LoopHandle::spawn)s `future` as a task named `name`:
    /// [`current_task`] gives the name while it runs, as asyncio's
    /// `create_task(coro, name=…)` does.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.spawn(Named {
            name: Rc::from(name),
            future: Box::pin(future),
        })
    }
}
