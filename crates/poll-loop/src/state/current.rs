//! `current_task()` and task names, for diagnostics.
//
// The loop marks the task it polls (`enter`, in `poll_task`): a `Cell` of
// plain data, one thread-local access on the way in and one on the way out
// (the mark costs ~1% of a trivial task's spawn-and-run). A named task's
// wrapper adds its name to each of its polls. One loop runs on a thread at
// a time, so a thread-local is the loop's own. The mark stays, not running,
// after the poll, for the slow-poll warning.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;

thread_local! {
    /// The task being polled, or (not `running`) the last one polled.
    static POLLED: Cell<Polled> = const {
        Cell::new(Polled {
            id: 0,
            location: None,
            running: false,
            named: false,
        })
    };
    /// The name of the task in `POLLED`, if `named`.
    static NAME: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

#[derive(Clone, Copy)]
struct Polled {
    id: u64,
    /// `None` until a task was polled on this thread.
    location: Option<&'static Location<'static>>,
    running: bool,
    named: bool,
}

impl Polled {
    fn info(self) -> Option<TaskInfo> {
        let location = self.location?;
        let name = if self.named {
            NAME.with(|name| name.borrow().clone())
        } else {
            None
        };
        Some(TaskInfo {
            id: self.id,
            name,
            location,
        })
    }
}

/// The task whose poll ended last on this thread (or is running).
pub(crate) fn last_polled() -> Option<TaskInfo> {
    POLLED.with(Cell::get).info()
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

    /// The name given with [`spawn_named`](crate::LoopHandle::spawn_named), if any.
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
/// future given to [`block_on`](crate::LoopHandle::block_on), which is not a task).
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
    let polled = POLLED.with(Cell::get);
    polled.running.then(|| polled.info()).flatten()
}

/// Marks the task `id` as running until the guard is dropped.
pub(crate) fn enter(id: u64, location: &'static Location<'static>) -> Entered {
    let outer = POLLED.with(|polled| {
        polled.replace(Polled {
            id,
            location: Some(location),
            running: true,
            named: false,
        })
    });
    Entered(outer)
}

/// Ends the poll: marks it over, or restores the task that was running
/// before (a task polled inside another's poll by a foreign executor; its
/// name is not restored).
#[must_use]
pub(crate) struct Entered(Polled);

impl Drop for Entered {
    fn drop(&mut self) {
        POLLED.with(|polled| {
            if self.0.running {
                polled.set(Polled {
                    named: false,
                    ..self.0
                });
            } else {
                polled.set(Polled {
                    running: false,
                    ..polled.get()
                });
            }
        });
    }
}

/// Names the task being polled, for the rest of its poll (a named task's
/// wrapper calls it at the start of each).
pub(crate) fn name_current(name: Rc<str>) {
    let old = NAME.with(|slot| slot.replace(Some(name)));
    drop(old); // outside the borrow
    POLLED.with(|polled| {
        polled.set(Polled {
            named: true,
            ..polled.get()
        })
    });
}
