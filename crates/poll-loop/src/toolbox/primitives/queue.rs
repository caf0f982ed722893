//! `Queue`: a FIFO queue between tasks, bounded or not, that can be closed.
//
// No barging, and a woken waiter has always been served: a get from a full
// queue moves the first waiting putter's item in behind it (so the put is
// done when woken), and a put that finds getters waiting reserves its item
// for the first of them. Reserved items stay in the queue, and a woken
// getter takes the front one when it runs, so items leave in order even
// when several getters were woken at once. Nobody else can take a reserved
// item; a woken getter dropped before it ran hands its reservation on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::waiters::WaitList;
use crate::task::panic_later::wake_all;

/// A first-in, first-out queue for tasks on one loop: asyncio's `Queue`,
/// with a [`close`](Queue::close) (asyncio's `shutdown`).
///
/// [`put`](Queue::put) waits while a bounded queue is full and
/// [`get`](Queue::get) while it is empty; both serve their waiters in the
/// order they came. [`task_done`](Queue::task_done) and
/// [`join`](Queue::join) count the items taken out that are still being
/// worked on, as in asyncio.
///
/// After [`close`](Queue::close), puts fail (giving the item back), gets
/// drain what is left and then fail, and every waiting put and get is
/// woken to fail likewise.
///
/// Cancelling is clean: a put or get dropped while it waits leaves no
/// trace (a waiting put's item is dropped with it). Once a waiting put was
/// woken its item is in the queue, and a woken get that is dropped passes
/// its turn to the next getter: nothing is lost or delivered twice, and
/// items leave in the order they came.
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
///     producer.close();
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
pub struct Queue<T> {
    state: RefCell<State<T>>,
}

struct State<T> {
    items: VecDeque<T>,
    /// `usize::MAX`: unbounded.
    capacity: usize,
    /// Waiting puts, each with its item (taken when it goes in).
    putters: WaitList<Option<T>>,
    /// Waiting gets; the payload is true for one woken with an item
    /// reserved (false: woken by `close`).
    getters: WaitList<bool>,
    /// Items reserved for woken getters that have not run yet; always at
    /// most `items.len()`, and equal to it while getters wait.
    reserved: usize,
    /// Items put and not yet marked done.
    unfinished: usize,
    joiners: WaitList<()>,
    closed: bool,
}

impl<T> Queue<T> {
    /// An unbounded queue: [`put`](Queue::put) never waits.
    pub fn new() -> Queue<T> {
        Queue::with_capacity(usize::MAX)
    }

    /// A queue that holds at most `capacity` items.
    ///
    /// # Panics
    ///
    /// If `capacity` is zero.
    pub fn bounded(capacity: usize) -> Queue<T> {
        assert!(
            capacity > 0,
            "poll-loop: a bounded queue needs room for an item"
        );
        Queue::with_capacity(capacity)
    }

    fn with_capacity(capacity: usize) -> Queue<T> {
        Queue {
            state: RefCell::new(State {
                items: VecDeque::new(),
                capacity,
                putters: WaitList::new(),
                getters: WaitList::new(),
                reserved: 0,
                unfinished: 0,
                joiners: WaitList::new(),
                closed: false,
            }),
        }
    }

    /// Items in the queue.
    pub fn len(&self) -> usize {
        self.state.borrow().items.len()
    }

    /// True when no item is queued.
    pub fn is_empty(&self) -> bool {
        self.state.borrow().items.is_empty()
    }

    /// True when a bounded queue holds `capacity` items.
    pub fn is_full(&self) -> bool {
        let state = self.state.borrow();
        state.items.len() >= state.capacity
    }

    /// The bound; `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        let capacity = self.state.borrow().capacity;
        (capacity != usize::MAX).then_some(capacity)
    }

    /// True once [`close`](Queue::close)d.
    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    /// Waits for room, then puts `item` at the back.
    ///
    /// The future's output is an error, holding `item`, if the queue is
    /// closed before the item went in.
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put {
            queue: self,
            item: Some(item),
            key: None,
        }
    }

    /// Puts `item` at the back if there is room now.
    ///
    /// # Errors
    ///
    /// [`TryPutError`], holding `item`, if the queue is full or closed.
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut state = self.state.borrow_mut();
        if state.closed {
            return Err(TryPutError::Closed(item));
        }
        if state.items.len() >= state.capacity {
            return Err(TryPutError::Full(item));
        }
        state.items.push_back(item);
        state.unfinished += 1;
        let waker = state.reserve_for_a_getter();
        drop(state);
        wake(waker);
        Ok(())
    }

    /// Waits for an item and takes it from the front.
    ///
    /// The future's output is [`GetError`] if the queue is closed and
    /// empty.
    pub fn get(&self) -> Get<'_, T> {
        Get {
            queue: self,
            key: None,
        }
    }

    /// Takes the front item if there is one.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if the queue is empty,
    /// [`TryGetError::Closed`] if it is also closed.
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let mut state = self.state.borrow_mut();
        if state.items.len() == state.reserved {
            // Empty, or every item reserved for a woken getter.
            return Err(if state.closed {
                TryGetError::Closed
            } else {
                TryGetError::Empty
            });
        }
        let (item, waker) = state.take_front();
        drop(state);
        wake(waker);
        Ok(item)
    }

    /// Marks an item taken out as done: when every item put has been marked
    /// so, [`join`](Queue::join) returns.
    ///
    /// # Panics
    ///
    /// If called more times than items were put (asyncio's `ValueError`).
    pub fn task_done(&self) {
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
        wake_all(wakers);
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](Queue::task_done); ready at once if none is pending.
    pub fn join(&self) -> QueueJoin<'_, T> {
        QueueJoin {
            queue: self,
            key: None,
        }
    }

    /// Closes the queue: later puts fail, gets take what is left and then
    /// fail, and every waiting put and get is woken to fail. Closing
    /// twice does nothing.
    pub fn close(&self) {
        let (putters, getters) = {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return;
            }
            state.closed = true;
            // A waiting put keeps its item, to hand it back; a waiting get
            // is handed none.
            (
                notify_all(&mut state.putters),
                notify_all(&mut state.getters),
            )
        };
        wake_all(putters.into_iter().chain(getters));
    }
}

impl<T> State<T> {
    /// An item came in, or a reservation was given up: wakes the first
    /// waiting getter, if an item is free for it. Returns its waker.
    fn reserve_for_a_getter(&mut self) -> Option<Waker> {
        if self.items.len() <= self.reserved {
            return None;
        }
        let (key, waker) = self.getters.notify_front()?;
        *self.getters.payload_mut(key) = true;
        self.reserved += 1;
        waker
    }

    /// Takes the front item (there is one); the room it leaves goes to the
    /// first waiting put. Returns that put's waker.
    fn take_front(&mut self) -> (T, Option<Waker>) {
        let item = self.items.pop_front().expect("an item to take");
        let Some((key, waker)) = self.putters.notify_front() else {
            return (item, None);
        };
        if let Some(next) = self.putters.payload_mut(key).take() {
            self.items.push_back(next);
            self.unfinished += 1;
        }
        (item, waker)
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Marks every waiter notified; returns the wakers, to wake outside the
/// borrow.
fn notify_all<P>(list: &mut WaitList<P>) -> Vec<Waker> {
    let mut wakers = Vec::with_capacity(list.len());
    while let Some((_, waker)) = list.notify_front() {
        wakers.extend(waker);
    }
    wakers
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(state) = self.state.try_borrow() else {
            return f.write_str("Queue { <busy> }");
        };
        f.debug_struct("Queue")
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

/// The future of [`Queue::put`].
///
/// Dropping it while it waits takes the item back out of the queue's
/// reach (it is dropped); once woken, its item is in the queue.
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T> {
    queue: &'a Queue<T>,
    item: Option<T>,
    key: Option<usize>,
}

impl<T> Future for Put<'_, T> {
    type Output = Result<(), PutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let queue = this.queue;
            let Some(key) = this.key else {
                let Some(item) = this.item.take() else {
                    return Poll::Pending; // polled after it finished
                };
                return match queue.try_put(item) {
                    Ok(()) => Poll::Ready(Ok(())),
                    Err(TryPutError::Closed(item)) => Poll::Ready(Err(PutError(item))),
                    Err(TryPutError::Full(item)) => {
                        let mut state = queue.state.borrow_mut();
                        this.key = Some(state.putters.push_back(cx.waker().clone(), Some(item)));
                        Poll::Pending
                    }
                };
            };
            let mut state = queue.state.borrow_mut();
            if state.putters.is_waiting(key) {
                let old = state.putters.update_waker(key, cx.waker());
                drop(state);
                drop(old);
                return Poll::Pending;
            }
            this.key = None;
            let (_, item, waker) = state.putters.remove(key);
            drop(state);
            drop(waker);
            // The item is still here only if the queue was closed meanwhile.
            Poll::Ready(match item {
                None => Ok(()),
                Some(item) => Err(PutError(item)),
            })
        })
    }
}

// The item is only ever moved, never pinned.
impl<T> Unpin for Put<'_, T> {}

impl<T> Drop for Put<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let (_, item, waker) = self.queue.state.borrow_mut().putters.remove(key);
            // Outside the borrow: their `Drop` may use the queue.
            drop(item);
            drop(waker);
        }
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Queue::get`].
///
/// Dropping it while it waits leaves no trace; if it was woken with an
/// item reserved for it, the next getter is woken for that item instead.
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T> {
    queue: &'a Queue<T>,
    key: Option<usize>,
}

impl<T> Future for Get<'_, T> {
    type Output = Result<T, GetError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let queue = this.queue;
            let Some(key) = this.key else {
                return match queue.try_get() {
                    Ok(item) => Poll::Ready(Ok(item)),
                    Err(TryGetError::Closed) => Poll::Ready(Err(GetError(()))),
                    Err(TryGetError::Empty) => {
                        let mut state = queue.state.borrow_mut();
                        this.key = Some(state.getters.push_back(cx.waker().clone(), false));
                        Poll::Pending
                    }
                };
            };
            let mut state = queue.state.borrow_mut();
            if state.getters.is_waiting(key) {
                let old = state.getters.update_waker(key, cx.waker());
                drop(state);
                drop(old);
                return Poll::Pending;
            }
            this.key = None;
            let (_, reserved, old) = state.getters.remove(key);
            if !reserved {
                // Woken by `close`, with nothing left for it.
                drop(state);
                drop(old);
                return Poll::Ready(Err(GetError(())));
            }
            state.reserved -= 1;
            let (item, waker) = state.take_front();
            drop(state);
            drop(old);
            wake(waker);
            Poll::Ready(Ok(item))
        })
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut state = self.queue.state.borrow_mut();
            let (_, reserved, old) = state.getters.remove(key);
            let waker = if reserved {
                // Woken and gone: the item is for the next getter.
                state.reserved -= 1;
                state.reserve_for_a_getter()
            } else {
                None
            };
            drop(state);
            drop(old);
            wake(waker);
        }
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Queue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct QueueJoin<'a, T> {
    queue: &'a Queue<T>,
    key: Option<usize>,
}

impl<T> Future for QueueJoin<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let mut state = this.queue.state.borrow_mut();
            match this.key {
                None if state.unfinished == 0 => Poll::Ready(()),
                None => {
                    this.key = Some(state.joiners.push_back(cx.waker().clone(), ()));
                    Poll::Pending
                }
                Some(key) if state.joiners.is_waiting(key) => {
                    let old = state.joiners.update_waker(key, cx.waker());
                    drop(state);
                    drop(old);
                    Poll::Pending
                }
                Some(key) => {
                    let (_, (), waker) = state.joiners.remove(key);
                    drop(state);
                    drop(waker);
                    this.key = None;
                    Poll::Ready(())
                }
            }
        })
    }
}

impl<T> Drop for QueueJoin<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let (_, (), waker) = self.queue.state.borrow_mut().joiners.remove(key);
            drop(waker);
        }
    }
}

impl<T> fmt::Debug for QueueJoin<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueJoin")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// [`Queue::put`] found the queue closed; the item is handed back.
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
        f.write_str("the queue is closed")
    }
}

impl<T> Error for PutError<T> {}

/// Why [`Queue::try_put`] did not put its item, which it hands back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue is at its bound.
    Full(T),
    /// The queue is closed.
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
            TryPutError::Closed(_) => f.write_str("the queue is closed"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

impl<T> From<PutError<T>> for TryPutError<T> {
    fn from(error: PutError<T>) -> Self {
        TryPutError::Closed(error.0)
    }
}

/// [`Queue::get`] found the queue closed and empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GetError(());

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is closed and empty")
    }
}

impl Error for GetError {}

/// Why [`Queue::try_get`] got nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryGetError {
    /// No item is queued.
    Empty,
    /// No item is queued, and the queue is closed: none will be.
    Closed,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::Closed => f.write_str("the queue is closed and empty"),
        }
    }
}

impl Error for TryGetError {}

impl From<GetError> for TryGetError {
    fn from(_: GetError) -> Self {
        TryGetError::Closed
    }
}
