//! Running user callbacks, and dropping them and what they own, so that a
//! panic is reported instead of unwinding into the thread that runs them.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::TimerId;

/// A timer callback's panic, as handed to the hook set with
/// [`Builder::on_panic`](crate::Builder::on_panic).
///
/// It reports a panic in the callback itself, and a panic in the `Drop` of
/// the callback or of a value it captured, wherever the crate drops it: after
/// a one-shot callback ran, when a repeating timer stops (cancelled, or after
/// its callback panicked), when [`cancel`](crate::TimerHandle::cancel)
/// drops it, and when a shut-down scheduler discards it.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use cb_timer::{ManualClock, Scheduler};
///
/// let clock = ManualClock::new();
/// let (tx, rx) = mpsc::channel();
/// let scheduler = Scheduler::builder()
///     .clock(clock.clone())
///     .on_panic(move |report| {
///         let _ = tx.send((report.timer(), report.message().map(str::to_owned)));
///     })
///     .build()?;
/// let handle = scheduler.after(Duration::from_secs(1), || panic!("out of coffee"));
/// clock.advance(Duration::from_secs(1));
/// let (timer, message) = rx.recv()?;
/// assert_eq!(timer, handle.id());
/// assert_eq!(message.as_deref(), Some("out of coffee"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

/// Drops `value`, catching a panic in its `Drop` (a user's closure, or a
/// value it captured).
pub(crate) fn drop_caught<T>(value: T) -> Result<(), Box<dyn Any + Send>> {
    run_caught(move || drop(value))
}

/// Drops a caught panic's payload, which is a user's value too. A payload
/// whose own `Drop` panics yields yet another payload; that one is leaked
/// rather than dropped, so that a chain of them cannot go on for ever.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = drop_caught(payload) {
        tracing::error!("a panic payload panicked when dropped; leaking the second payload");
        std::mem::forget(again);
    }
}

/// Drops `value` where nobody can be told of a panic in its `Drop` but the
/// log: `what` names it in the error event.
pub(crate) fn drop_logged<T>(value: T, what: &str) {
    if let Err(payload) = drop_caught(value) {
        let message = payload_message(&*payload).unwrap_or("<non-string panic>");
        tracing::error!(panic = %message, "{what} panicked when dropped");
        drop_payload(payload);
    }
}

/// When a timer's panic happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// In the callback.
    Run,
    /// In the `Drop` of the callback or of a value it captured.
    Drop,
}

/// The `tracing` error event for a caught panic of timer `id`.
pub(crate) fn log_panic(id: u64, payload: &(dyn Any + Send), phase: Phase) {
    let message = payload_message(payload).unwrap_or("<non-string panic>");
    match phase {
        Phase::Run => tracing::error!(timer = id, panic = %message, "timer callback panicked"),
        Phase::Drop => tracing::error!(
            timer = id,
            panic = %message,
            "timer callback panicked when dropped"
        ),
    }
}
