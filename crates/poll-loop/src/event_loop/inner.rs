//! The loop's own state: `Inner`, shared by every `LoopHandle` of one
//! loop, with the queues, sources and tasks in one `RefCell` (`State`) that
//! is only borrowed by small methods that run no user code. Everything
//! that operates on it lives beside it in `event_loop/` and imports it;
//! it imports only what it holds.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use simple_future::ThreadPoolExecutor;

use crate::event_loop::context::ExceptionContext;
use crate::event_loop::io::Io;
use crate::event_loop::source::Sources;
use crate::event_loop::strategy::PollStrategy;
use crate::state::queue::{Queues, Spare, TimerId};
use crate::state::remote::Remote;
use crate::state::stats::Counters;
use crate::state::tasks::Tasks;

pub(crate) type Handler = dyn Fn(&LoopHandle, ExceptionContext);

/// A cheap, cloneable handle to an [`EventLoop`](crate::EventLoop), for use on the loop's
/// thread — typically captured by a callback to schedule more work.
///
/// It is neither `Send` nor `Sync`: the loop is single-threaded. Other
/// threads use a [`ThreadsafeHandle`](crate::ThreadsafeHandle) instead.
///
/// Scheduling on a [closed](LoopHandle::close) loop panics (asyncio raises
/// `RuntimeError` there); a callback cannot observe that, since callbacks of
/// a closed loop never run.
///
/// # Examples
///
/// A callback that reschedules itself through the handle it captured:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use poll_loop::{EventLoop, LoopHandle};
///
/// fn countdown(lp: LoopHandle, left: Rc<Cell<u32>>) {
///     left.set(left.get() - 1);
///     if left.get() > 0 {
///         lp.clone().call_soon(move || countdown(lp, left));
///     }
/// }
///
/// let lp = EventLoop::new();
/// let left = Rc::new(Cell::new(3));
/// let (handle, l) = (lp.handle(), left.clone());
/// lp.call_soon(move || countdown(handle, l));
/// lp.run_until_idle()?;
/// assert_eq!(left.get(), 0);
/// assert_eq!(lp.stats().iterations, 3, "one iteration per step");
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    pub(crate) inner: Rc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) state: RefCell<State>,
    pub(crate) remote: Arc<Remote>,
    pub(crate) counters: Counters,
    pub(crate) running: Cell<bool>,
    pub(crate) closed: Cell<bool>,
    /// Set when the `EventLoop` is dropped while running.
    pub(crate) close_on_exit: Cell<bool>,
    pub(crate) debug: Cell<bool>,
    pub(crate) slow_callback: Cell<Duration>,
    pub(crate) strategy: Cell<PollStrategy>,
    pub(crate) handler: Cell<Option<Rc<Handler>>>,
    /// The pool behind `run_in_executor`, made on first use.
    pub(crate) executor: RefCell<Option<ThreadPoolExecutor>>,
    /// The last `call_soon` callback's box, for the next one to reuse.
    pub(crate) spare: Spare,
    /// The file descriptors watched, made with the first (`io.rs`).
    // Read only where descriptors can be watched (Unix, Windows).
    #[cfg_attr(not(any(unix, windows)), allow(dead_code))]
    pub(crate) io: crate::event_loop::io::Io,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) queues: Queues,
    pub(crate) sources: Sources,
    pub(crate) tasks: Tasks,
}

impl Inner {
    /// The state of a new loop on the calling thread.
    pub(crate) fn new(strategy: PollStrategy) -> Inner {
        Inner {
            state: RefCell::new(State::default()),
            remote: Remote::new(),
            counters: Counters::default(),
            running: Cell::new(false),
            closed: Cell::new(false),
            close_on_exit: Cell::new(false),
            debug: Cell::new(false),
            slow_callback: Cell::new(Duration::from_millis(100)),
            strategy: Cell::new(strategy),
            handler: Cell::new(None),
            executor: RefCell::new(None),
            spare: Spare::default(),
            io: Io::default(),
        }
    }
    pub(crate) fn cancel_ready(&self, seq: u64) -> bool {
        let taken = self.state.borrow_mut().queues.cancel_ready(seq);
        taken.is_some() // dropped here, outside the borrow
    }

    pub(crate) fn cancel_timer(&self, when: Option<Instant>, id: TimerId) -> bool {
        let taken = self.state.borrow_mut().queues.cancel_timer(when, id);
        if taken.is_some() {
            tracing::trace!(timer = id.seq, "timer cancelled");
        }
        taken.is_some()
    }

    pub(crate) fn ready_is_pending(&self, seq: u64) -> bool {
        self.state.borrow().queues.ready_is_pending(seq)
    }

    pub(crate) fn timer_is_pending(&self, id: TimerId) -> bool {
        self.state.borrow().queues.timer_is_pending(id)
    }

    /// True if the timer `id` is pending and will wake what `waker` wakes.
    pub(crate) fn timer_will_wake(&self, id: TimerId, waker: &Waker) -> bool {
        self.state.borrow().queues.timer_will_wake(id, waker)
    }

    pub(crate) fn remove_source(&self, id: u64) -> bool {
        let (registered, source) = self.state.borrow_mut().sources.remove(id);
        drop(source);
        registered
    }

    pub(crate) fn source_is_registered(&self, id: u64) -> bool {
        self.state.borrow().sources.contains(id)
    }

    /// Nothing queued, no timer with a deadline, no source, no
    /// notification from another thread waiting.
    pub(crate) fn is_idle(&self) -> bool {
        let state = self.state.borrow();
        state.queues.is_idle()
            && state.sources.is_empty()
            && state.tasks.is_empty()
            && !self.remote.wake.is_notified()
    }
}
