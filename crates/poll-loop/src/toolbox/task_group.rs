//! `TaskGroup`: structured tasks. The group waits for all its children,
//! and the first failure cancels the rest.

mod child;
mod error;
mod scope;

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use simple_future::Panicked;

use crate::event_loop::inner::LoopHandle;
use crate::task::named::named;
use crate::task::panic_later::wake_all;

pub use self::child::ChildTask;
pub use self::error::{SpawnError, TaskGroupError};

/// Tasks that live and fail together: asyncio's `TaskGroup`, tokio's
/// `JoinSet` with its failure rules.
///
/// [`spawn`](TaskGroup::spawn) runs a future that returns
/// `Result<T, E>` as a task on the loop. Awaiting the group waits for every
/// child — children spawned meanwhile through a [`TaskGroupHandle`]
/// included — and gives their values, in the order spawned.
///
/// - **The first failure cancels the rest.** When a child returns `Err` or
///   panics, every other child is cancelled (its future dropped at the
///   loop's next turn, without being polled again). The group still waits
///   until all are gone, then gives that first failure as a
///   [`TaskGroupError`]; later failures are dropped.
/// - **Dropping the group cancels its children**, so a group owned by a
///   task that is cancelled takes its children with it, and a child never
///   outlives the `.await` of its group.
/// - **Children may spawn into the same group**, through the
///   [`handle`](TaskGroup::handle) they were given; a spawn into a group that
///   is finished or shutting down is refused with a [`SpawnError`].
///
/// Children are tasks of their own: they run while the awaiting task
/// sleeps, and before the group is awaited. Single-threaded: the group and
/// its handles are not `Send`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, TaskGroup, TaskGroupError, sleep};
///
/// let lp = EventLoop::new();
/// let group = TaskGroup::new(&lp);
/// for n in 1..=3_u64 {
///     group
///         .spawn(async move {
///             sleep(Duration::from_millis(10 * (4 - n))).await;
///             Ok::<_, String>(n * 10)
///         })
///         .unwrap();
/// }
/// let values = lp.block_on(async { group.await })?;
/// assert_eq!(values.unwrap(), [10, 20, 30]);
///
/// // A failure cancels the others: the minute-long sleep does not hold it up.
/// let group = TaskGroup::new(&lp);
/// group
///     .spawn(async {
///         sleep(Duration::from_secs(60)).await;
///         Ok(())
///     })
///     .unwrap();
/// group.spawn(async { Err("no".to_string()) }).unwrap();
/// let failed = lp.block_on(async { group.await })?;
/// assert!(matches!(failed, Err(TaskGroupError::Failed(e)) if e == "no"));
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
///
/// Children spawning more children:
///
/// ```
/// use poll_loop::{EventLoop, TaskGroup, TaskGroupHandle};
///
/// fn count_down(group: TaskGroupHandle<u32, ()>, n: u32) {
///     let handle = group.clone();
///     group
///         .spawn(async move {
///             if n > 0 {
///                 count_down(handle, n - 1);
///             }
///             Ok(n)
///         })
///         .unwrap();
/// }
///
/// let lp = EventLoop::new();
/// let group = TaskGroup::new(&lp);
/// count_down(group.handle(), 4);
/// let values = lp.block_on(async { group.await })?;
/// assert_eq!(values.unwrap(), [4, 3, 2, 1, 0]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct TaskGroup<T, E> {
    group: Rc<Group<T, E>>,
}

/// A way into a [`TaskGroup`] for its children: [`spawn`](TaskGroupHandle::spawn)
/// adds a child, as long as the group is not finished or shutting down.
/// It does not keep the group alive.
pub struct TaskGroupHandle<T, E> {
    group: Weak<Group<T, E>>,
}

struct Group<T, E> {
    lp: LoopHandle,
    state: RefCell<State<T, E>>,
}

struct State<T, E> {
    /// Each child, by spawn order.
    children: Vec<Child>,
    /// Each child's value, once it has one.
    values: Vec<Option<T>>,
    /// Children whose task is not over.
    live: usize,
    failure: Option<TaskGroupError<E>>,
    /// A child failed, or the group was dropped: the children are cancelled.
    cancelling: bool,
    /// Awaited to the end: no more spawns.
    finished: bool,
    /// The task awaiting the group: woken when the last child ends, and
    /// on the first failure (a scope then drops its body).
    waiter: Option<Waker>,
}

/// A child as the group sees it.
struct Child {
    /// Its waker while it runs, to cancel it with.
    waker: Option<Waker>,
    state: ChildState,
}

/// Where a child is in its life, for its [`ChildTask`] handle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ChildState {
    Running,
    /// Cancelled through its handle: dropped at its next poll.
    CancelRequested,
    Returned,
    Failed,
    Cancelled,
}

/// How a child ended.
enum Outcome<T, E> {
    Done(Result<T, E>),
    Panicked(Box<dyn Any + Send>),
    Cancelled,
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// An empty group whose children run on `lp`.
    pub fn new(lp: &LoopHandle) -> TaskGroup<T, E> {
        TaskGroup {
            group: Rc::new(Group {
                lp: lp.clone(),
                state: RefCell::new(State {
                    children: Vec::new(),
                    values: Vec::new(),
                    live: 0,
                    failure: None,
                    cancelling: false,
                    finished: false,
                    waiter: None,
                }),
            }),
        }
    }

    /// Runs `future` as a child task of the group; returns a handle to
    /// it (asyncio's `create_task` returns the task).
    ///
    /// # Errors
    ///
    /// [`SpawnError`], holding `future`, if a child has failed already
    /// (the group is shutting down).
    ///
    /// # Panics
    ///
    /// If the group's loop is closed.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<ChildTask<T, E>, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        spawn_child(&self.group, None, future)
    }

    /// [`spawn`](TaskGroup::spawn)s `future` as a child named `name`:
    /// [`current_task`](crate::current_task) gives the name while it runs,
    /// and so does the handle's [`name`](ChildTask::name), as asyncio's
    /// `create_task(coro, name=…)`.
    ///
    /// # Errors
    ///
    /// As [`spawn`](TaskGroup::spawn).
    ///
    /// # Panics
    ///
    /// If the group's loop is closed.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> Result<ChildTask<T, E>, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        spawn_child(&self.group, Some(name), future)
    }

    /// A handle that children can spawn into the group with.
    pub fn handle(&self) -> TaskGroupHandle<T, E> {
        TaskGroupHandle {
            group: Rc::downgrade(&self.group),
        }
    }

    /// Children not finished yet.
    pub fn len(&self) -> usize {
        self.group.state.borrow().live
    }

    /// True when no child is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: 'static, E: 'static> TaskGroupHandle<T, E> {
    /// Runs `future` as a child task of the group; returns a handle to it.
    ///
    /// # Errors
    ///
    /// [`SpawnError`], holding `future`, if the group is gone, finished,
    /// or shutting down after a failure.
    ///
    /// # Panics
    ///
    /// If the group's loop is closed.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<ChildTask<T, E>, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        match self.group.upgrade() {
            Some(group) => spawn_child(&group, None, future),
            None => Err(SpawnError(future)),
        }
    }

    /// Runs `future` as a child named `name` (see
    /// [`TaskGroup::spawn_named`]).
    ///
    /// # Errors
    ///
    /// As [`spawn`](TaskGroupHandle::spawn).
    ///
    /// # Panics
    ///
    /// If the group's loop is closed.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> Result<ChildTask<T, E>, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        match self.group.upgrade() {
            Some(group) => spawn_child(&group, Some(name), future),
            None => Err(SpawnError(future)),
        }
    }
}

impl<T, E> Clone for TaskGroupHandle<T, E> {
    fn clone(&self) -> Self {
        TaskGroupHandle {
            group: Weak::clone(&self.group),
        }
    }
}

#[track_caller]
fn spawn_child<T, E, F>(
    group: &Rc<Group<T, E>>,
    name: Option<&str>,
    future: F,
) -> Result<ChildTask<T, E>, SpawnError<F>>
where
    T: 'static,
    E: 'static,
    F: Future<Output = Result<T, E>> + 'static,
{
    let index = {
        let mut state = group.state.borrow_mut();
        if state.cancelling || state.finished {
            return Err(SpawnError(future));
        }
        state.children.push(Child {
            waker: None,
            state: ChildState::Running,
        });
        state.values.push(None);
        state.live += 1;
        state.children.len() - 1
    };
    // No handle: the child catches its panics and reports to the group.
    let task = child(Rc::downgrade(group), index, future);
    let name: Option<Rc<str>> = name.map(Rc::from);
    match &name {
        Some(name) => group.lp.spawn_detached(named(Rc::clone(name), task)),
        None => group.lp.spawn_detached(task),
    }
    Ok(ChildTask::new(Rc::clone(group), index, name))
}

/// A child task: runs `future` unless cancelled, and reports how it ended
/// (also when the loop drops it unfinished, by the guard's `Drop`).
async fn child<T, E, F>(group: Weak<Group<T, E>>, index: usize, future: F)
where
    F: Future<Output = Result<T, E>>,
{
    let mut report = Report {
        group,
        index,
        outcome: Outcome::Cancelled,
    };
    {
        let mut future = pin!(future);
        let outcome = poll_fn(|cx| {
            if !report.still_wanted(cx.waker()) {
                return Poll::Ready(Outcome::Cancelled);
            }
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Ready(result)) => Poll::Ready(Outcome::Done(result)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(payload) => Poll::Ready(Outcome::Panicked(payload)),
            }
        })
        .await;
        report.outcome = outcome;
        // The future is dropped here, before the group hears of the end.
    }
}

struct Report<T, E> {
    group: Weak<Group<T, E>>,
    index: usize,
    outcome: Outcome<T, E>,
}

impl<T, E> Report<T, E> {
    /// False if the child is cancelled; else notes the waker to cancel it
    /// with.
    fn still_wanted(&self, waker: &Waker) -> bool {
        let Some(group) = self.group.upgrade() else {
            return false;
        };
        let mut state = group.state.borrow_mut();
        if state.cancelling || state.children[self.index].state != ChildState::Running {
            return false;
        }
        let slot = &mut state.children[self.index].waker;
        let old = match slot {
            Some(old) if old.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        };
        drop(state);
        drop(old);
        true
    }
}

impl<T, E> Drop for Report<T, E> {
    fn drop(&mut self) {
        let Some(group) = self.group.upgrade() else {
            return;
        };
        let outcome = std::mem::replace(&mut self.outcome, Outcome::Cancelled);
        let mut cancel = Vec::new();
        let mut dropped_error = None;
        let (waiter, old_waker) = {
            let mut state = group.state.borrow_mut();
            state.live -= 1;
            let old_waker = state.children[self.index].waker.take();
            let (ended, failure) = match outcome {
                Outcome::Done(Ok(value)) => {
                    state.values[self.index] = Some(value);
                    (ChildState::Returned, None)
                }
                Outcome::Done(Err(error)) => {
                    (ChildState::Failed, Some(TaskGroupError::Failed(error)))
                }
                Outcome::Panicked(payload) => {
                    let panicked = Panicked::from_payload(&*payload);
                    tracing::debug!(panic = panicked.message(), "task of a group panicked");
                    (ChildState::Failed, Some(TaskGroupError::Panicked(panicked)))
                }
                Outcome::Cancelled => (ChildState::Cancelled, None),
            };
            state.children[self.index].state = ended;
            let first_failure = failure.is_some() && state.failure.is_none();
            if let Some(failure) = failure {
                if first_failure {
                    state.failure = Some(failure);
                    state.cancelling = true;
                    cancel.extend(state.children.iter_mut().filter_map(|c| c.waker.take()));
                } else {
                    dropped_error = Some(failure);
                }
            }
            let waiter = if state.live == 0 || first_failure {
                state.waiter.take()
            } else {
                None
            };
            (waiter, old_waker)
        };
        // Outside the borrow: these may run anything, the group included.
        drop(old_waker);
        drop(dropped_error);
        // Each is woken even if another's waker panics.
        wake_all(cancel.into_iter().chain(waiter));
    }
}

impl<T, E> Group<T, E> {
    /// Cancels every child still running (a failure, or the group gone).
    fn cancel_all(&self) {
        let cancel: Vec<Waker> = {
            let mut state = self.state.borrow_mut();
            state.cancelling = true;
            state
                .children
                .iter_mut()
                .filter_map(|c| c.waker.take())
                .collect()
        };
        // Woken, each child finds the group cancelling and drops its future.
        wake_all(cancel);
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        self.group.cancel_all();
    }
}

/// `.await` waits for every child and gives their values in spawn order,
/// or the first failure.
impl<T: 'static, E: 'static> IntoFuture for TaskGroup<T, E> {
    type Output = Result<Vec<T>, TaskGroupError<E>>;
    type IntoFuture = TaskGroupJoin<T, E>;

    fn into_future(self) -> TaskGroupJoin<T, E> {
        TaskGroupJoin { group: Some(self) }
    }
}

/// The future of awaiting a [`TaskGroup`]. Dropping it drops the group,
/// which cancels the children.
#[must_use = "futures do nothing unless awaited"]
pub struct TaskGroupJoin<T, E> {
    group: Option<TaskGroup<T, E>>,
}

impl<T, E> Future for TaskGroupJoin<T, E> {
    type Output = Result<Vec<T>, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let Some(group) = &this.group else {
                return Poll::Pending; // polled after it finished
            };
            let mut state = group.group.state.borrow_mut();
            if state.live > 0 {
                let old = match &state.waiter {
                    Some(old) if old.will_wake(cx.waker()) => None,
                    _ => state.waiter.replace(cx.waker().clone()),
                };
                drop(state);
                drop(old);
                return Poll::Pending;
            }
            state.finished = true;
            let outcome = match state.failure.take() {
                Some(failure) => Err(failure),
                None => Ok(std::mem::take(&mut state.values)
                    .into_iter()
                    .flatten()
                    .collect()),
            };
            drop(state);
            this.group = None;
            Poll::Ready(outcome)
        })
    }
}

// Nothing in it is pinned.
impl<T, E> Unpin for TaskGroupJoin<T, E> {}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TaskGroup");
        match self.group.state.try_borrow() {
            Ok(state) => d
                .field("spawned", &state.children.len())
                .field("live", &state.live)
                .field("cancelling", &state.cancelling),
            Err(_) => d.field("state", &format_args!("<busy>")),
        };
        d.finish()
    }
}

impl<T, E> fmt::Debug for TaskGroupHandle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupHandle")
            .field("alive", &(self.group.strong_count() > 0))
            .finish()
    }
}

impl<T, E> fmt::Debug for TaskGroupJoin<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupJoin")
            .field("group", &self.group)
            .finish()
    }
}
