//! `Event`: a flag that tasks wait for.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiters::WaitList;

/// A flag that tasks can wait for: asyncio's `Event`.
///
/// [`set`](Event::set) wakes every task that [`wait`](Event::wait)s, and
/// later waits are ready at once until [`clear`](Event::clear). A waiter
/// that was woken returns even if the flag was cleared before it ran (as in
/// asyncio); a wait dropped before the flag is set leaves no trace.
///
/// Single-threaded: for tasks on one loop; share it with `Rc`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use poll_loop::{Event, EventLoop, sleep};
///
/// let lp = EventLoop::new();
/// let ready = Rc::new(Event::new());
/// let woken = Rc::new(Cell::new(0));
/// for _ in 0..3 {
///     let (ready, woken) = (ready.clone(), woken.clone());
///     lp.spawn(async move {
///         ready.wait().await;
///         woken.set(woken.get() + 1);
///     });
/// }
/// let setter = ready.clone();
/// lp.spawn(async move {
///     sleep(Duration::from_millis(10)).await;
///     setter.set();
/// });
/// lp.run_until_idle()?;
/// assert!(ready.is_set());
/// assert_eq!(woken.get(), 3);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Event {
    set: Cell<bool>,
    waiters: RefCell<WaitList>,
}

impl Event {
    /// An event that is not set.
    pub const fn new() -> Event {
        Event {
            set: Cell::new(false),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// True once set, until cleared.
    pub fn is_set(&self) -> bool {
        self.set.get()
    }

    /// Sets the flag and wakes every waiter. Does nothing if it is set.
    pub fn set(&self) {
        if self.set.replace(true) {
            return;
        }
        let wakers = {
            let mut waiters = self.waiters.borrow_mut();
            let mut wakers = Vec::with_capacity(waiters.len());
            while let Some((_, waker)) = waiters.notify_front() {
                wakers.extend(waker);
            }
            wakers
        };
        // Outside the borrow: a waker may run anything, this event included.
        // Every waiter is woken, even if one's waker panics.
        crate::task::panic_later::wake_all(wakers);
    }

    /// Clears the flag: later waits wait for the next [`set`](Event::set).
    pub fn clear(&self) {
        self.set.set(false);
    }

    /// Waits until the flag is set; ready at once if it is.
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.set.get())
            .field("waiting", &self.waiters.try_borrow().map_or(0, |w| w.len()))
            .finish()
    }
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<usize>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let this = self.get_mut();
            let mut waiters = this.event.waiters.borrow_mut();
            match this.key {
                None if this.event.set.get() => Poll::Ready(()),
                None => {
                    this.key = Some(waiters.push_back(cx.waker().clone()));
                    Poll::Pending
                }
                Some(key) if waiters.is_waiting(key) => {
                    let old = waiters.update_waker(key, cx.waker());
                    drop(waiters);
                    drop(old);
                    Poll::Pending
                }
                Some(key) => {
                    let (_, waker) = waiters.remove(key);
                    drop(waiters);
                    drop(waker);
                    this.key = None;
                    Poll::Ready(())
                }
            }
        })
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let (_, waker) = self.event.waiters.borrow_mut().remove(key);
            drop(waker);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
