//! A panic caught on the loop: catching it (`run_caught`), and the
//! context it is reported with to the exception handler (or, without one,
//! to `tracing`). The handler itself is set on the loop (`exception`).

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};

/// A panic caught by the loop, as handed to the exception handler set with
/// [`LoopHandle::set_exception_handler`](crate::LoopHandle::set_exception_handler).
///
/// asyncio hands its handler a context dict with the message, the
/// exception and the handle; this is the same, typed.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let reports = Rc::new(RefCell::new(Vec::new()));
/// let sink = reports.clone();
/// lp.set_exception_handler(move |_lp, context| sink.borrow_mut().push(context.to_string()));
/// lp.call_soon(|| panic!("boom")); // this line is named in the report
/// lp.run_until_idle()?;
/// let reports = reports.borrow();
/// assert!(reports[0].starts_with("callback scheduled at "), "{}", reports[0]);
/// assert!(reports[0].ends_with("panicked: boom"), "{}", reports[0]);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct ExceptionContext {
    pub(crate) payload: Box<dyn Any + Send>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) what: &'static str,
}

impl ExceptionContext {
    /// The panic message, if the payload was a string (as with `panic!`).
    pub fn message(&self) -> Option<&str> {
        payload_message(&*self.payload)
    }

    /// Where the callback was scheduled (the `call_soon`, `call_later`,
    /// `call_at`, `call_soon_threadsafe` or `insert_source` call).
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// What panicked: `"callback"`, `"task"`, `"source dispatch"`,
    /// `"source readiness"`, or `"drop on close"` (the `Drop` of a value
    /// that [`close`](crate::LoopHandle::close) dropped).
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The panic's payload, for `std::panic::resume_unwind` or downcasting.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExceptionContext")
            .field("what", &self.what)
            .field("location", &self.location)
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} scheduled at {} panicked: {}",
            self.what,
            self.location,
            self.message().unwrap_or("<non-string panic>")
        )
    }
}

/// Drops a panic payload, catching a panic of its own `Drop`.
pub(crate) fn drop_quietly(payload: Box<dyn Any + Send>) {
    let _ = run_caught(move || drop(payload));
}

/// Reports a panic with the default handler, for when the loop's own
/// handler cannot be used.
pub(crate) fn report_to_default(
    payload: Box<dyn Any + Send>,
    location: &'static Location<'static>,
    what: &'static str,
) {
    default_exception_handler(&ExceptionContext {
        payload,
        location,
        what,
    });
}

/// What the loop does with a panic when no handler is set: a `tracing`
/// error event.
pub(crate) fn default_exception_handler(context: &ExceptionContext) {
    tracing::error!(
        location = %context.location,
        what = context.what,
        panic = context.message().unwrap_or("<non-string panic>"),
        "event loop callback panicked"
    );
}

pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Where the callback that [`Call::call`](crate::state::queue::Call::call) ran was
/// scheduled. (Always known: it is written before the callback starts.)
pub(crate) fn ran(location: Option<&'static Location<'static>>) -> &'static Location<'static> {
    location.unwrap_or_else(Location::caller)
}

/// Runs `f`, catching a panic. Treating user code as unwind-safe is sound
/// here: the loop's own state is never borrowed while user code runs, so
/// nothing of ours is seen half-updated after a panic.
pub(crate) fn run_caught<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    panic::catch_unwind(AssertUnwindSafe(f))
}
