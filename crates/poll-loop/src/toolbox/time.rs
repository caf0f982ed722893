//! Waiting inside tasks: `sleep`, `sleep_until` and `yield_now`, all on
//! the loop's own timer queue — no thread of their own.

use std::fmt;
use std::future::Future as StdFuture;
use std::mem;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::event_loop::inner::LoopHandle;
use crate::state::queue::{TimerId, send_callback};
use crate::state::remote::Remote;

const NO_LOOP: &str = "poll-loop: a sleep was polled outside a running event loop";

/// Waits until `delay` has passed: the `async` version of
/// [`call_later`](LoopHandle::call_later).
///
/// The wait is a timer on the running loop's own queue, set when the
/// future is first polled; the task sleeps meanwhile and the loop does
/// other work. `Duration::MAX` (or any delay past what an [`Instant`] can
/// hold) never ends.
///
/// Like `asyncio.sleep`, it always suspends the task at least once, even
/// for `Duration::ZERO` (or a delay already over when it is first polled):
/// `sleep(Duration::ZERO).await` is asyncio's `await asyncio.sleep(0)`,
/// which lets the callbacks and tasks already queued run first (as
/// [`yield_now`] does). [`sleep_until`] a passed deadline does not wait.
///
/// # Panics
///
/// When polled outside a running [`EventLoop`](crate::EventLoop) (in
/// another executor, say), unless the deadline has already passed.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use poll_loop::{EventLoop, sleep};
///
/// let lp = EventLoop::new();
/// let start = Instant::now();
/// lp.block_on(sleep(Duration::from_millis(20)))?;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
#[track_caller]
pub fn sleep(delay: Duration) -> Sleep {
    let mut sleep = Sleep::new(Instant::now().checked_add(delay), Location::caller());
    sleep.yield_first = true;
    sleep
}

/// Waits until `deadline`: the `async` version of
/// [`call_at`](LoopHandle::call_at). Ready at once if it has passed.
///
/// # Panics
///
/// As for [`sleep`].
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Some(deadline), Location::caller())
}

/// The future of [`sleep`] and [`sleep_until`].
///
/// It is `Send` and `Unpin`, so it can be stored, moved between tasks and
/// spawned from other threads. Dropping it unfinished cancels its timer,
/// so an abandoned wait keeps nothing on the loop.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    /// `None`: never.
    deadline: Option<Instant>,
    armed: Option<Armed>,
    /// Whether the first poll yields even if the deadline has passed
    /// (`sleep`, as asyncio's; not `sleep_until`).
    yield_first: bool,
    /// Where the sleep was made: its timer is traced as scheduled there.
    location: &'static Location<'static>,
}

/// A sleep's timer on the loop. The timer holds the waker it will wake,
/// and the sleep asks it rather than keep a copy: a task's future holds
/// its `Sleep` twice when it makes one and then awaits it, so each word
/// here is two in every sleeping task (benches/tasks).
struct Armed {
    timer: TimerId,
    /// The loop's cross-thread side: identifies the loop, and reaches it
    /// if the sleep is dropped on another thread.
    remote: Arc<Remote>,
}

impl Sleep {
    fn new(deadline: Option<Instant>, location: &'static Location<'static>) -> Sleep {
        Sleep {
            deadline,
            armed: None,
            yield_first: false,
            location,
        }
    }

    /// When the sleep ends; `None` if it never does.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Cancels the timer, if one is set and has not fired.
    fn disarm(&mut self) {
        let Some(armed) = self.armed.take() else {
            return;
        };
        let (timer, when) = (armed.timer, self.deadline);
        match LoopHandle::current().filter(|lp| Arc::ptr_eq(&lp.inner.remote, &armed.remote)) {
            Some(lp) => {
                lp.inner.cancel_timer(when, timer);
            }
            // Dropped off the loop's thread or outside its run: the loop
            // cancels it at its next turn (if it is closed, the timer is
            // gone already).
            None => {
                let cancel = move || {
                    if let Some(lp) = LoopHandle::current() {
                        lp.inner.cancel_timer(when, timer);
                    }
                };
                drop(armed.remote.inject(send_callback(cancel, self.location)));
            }
        }
    }
}

impl StdFuture for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let Some(deadline) = this.deadline else {
                return Poll::Pending; // never: no timer to set
            };
            // One read of the clock: on a virtual machine each costs tens of
            // nanoseconds, and every sleeping task makes this poll.
            let passed = Instant::now() >= deadline;
            if mem::take(&mut this.yield_first) && passed {
                // `asyncio.sleep(0)`: one trip through the ready queue.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if passed {
                this.disarm();
                return Poll::Ready(());
            }
            let lp = LoopHandle::current().expect(NO_LOOP);
            if let Some(armed) = &this.armed {
                if Arc::ptr_eq(&armed.remote, &lp.inner.remote)
                    && lp.inner.timer_will_wake(armed.timer, cx.waker())
                {
                    return Poll::Pending;
                }
                // Polled by another task (moved, or in a select), or on
                // another loop: re-arm for this waker.
                this.disarm();
            }
            // The timer holds the waker itself: no callback to allocate.
            let timer = lp.schedule_wake(deadline, cx.waker().clone(), this.location);
            this.armed = Some(Armed {
                timer,
                remote: Arc::clone(&lp.inner.remote),
            });
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("armed", &self.armed.is_some())
            .finish()
    }
}

/// Lets the loop run everything else that is ready before this task goes
/// on: the task's next poll is queued behind the callbacks and tasks
/// already waiting, and after the loop's next look at its timers and
/// sources.
///
/// A long computation in a task should call this now and then, or move to
/// [`run_in_executor`](LoopHandle::run_in_executor): the loop runs one
/// thing at a time.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use poll_loop::{EventLoop, yield_now};
///
/// let lp = EventLoop::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// for name in ["a", "b"] {
///     let log = log.clone();
///     lp.spawn(async move {
///         for step in 0..2 {
///             log.borrow_mut().push(format!("{name}{step}"));
///             yield_now().await;
///         }
///     });
/// }
/// lp.run_until_idle()?;
/// assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1"]);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl StdFuture for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
