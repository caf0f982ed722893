//! `gather` (tokio's `join_all`) and `try_gather`: many futures awaited as
//! one, outputs in the order given.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::set::Set;

/// Awaits every future and gives their outputs in the order given:
/// asyncio's `gather`, tokio's `join_all`.
///
/// The futures run side by side, inside the task that awaits the
/// `Gather`; each is polled only when its own waker was woken, so
/// gathering `n` futures costs `O(n)` polls, not `O(n²)`. Gathering
/// [`JoinHandle`](crate::JoinHandle)s waits for tasks that run on their
/// own; gathering plain futures runs them in this task.
///
/// Dropping the `Gather` drops the futures not done yet: a plain future is
/// cancelled so, a dropped `JoinHandle` only detaches its task (use a
/// [`TaskGroup`](crate::TaskGroup) to cancel tasks together).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, gather, sleep};
///
/// async fn square(n: u64) -> u64 {
///     sleep(Duration::from_millis(10 * (5 - n))).await; // the last first
///     n * n
/// }
///
/// let lp = EventLoop::new();
/// let squares = lp.block_on(gather((1..=4).map(square)))?;
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub fn gather<I>(futures: I) -> Gather<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let set = Set::new(futures.into_iter().map(IntoFuture::into_future));
    let outputs = std::iter::repeat_with(|| None).take(set.len()).collect();
    Gather { set, outputs }
}

/// [`gather`] by the name tokio and the `futures` crate give it.
///
/// # Examples
///
/// ```
/// use poll_loop::{EventLoop, join_all};
///
/// let lp = EventLoop::new();
/// let all = lp.block_on(join_all([1, 2].map(|n| async move { n })))?;
/// assert_eq!(all, [1, 2]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub fn join_all<I>(futures: I) -> Gather<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    gather(futures)
}

/// The future of [`gather`]: a `Vec` of the outputs, in the order given.
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    set: Set<F>,
    outputs: Vec<Option<F::Output>>,
}

// The futures are boxed and the outputs never pinned.
impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let this = self.get_mut();
        loop {
            match this.set.poll_next(cx) {
                Poll::Ready(Some((index, output))) => this.outputs[index] = Some(output),
                Poll::Ready(None) => {
                    let outputs = std::mem::take(&mut this.outputs);
                    return Poll::Ready(outputs.into_iter().flatten().collect());
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<F: Future> fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = self.outputs.iter().filter(|o| o.is_some()).count();
        f.debug_struct("Gather")
            .field("futures", &self.outputs.len())
            .field("done", &done)
            .finish()
    }
}

/// Awaits futures that may fail: all their values in the order given, or
/// the first error — on which the others are dropped at once, which
/// cancels them (a dropped [`JoinHandle`](crate::JoinHandle) only detaches
/// its task; a [`TaskGroup`](crate::TaskGroup) cancels tasks).
///
/// "First" is in time: the first future to finish with an error, whatever
/// its position.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, sleep, try_gather};
///
/// async fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
///     sleep(Duration::from_millis(5)).await;
///     text.parse()
/// }
///
/// let lp = EventLoop::new();
/// assert_eq!(lp.block_on(try_gather(["1", "2"].map(parse)))?, Ok(vec![1, 2]));
/// assert!(lp.block_on(try_gather(["1", "x"].map(parse)))?.is_err());
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub fn try_gather<I, T, E>(futures: I) -> TryGather<<I::Item as IntoFuture>::IntoFuture, T, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let set = Set::new(futures.into_iter().map(IntoFuture::into_future));
    let outputs = std::iter::repeat_with(|| None).take(set.len()).collect();
    TryGather {
        set: Some(set),
        outputs,
    }
}

/// The future of [`try_gather`].
#[must_use = "futures do nothing unless awaited"]
pub struct TryGather<F: Future<Output = Result<T, E>>, T, E> {
    /// `None` once finished (the futures are dropped then).
    set: Option<Set<F>>,
    outputs: Vec<Option<T>>,
}

impl<F: Future<Output = Result<T, E>>, T, E> Unpin for TryGather<F, T, E> {}

impl<F, T, E> Future for TryGather<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(set) = &mut this.set else {
            return Poll::Pending; // polled after it finished
        };
        loop {
            match set.poll_next(cx) {
                Poll::Ready(Some((index, Ok(value)))) => this.outputs[index] = Some(value),
                Poll::Ready(Some((_, Err(error)))) => {
                    this.set = None; // drops (cancels) the rest
                    this.outputs.clear();
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(None) => {
                    this.set = None;
                    let outputs = std::mem::take(&mut this.outputs);
                    return Poll::Ready(Ok(outputs.into_iter().flatten().collect()));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<F, T, E> fmt::Debug for TryGather<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGather")
            .field("futures", &self.outputs.len())
            .field("finished", &self.set.is_none())
            .finish()
    }
}
