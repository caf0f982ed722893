//! Panics as exceptions: a panicking done-callback is reported, and a
//! panicking executor task completes its future with [`Panicked`].
//!
//! Every place where the crate runs or drops user values several in a row
//! (callbacks and wakers at completion, queued closures at shutdown, unread
//! results) contains each one's panic with [`catch`], reports it as a
//! `tracing` error event, and goes on with the rest.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::mem;
use std::panic::{self, AssertUnwindSafe};

/// A task panicked; its future raised this instead of returning.
///
/// A [`ThreadPoolExecutor`](crate::ThreadPoolExecutor) turns a panic in a
/// submitted closure into this exception, as Python turns an exception
/// raised in the callable into the future's exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked {
    message: Option<String>,
}

impl Panicked {
    /// The exception for a caught panic, from its payload (what
    /// [`std::panic::catch_unwind`] returns): for executors and event loops
    /// that run user code and complete a future with its outcome.
    ///
    /// ```
    /// use simple_future::Panicked;
    ///
    /// let payload = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
    /// assert_eq!(Panicked::from_payload(&*payload).message(), Some("boom"));
    /// ```
    pub fn from_payload(payload: &(dyn Any + Send)) -> Panicked {
        Panicked {
            message: payload_message(payload).map(str::to_owned),
        }
    }

    /// The panic message, if the payload was a string (as with `panic!`).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The message, or a placeholder: what an error event reports.
    pub(crate) fn report(&self) -> &str {
        self.message().unwrap_or("<non-string payload>")
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "the task panicked: {message}"),
            None => f.write_str("the task panicked"),
        }
    }
}

impl Error for Panicked {}

/// The message of a panic payload, or a placeholder.
fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Runs `f`, containing a panic: `Err` says what it was, its payload already
/// dropped. A payload whose own `Drop` panics (`panic_any(value)`) is
/// contained too: that second panic's payload is leaked rather than dropped,
/// as it might panic again.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let panicked = Panicked::from_payload(payload.as_ref());
        if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            mem::forget(again);
        }
        panicked
    })
}
