//! When callbacks misbehave: the exception handler for panics, and debug
//! mode's warning for slow callbacks.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::event_loop::LoopHandle;
use crate::state::queue::Callback;

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

impl LoopHandle {
    /// Whether debug mode is on.
    pub fn get_debug(&self) -> bool {
        self.inner.debug.get()
    }

    /// Turns debug mode on or off. In debug mode the loop times every
    /// callback and dispatch, and one that takes longer than
    /// [`slow_callback_duration`](LoopHandle::slow_callback_duration) is
    /// reported as a `tracing` warning naming where it was scheduled.
    pub fn set_debug(&self, enabled: bool) {
        self.inner.debug.set(enabled);
    }

    /// How long a callback may run before debug mode warns (default
    /// 100 ms).
    pub fn slow_callback_duration(&self) -> Duration {
        self.inner.slow_callback.get()
    }

    /// Sets the threshold for debug mode's slow-callback warning.
    pub fn set_slow_callback_duration(&self, duration: Duration) {
        self.inner.slow_callback.set(duration);
    }

    /// Calls `handler` on the loop's thread for every callback, dispatch or
    /// readiness check that panics, instead of the default (a `tracing`
    /// error event). The loop carries on either way. A panic in the handler
    /// itself is caught and reported as an ERROR event that gives both
    /// messages, the handler's and the original one.
    pub fn set_exception_handler<H>(&self, handler: H)
    where
        H: Fn(&LoopHandle, ExceptionContext) + 'static,
    {
        drop(self.inner.handler.replace(Some(Rc::new(handler))));
    }

    /// Goes back to the default exception handler.
    pub fn reset_exception_handler(&self) {
        drop(self.inner.handler.take());
    }

    /// Runs one user callback: catches a panic, counts it, and in debug
    /// mode times it.
    pub(crate) fn run_callback(&self, callback: Callback) {
        let start = self.inner.debug.get().then(Instant::now);
        let what = callback.what();
        let mut location = None;
        if let Err(payload) = run_caught(|| callback.call(&mut location)) {
            self.report_panic(payload, ran(location), what);
        }
        self.inner.counters.callbacks.bump();
        if start.is_some() {
            self.warn_if_slow(start, ran(location), what);
        }
    }

    /// Fires a sleep's timer: wakes its task (a foreign waker may panic:
    /// caught and reported as a callback's panic would be).
    pub(crate) fn run_wake(&self, waker: std::task::Waker) {
        if let Err(payload) = run_caught(|| waker.wake()) {
            self.report_panic(payload, Location::caller(), "timer wake-up");
        }
        self.inner.counters.callbacks.bump();
    }

    pub(crate) fn warn_if_slow(
        &self,
        start: Option<Instant>,
        location: &'static Location<'static>,
        what: &'static str,
    ) {
        if let Some(start) = start {
            let took = start.elapsed();
            if took >= self.inner.slow_callback.get() {
                // A task's poll names the task (its name, number and spawn).
                let task = (what == "task poll")
                    .then(crate::current::last_polled)
                    .flatten();
                tracing::warn!(
                    %location,
                    what,
                    task = task.as_ref().map(tracing::field::display),
                    took_ms = took.as_secs_f64() * 1e3,
                    "slow {what}: took {:.3} s",
                    took.as_secs_f64()
                );
            }
        }
    }

    /// Hands a caught panic to the exception handler.
    #[cold]
    #[inline(never)]
    pub(crate) fn report_panic(
        &self,
        payload: Box<dyn std::any::Any + Send>,
        location: &'static Location<'static>,
        what: &'static str,
    ) {
        self.inner.counters.panics.bump();
        let context = ExceptionContext {
            payload,
            location,
            what,
        };
        // Cloned out of the cell: the handler may replace itself.
        let handler = self.inner.handler.take();
        self.inner.handler.set(handler.clone());
        match handler {
            None => default_exception_handler(&context),
            Some(handler) => {
                // Kept before the handler takes the context: if it panics,
                // the report names both panics.
                let original = context.to_string();
                if let Err(payload) = run_caught(|| handler(self, context)) {
                    let handler_panic = payload_message(&*payload).unwrap_or("<non-string panic>");
                    tracing::error!(
                        %location,
                        what,
                        original = %original,
                        handler_panic,
                        "the exception handler panicked ({handler_panic}) while handling: {original}"
                    );
                    drop_quietly(payload);
                }
            }
        }
    }
}

/// Drops a panic payload, catching a panic of its own `Drop`.
fn drop_quietly(payload: Box<dyn Any + Send>) {
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
