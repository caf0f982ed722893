//! Running the loop: the run modes, and one iteration — wait, then run what
//! is ready.

use std::cell::RefCell;
use std::panic::Location;
use std::time::{Duration, Instant};

use tracing::Span;
use tracing::field::Empty;
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};

use crate::error::RunError;
use crate::event_loop::context::{ran, run_caught};
use crate::event_loop::inner::{Inner, LoopHandle};
use crate::event_loop::source::{PostAction, Readiness};
use crate::event_loop::strategy::PollStrategy;
use crate::state::queue::Timed;

thread_local! {
    /// The loop running on this thread, for `LoopHandle::current`.
    static RUNNING: RefCell<Option<LoopHandle>> = const { RefCell::new(None) };
}

pub(crate) fn current() -> Option<LoopHandle> {
    RUNNING.with(|running| running.borrow().clone())
}

/// Marks the loop as running for the length of a run.
struct RunGuard<'a> {
    handle: &'a LoopHandle,
}

impl<'a> RunGuard<'a> {
    fn enter(handle: &'a LoopHandle) -> Result<RunGuard<'a>, RunError> {
        let inner = &handle.inner;
        if inner.running.get() {
            return Err(RunError::AlreadyRunning);
        }
        if handle.is_closed() {
            return Err(RunError::Closed);
        }
        RUNNING.with(|running| {
            let mut running = running.borrow_mut();
            if running.is_some() {
                return Err(RunError::AnotherLoopRunning);
            }
            *running = Some(handle.clone());
            Ok(())
        })?;
        inner.running.set(true);
        Ok(RunGuard { handle })
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        let inner = &self.handle.inner;
        inner.running.set(false);
        let me = RUNNING.with(|running| running.borrow_mut().take());
        drop(me);
        if inner.close_on_exit.get() {
            let _ = self.handle.close();
        }
    }
}

/// When a run returns (besides `stop`).
pub(crate) enum Until<'a> {
    Stopped,
    Idle,
    /// As soon as `done` says so (`block_on`).
    Done(&'a dyn Fn() -> bool),
    /// Once `done` says so and the iteration that made it so is finished:
    /// what was queued in it runs too (`run_until_complete`, as asyncio's,
    /// which stops through a done-callback that runs in the next batch).
    Complete(&'a dyn Fn() -> bool),
}

impl Until<'_> {
    fn reached(&self, inner: &Inner) -> bool {
        match self {
            Until::Stopped => false,
            Until::Idle => inner.is_idle(),
            Until::Done(done) | Until::Complete(done) => done(),
        }
    }
}

/// Whether any trace-level output can be on: one relaxed atomic load. The
/// per-iteration span and the per-timer events are made only then. (Made
/// unconditionally, a span costs a few ns even with no subscriber, and with
/// `tracing`'s `log` feature on — which any crate in the build may turn on —
/// several times that: it is recorded for `log` whenever no subscriber is set.)
#[inline]
pub(crate) fn trace_enabled() -> bool {
    tracing::Level::TRACE <= STATIC_MAX_LEVEL && tracing::Level::TRACE <= LevelFilter::current()
}

/// Sources found ready, and the earliest deadline of the others.
#[derive(Default)]
struct Polled {
    ready: Vec<u64>,
    deadline: Option<Instant>,
}

impl LoopHandle {
    /// Runs the loop until [`stop`](LoopHandle::stop) is called.
    ///
    /// # Errors
    ///
    /// [`RunError`] if the loop is already running (re-entrant run from a
    /// callback), another loop runs on this thread, or the loop is closed.
    pub fn run_forever(&self) -> Result<(), RunError> {
        self.run(&Until::Stopped).map(drop)
    }

    /// Runs the loop until nothing is left to do, or until
    /// [`stop`](LoopHandle::stop).
    ///
    /// "Nothing left" means: no callback queued, no timer with a deadline
    /// (timers that never fire do not count), no registered source, no
    /// unfinished task (a task that waits, even for something nothing will
    /// ever set, may still be woken from another thread), and no
    /// notification from another thread waiting. This is how the tutorial's
    /// loop ends — when its list of timers is empty. A source that stays
    /// registered (a [`RepeatingTimer`](crate::RepeatingTimer), a
    /// [`Channel`](crate::Channel) with live senders) keeps the loop
    /// running.
    ///
    /// # Errors
    ///
    /// As for [`run_forever`](LoopHandle::run_forever).
    pub fn run_until_idle(&self) -> Result<(), RunError> {
        self.run(&Until::Idle).map(drop)
    }

    /// Stops the loop after the iteration it is in: the callbacks already
    /// in that iteration's batch still run, then `run_*` returns. If the
    /// loop is not running, its next run does one iteration and returns.
    pub fn stop(&self) {
        self.inner.remote.request_stop();
    }

    pub(crate) fn run(&self, until: &Until<'_>) -> Result<Exit, RunError> {
        let _guard = RunGuard::enter(self)?;
        tracing::debug!("event loop running");
        // Whether `until` can be checked without running user code, as
        // `run_busy` needs.
        let busy = matches!(until, Until::Stopped | Until::Idle);
        loop {
            // (Not a let chain: the MSRV, 1.85, predates them.)
            if busy {
                if let Some(exit) = self.run_busy(until) {
                    return Ok(exit);
                }
            }
            if until.reached(&self.inner) {
                if let Until::Complete(_) = until {
                    self.finish_iteration();
                }
                return Ok(Exit::Reached);
            }
            if self.run_once() {
                return Ok(if until.reached(&self.inner) {
                    Exit::Reached
                } else {
                    Exit::Stopped
                });
            }
        }
    }

    /// Runs what the last iteration queued (callbacks, and what other
    /// threads sent), as one more iteration that does not wait: nothing, if
    /// nothing was queued.
    fn finish_iteration(&self) {
        let queued = self.inner.state.borrow().queues.ready_len() > 0
            || self.inner.remote.wake.is_notified();
        if queued {
            // A stop asked for in it is consumed: the run ends anyway.
            self.run_once();
        }
    }

    /// One iteration: decide how long to wait, wait, take what other
    /// threads sent and the timers that are due, run the batch. Returns
    /// whether a stop was requested.
    fn run_once(&self) -> bool {
        let inner = &*self.inner;
        inner.counters.iterations.bump();
        let traced = trace_enabled();
        if !traced {
            // The common case of a busy loop: callbacks are ready and no
            // source needs asking, so there is no wait to work out. Same
            // steps as below, minus what cannot apply.
            let quick = {
                let state = inner.state.borrow();
                state.sources.is_empty() && state.queues.ready_len() > 0
            };
            if quick {
                if inner.remote.wake.take_notification() {
                    self.take_injected();
                }
                let (ntodo, ndue) = self.take_batch(None);
                self.run_batch(ntodo, ndue);
                return inner.remote.take_stop();
            }
        }
        let span =
            traced.then(|| tracing::trace_span!("iteration", ready = Empty, sleep_us = Empty));
        let _entered = span.as_ref().map(Span::enter);

        // Read the clock at most once before the wait and once after: on a
        // virtual machine a read costs tens of nanoseconds, and four more
        // of them a round trip were a fifth of a socket ping-pong's time in
        // user space (benches/net).
        let mut now = None;
        let mut clock = || *now.get_or_insert_with(Instant::now);
        let has_sources = !inner.state.borrow().sources.is_empty();
        let mut polled = if has_sources {
            self.poll_sources(clock())
        } else {
            Polled::default()
        };

        // How long may we wait? Not at all if something is ready.
        let timeout = {
            let state = inner.state.borrow();
            if state.queues.ready_len() > 0
                || !polled.ready.is_empty()
                || inner.remote.stop_requested()
                // Woken already (another thread, or `block_on`'s future
                // waking itself, as it does each time its budget is
                // spent): only ask the kernel, without reading the clock.
                || inner.remote.wake.is_notified()
            {
                Some(Duration::ZERO)
            } else {
                let next = match (state.queues.next_deadline(), polled.deadline) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                next.map(|when| when.saturating_duration_since(clock()))
            }
        };

        let sleep = inner.strategy.get() == PollStrategy::Park && timeout != Some(Duration::ZERO);
        let waited = if sleep {
            if let Some(span) = &span {
                let us = timeout.map_or(u64::MAX, |t| {
                    u64::try_from(t.as_micros()).unwrap_or(u64::MAX)
                });
                span.record("sleep_us", us);
            }
            let start = clock();
            let waited = self.wait(timeout, true);
            if waited.slept {
                // Not a sleep if a pending notification ended it at once.
                inner.counters.sleeps.bump();
                let end = Instant::now();
                inner
                    .counters
                    .add_slept(end.saturating_duration_since(start));
                now = Some(end);
            }
            waited
        } else {
            self.wait(timeout, false)
        };
        if waited.notified {
            self.take_injected();
        }
        if has_sources && (sleep || waited.callbacks) {
            // Readiness may have changed while we slept, and the wait may
            // have found descriptors ready.
            polled = self.poll_sources(now.unwrap_or_else(Instant::now));
        }

        let (ntodo, ndue) = self.take_batch(now);
        if let Some(span) = &span {
            span.record("ready", ntodo + ndue + polled.ready.len());
        }
        self.run_batch(ntodo, ndue);
        // A callback, timer or earlier dispatch of this batch may have made
        // a ready source unready: if any ran, ask again (CPython issue 25593).
        let mut recheck = ntodo + ndue > 0;
        for id in polled.ready {
            self.dispatch_source(id, recheck);
            recheck = true;
        }

        inner.remote.take_stop()
    }

    /// Runs iterations for as long as each is only a batch of ready
    /// callbacks (see `busy_batch`): the same steps as `run`'s loop around
    /// `run_once`, in the same order, but in one tight loop under one
    /// `catch_unwind`. Returns how the run ends, or `None` when the next
    /// iteration needs more, for `run_once`. `until` must not run user
    /// code (a panic there would be taken for a callback's).
    //
    // A callback that queues the next one makes one iteration per callback,
    // so the cost of an iteration is the cost of a callback: going through
    // `run_once`, `run_batch` and a `catch_unwind` frame each time, with
    // four `RefCell` borrows where this takes two, cost about 1 ns of
    // benches/event_loop's chained run (16.5 ns to 15.5 ns).
    fn run_busy(&self, until: &Until<'_>) -> Option<Exit> {
        let inner = &*self.inner;
        // The callbacks left in the current iteration's batch, if one runs.
        let mut ntodo = 0;
        let mut in_batch = false;
        loop {
            let mut location = None;
            let result = run_caught(|| {
                loop {
                    self.run_popped(&mut ntodo, &mut location);
                    if in_batch {
                        // The end of an iteration, as in `run`.
                        in_batch = false;
                        if inner.remote.take_stop() {
                            return Some(if until.reached(inner) {
                                Exit::Reached
                            } else {
                                Exit::Stopped
                            });
                        }
                    }
                    // The start of the next, as in `run`: `until` first
                    // (but with callbacks queued the loop is not idle).
                    match self.busy_batch() {
                        Some(batch) => ntodo = batch,
                        None if until.reached(inner) => return Some(Exit::Reached),
                        None => return None,
                    }
                    inner.counters.iterations.bump();
                    in_batch = true;
                }
            });
            match result {
                Ok(exit) => return exit,
                Err(payload) => {
                    // As in `run_ready`: report, and go on after the callback.
                    self.report_panic(payload, ran(location), "callback");
                    inner.counters.callbacks.bump();
                }
            }
        }
    }

    /// The batch of an iteration that has nothing to do but run ready
    /// callbacks: how many are queued, if some are and nothing else needs
    /// the iteration's other steps — no source to ask, no timer, no
    /// notification from another thread, no tracing, no debug mode.
    #[inline]
    fn busy_batch(&self) -> Option<usize> {
        let inner = &*self.inner;
        let state = inner.state.borrow();
        let ntodo = state.queues.ready_len();
        let busy = ntodo > 0
            && state.sources.is_empty()
            && !state.queues.has_timers()
            && !inner.debug.get()
            && !inner.remote.wake.is_notified()
            && !trace_enabled();
        busy.then_some(ntodo)
    }

    /// Counts a notification from another thread and queues what it sent.
    fn take_injected(&self) {
        let inner = &*self.inner;
        inner.counters.wakeups.bump();
        // Only if something was sent: a notification may carry nothing
        // but a wake-up (`stop`, or `block_on`'s future waking itself, as
        // it does each time its task budget is spent), and the inbox's
        // lock is then not worth taking. The swap that consumed the
        // notification acquired the sender's `queued` store.
        let mut state = inner.state.borrow_mut();
        inner.remote.flush_into(&mut state.queues);
    }

    /// Fixes this iteration's batch: the ready callbacks queued so far and
    /// the timers due now (`now`, if the iteration has read the clock since
    /// it waited). Returns how many of each.
    #[inline]
    fn take_batch(&self, now: Option<Instant>) -> (usize, usize) {
        let mut state = self.inner.state.borrow_mut();
        let ndue = if state.queues.has_timers() {
            state.queues.take_due(now.unwrap_or_else(Instant::now))
        } else {
            0
        };
        (state.queues.ready_len(), ndue)
    }

    /// Runs the batch: `ntodo` ready callbacks, then the due timers.
    #[inline]
    fn run_batch(&self, ntodo: usize, ndue: usize) {
        let inner = &*self.inner;
        if inner.debug.get() {
            // Debug mode times each callback.
            for _ in 0..ntodo {
                let entry = inner.state.borrow_mut().queues.pop_ready();
                match entry {
                    Some(Some(callback)) => self.run_callback(callback),
                    Some(None) => {} // cancelled
                    None => break,
                }
            }
        } else {
            self.run_ready(ntodo);
        }
        if ndue > 0 {
            loop {
                let due = inner.state.borrow_mut().queues.pop_due();
                let Some((when, seq, callback)) = due else {
                    break;
                };
                if trace_enabled() && tracing::enabled!(tracing::Level::TRACE) {
                    let late = when.elapsed();
                    tracing::trace!(
                        timer = seq,
                        late_us = late.as_micros() as u64,
                        "timer fired"
                    );
                }
                match callback {
                    Timed::Call(callback) => self.run_callback(callback),
                    Timed::Wake(waker) => self.run_wake(waker),
                }
            }
        }
    }

    /// Runs `ntodo` ready callbacks under one `catch_unwind` rather than one
    /// each (a landing pad and a frame per callback were a measurable part
    /// of a callback's cost): a panic ends the run, is reported, and the
    /// run resumes after the callback that panicked. Sound, as the state is
    /// never borrowed while a callback runs.
    fn run_ready(&self, mut ntodo: usize) {
        let inner = &*self.inner;
        while ntodo > 0 {
            let mut location = None;
            let result = run_caught(|| self.run_popped(&mut ntodo, &mut location));
            if let Err(payload) = result {
                self.report_panic(payload, ran(location), "callback");
                inner.counters.callbacks.bump();
            }
        }
    }

    /// Pops and runs up to `ntodo` ready callbacks, counting `ntodo` down
    /// (to zero if the queue runs out) and writing where each was
    /// scheduled to `location` before it runs. The caller catches panics.
    #[inline]
    fn run_popped(&self, ntodo: &mut usize, location: &mut Option<&'static Location<'static>>) {
        let inner = &*self.inner;
        while *ntodo > 0 {
            *ntodo -= 1;
            // Popped in a statement of its own: the borrow ends before the
            // callback runs.
            let entry = inner.state.borrow_mut().queues.pop_ready();
            match entry {
                Some(Some(callback)) => {
                    callback.call_reusing(location, &inner.spare);
                    inner.counters.callbacks.bump();
                }
                Some(None) => {} // cancelled
                None => *ntodo = 0,
            }
        }
    }

    /// Asks every registered source for its readiness.
    fn poll_sources(&self, now: Instant) -> Polled {
        let inner = &*self.inner;
        let limit = inner.state.borrow().sources.next_id();
        let mut polled = Polled::default();
        let mut after = None;
        loop {
            let next = inner.state.borrow_mut().sources.take_next(after, limit);
            let Some((id, mut source, location)) = next else {
                break;
            };
            after = Some(id);
            match run_caught(|| source.readiness(now)) {
                Ok(readiness) => {
                    match readiness {
                        Readiness::Ready => polled.ready.push(id),
                        Readiness::At(when) => {
                            polled.deadline = Some(polled.deadline.map_or(when, |d| d.min(when)));
                        }
                        Readiness::Pending => {}
                    }
                    let removed = inner.state.borrow_mut().sources.put_back(id, source);
                    drop(removed);
                }
                Err(payload) => {
                    inner.remove_source(id);
                    drop(source);
                    self.report_panic(payload, location, "source readiness");
                }
            }
        }
        polled
    }

    /// Dispatches one ready source, if it is still registered and, when
    /// `recheck`, still ready.
    fn dispatch_source(&self, id: u64, recheck: bool) {
        let inner = &*self.inner;
        let taken = inner.state.borrow_mut().sources.take(id);
        let Some((mut source, location)) = taken else {
            return; // removed since it was polled
        };
        if recheck {
            match run_caught(|| source.readiness(Instant::now())) {
                Ok(Readiness::Ready) => {}
                Ok(_) => {
                    // Cleared since it was polled: not this iteration.
                    let removed = inner.state.borrow_mut().sources.put_back(id, source);
                    drop(removed);
                    return;
                }
                Err(payload) => {
                    inner.remove_source(id);
                    drop(source);
                    self.report_panic(payload, location, "source readiness");
                    return;
                }
            }
        }
        let start = self.get_debug().then(Instant::now);
        let action = match run_caught(|| source.dispatch(self)) {
            Ok(action) => action,
            Err(payload) => {
                self.report_panic(payload, location, "source dispatch");
                PostAction::Continue
            }
        };
        inner.counters.dispatches.bump();
        self.warn_if_slow(start, location, "source dispatch");
        match action {
            PostAction::Continue => {
                let removed = inner.state.borrow_mut().sources.put_back(id, source);
                drop(removed);
            }
            PostAction::Remove => {
                inner.remove_source(id);
                drop(source);
            }
        }
    }
}

/// Why a run returned.
pub(crate) enum Exit {
    Reached,
    Stopped,
}
