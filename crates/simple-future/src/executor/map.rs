//! The iterator [`ThreadPoolExecutor::map`](crate::ThreadPoolExecutor::map)
//! and [`map_buffered`](crate::ThreadPoolExecutor::map_buffered) return.

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use super::pool::Pool;
use super::worker::{BoxedJob, WorkItem};
use crate::Exception;
use crate::error::{ResultError, ResultTimeoutError};
use crate::future::Future;
use crate::observer::Observer;

/// A result that the iterator moves out of its future, which it alone
/// reads, so `map` needs no `T: Clone` (and no `T: Sync`).
pub(super) struct Slot<T>(Mutex<Option<T>>);

impl<T> Slot<T> {
    pub(super) fn new(value: T) -> Slot<T> {
        Slot(Mutex::new(Some(value)))
    }

    fn take(&self) -> T {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("each map result is read once")
    }
}

/// Submits `f(item)`; `None` if the pool refused it (shut down or broken).
pub(super) fn submit_one<F, A, T>(
    pool: &Arc<Pool>,
    f: &Arc<F>,
    item: A,
) -> Option<Observer<Slot<T>>>
where
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    let f = Arc::clone(f);
    pool.submit(|id| {
        let future: Future<Slot<T>> = Future::new();
        let job = Box::new(WorkItem {
            id,
            future: future.clone(),
            work: move || Ok::<_, Exception>(Slot::new(f(item))),
        });
        (job as BoxedJob, future.into_observer())
    })
    .ok()
    .map(|(_, observer)| observer)
}

/// Takes the next input of a buffered map and submits it.
pub(super) struct Refill<T> {
    next: Box<dyn FnMut() -> Next<T> + Send>,
}

enum Next<T> {
    Submitted(Observer<Slot<T>>),
    /// The input is exhausted.
    End,
    /// The pool is gone or refused the item.
    Refused,
}

impl<T: Send + 'static> Refill<T> {
    /// Holds the pool weakly, as Python's generator does: the results do
    /// not keep a dropped pool alive.
    pub(super) fn new<F, I>(pool: Weak<Pool>, f: Arc<F>, mut items: I) -> Refill<T>
    where
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        I: Iterator + Send + 'static,
        I::Item: Send + 'static,
    {
        Refill {
            next: Box::new(move || {
                // The caller's iterator is user code: no lock is held here.
                let Some(item) = items.next() else {
                    return Next::End;
                };
                let Some(pool) = pool.upgrade() else {
                    return Next::Refused;
                };
                match submit_one(&pool, &f, item) {
                    Some(observer) => Next::Submitted(observer),
                    None => Next::Refused,
                }
            }),
        }
    }
}

/// The results of [`ThreadPoolExecutor::map`](crate::ThreadPoolExecutor::map)
/// and [`map_buffered`](crate::ThreadPoolExecutor::map_buffered), in input
/// order.
///
/// Each [`next`](Iterator::next) waits for the next result in line, until
/// the deadline `map` was given (counted from the call to `map`, as in
/// Python); a result that is already there is returned even after it. The
/// first error ends the iteration, as an exception ends Python's generator:
/// the task's exception (a panic comes as
/// [`Panicked`](crate::Panicked)), [`Cancelled`](crate::ResultError::Cancelled)
/// if a [`shutdown`](crate::ThreadPoolExecutor::shutdown_with) cancelled it,
/// or [`Timeout`](ResultTimeoutError::Timeout). Then the work that has not
/// started is cancelled.
///
/// Dropping the iterator *after* its first `next` cancels the work that has
/// not started, too, as closing Python's generator does; work already
/// running finishes, its result unread. Dropped before any `next`, it
/// cancels nothing: every call submitted still runs (bpo-11777). A result
/// left unread whose `Drop` panics when the iterator lets it go (on an
/// error, or when the iterator is dropped) is reported as a `tracing` error
/// event instead, and the other results are still cancelled and dropped.
///
/// ```
/// use simple_future::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2)?;
/// let mut lengths = pool.map(str::len, ["a", "bb", "ccc"], None)?;
/// assert_eq!(lengths.next().transpose()?, Some(1));
/// assert_eq!(lengths.collect::<Result<Vec<_>, _>>()?, [2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MapResults<T> {
    pending: VecDeque<Observer<Slot<T>>>,
    deadline: Option<Instant>,
    /// A buffered map's input, until it is exhausted.
    refill: Option<Refill<T>>,
    /// The pool refused an item: the iteration ends with `Cancelled` there.
    refused: bool,
    /// A `next` was called: dropping now cancels what has not started.
    started: bool,
}

impl<T> MapResults<T> {
    pub(super) fn new(
        pending: VecDeque<Observer<Slot<T>>>,
        deadline: Option<Instant>,
        refill: Option<Refill<T>>,
    ) -> Self {
        MapResults {
            pending,
            deadline,
            refill,
            refused: false,
            started: false,
        }
    }

    /// The pool refused the item after the last one submitted.
    pub(super) fn refused(&mut self) {
        self.refused = true;
        self.refill = None;
    }

    fn cancel_rest(&mut self) {
        // Every future first: dropping one (below) runs user code.
        for future in &self.pending {
            future.cancel();
        }
        self.drop_rest();
    }

    /// Drops the results not read, then the input not taken. A done
    /// future's unread value may panic in its `Drop`: that is reported, and
    /// the rest are still dropped (a second panic while unwinding would
    /// abort).
    fn drop_rest(&mut self) {
        for future in self.pending.drain(..) {
            future.drop_contained();
        }
        self.refill = None;
    }

    /// Python's buffered generator submits one more item before each wait.
    fn top_up(&mut self) {
        let Some(refill) = &mut self.refill else {
            return;
        };
        match (refill.next)() {
            Next::Submitted(observer) => self.pending.push_back(observer),
            Next::End => self.refill = None,
            Next::Refused => self.refused(),
        }
    }
}

impl<T> Iterator for MapResults<T> {
    type Item = Result<T, ResultTimeoutError<Exception>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.started = true;
        self.top_up();
        let Some(future) = self.pending.pop_front() else {
            return std::mem::take(&mut self.refused)
                .then_some(Err(ResultTimeoutError::Failed(ResultError::Cancelled)));
        };
        let outcome = match self.deadline {
            None => future.result().map_err(ResultTimeoutError::from),
            Some(deadline) => {
                future.result_timeout(deadline.saturating_duration_since(Instant::now()))
            }
        };
        match outcome {
            Ok(slot) => Some(Ok(slot.take())),
            Err(error) => {
                // Python cancels the future it gave up on, and the rest.
                future.cancel();
                self.cancel_rest();
                self.refused = false;
                Some(Err(error))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.pending.len() + usize::from(self.refused);
        let upper = if self.refill.is_some() {
            None
        } else {
            Some(left)
        };
        (left.min(1), upper)
    }
}

impl<T> FusedIterator for MapResults<T> {}

impl<T> Drop for MapResults<T> {
    fn drop(&mut self) {
        if self.started {
            self.cancel_rest();
        } else {
            self.drop_rest();
        }
    }
}

impl<T> fmt::Debug for MapResults<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapResults")
            .field("left", &self.pending.len())
            .field("deadline", &self.deadline)
            .finish()
    }
}
