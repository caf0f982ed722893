//! Deadlines around a future: `timeout`, `timeout_at`, and asyncio's
//! reschedulable `Timeout`.

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::toolbox::time::{Sleep, sleep_until};

/// The deadline of a [`timeout`] passed before its future was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

/// Runs `future` for at most `delay`: its output, or [`Elapsed`] if the
/// delay passed first — asyncio's `wait_for`, and `async with
/// asyncio.timeout(delay)`.
///
/// On timeout `future` is dropped (which cancels whatever it waited for
/// that cancels on drop, as a [`Sleep`] does). The future is polled before
/// the deadline is checked, so one that is ready at the deadline wins; one
/// that is still pending once the deadline has passed loses, even if the
/// deadline passed before its first poll (`timeout(Duration::ZERO,
/// sleep(Duration::ZERO))` elapses, as in asyncio).
///
/// Dropping a [`JoinHandle`](crate::JoinHandle) detaches its task rather
/// than cancel it, so a timeout over a handle leaves the task running,
/// where asyncio's `wait_for` cancels it: keep a clone and
/// [`cancel`](crate::JoinHandle::cancel) it on timeout, as
/// [shown there](crate::JoinHandle#detaching-and-cancelling-on-timeout).
///
/// To move the deadline while the future runs, use a [`Timeout`].
///
/// # Panics
///
/// As for [`sleep`](crate::sleep).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, sleep, timeout};
///
/// let lp = EventLoop::new();
/// let fast = lp.block_on(timeout(Duration::from_millis(50), async { 7 }))?;
/// assert_eq!(fast, Ok(7));
/// let slow = lp.block_on(timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))))?;
/// assert!(slow.is_err());
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub async fn timeout<F: IntoFuture>(delay: Duration, future: F) -> Result<F::Output, Elapsed> {
    Timeout::after(delay).run(future).await
}

/// Runs `future` until `deadline` at most: [`timeout`] with an instant
/// rather than a delay, asyncio's `timeout_at`.
///
/// # Panics
///
/// As for [`sleep`](crate::sleep).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use poll_loop::{EventLoop, sleep, timeout_at};
///
/// let lp = EventLoop::new();
/// let deadline = Instant::now() + Duration::from_millis(10);
/// let slow = lp.block_on(timeout_at(deadline, sleep(Duration::from_secs(60))))?;
/// assert!(slow.is_err());
/// assert!(Instant::now() >= deadline);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub async fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Result<F::Output, Elapsed> {
    Timeout::at(Some(deadline)).run(future).await
}

/// A deadline that can be moved while the future it bounds runs:
/// asyncio's `Timeout`, what `async with asyncio.timeout(…) as cm`
/// gives.
///
/// Make one with [`after`](Timeout::after), [`at`](Timeout::at) or
/// [`never`](Timeout::never), then [`run`](Timeout::run) a future under it.
/// The future may hold a reference to the `Timeout` and
/// [`reschedule`](Timeout::reschedule) it; afterwards,
/// [`expired`](Timeout::expired) tells whether the deadline ended it.
///
/// Single-threaded, like the tasks that use it.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use poll_loop::{EventLoop, Timeout, sleep};
///
/// let lp = EventLoop::new();
/// let deadline = Timeout::never();
/// let outcome = lp.block_on(deadline.run(async {
///     // Decided inside: give the rest of the work 10 ms.
///     deadline
///         .reschedule(Some(Instant::now() + Duration::from_millis(10)))
///         .unwrap();
///     sleep(Duration::from_secs(60)).await;
/// }))?;
/// assert!(outcome.is_err());
/// assert!(deadline.expired());
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct Timeout {
    when: Cell<Option<Instant>>,
    stage: Cell<Stage>,
    /// The task running the bounded future, woken when the deadline moves.
    waker: RefCell<Option<Waker>>,
}

/// asyncio's `_State`, less "expiring" (a Rust future is dropped at once,
/// not cancelled over several steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Created,
    Running,
    Expired,
    Finished,
}

impl Timeout {
    /// A deadline `delay` from now (asyncio's `timeout(delay)` also takes
    /// the clock when called).
    pub fn after(delay: Duration) -> Timeout {
        // Past what an `Instant` can hold: never.
        Timeout::at(Instant::now().checked_add(delay))
    }

    /// A deadline at `when`, or none (asyncio's `timeout_at(None)`).
    pub fn at(when: Option<Instant>) -> Timeout {
        Timeout {
            when: Cell::new(when),
            stage: Cell::new(Stage::Created),
            waker: RefCell::new(None),
        }
    }

    /// No deadline until one is [rescheduled](Timeout::reschedule) in
    /// (asyncio's `timeout(None)`).
    pub fn never() -> Timeout {
        Timeout::at(None)
    }

    /// The deadline, if any: asyncio's `when()`.
    pub fn when(&self) -> Option<Instant> {
        self.when.get()
    }

    /// True once the deadline ended the future it bounded.
    pub fn expired(&self) -> bool {
        self.stage.get() == Stage::Expired
    }

    /// Moves the deadline (`None`: no deadline) of the future running
    /// under it. A deadline already passed ends that future at its next
    /// poll that is not ready.
    ///
    /// # Errors
    ///
    /// [`RescheduleError`] unless a future runs under it now: it has not
    /// started, or it is over (finished, or expired), as asyncio's raises
    /// `RuntimeError`.
    pub fn reschedule(&self, when: Option<Instant>) -> Result<(), RescheduleError> {
        match self.stage.get() {
            Stage::Running => {}
            Stage::Created => return Err(RescheduleError::NotStarted),
            Stage::Expired => return Err(RescheduleError::Expired),
            Stage::Finished => return Err(RescheduleError::Finished),
        }
        self.when.set(when);
        // Its task re-arms its timer for the new deadline.
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Runs `future` under this deadline: its output, or [`Elapsed`] if
    /// the deadline passed first (with the rules of [`timeout`]).
    ///
    /// # Panics
    ///
    /// If a future ran under this `Timeout` before (asyncio: "has already
    /// been entered"); when polled outside a running event loop with a
    /// deadline to wait for.
    pub fn run<F: IntoFuture>(
        &self,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> {
        let future = future.into_future();
        async move {
            assert_eq!(
                self.stage.replace(Stage::Running),
                Stage::Created,
                "poll-loop: a Timeout runs one future, once"
            );
            let _exit = Exit(self);
            let mut future = pin!(future);
            let mut timer: Option<(Instant, Sleep)> = None;
            poll_fn(|cx| {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready(Ok(output));
                }
                let Some(when) = self.when.get() else {
                    timer = None;
                    self.note_waker(cx.waker());
                    return Poll::Pending;
                };
                if timer.as_ref().is_none_or(|(armed, _)| *armed != when) {
                    // A new deadline (the first, or a rescheduled one):
                    // one already passed ends the body now, at its first
                    // suspension. Later polls leave the clock to the timer.
                    if Instant::now() >= when {
                        self.stage.set(Stage::Expired);
                        return Poll::Ready(Err(Elapsed(())));
                    }
                    timer = Some((when, sleep_until(when)));
                }
                self.note_waker(cx.waker());
                let (_, sleep) = timer.as_mut().expect("armed above");
                match Pin::new(sleep).poll(cx) {
                    Poll::Ready(()) => {
                        self.stage.set(Stage::Expired);
                        Poll::Ready(Err(Elapsed(())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            })
            .await
        }
    }

    fn note_waker(&self, waker: &Waker) {
        let mut slot = self.waker.borrow_mut();
        let old = match &*slot {
            Some(old) if old.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        };
        drop(slot);
        drop(old);
    }
}

/// Marks the run over, however it ended (dropped included).
struct Exit<'a>(&'a Timeout);

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        if self.0.stage.get() == Stage::Running {
            self.0.stage.set(Stage::Finished);
        }
        let waker = self.0.waker.borrow_mut().take();
        drop(waker);
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("when", &self.when.get())
            .field("stage", &self.stage.get())
            .finish()
    }
}

/// Why a [`Timeout`] could not be rescheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RescheduleError {
    /// No future has run under it yet.
    NotStarted,
    /// The deadline ended its future.
    Expired,
    /// Its future is over (finished, or dropped).
    Finished,
}

impl fmt::Display for RescheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RescheduleError::NotStarted => "the timeout has not been entered",
            RescheduleError::Expired => "the timeout has expired",
            RescheduleError::Finished => "the timeout has finished",
        })
    }
}

impl Error for RescheduleError {}
