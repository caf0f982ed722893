//! Running user callbacks so that a panic is reported instead of unwinding
//! into the thread that runs them.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::TimerId;

/// A timer callback's panic, as handed to the hook set with
/// [`Builder::on_panic`](crate::Builder::on_panic).
pub struct PanicReport {
    pub(crate) timer: TimerId,
    pub(crate) payload: Box<dyn Any + Send>,
}

impl PanicReport {
    /// The timer whose callback panicked.
    pub fn timer(&self) -> TimerId {
        self.timer
    }

    /// The panic message, if the payload was a string (as with `panic!`).
    pub fn message(&self) -> Option<&str> {
        payload_message(&*self.payload)
    }

    /// The panic's payload, for `std::panic::resume_unwind` or downcasting.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicReport")
            .field("timer", &self.timer)
            .field("message", &self.message())
            .finish()
    }
}

pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Runs `f`, catching a panic. The callback is the user's; treating it as
/// unwind-safe is sound because nothing of ours is observed half-updated
/// after it panics.
pub(crate) fn run_caught<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    panic::catch_unwind(AssertUnwindSafe(f))
}
