//! `Barrier`: tasks wait until a set number of them has arrived.
//
// asyncio's state machine, without its lock (one thread: every step below
// runs without a suspension in between). Filling: arrivals count up and
// wait. The last arrival makes it draining and wakes everybody; each woken
// task leaves (counting down) when it runs, and the last one to leave makes
// it filling again, waking those that arrived meanwhile and were held back.
// `reset` makes a barrier with waiters resetting (they fail as they leave,
// then it is filling again); `abort` breaks it for good. As in asyncio, a
// woken task re-checks the state when it runs, and every state change wakes
// every waiter (each waits again if its turn has not come).

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::waiters::WaitList;
use crate::task::panic_later::wake_all;

/// A meeting point for a set number of tasks: asyncio's `Barrier`.
///
/// Each task calls [`wait`](Barrier::wait); the first `parties - 1` wait,
/// and the last to arrive lets them all through. The barrier can then be
/// used again: tasks arriving while the others are still leaving wait for
/// the next round. Each wait's output is its arrival index, `0` for the
/// first to arrive and `parties - 1` for the one that let them through.
///
/// [`reset`](Barrier::reset) fails the current round's waiters with
/// [`BrokenBarrierError`] and starts a new round; [`abort`](Barrier::abort)
/// breaks the barrier: every wait fails, now and later.
///
/// A wait that is dropped (cancelled) while it waits leaves the round: it
/// no longer counts as arrived.
///
/// Single-threaded: for tasks on one loop; share it with `Rc`.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use poll_loop::{Barrier, EventLoop};
///
/// let lp = EventLoop::new();
/// let barrier = Rc::new(Barrier::new(3));
/// let log = Rc::new(RefCell::new(Vec::new()));
/// for name in ["a", "b", "c"] {
///     let (barrier, log) = (barrier.clone(), log.clone());
///     lp.spawn(async move {
///         log.borrow_mut().push(format!("{name} arrives"));
///         let index = barrier.wait().await.unwrap();
///         log.borrow_mut().push(format!("{name} leaves ({index})"));
///     });
/// }
/// lp.run_until_idle()?;
/// assert_eq!(
///     *log.borrow(),
///     ["a arrives", "b arrives", "c arrives", "c leaves (2)", "a leaves (0)", "b leaves (1)"]
/// );
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Barrier {
    parties: usize,
    state: Cell<BarrierState>,
    /// Tasks in the barrier: arrived and not yet left.
    count: Cell<usize>,
    waiters: RefCell<WaitList>,
}

/// Where a [`Barrier`] is in its round, as asyncio names it (its `repr`);
/// [`Barrier::state`] has an example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BarrierState {
    /// Tasks arrive and wait.
    Filling,
    /// The last one arrived; the others are leaving. Newcomers wait for
    /// the next round.
    Draining,
    /// [`reset`](Barrier::reset): the waiters are leaving with an error.
    /// Newcomers wait for the next round.
    Resetting,
    /// [`abort`](Barrier::abort)ed: every wait fails.
    Broken,
}

impl Barrier {
    /// A barrier that lets tasks through `parties` at a time.
    ///
    /// # Panics
    ///
    /// If `parties` is zero (asyncio's `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::{Barrier, BarrierState};
    ///
    /// let barrier = Barrier::new(3);
    /// assert_eq!(barrier.parties(), 3);
    /// assert_eq!(barrier.n_waiting(), 0);
    /// assert_eq!(barrier.state(), BarrierState::Filling);
    /// assert!(!barrier.is_broken());
    /// ```
    pub const fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "poll-loop: a barrier needs at least one party");
        Barrier {
            parties,
            state: Cell::new(BarrierState::Filling),
            count: Cell::new(0),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// How many tasks each round lets through (see [`new`](Barrier::new)).
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many tasks wait for the round to fill: asyncio's `n_waiting`
    /// (zero while the barrier drains, resets or is broken).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Barrier, EventLoop, yield_now};
    ///
    /// let lp = EventLoop::new();
    /// let barrier = Rc::new(Barrier::new(3));
    /// for _ in 0..2 {
    ///     let barrier = barrier.clone();
    ///     lp.spawn(async move { barrier.wait().await });
    /// }
    /// let waiting = lp.block_on(async {
    ///     yield_now().await; // the two wait
    ///     let waiting = barrier.n_waiting();
    ///     barrier.wait().await.unwrap(); // the third lets them through
    ///     waiting
    /// })?;
    /// assert_eq!(waiting, 2);
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn n_waiting(&self) -> usize {
        match self.state.get() {
            BarrierState::Filling => self.count.get(),
            _ => 0,
        }
    }

    /// True once [`abort`](Barrier::abort)ed: asyncio's `broken` (see
    /// `abort`'s example).
    pub fn is_broken(&self) -> bool {
        self.state.get() == BarrierState::Broken
    }

    /// Where the barrier is in its round (asyncio shows it in its `repr`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Barrier, BarrierState, EventLoop, yield_now};
    ///
    /// let lp = EventLoop::new();
    /// let barrier = Rc::new(Barrier::new(2));
    /// let b = barrier.clone();
    /// lp.spawn(async move { b.wait().await });
    /// let seen = lp.block_on(async move {
    ///     yield_now().await; // the other waits
    ///     barrier.wait().await.unwrap(); // the last: lets it through
    ///     let draining = barrier.state(); // it has not left yet
    ///     yield_now().await; // it leaves: the round is over
    ///     (draining, barrier.state())
    /// })?;
    /// assert_eq!(seen, (BarrierState::Draining, BarrierState::Filling));
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn state(&self) -> BarrierState {
        self.state.get()
    }

    /// Arrives and waits for the round to fill; the output is this task's
    /// arrival index in the round (`parties - 1`: it was the last, and let
    /// the others through).
    ///
    /// While a round drains or resets, newcomers wait for it to end first.
    /// The output is [`BrokenBarrierError`] if the barrier is reset while
    /// this task waits in the round, or is or becomes broken.
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::{Barrier, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let barrier = Barrier::new(1); // a round of one: never waits
    /// let indexes = lp.block_on(async {
    ///     [barrier.wait().await.unwrap(), barrier.wait().await.unwrap()]
    /// })?;
    /// assert_eq!(indexes, [0, 0]);
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            step: Step::Arrive,
        }
    }

    /// Starts a new round: the tasks waiting in this one fail with
    /// [`BrokenBarrierError`] (the barrier is resetting until they have
    /// left), and a broken barrier is mended. asyncio's `reset()`, which
    /// needs no `await` here.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use poll_loop::{Barrier, EventLoop, yield_now};
    ///
    /// let lp = EventLoop::new();
    /// let barrier = Rc::new(Barrier::new(2));
    /// let waiter = barrier.clone();
    /// let waiting = lp.spawn(async move { waiter.wait().await });
    /// let result = lp.block_on(async move {
    ///     yield_now().await; // it waits
    ///     barrier.reset();
    ///     waiting.await
    /// })?;
    /// assert!(result.unwrap().is_err());
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn reset(&self) {
        let state = if self.count.get() > 0 {
            BarrierState::Resetting
        } else {
            BarrierState::Filling
        };
        tracing::debug!(?state, "barrier reset");
        self.state.set(state);
        self.notify_all();
    }

    /// Breaks the barrier: every wait fails with [`BrokenBarrierError`],
    /// now and later, until a [`reset`](Barrier::reset). asyncio's
    /// `abort()`, which needs no `await` here.
    ///
    /// # Examples
    ///
    /// ```
    /// use poll_loop::{Barrier, EventLoop};
    ///
    /// let lp = EventLoop::new();
    /// let barrier = Barrier::new(2);
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// assert!(lp.block_on(barrier.wait())?.is_err());
    /// # Ok::<(), poll_loop::BlockOnError>(())
    /// ```
    pub fn abort(&self) {
        tracing::debug!("barrier aborted");
        self.state.set(BarrierState::Broken);
        self.notify_all();
    }

    /// A task leaves the barrier; the last one out ends the round.
    fn leave(&self) {
        let mut wakers = Vec::new();
        self.leave_then(&mut wakers);
        wake_all(wakers);
    }

    /// [`leave`](Barrier::leave), adding the wakers to wake to `wakers`.
    fn leave_then(&self, wakers: &mut Vec<Waker>) {
        let count = self.count.get() - 1;
        self.count.set(count);
        if count == 0 {
            if matches!(
                self.state.get(),
                BarrierState::Draining | BarrierState::Resetting
            ) {
                self.state.set(BarrierState::Filling);
            }
            self.take_waiters(wakers);
        }
    }

    fn notify_all(&self) {
        let mut wakers = Vec::new();
        self.take_waiters(&mut wakers);
        wake_all(wakers);
    }

    /// Marks every waiter woken; their wakers go to `wakers`, to be woken
    /// once the state is settled (a waker may panic, or run anything).
    fn take_waiters(&self, wakers: &mut Vec<Waker>) {
        let mut waiters = self.waiters.borrow_mut();
        wakers.reserve(waiters.len());
        while let Some((_, waker)) = waiters.notify_front() {
            wakers.extend(waker);
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("state", &self.state.get())
            .field("waiting", &self.n_waiting())
            .field("parties", &self.parties)
            .finish()
    }
}

/// The future of [`Barrier::wait`] (see its example).
///
/// Dropping it while it waits in a round takes it out of the round.
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    step: Step,
}

#[derive(Clone, Copy)]
enum Step {
    /// Not in the barrier yet (maybe waiting for a round to end, at `key`).
    Arrive,
    Blocked(usize),
    /// In the round with this index, maybe waiting at `key`.
    InRound {
        index: usize,
        key: Option<usize>,
    },
    Done,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let barrier = this.barrier;
            loop {
                match this.step {
                    Step::Arrive => match barrier.state.get() {
                        BarrierState::Draining | BarrierState::Resetting => {
                            let key = barrier.waiters.borrow_mut().push_back(cx.waker().clone());
                            this.step = Step::Blocked(key);
                            return Poll::Pending;
                        }
                        BarrierState::Broken => {
                            this.step = Step::Done;
                            return Poll::Ready(Err(BrokenBarrierError(())));
                        }
                        BarrierState::Filling => {
                            let index = barrier.count.get();
                            barrier.count.set(index + 1);
                            if index + 1 < barrier.parties {
                                this.step = Step::InRound { index, key: None };
                                continue;
                            }
                            tracing::trace!(parties = barrier.parties, "barrier releases");
                            this.step = Step::Done;
                            barrier.state.set(BarrierState::Draining);
                            let mut wakers = Vec::new();
                            barrier.take_waiters(&mut wakers);
                            barrier.leave_then(&mut wakers);
                            // Woken once the round is settled: a waker that
                            // panics cannot leave it half done.
                            wake_all(wakers);
                            return Poll::Ready(Ok(index));
                        }
                    },
                    Step::Blocked(key) => {
                        if this.still_waiting(key, cx) {
                            return Poll::Pending;
                        }
                        this.step = Step::Arrive;
                    }
                    Step::InRound { index, key } => {
                        if let Some(key) = key {
                            if this.still_waiting(key, cx) {
                                return Poll::Pending;
                            }
                        }
                        let outcome = match barrier.state.get() {
                            BarrierState::Filling => {
                                let key =
                                    barrier.waiters.borrow_mut().push_back(cx.waker().clone());
                                this.step = Step::InRound {
                                    index,
                                    key: Some(key),
                                };
                                return Poll::Pending;
                            }
                            BarrierState::Draining => Ok(index),
                            BarrierState::Resetting | BarrierState::Broken => {
                                Err(BrokenBarrierError(()))
                            }
                        };
                        this.step = Step::Done;
                        barrier.leave();
                        return Poll::Ready(outcome);
                    }
                    Step::Done => return Poll::Pending, // polled after it finished
                }
            }
        })
    }
}

impl BarrierWait<'_> {
    /// Whether the waiter at `key` is still to be woken; if not, its place
    /// is freed.
    fn still_waiting(&mut self, key: usize, cx: &Context<'_>) -> bool {
        let mut waiters = self.barrier.waiters.borrow_mut();
        if waiters.is_waiting(key) {
            let old = waiters.update_waker(key, cx.waker());
            drop(waiters);
            drop(old);
            return true;
        }
        let (_, waker) = waiters.remove(key);
        drop(waiters);
        drop(waker);
        // Not waiting any more, wherever it is.
        if let Step::InRound { index, .. } = self.step {
            self.step = Step::InRound { index, key: None };
        }
        false
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let (key, in_round) = match std::mem::replace(&mut self.step, Step::Done) {
            Step::Blocked(key) => (Some(key), false),
            Step::InRound { key, .. } => (key, true),
            Step::Arrive | Step::Done => (None, false),
        };
        if let Some(key) = key {
            let (_, waker) = self.barrier.waiters.borrow_mut().remove(key);
            drop(waker);
        }
        if in_round {
            self.barrier.leave();
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("BarrierWait");
        if let Step::InRound { index, .. } = self.step {
            d.field("index", &index);
        }
        d.finish_non_exhaustive()
    }
}

/// A [`Barrier`] wait failed: the barrier was reset while the task waited
/// in its round, or is broken ([`Barrier::abort`]). asyncio's
/// `BrokenBarrierError`.
///
/// # Examples
///
/// ```
/// use poll_loop::{Barrier, EventLoop};
///
/// let lp = EventLoop::new();
/// let barrier = Barrier::new(2);
/// barrier.abort();
/// let error = lp.block_on(barrier.wait())?.unwrap_err();
/// assert_eq!(error.to_string(), "the barrier was reset or aborted");
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BrokenBarrierError(());

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier was reset or aborted")
    }
}

impl Error for BrokenBarrierError {}
