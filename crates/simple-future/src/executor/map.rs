//! The iterator [`ThreadPoolExecutor::map`](crate::ThreadPoolExecutor::map)
//! returns.

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::Exception;
use crate::error::ResultTimeoutError;
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

/// The results of [`ThreadPoolExecutor::map`](crate::ThreadPoolExecutor::map),
/// in input order.
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
/// Dropping the iterator early cancels the work that has not started, too;
/// work already running finishes, its result unread.
pub struct MapResults<T> {
    pending: VecDeque<Observer<Slot<T>>>,
    deadline: Option<Instant>,
}

impl<T> MapResults<T> {
    pub(super) fn new(pending: VecDeque<Observer<Slot<T>>>, deadline: Option<Instant>) -> Self {
        MapResults { pending, deadline }
    }

    fn cancel_rest(&mut self) {
        for future in self.pending.drain(..) {
            future.cancel();
        }
    }
}

impl<T> Iterator for MapResults<T> {
    type Item = Result<T, ResultTimeoutError<Exception>>;

    fn next(&mut self) -> Option<Self::Item> {
        let future = self.pending.pop_front()?;
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
                Some(Err(error))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.pending.len();
        (left.min(1), Some(left))
    }
}

impl<T> FusedIterator for MapResults<T> {}

impl<T> Drop for MapResults<T> {
    fn drop(&mut self) {
        self.cancel_rest();
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
