//! Panics as exceptions: a panicking done-callback is reported, and a
//! panicking executor task completes its future with [`Panicked`].

use std::any::Any;
use std::error::Error;
use std::fmt;

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
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
