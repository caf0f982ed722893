//! `select` and `select_all`: the first of several futures to finish; the
//! others are dropped.

use std::future::{Future, IntoFuture, poll_fn};
use std::pin::pin;
use std::task::Poll;

use super::set::Set;

/// One of two values: which of the futures given to [`select`] finished
/// first, and its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

/// Awaits two futures until one finishes, and gives its output; the other
/// is dropped.
///
/// Dropping is how a future is cancelled: a dropped [`sleep`](crate::sleep)
/// disarms its timer, a dropped queue `get` gives up its place. A dropped
/// [`JoinHandle`](crate::JoinHandle), though, only detaches its task,
/// which runs on (cancel it with [`JoinHandle::cancel`](crate::JoinHandle::cancel),
/// or spawn it in a [`TaskGroup`](crate::TaskGroup)).
///
/// When both are ready in the same poll, the first wins: `a` is always
/// polled before `b`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{Either, EventLoop, select, sleep};
///
/// let lp = EventLoop::new();
/// let first = lp.block_on(select(
///     async {
///         sleep(Duration::from_secs(60)).await;
///         "slow"
///     },
///     async {
///         sleep(Duration::from_millis(5)).await;
///         7
///     },
/// ))?;
/// assert_eq!(first, Either::Right(7)); // and the 60 s timer is gone
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub async fn select<A, B>(a: A, b: B) -> Either<A::Output, B::Output>
where
    A: IntoFuture,
    B: IntoFuture,
{
    let mut a = pin!(a.into_future());
    let mut b = pin!(b.into_future());
    poll_fn(|cx| {
        if let Poll::Ready(output) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(output));
        }
        if let Poll::Ready(output) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(output));
        }
        Poll::Pending
    })
    .await
}

/// Awaits many futures until one finishes, and gives its position and its
/// output; the others are dropped (which cancels them, as in [`select`]).
///
/// Each future is polled only when its own waker was woken. When several
/// are ready in the same poll, the one given first wins.
///
/// # Panics
///
/// At once, if `futures` is empty (no future could ever finish).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, select_all, sleep};
///
/// let lp = EventLoop::new();
/// let delays = [30, 10, 20];
/// let (index, delay) = lp.block_on(select_all(delays.map(|ms| async move {
///     sleep(Duration::from_millis(ms)).await;
///     ms
/// })))?;
/// assert_eq!((index, delay), (1, 10));
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub fn select_all<I>(futures: I) -> impl Future<Output = (usize, <I::Item as IntoFuture>::Output)>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let mut set = Set::new(futures.into_iter().map(IntoFuture::into_future));
    assert!(set.len() > 0, "poll-loop: select_all of no futures");
    poll_fn(move |cx| match set.poll_next(cx) {
        Poll::Ready(Some(first)) => Poll::Ready(first),
        Poll::Ready(None) => unreachable!("a set that is not empty yields before it ends"),
        Poll::Pending => Poll::Pending,
    })
}
