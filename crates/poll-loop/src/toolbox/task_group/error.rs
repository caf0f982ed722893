//! How a task group fails, and a refused spawn.

use std::error::Error;
use std::fmt;

use simple_future::Panicked;

/// The first failure of a [`TaskGroup`](super::TaskGroup)'s children.
pub enum TaskGroupError<E> {
    /// A child returned this error.
    Failed(E),
    /// A child panicked.
    Panicked(Panicked),
}

impl<E> TaskGroupError<E> {
    /// The error, if a child returned one (not a panic).
    pub fn into_failed(self) -> Option<E> {
        match self {
            TaskGroupError::Failed(error) => Some(error),
            TaskGroupError::Panicked(_) => None,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Failed(error) => f.debug_tuple("Failed").field(error).finish(),
            TaskGroupError::Panicked(panicked) => {
                f.debug_tuple("Panicked").field(panicked).finish()
            }
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Failed(_) => f.write_str("a task of the group failed"),
            TaskGroupError::Panicked(_) => f.write_str("a task of the group panicked"),
        }
    }
}

impl<E: Error + 'static> Error for TaskGroupError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            TaskGroupError::Failed(error) => Some(error),
            TaskGroupError::Panicked(panicked) => Some(panicked),
        }
    }
}

/// A spawn into a [`TaskGroup`](super::TaskGroup) that is gone, finished, or shutting down
/// after a failure. The future comes back untouched.
pub struct SpawnError<F>(pub(super) F);

impl<F> SpawnError<F> {
    /// The future that was not spawned.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpawnError(..)")
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task group is finished or shutting down")
    }
}

impl<F> Error for SpawnError<F> {}
