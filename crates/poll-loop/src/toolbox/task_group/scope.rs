//! `TaskGroup::scope`: asyncio's `async with TaskGroup() as tg:` — the
//! body runs inside the group, so a child's failure cancels it too.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use super::{TaskGroup, TaskGroupError, TaskGroupHandle};
use crate::event_loop::inner::LoopHandle;

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// Runs `body` inside a new group, as asyncio's
    /// `async with TaskGroup() as tg:` runs its block: `body` gets a handle
    /// to spawn children with, and the scope ends once the body and every
    /// child are done. It gives the body's value and the children's
    /// values (in spawn order).
    ///
    /// - **A child's failure cancels the body too**: its future is dropped
    ///   at once, with everything it holds, and so are the other children;
    ///   the scope then gives that failure.
    /// - **The body's `Err` cancels the children**, and is the scope's
    ///   failure.
    /// - **Dropping the scope** (its task cancelled) drops the body and
    ///   cancels the children.
    ///
    /// [`TaskGroup::new`] with `.await` is the same group without a body:
    /// code that runs before the `.await` is not cancelled by a failure.
    ///
    /// # Panics
    ///
    /// If no event loop is running on this thread (call it from a task).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poll_loop::{EventLoop, TaskGroup, TaskGroupError, sleep};
    ///
    /// let lp = EventLoop::new();
    /// let outcome = lp.block_on(TaskGroup::scope(|group| async move {
    ///     group.spawn(async { Err::<(), _>("child failed") }).unwrap();
    ///     sleep(Duration::from_secs(10)).await; // cancelled: never ends
    ///     Ok("body done")
    /// }))?;
    /// assert!(matches!(outcome, Err(TaskGroupError::Failed("child failed"))));
    ///
    /// let (body, children) = lp
    ///     .block_on(TaskGroup::scope(|group| async move {
    ///         for n in 1..=3 {
    ///             group.spawn(async move { Ok::<_, ()>(n * 10) }).unwrap();
    ///         }
    ///         Ok("body done")
    ///     }))?
    ///     .unwrap();
    /// assert_eq!((body, children), ("body done", vec![10, 20, 30]));
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub async fn scope<R, B, F>(body: B) -> Result<(R, Vec<T>), TaskGroupError<E>>
    where
        B: FnOnce(TaskGroupHandle<T, E>) -> F,
        F: Future<Output = Result<R, E>>,
    {
        let lp = LoopHandle::current()
            .expect("TaskGroup::scope needs an event loop running on this thread");
        let group = TaskGroup::new(&lp);
        let mut body = pin!(Some(body(group.handle())));
        let ended = poll_fn(|cx| {
            // Registered before the body runs, so that a child failing
            // meanwhile wakes us.
            let mut state = group.group.state.borrow_mut();
            if state.failure.is_some() {
                return Poll::Ready(None);
            }
            let old = state.waiter.replace(cx.waker().clone());
            drop(state);
            drop(old);
            let Some(running) = body.as_mut().as_pin_mut() else {
                return Poll::Ready(None);
            };
            running.poll(cx).map(Some)
        })
        .await;
        // Dropped before the children are waited for: what the body holds
        // is released whether it finished or was cancelled.
        body.set(None);
        match ended {
            Some(Ok(value)) => group.await.map(|children| (value, children)),
            Some(Err(error)) => {
                group.group.cancel_all();
                // The children are cancelled, not failed: the body's error
                // comes first.
                let _ = group.await;
                Err(TaskGroupError::Failed(error))
            }
            None => Err(group
                .await
                .err()
                .expect("the scope stopped early on a child's failure")),
        }
    }
}
