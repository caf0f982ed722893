//! What can go wrong: completing a future twice, and waiting for one that
//! did not return a value.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::state::State;

/// A future could not take this completion: it was already done (or, for
/// [`set_running_or_notify_cancel`](crate::Future::set_running_or_notify_cancel),
/// already running, or already told it was cancelled). The rejected value
/// comes back.
///
/// Python raises `InvalidStateError` here, and its message is the same:
/// the state's name, then the future's repr as it was then.
///
/// ```
/// use simple_future::{Future, State};
///
/// let future = Future::new();
/// future.set_result(1_i32).unwrap();
/// let refused = future.set_result(2).unwrap_err();
/// assert_eq!(refused.state(), State::Finished);
/// assert_eq!(refused.to_string(), format!("FINISHED: {future}"));
/// assert!(refused.to_string().ends_with("state=finished returned i32>"));
/// assert_eq!(refused.into_inner(), 2);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct InvalidState<V> {
    value: V,
    state: State,
    /// The future's repr when it refused.
    repr: String,
}

impl<V> InvalidState<V> {
    pub(crate) fn new(value: V, state: State, repr: String) -> InvalidState<V> {
        InvalidState { value, state, repr }
    }

    /// The state the future was in.
    pub fn state(&self) -> State {
        self.state
    }

    /// The value that was not stored.
    pub fn into_inner(self) -> V {
        self.value
    }
}

impl<V> fmt::Debug for InvalidState<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidState")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// `FINISHED: <Future at 0x… state=finished returned i32>`, as Python's
/// `InvalidStateError`.
impl<V> fmt::Display for InvalidState<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.state.name().to_uppercase(), self.repr)
    }
}

impl<V> Error for InvalidState<V> {}

/// Why a finished wait did not give a value.
///
/// Returned by [`result`](crate::Observer::result) and, inside
/// [`TryResultError`] and [`ResultTimeoutError`], by the other two ways of
/// waiting. The `exception` methods return the same errors except
/// `Exception`, which they return as their value.
///
/// ```
/// use simple_future::{Future, ResultError};
///
/// let cancelled: Future<u8> = Future::new();
/// cancelled.cancel();
/// assert!(matches!(cancelled.result(), Err(ResultError::Cancelled)));
///
/// let raised: Future<u8, &str> = Future::with_exception_type();
/// raised.set_exception("bad input").unwrap();
/// match raised.result() {
///     Err(ResultError::Exception(e)) => assert_eq!(*e, "bad input"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub enum ResultError<E> {
    /// The future was cancelled. Python raises `CancelledError`.
    Cancelled,
    /// The future was completed with
    /// [`set_exception`](crate::Future::set_exception). Shared, because any
    /// number of readers may take it.
    Exception(Arc<E>),
    /// Every handle able to complete the future was dropped while it was
    /// pending: nobody is left to complete it.
    Abandoned,
}

/// [`try_result`](crate::Observer::try_result) found no value.
pub enum TryResultError<E> {
    /// The future is not done yet.
    Pending,
    /// The future is done without a value.
    Failed(ResultError<E>),
}

/// [`result_timeout`](crate::Observer::result_timeout) found no value.
pub enum ResultTimeoutError<E> {
    /// The timeout passed before the future was done. Python raises
    /// `TimeoutError`.
    Timeout,
    /// The future is done without a value.
    Failed(ResultError<E>),
}

impl<E> From<ResultError<E>> for TryResultError<E> {
    fn from(error: ResultError<E>) -> Self {
        TryResultError::Failed(error)
    }
}

impl<E> From<ResultError<E>> for ResultTimeoutError<E> {
    fn from(error: ResultError<E>) -> Self {
        ResultTimeoutError::Failed(error)
    }
}

// Written by hand: deriving would demand `E: Clone`, though only the `Arc`
// is cloned.
impl<E> Clone for ResultError<E> {
    fn clone(&self) -> Self {
        match self {
            ResultError::Cancelled => ResultError::Cancelled,
            ResultError::Exception(e) => ResultError::Exception(Arc::clone(e)),
            ResultError::Abandoned => ResultError::Abandoned,
        }
    }
}

impl<E: PartialEq> PartialEq for ResultError<E> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ResultError::Cancelled, ResultError::Cancelled)
            | (ResultError::Abandoned, ResultError::Abandoned) => true,
            (ResultError::Exception(a), ResultError::Exception(b)) => a == b,
            _ => false,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for ResultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultError::Cancelled => f.write_str("Cancelled"),
            ResultError::Exception(e) => f.debug_tuple("Exception").field(e).finish(),
            ResultError::Abandoned => f.write_str("Abandoned"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for ResultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultError::Cancelled => f.write_str("the future was cancelled"),
            ResultError::Exception(e) => write!(f, "the future raised an exception: {e}"),
            ResultError::Abandoned => f.write_str(
                "the future was abandoned: every handle able to complete it was dropped",
            ),
        }
    }
}

// `E: Debug + Display` rather than `E: Error`, so that the usual
// `Box<dyn Error + Send + Sync>` (which is not itself an `Error`) works. The
// exception is described in the message, so it is not also the `source`.
impl<E: fmt::Debug + fmt::Display> Error for ResultError<E> {}

impl<E> Clone for TryResultError<E> {
    fn clone(&self) -> Self {
        match self {
            TryResultError::Pending => TryResultError::Pending,
            TryResultError::Failed(e) => TryResultError::Failed(e.clone()),
        }
    }
}

impl<E: PartialEq> PartialEq for TryResultError<E> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TryResultError::Pending, TryResultError::Pending) => true,
            (TryResultError::Failed(a), TryResultError::Failed(b)) => a == b,
            _ => false,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for TryResultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryResultError::Pending => f.write_str("Pending"),
            TryResultError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TryResultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryResultError::Pending => f.write_str("the future is not done yet"),
            TryResultError::Failed(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> Error for TryResultError<E> {}

impl<E> Clone for ResultTimeoutError<E> {
    fn clone(&self) -> Self {
        match self {
            ResultTimeoutError::Timeout => ResultTimeoutError::Timeout,
            ResultTimeoutError::Failed(e) => ResultTimeoutError::Failed(e.clone()),
        }
    }
}

impl<E: PartialEq> PartialEq for ResultTimeoutError<E> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ResultTimeoutError::Timeout, ResultTimeoutError::Timeout) => true,
            (ResultTimeoutError::Failed(a), ResultTimeoutError::Failed(b)) => a == b,
            _ => false,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for ResultTimeoutError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultTimeoutError::Timeout => f.write_str("Timeout"),
            ResultTimeoutError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for ResultTimeoutError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultTimeoutError::Timeout => f.write_str("timed out waiting for the future"),
            ResultTimeoutError::Failed(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> Error for ResultTimeoutError<E> {}
