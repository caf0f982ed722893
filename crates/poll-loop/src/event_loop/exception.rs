//! Exception handling on the loop: the handler, debug mode's slow-callback
//! warning, and reporting a caught panic (the context it is reported with,
//! and catching it, are `context`'s).

use std::panic::Location;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::event_loop::context::{
    ExceptionContext, default_exception_handler, drop_quietly, payload_message, ran, run_caught,
};
use crate::event_loop::inner::LoopHandle;
use crate::state::queue::Callback;

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
                    .then(crate::state::current::last_polled)
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
