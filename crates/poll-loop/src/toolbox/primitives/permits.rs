//! Counted permits handed out in FIFO order: the core of `Semaphore` and
//! `Mutex`.
//
// The rules, asyncio's observable ones:
// - A released permit goes to the first waiter, if any, before it is
//   counted as available, and that waiter is woken. It owns the permit from
//   then on, but it is "handed", not yet taken, until it runs: asyncio's
//   woken waiter stays in the queue until it runs, so `Lock.locked()` is
//   false meanwhile, and nobody overtakes it.
// - So a newcomer takes an available permit only if nobody waits and no
//   permit is handed (asyncio's `locked()` looks at the waiters, woken ones
//   included). A task that releases and at once re-acquires queues behind
//   the waiter it woke.
// - When the last handed permit is taken, available permits go to the
//   waiters queued meanwhile (asyncio's `acquire` wakes them in its
//   `finally`).
// - A waiter dropped after it was handed a permit gives it back, which
//   hands it on to the next. No wake-up is lost.

use std::cell::{Cell, RefCell};
use std::task::{Context, Poll};

use super::waiters::WaitList;
use crate::task::panic_later::PanicLater;

pub(crate) struct Permits {
    available: Cell<usize>,
    /// Permits handed to woken waiters that have not run yet.
    handed: Cell<usize>,
    waiters: RefCell<WaitList>,
}

impl Permits {
    pub(crate) const fn new(permits: usize) -> Permits {
        Permits {
            available: Cell::new(permits),
            handed: Cell::new(0),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    pub(crate) fn available(&self) -> usize {
        self.available.get()
    }

    /// Permits handed to woken waiters that have not taken them yet.
    pub(crate) fn handed(&self) -> usize {
        self.handed.get()
    }

    /// Waiters queued, not counting those already handed a permit.
    pub(crate) fn waiting(&self) -> usize {
        self.waiters.try_borrow().map_or(0, |w| w.len())
    }

    /// Takes a permit if one is available and nobody is before us: none
    /// is handed (a waiter queued while permits are available always has a
    /// handed permit before it, so this covers the queue too).
    pub(crate) fn try_take(&self) -> bool {
        match self.available.get() {
            n if n > 0 && self.handed.get() == 0 => {
                self.available.set(n - 1);
                true
            }
            _ => false,
        }
    }

    /// Gives `n` permits back: to the waiters first, in order, then to
    /// the available count.
    /// A waker that panics does not stop the hand-out: every permit goes
    /// somewhere, then the panic is passed on.
    pub(crate) fn release(&self, mut n: usize) {
        let mut panic = PanicLater::default();
        while n > 0 {
            let notified = self.waiters.borrow_mut().notify_front();
            match notified {
                // Woken outside the borrow: the waker may run anything.
                Some((_, waker)) => {
                    n -= 1;
                    self.handed.set(self.handed.get() + 1);
                    if let Some(waker) = waker {
                        panic.wake(waker);
                    }
                }
                None => {
                    let total = self.available.get().checked_add(n);
                    self.available
                        .set(total.expect("poll-loop: too many permits"));
                    break;
                }
            }
        }
        panic.finish();
    }

    /// One poll of an acquisition; `key` is its place in the queue.
    pub(crate) fn poll_acquire(&self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<()> {
        match *key {
            None => {
                if self.try_take() {
                    return Poll::Ready(());
                }
                let waker = cx.waker().clone();
                *key = Some(self.waiters.borrow_mut().push_back(waker));
                Poll::Pending
            }
            Some(k) => {
                let mut waiters = self.waiters.borrow_mut();
                if waiters.is_waiting(k) {
                    let old = waiters.update_waker(k, cx.waker());
                    drop(waiters);
                    drop(old);
                    return Poll::Pending;
                }
                let (_, waker) = waiters.remove(k);
                drop(waiters);
                drop(waker);
                *key = None;
                self.handed_one_taken();
                Poll::Ready(())
            }
        }
    }

    /// An acquisition dropped before it finished: it leaves the queue, and
    /// gives back the permit it was handed, if any.
    pub(crate) fn cancel(&self, key: usize) {
        let (waiting, waker) = self.waiters.borrow_mut().remove(key);
        drop(waker);
        if !waiting {
            self.handed_one_taken();
            self.release(1);
        }
    }

    /// A handed permit was taken, or given back. Once none is handed, the
    /// permits that became available meanwhile go to whoever queued behind.
    fn handed_one_taken(&self) {
        let handed = self.handed.get() - 1;
        self.handed.set(handed);
        let available = self.available.get();
        if handed == 0 && available > 0 && self.waiting() > 0 {
            self.available.set(0);
            self.release(available);
        }
    }
}
