//! The queues: `Queue` (FIFO), `LifoQueue` and `PriorityQueue`, one
//! machinery over three containers.
//
// asyncio's rules, to the letter. An item moves only when a task runs: a
// put or get that finds the queue full or empty waits at the back of its
// line; the get or put that makes room or brings an item wakes the first
// waiter of the other line, which tries again when it runs. A woken waiter
// that finds the room or the item gone (a `try_` call took it in between)
// waits again, at the back, as asyncio's does; a woken waiter that is
// dropped before it ran passes its wake-up on if what it was woken for is
// still there. So a put that is cancelled puts nothing, and a get that is
// cancelled takes nothing.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::waiters::WaitList;
use crate::task::panic_later::PanicLater;

mod store {
    /// A queue's container: where items wait, and which comes out first.
    /// Sealed: implemented for the three containers of the crate's queues.
    pub trait Store<T>: Default {
        fn push(&mut self, item: T);
        fn pop(&mut self) -> Option<T>;
        fn len(&self) -> usize;
    }
}

use store::Store;

impl<T> Store<T> for VecDeque<T> {
    #[inline]
    fn push(&mut self, item: T) {
        self.push_back(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.pop_front()
    }
    #[inline]
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

impl<T> Store<T> for Vec<T> {
    #[inline]
    fn push(&mut self, item: T) {
        Vec::push(self, item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        Vec::pop(self)
    }
    #[inline]
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// Smallest first, as asyncio's `heapq`.
impl<T: Ord> Store<T> for BinaryHeap<Reverse<T>> {
    #[inline]
    fn push(&mut self, item: T) {
        BinaryHeap::push(self, Reverse(item));
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        BinaryHeap::pop(self).map(|Reverse(item)| item)
    }
    #[inline]
    fn len(&self) -> usize {
        BinaryHeap::len(self)
    }
}

/// The machinery of the three queues, over their container `S`.
struct Core<T, S> {
    state: RefCell<State<T, S>>,
}

struct State<T, S> {
    items: S,
    item: PhantomData<fn(T) -> T>,
    /// `usize::MAX`: unbounded.
    capacity: usize,
    putters: WaitList,
    getters: WaitList,
    /// Items put and not yet marked done.
    unfinished: usize,
    joiners: WaitList,
    closed: bool,
}

impl<T, S: Store<T>> Core<T, S> {
    fn new(capacity: usize) -> Core<T, S> {
        Core {
            state: RefCell::new(State {
                items: S::default(),
                item: PhantomData,
                capacity,
                putters: WaitList::new(),
                getters: WaitList::new(),
                unfinished: 0,
                joiners: WaitList::new(),
                closed: false,
            }),
        }
    }

    fn bounded(capacity: usize) -> Core<T, S> {
        assert!(
            capacity > 0,
            "poll-loop: a bounded queue needs room for an item"
        );
        Core::new(capacity)
    }

    fn len(&self) -> usize {
        self.state.borrow().items.len()
    }

    fn is_full(&self) -> bool {
        self.state.borrow().is_full()
    }

    fn capacity(&self) -> Option<usize> {
        let capacity = self.state.borrow().capacity;
        (capacity != usize::MAX).then_some(capacity)
    }

    fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut state = self.state.borrow_mut();
        if state.closed {
            return Err(TryPutError::Closed(item));
        }
        if state.is_full() {
            return Err(TryPutError::Full(item));
        }
        state.items.push(item);
        state.unfinished += 1;
        let waker = state.getters.notify_front();
        drop(state);
        wake(waker);
        Ok(())
    }

    fn try_get(&self) -> Result<T, TryGetError> {
        let mut state = self.state.borrow_mut();
        let Some(item) = state.items.pop() else {
            return Err(if state.closed {
                TryGetError::Closed
            } else {
                TryGetError::Empty
            });
        };
        let waker = state.putters.notify_front();
        drop(state);
        wake(waker);
        Ok(item)
    }

    fn task_done(&self) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            assert!(
                state.unfinished > 0,
                "poll-loop: Queue::task_done called more times than items were put"
            );
            state.unfinished -= 1;
            if state.unfinished > 0 {
                return;
            }
            notify_all(&mut state.joiners)
        };
        let mut panic = PanicLater::default();
        wakers.into_iter().for_each(|waker| panic.wake(waker));
        panic.finish();
    }

    fn shutdown(&self, immediate: bool) {
        let mut panic = PanicLater::default();
        let (dropped, joiners, getters, putters) = {
            let mut state = self.state.borrow_mut();
            if state.closed && !immediate {
                return;
            }
            state.closed = true;
            let mut dropped = S::default();
            let mut joiners = Vec::new();
            if immediate {
                // What is queued goes, and counts as done (asyncio takes
                // one unfinished task off for each).
                dropped = std::mem::take(&mut state.items);
                state.unfinished = state.unfinished.saturating_sub(dropped.len());
                if state.unfinished == 0 {
                    joiners = notify_all(&mut state.joiners);
                }
            }
            // Every waiting get and put tries again, and fails (a get
            // takes what is left first, after a plain shutdown).
            let getters = notify_all(&mut state.getters);
            let putters = notify_all(&mut state.putters);
            (dropped, joiners, getters, putters)
        };
        tracing::debug!(immediate, dropped = dropped.len(), "queue shut down");
        // Outside the borrow: an item's `Drop` and a waker may use the queue.
        panic.run(|| drop(dropped));
        for waker in joiners.into_iter().chain(getters).chain(putters) {
            panic.wake(waker);
        }
        panic.finish();
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(state) = self.state.try_borrow() else {
            return write!(f, "{name} {{ <busy> }}");
        };
        f.debug_struct(name)
            .field("len", &state.items.len())
            .field(
                "capacity",
                &(state.capacity != usize::MAX).then_some(state.capacity),
            )
            .field("closed", &state.closed)
            .field("unfinished", &state.unfinished)
            .finish_non_exhaustive()
    }
}

impl<T, S: Store<T>> State<T, S> {
    fn is_full(&self) -> bool {
        self.items.len() >= self.capacity
    }
}

/// Wakes a waker taken out of a list, if the waiter had one.
fn wake(notified: Option<(usize, Option<Waker>)>) {
    if let Some((_, Some(waker))) = notified {
        waker.wake();
    }
}

/// Marks every waiter notified; returns the wakers, to wake outside the
/// borrow.
fn notify_all(list: &mut WaitList) -> Vec<Waker> {
    let mut wakers = Vec::with_capacity(list.len());
    while let Some((_, waker)) = list.notify_front() {
        wakers.extend(waker);
    }
    wakers
}

/// A doc example for one of the three queues, named `Q` in `body`.
macro_rules! example {
    ($queue:ident, $body:literal) => {
        concat!(
            "# Examples\n\n```\nuse poll_loop::",
            stringify!($queue),
            " as Q;\n",
            $body,
            "\n```"
        )
    };
}

/// The methods the three queues share, each documented once (its examples
/// name the queue at hand).
macro_rules! queue_methods {
    ($queue:ident, $store:ty) => {
        /// An unbounded queue: [`put`](Self::put) never waits.
        ///
        #[doc = example!($queue, "let queue = Q::<u32>::new();
assert_eq!(queue.capacity(), None);
for n in 0..1000 {
    queue.try_put(n).unwrap(); // never full
}")]
        pub fn new() -> Self {
            Self {
                core: Core::new(usize::MAX),
            }
        }

        /// A queue that holds at most `capacity` items.
        ///
        /// # Panics
        ///
        /// If `capacity` is zero.
        ///
        #[doc = example!($queue, "let queue = Q::bounded(1);
assert_eq!(queue.capacity(), Some(1));
queue.try_put(1).unwrap();
assert!(queue.is_full());
assert!(queue.try_put(2).is_err());")]
        pub fn bounded(capacity: usize) -> Self {
            Self {
                core: Core::bounded(capacity),
            }
        }

        /// Items in the queue: asyncio's `qsize()`.
        ///
        #[doc = example!($queue, "let queue = Q::bounded(2);
assert!(queue.is_empty());
queue.try_put(1).unwrap();
assert_eq!(queue.len(), 1);
assert!(!queue.is_full());
queue.try_put(2).unwrap();
assert_eq!(queue.len(), 2);
assert!(queue.is_full());")]
        pub fn len(&self) -> usize {
            self.core.len()
        }

        /// True when no item is queued: asyncio's `empty()` (see
        /// [`len`](Self::len)'s example).
        pub fn is_empty(&self) -> bool {
            self.core.len() == 0
        }

        /// True when a bounded queue holds `capacity` items: asyncio's
        /// `full()` (see [`len`](Self::len)'s example).
        pub fn is_full(&self) -> bool {
            self.core.is_full()
        }

        /// The bound (asyncio's `maxsize`); `None` if unbounded (see
        /// [`new`](Self::new) and [`bounded`](Self::bounded)).
        pub fn capacity(&self) -> Option<usize> {
            self.core.capacity()
        }

        /// True once [`shutdown`](Self::shutdown) (or
        /// [`close`](Self::close)) was called (see `shutdown`'s example).
        pub fn is_closed(&self) -> bool {
            self.core.is_closed()
        }

        /// Waits for room, then puts `item` in: asyncio's `put`.
        ///
        /// The future's output is an error, holding `item`, if the queue is
        /// shut down before the item went in. Dropping the future before it
        /// is ready puts nothing (the item is dropped with it).
        ///
        #[doc = example!($queue, "use std::rc::Rc;
use poll_loop::{EventLoop, yield_now};

let lp = EventLoop::new();
let queue = Rc::new(Q::bounded(1));
let producer = queue.clone();
let put = lp.spawn(async move {
    producer.put(1).await.unwrap();
    producer.put(2).await.unwrap(); // waits for room
});
let got = lp.block_on(async move {
    yield_now().await; // the second put waits
    let first = queue.get().await.unwrap();
    let second = queue.get().await.unwrap();
    (first, second)
})?;
assert_eq!(got, (1, 2));
assert!(put.done());
# Ok::<(), poll_loop::BlockOnError>(())")]
        pub fn put(&self, item: T) -> Put<'_, T, $store> {
            Put {
                core: &self.core,
                item: Some(item),
                key: None,
            }
        }

        /// Puts `item` in if there is room now: asyncio's `put_nowait`.
        ///
        /// # Errors
        ///
        /// [`TryPutError`], holding `item`, if the queue is full or shut
        /// down.
        ///
        #[doc = example!($queue, "use poll_loop::TryPutError;

let queue = Q::bounded(1);
queue.try_put(1).unwrap();
assert!(matches!(queue.try_put(2), Err(TryPutError::Full(2))));
queue.shutdown(false);
assert_eq!(queue.try_put(3).unwrap_err().into_inner(), 3);")]
        pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
            self.core.try_put(item)
        }

        /// Waits for an item and takes it: asyncio's `get`.
        ///
        /// The future's output is [`GetError`] if the queue is shut down and
        /// empty. Dropping the future before it is ready takes nothing.
        ///
        #[doc = example!($queue, "use std::rc::Rc;
use poll_loop::EventLoop;

let lp = EventLoop::new();
let queue = Rc::new(Q::new());
let consumer = queue.clone();
let got = lp.spawn(async move { consumer.get().await }); // waits
lp.block_on(async move { queue.put(7).await.unwrap() })?;
assert_eq!(lp.block_on(got)?.unwrap(), Ok(7));
# Ok::<(), poll_loop::BlockOnError>(())")]
        pub fn get(&self) -> Get<'_, T, $store> {
            Get {
                core: &self.core,
                key: None,
            }
        }

        /// Takes an item if there is one: asyncio's `get_nowait`.
        ///
        /// # Errors
        ///
        /// [`TryGetError::Empty`] if the queue is empty,
        /// [`TryGetError::Closed`] if it is also shut down.
        ///
        #[doc = example!($queue, "use poll_loop::TryGetError;

let queue = Q::new();
assert_eq!(queue.try_get(), Err(TryGetError::Empty));
queue.try_put(1).unwrap();
assert_eq!(queue.try_get(), Ok(1));")]
        pub fn try_get(&self) -> Result<T, TryGetError> {
            self.core.try_get()
        }

        /// Marks an item taken out as done: when every item put has been
        /// marked so, [`join`](Self::join) returns.
        ///
        /// # Panics
        ///
        /// If called more times than items were put (asyncio's
        /// `ValueError`).
        ///
        #[doc = example!($queue, "use std::rc::Rc;
use poll_loop::EventLoop;

let lp = EventLoop::new();
let queue = Rc::new(Q::new());
for n in 0..3 {
    queue.try_put(n).unwrap();
}
let worker = queue.clone();
lp.spawn(async move {
    while let Ok(_item) = worker.get().await {
        worker.task_done(); // the item is dealt with
    }
});
lp.block_on(queue.join())?; // all three were marked done
assert!(queue.is_empty());
# Ok::<(), poll_loop::BlockOnError>(())")]
        pub fn task_done(&self) {
            self.core.task_done();
        }

        /// Waits until every item put has been marked done with
        /// [`task_done`](Self::task_done); ready at once if none is pending
        /// (see `task_done`'s example).
        pub fn join(&self) -> QueueJoin<'_, T, $store> {
            QueueJoin {
                core: &self.core,
                key: None,
            }
        }

        /// Shuts the queue down: asyncio's `shutdown(immediate)`.
        ///
        /// Later puts fail (handing their item back), and every waiting put
        /// is woken to fail. Gets take what is left, then fail; with
        /// `immediate`, what is left is dropped at once (each item counting
        /// as done for [`join`](Self::join), as in asyncio), so every get
        /// fails. Every waiting get is woken. Shutting down again does
        /// nothing, except that an `immediate` one still drops what is left.
        ///
        /// A waker (or an item's `Drop`) that panics does not stop it: every
        /// waiter is woken, then the first panic is passed on.
        ///
        #[doc = example!($queue, "use poll_loop::TryGetError;

let queue = Q::new();
queue.try_put(1).unwrap();
queue.try_put(2).unwrap();
queue.shutdown(false);
assert!(queue.is_closed());
assert!(queue.try_put(3).is_err());
assert!(queue.try_get().is_ok()); // what is left can be taken
queue.shutdown(true); // the rest is dropped
assert_eq!(queue.try_get(), Err(TryGetError::Closed));")]
        pub fn shutdown(&self, immediate: bool) {
            self.core.shutdown(immediate);
        }

        /// [`shutdown(false)`](Self::shutdown): puts fail, gets drain what
        /// is left and then fail. The name this crate had for it before
        /// asyncio 3.13 named it `shutdown`; kept, since Rust's channels
        /// call it `close`.
        ///
        #[doc = example!($queue, "let queue = Q::<u32>::new();
queue.close();
assert!(queue.is_closed());
assert!(queue.try_put(1).is_err());")]
        pub fn close(&self) {
            self.core.shutdown(false);
        }
    };
}

/// A first-in, first-out queue for tasks on one loop: asyncio's `Queue`,
/// with its [`shutdown`](Queue::shutdown).
///
/// [`put`](Queue::put) waits while a bounded queue is full and
/// [`get`](Queue::get) while it is empty. [`task_done`](Queue::task_done)
/// and [`join`](Queue::join) count the items taken out that are still being
/// worked on, as in asyncio. [`LifoQueue`] and [`PriorityQueue`] are the
/// same queue with another order.
///
/// After [`shutdown`](Queue::shutdown), puts fail (giving the item back),
/// gets drain what is left and then fail, and every waiting put and get is
/// woken to fail likewise.
///
/// # Who gets the room, who gets the item
///
/// asyncio's rules: waiting puts and gets each wait in line, in the order
/// they came. A get that makes room wakes the first waiting put, and a put
/// that brings an item wakes the first waiting get; the woken one takes the
/// room or the item *when it runs*. Until then nothing is reserved for it:
/// a [`try_put`](Queue::try_put) or [`try_get`](Queue::try_get) in between
/// may take it (asyncio's `put_nowait` and `get_nowait` do too), and the
/// woken one, finding the queue full or empty again, waits again at the
/// back of the line.
///
/// Cancelling is clean: a put or get dropped before it is ready puts or
/// takes nothing (a put's item is dropped with it). One dropped after it
/// was woken, before it ran, passes the wake-up on to the next in line if
/// the room or the item is still there. Items leave in the queue's order,
/// none is lost or delivered twice.
///
/// Single-threaded: for tasks on one loop (it is not `Send`); share it with
/// `Rc`. From other threads, use [`LoopHandle::channel`](crate::LoopHandle::channel).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use poll_loop::{EventLoop, Queue};
///
/// let lp = EventLoop::new();
/// let queue = Rc::new(Queue::bounded(2));
/// let producer = queue.clone();
/// lp.spawn(async move {
///     for n in 0..5 {
///         producer.put(n).await.unwrap(); // waits while two are queued
///     }
///     producer.shutdown(false);
/// });
/// let got = lp.block_on(async move {
///     let mut got = Vec::new();
///     while let Ok(n) = queue.get().await {
///         got.push(n);
///     }
///     got
/// })?;
/// assert_eq!(got, [0, 1, 2, 3, 4]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
///
/// An immediate shutdown drops what is queued, and the items count as done:
///
/// ```
/// use poll_loop::{EventLoop, Queue, TryGetError};
///
/// let lp = EventLoop::new();
/// let queue = Queue::new();
/// queue.try_put("a").unwrap();
/// queue.try_put("b").unwrap();
/// queue.shutdown(true);
/// assert_eq!(queue.try_get(), Err(TryGetError::Closed));
/// assert!(queue.try_put("c").is_err());
/// lp.block_on(queue.join())?; // nothing left to wait for
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct Queue<T> {
    core: Core<T, VecDeque<T>>,
}

impl<T> Queue<T> {
    queue_methods!(Queue, VecDeque<T>);
}

/// A last-in, first-out queue (a stack) for tasks on one loop: asyncio's
/// `LifoQueue`. [`get`](LifoQueue::get) takes the item put last; everything
/// else is [`Queue`]'s, rules included.
///
/// # Examples
///
/// ```
/// use poll_loop::{EventLoop, LifoQueue};
///
/// let lp = EventLoop::new();
/// let stack = LifoQueue::new();
/// let got = lp.block_on(async {
///     for n in [1, 3, 2] {
///         stack.put(n).await.unwrap();
///     }
///     let mut got = Vec::new();
///     for _ in 0..3 {
///         got.push(stack.get().await.unwrap());
///     }
///     got
/// })?;
/// assert_eq!(got, [2, 3, 1]);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct LifoQueue<T> {
    core: Core<T, Vec<T>>,
}

impl<T> LifoQueue<T> {
    queue_methods!(LifoQueue, Vec<T>);
}

/// A queue that gives the smallest item first, for tasks on one loop:
/// asyncio's `PriorityQueue` (a binary heap; equal items come out in no
/// set order). Put `(priority, item)` tuples to order by a priority, or
/// [`Reverse`](std::cmp::Reverse) for the largest first. Everything else
/// is [`Queue`]'s, rules included.
///
/// # Examples
///
/// ```
/// use poll_loop::{EventLoop, PriorityQueue};
///
/// let lp = EventLoop::new();
/// let jobs = PriorityQueue::new();
/// jobs.try_put((2, "later")).unwrap();
/// jobs.try_put((1, "first")).unwrap();
/// jobs.try_put((3, "last")).unwrap();
/// let first = lp.block_on(jobs.get())?.unwrap();
/// assert_eq!(first, (1, "first"));
/// assert_eq!(jobs.try_get(), Ok((2, "later")));
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct PriorityQueue<T> {
    core: Core<T, BinaryHeap<Reverse<T>>>,
}

impl<T: Ord> PriorityQueue<T> {
    queue_methods!(PriorityQueue, BinaryHeap<Reverse<T>>);
}

macro_rules! queue_traits {
    ($queue:ident, $name:literal, [$($bound:tt)*]) => {
        impl<T $($bound)*> Default for $queue<T> {
            fn default() -> Self {
                $queue::new()
            }
        }

        impl<T $($bound)*> fmt::Debug for $queue<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.core.debug($name, f)
            }
        }
    };
}

queue_traits!(Queue, "Queue", []);
queue_traits!(LifoQueue, "LifoQueue", []);
queue_traits!(PriorityQueue, "PriorityQueue", [: Ord]);

/// The future of [`Queue::put`] (and of the other queues' `put`).
///
/// Dropping it before it is ready puts nothing: its item is dropped with
/// it (and if it had been woken for a free place, the next put is woken).
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T, S: Store<T> = VecDeque<T>> {
    core: &'a Core<T, S>,
    item: Option<T>,
    key: Option<usize>,
}

impl<T, S: Store<T>> Future for Put<'_, T, S> {
    type Output = Result<(), PutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let core = this.core;
            if let Some(key) = this.key {
                if still_waiting(&core.state, |s| &mut s.putters, key, cx) {
                    return Poll::Pending;
                }
                this.key = None;
            }
            let Some(item) = this.item.take() else {
                return Poll::Pending; // polled after it finished
            };
            match core.try_put(item) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TryPutError::Closed(item)) => Poll::Ready(Err(PutError(item))),
                Err(TryPutError::Full(item)) => {
                    this.item = Some(item);
                    let mut state = core.state.borrow_mut();
                    this.key = Some(state.putters.push_back(cx.waker().clone()));
                    Poll::Pending
                }
            }
        })
    }
}

/// Whether the waiter at `key` in the list `line` picks out is still
/// waiting (its waker refreshed); if it was woken, its place is freed.
fn still_waiting<T, S>(
    state: &RefCell<State<T, S>>,
    line: impl Fn(&mut State<T, S>) -> &mut WaitList,
    key: usize,
    cx: &Context<'_>,
) -> bool {
    let mut state = state.borrow_mut();
    let list = line(&mut state);
    if list.is_waiting(key) {
        let old = list.update_waker(key, cx.waker());
        drop(state);
        drop(old);
        return true;
    }
    let (_, waker) = list.remove(key);
    drop(state);
    drop(waker);
    false
}

// The item is only ever moved, never pinned.
impl<T, S: Store<T>> Unpin for Put<'_, T, S> {}

impl<T, S: Store<T>> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut state = self.core.state.borrow_mut();
        let (waiting, old) = state.putters.remove(key);
        // Woken for a place it will not take: the next put may.
        let next = if !waiting && !state.closed && !state.is_full() {
            state.putters.notify_front()
        } else {
            None
        };
        drop(state);
        // Outside the borrow: their `Drop` may use the queue (the item goes
        // last, with the future's fields).
        drop(old);
        wake(next);
    }
}

impl<T, S: Store<T>> fmt::Debug for Put<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Queue::get`] (and of the other queues' `get`).
///
/// Dropping it before it is ready takes nothing; if it had been woken for
/// an item that is still there, the next get is woken instead.
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, S: Store<T> = VecDeque<T>> {
    core: &'a Core<T, S>,
    key: Option<usize>,
}

impl<T, S: Store<T>> Future for Get<'_, T, S> {
    type Output = Result<T, GetError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let core = this.core;
            if let Some(key) = this.key {
                if still_waiting(&core.state, |s| &mut s.getters, key, cx) {
                    return Poll::Pending;
                }
                this.key = None;
            }
            match core.try_get() {
                Ok(item) => Poll::Ready(Ok(item)),
                Err(TryGetError::Closed) => Poll::Ready(Err(GetError(()))),
                Err(TryGetError::Empty) => {
                    let mut state = core.state.borrow_mut();
                    this.key = Some(state.getters.push_back(cx.waker().clone()));
                    Poll::Pending
                }
            }
        })
    }
}

impl<T, S: Store<T>> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut state = self.core.state.borrow_mut();
        let (waiting, old) = state.getters.remove(key);
        // Woken for an item it will not take: the next get may.
        let next = if !waiting && state.items.len() != 0 {
            state.getters.notify_front()
        } else {
            None
        };
        drop(state);
        drop(old);
        wake(next);
    }
}

impl<T, S: Store<T>> fmt::Debug for Get<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Queue::join`] (and of the other queues' `join`).
#[must_use = "futures do nothing unless awaited"]
pub struct QueueJoin<'a, T, S: Store<T> = VecDeque<T>> {
    core: &'a Core<T, S>,
    key: Option<usize>,
}

impl<T, S: Store<T>> Future for QueueJoin<'_, T, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            match this.key {
                None => {
                    let mut state = this.core.state.borrow_mut();
                    if state.unfinished == 0 {
                        return Poll::Ready(());
                    }
                    this.key = Some(state.joiners.push_back(cx.waker().clone()));
                    Poll::Pending
                }
                Some(key) => {
                    if still_waiting(&this.core.state, |s| &mut s.joiners, key, cx) {
                        return Poll::Pending;
                    }
                    this.key = None;
                    Poll::Ready(())
                }
            }
        })
    }
}

impl<T, S: Store<T>> Drop for QueueJoin<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let (_, waker) = self.core.state.borrow_mut().joiners.remove(key);
            drop(waker);
        }
    }
}

impl<T, S: Store<T>> fmt::Debug for QueueJoin<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueJoin")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// [`Queue::put`] found the queue shut down (asyncio's `QueueShutDown`);
/// the item is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PutError<T>(T);

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl<T> Error for PutError<T> {}

/// Why [`Queue::try_put`] did not put its item, which it hands back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue is at its bound.
    Full(T),
    /// The queue is shut down (asyncio's `QueueShutDown`).
    Closed(T),
}

impl<T> TryPutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::Closed(item) => item,
        }
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("the queue is full"),
            TryPutError::Closed(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

impl<T> From<PutError<T>> for TryPutError<T> {
    fn from(error: PutError<T>) -> Self {
        TryPutError::Closed(error.0)
    }
}

/// [`Queue::get`] found the queue shut down and empty (asyncio's
/// `QueueShutDown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GetError(());

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down and empty")
    }
}

impl Error for GetError {}

/// Why [`Queue::try_get`] got nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryGetError {
    /// No item is queued.
    Empty,
    /// No item is queued, and the queue is shut down: none will be
    /// (asyncio's `QueueShutDown`).
    Closed,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::Closed => f.write_str("the queue is shut down and empty"),
        }
    }
}

impl Error for TryGetError {}

impl From<GetError> for TryGetError {
    fn from(_: GetError) -> Self {
        TryGetError::Closed
    }
}
