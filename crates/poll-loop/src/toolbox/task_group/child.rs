//! `ChildTask`: what spawning into a group gives back, to follow or cancel
//! that one child.

use std::fmt;
use std::rc::Rc;

use super::{ChildState, Group};

/// One child of a [`TaskGroup`](super::TaskGroup): asyncio's
/// `tg.create_task()` returns the task. It tells how the child is doing and
/// cancels it alone; its value goes to the group's result.
///
/// Cancelling a child through its handle is not a failure: the group goes
/// on, and the child gives no value (asyncio's `test_taskgroup_03`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, TaskGroup, sleep};
///
/// let lp = EventLoop::new();
/// let group = TaskGroup::<u32, ()>::new(&lp);
/// let slow = group
///     .spawn_named("slow", async {
///         sleep(Duration::from_secs(60)).await;
///         Ok(1)
///     })
///     .unwrap();
/// group.spawn(async { Ok(2) }).unwrap();
/// assert_eq!(slow.name(), Some("slow"));
/// let values = lp.block_on(async {
///     slow.cancel();
///     group.await
/// })?;
/// assert_eq!(values.unwrap(), [2], "the cancelled child gives nothing");
/// assert!(slow.cancelled());
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct ChildTask<T, E> {
    /// Kept alive by the handle, to tell how the child ended after the
    /// group is done (the group's own `Drop` is what cancels children).
    group: Rc<Group<T, E>>,
    index: usize,
    name: Option<Rc<str>>,
}

impl<T, E> ChildTask<T, E> {
    pub(super) fn new(group: Rc<Group<T, E>>, index: usize, name: Option<Rc<str>>) -> Self {
        ChildTask { group, index, name }
    }

    /// The name it was spawned with, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Asks the child to stop: at its next poll the loop drops its future,
    /// and then it is [cancelled](ChildTask::cancelled). True if this call
    /// asked first; false if it ended or was asked already.
    pub fn cancel(&self) -> bool {
        let waker = {
            let mut state = self.group.state.borrow_mut();
            let child = &mut state.children[self.index];
            if child.state != ChildState::Running {
                return false;
            }
            child.state = ChildState::CancelRequested;
            child.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// True once the child has ended: returned, failed or cancelled.
    pub fn done(&self) -> bool {
        !matches!(
            self.state(),
            ChildState::Running | ChildState::CancelRequested
        )
    }

    /// True once the child was cancelled and its future dropped: through
    /// this handle, or by the group (a sibling failed, or the group was
    /// dropped).
    pub fn cancelled(&self) -> bool {
        self.state() == ChildState::Cancelled
    }

    /// True once the child returned an error or panicked.
    pub fn failed(&self) -> bool {
        self.state() == ChildState::Failed
    }

    fn state(&self) -> ChildState {
        self.group.state.borrow().children[self.index].state
    }
}

impl<T, E> fmt::Debug for ChildTask<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTask")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish()
    }
}
