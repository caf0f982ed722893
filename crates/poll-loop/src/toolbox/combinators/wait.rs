//! `wait` and `as_completed` as awaitables: simple-future's blocking ones,
//! for tasks on the loop.

use std::collections::HashSet;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;

use simple_future::{
    CallbackKey, DoneAndNotDone, Observer, ResultError, ReturnWhen, TryResultError,
};

use crate::toolbox::time::sleep;

/// Waits for the futures until `return_when` says so or `timeout` passes,
/// then splits them into the done and the not done: asyncio's `wait`, and
/// the awaitable twin of
/// [`simple_future::wait`](https://docs.rs/simple-future/latest/simple_future/fn.wait.html).
///
/// `futures` may hold [`JoinHandle`](crate::JoinHandle)s,
/// `simple_future::Future`s, [`Observer`]s, or references to them; the
/// lists come back as `Observer`s, in input order. Nothing is cancelled:
/// the futures in `not_done` go on. [`ReturnWhen::FirstException`] counts
/// an exception (a task's panic, say) and an abandoned future as failures,
/// a cancellation not, as simple-future does. A future given more than
/// once counts once, at its first position (asyncio takes a set).
///
/// The wait adds a small done-callback to every future that is not done,
/// and removes those that have not run when it returns (or is dropped), so
/// waiting on a long-lived future again and again costs no memory. The
/// timeout is a timer on the running loop.
///
/// # Errors
///
/// [`EmptyWaitError`] if `futures` is empty: there is nothing to wait for,
/// and no split would say so (asyncio raises `ValueError`).
///
/// # Panics
///
/// With a timeout, when polled outside a running loop (as
/// [`sleep`](crate::sleep)).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, sleep, wait};
/// use simple_future::ReturnWhen;
///
/// let lp = EventLoop::new();
/// let fast = lp.spawn(async { 1 });
/// let slow = lp.spawn(sleep(Duration::from_secs(60)));
/// let split = lp.block_on(async {
///     wait([fast.observer()], None, ReturnWhen::AllCompleted).await?;
///     wait([slow.observer()], Some(Duration::from_millis(10)), ReturnWhen::AllCompleted).await
/// })??;
/// assert_eq!((split.done.len(), split.not_done.len()), (0, 1));
/// assert!(split.not_done[0].same_future(&slow.observer()));
/// slow.cancel();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn wait<T, E, I>(
    futures: I,
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> Result<DoneAndNotDone<T, E>, EmptyWaitError>
where
    I: IntoIterator,
    I::Item: AsRef<Observer<T, E>>,
    T: 'static,
    E: 'static,
{
    let futures = unique(futures);
    if futures.is_empty() {
        return Err(EmptyWaitError(()));
    }
    let mut pending = 0;
    let (mut any_done, mut any_failed) = (false, false);
    let mut watched = Vec::new();
    for (index, future) in futures.iter().enumerate() {
        if future.done() {
            any_done = true;
            any_failed |= failed(future);
        } else {
            pending += 1;
            watched.push(index);
        }
    }
    let satisfied = |pending: usize, any_done: bool, any_failed: bool| {
        pending == 0
            || match return_when {
                ReturnWhen::FirstCompleted => any_done,
                ReturnWhen::FirstException => any_failed,
                ReturnWhen::AllCompleted => false,
            }
    };
    if !satisfied(pending, any_done, any_failed) {
        let (notifier, keys) = Notifier::watch(&futures, watched);
        // Removes the callbacks that did not run, however the wait ends.
        let _watching = Watching {
            futures: &futures,
            keys,
        };
        let mut deadline = timeout.map(sleep);
        poll_fn(|cx| {
            for index in notifier.take(cx.waker()) {
                pending -= 1;
                any_done = true;
                any_failed |= failed(&futures[index]);
            }
            if satisfied(pending, any_done, any_failed) {
                return Poll::Ready(());
            }
            match &mut deadline {
                Some(sleep) => Pin::new(sleep).poll(cx),
                None => Poll::Pending,
            }
        })
        .await;
    }
    let (done, not_done) = futures.into_iter().partition(Observer::done);
    Ok(DoneAndNotDone { done, not_done })
}

/// The futures, each once, in the order first given.
fn unique<T, E, I>(futures: I) -> Vec<Observer<T, E>>
where
    I: IntoIterator,
    I::Item: AsRef<Observer<T, E>>,
{
    let mut seen = HashSet::new();
    futures
        .into_iter()
        .filter_map(|future| {
            let future = future.as_ref();
            seen.insert(future.id()).then(|| future.clone())
        })
        .collect()
}

/// A [`wait`] on no futures at all: asyncio's `ValueError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmptyWaitError(());

impl fmt::Display for EmptyWaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wait() was given no futures")
    }
}

impl std::error::Error for EmptyWaitError {}

/// True if a done future raised or was abandoned.
fn failed<T, E>(future: &Observer<T, E>) -> bool {
    matches!(
        future.try_exception(),
        Ok(Some(_)) | Err(TryResultError::Failed(ResultError::Abandoned))
    )
}

/// The done-callbacks a wait added, by position: removed when it ends.
struct Watching<'a, T, E> {
    futures: &'a [Observer<T, E>],
    keys: Vec<(usize, CallbackKey)>,
}

impl<T, E> Drop for Watching<'_, T, E> {
    fn drop(&mut self) {
        for &(index, key) in &self.keys {
            self.futures[index].remove_done_callback(key);
        }
    }
}

/// Where the done-callbacks report, from whichever thread completes a
/// future: the positions done, in order, and the waker of the task that
/// waits.
struct Notifier {
    state: Mutex<Notified>,
}

#[derive(Default)]
struct Notified {
    done: Vec<usize>,
    waker: Option<Waker>,
}

impl Notifier {
    /// Adds a done-callback to each future at `watched` positions, and
    /// returns them by position, to be removed once the waiter is done.
    fn watch<T, E>(
        futures: &[Observer<T, E>],
        watched: Vec<usize>,
    ) -> (Arc<Notifier>, Vec<(usize, CallbackKey)>)
    where
        T: 'static,
        E: 'static,
    {
        let notifier = Arc::new(Notifier {
            state: Mutex::new(Notified::default()),
        });
        let keys = watched
            .into_iter()
            .filter_map(|index| {
                // Weak: once the waiter is gone the callback does nothing.
                let weak = Arc::downgrade(&notifier);
                let key = futures[index].add_removable_done_callback(move |_| {
                    if let Some(notifier) = weak.upgrade() {
                        notifier.push(index);
                    }
                })?;
                Some((index, key))
            })
            .collect();
        (notifier, keys)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Notified> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, index: usize) {
        let waker = {
            let mut state = self.lock();
            state.done.push(index);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The positions reported since last time; stores `waker` to be woken
    /// by the next.
    fn take(&self, waker: &Waker) -> Vec<usize> {
        let mut state = self.lock();
        let old = match &state.waker {
            Some(old) if old.will_wake(waker) => None,
            _ => state.waker.replace(waker.clone()),
        };
        let done = std::mem::take(&mut state.done);
        drop(state);
        drop(old);
        done
    }
}

/// Yields the futures as they complete: those done already first, in input
/// order, then the others in the order they complete; a future given more
/// than once is yielded once (asyncio takes a set). asyncio's
/// `as_completed`, and the awaitable twin of
/// [`simple_future::as_completed`](https://docs.rs/simple-future/latest/simple_future/fn.as_completed.html).
///
/// Take them with [`next`](AsCompleted::next)`().await`, which gives
/// `None` once every future was yielded. For a time limit, wrap it in
/// [`timeout`](crate::timeout). Like [`wait`], this adds a small
/// done-callback to each future not done yet, and removes those that have
/// not run when it is dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, as_completed, sleep};
///
/// let lp = EventLoop::new();
/// let tasks = [30, 10, 20].map(|ms| {
///     lp.spawn(async move {
///         sleep(Duration::from_millis(ms)).await;
///         ms
///     })
/// });
/// let order = lp.block_on(async {
///     let mut completed = as_completed(tasks.iter().map(|task| task.observer()));
///     let mut order = Vec::new();
///     while let Some(task) = completed.next().await {
///         order.push(*task.try_result().unwrap());
///     }
///     order
/// })?;
/// assert_eq!(order, [10, 20, 30]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub fn as_completed<T, E, I>(futures: I) -> AsCompleted<T, E>
where
    I: IntoIterator,
    I::Item: AsRef<Observer<T, E>>,
    T: 'static,
    E: 'static,
{
    let futures = unique(futures);
    let (done, watched): (Vec<usize>, Vec<usize>) =
        (0..futures.len()).partition(|&index| futures[index].done());
    let waiting = watched.len();
    let (notifier, keys) = Notifier::watch(&futures, watched);
    AsCompleted {
        futures: futures.into_iter().map(Some).collect(),
        done_first: done.into_iter(),
        reported: Vec::new().into_iter(),
        notifier,
        keys,
        waiting,
    }
}

/// What [`as_completed`] returns: each future once, as it completes.
pub struct AsCompleted<T, E = simple_future::Exception> {
    /// By input position; `None` once yielded.
    futures: Vec<Option<Observer<T, E>>>,
    done_first: std::vec::IntoIter<usize>,
    /// Reported by the callbacks, not yielded yet.
    reported: std::vec::IntoIter<usize>,
    notifier: Arc<Notifier>,
    /// The callbacks added, removed on drop from the futures not yielded.
    keys: Vec<(usize, CallbackKey)>,
    /// Not done at the start and not yielded yet.
    waiting: usize,
}

/// A dropped `AsCompleted` (read to the end or not, or timed out) leaves no
/// callback behind on the futures it did not yield.
impl<T, E> Drop for AsCompleted<T, E> {
    fn drop(&mut self) {
        for &(index, key) in &self.keys {
            if let Some(future) = &self.futures[index] {
                future.remove_done_callback(key);
            }
        }
    }
}

impl<T, E> AsCompleted<T, E> {
    /// The next future to complete; `None` once all were yielded.
    // An async `next`, as streams have: not `Iterator::next`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> impl Future<Output = Option<Observer<T, E>>> + '_ {
        poll_fn(move |cx| {
            if let Some(index) = self.done_first.next() {
                return Poll::Ready(self.futures[index].take());
            }
            if self.waiting == 0 {
                return Poll::Ready(None);
            }
            if self.reported.len() == 0 {
                self.reported = self.notifier.take(cx.waker()).into_iter();
            }
            match self.reported.next() {
                Some(index) => {
                    self.waiting -= 1;
                    Poll::Ready(self.futures[index].take())
                }
                None => Poll::Pending,
            }
        })
    }

    /// Futures not yielded yet.
    pub fn len(&self) -> usize {
        self.done_first.len() + self.waiting
    }

    /// True once every future was yielded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T, E> fmt::Debug for AsCompleted<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("left", &self.len())
            .finish_non_exhaustive()
    }
}
