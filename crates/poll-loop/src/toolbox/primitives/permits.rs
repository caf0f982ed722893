//! Counted permits handed out in FIFO order: the core of `Semaphore` and
//! `Mutex`.
//
// The rule that keeps it fair and never loses a wake-up: a released permit
// goes to the first waiter, if any, before it is counted as available. So
// while anybody waits, no permit is available (a newcomer cannot jump the
// queue), and a waiter that is woken already owns its permit. A waiter
// dropped after it was handed one gives it back, which hands it on to the
// next.

use std::cell::{Cell, RefCell};
use std::task::{Context, Poll};

use super::waiters::WaitList;
use crate::task::panic_later::PanicLater;

pub(crate) struct Permits {
    available: Cell<usize>,
    waiters: RefCell<WaitList<()>>,
}

impl Permits {
    pub(crate) const fn new(permits: usize) -> Permits {
        Permits {
            available: Cell::new(permits),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    pub(crate) fn available(&self) -> usize {
        self.available.get()
    }

    pub(crate) fn waiting(&self) -> usize {
        self.waiters.try_borrow().map_or(0, |w| w.len())
    }

    /// Takes a permit if one is available (none is while others wait).
    pub(crate) fn try_take(&self) -> bool {
        match self.available.get() {
            0 => false,
            n => {
                self.available.set(n - 1);
                true
            }
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
                *key = Some(self.waiters.borrow_mut().push_back(waker, ()));
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
                let (_, (), waker) = waiters.remove(k);
                drop(waiters);
                drop(waker);
                *key = None;
                Poll::Ready(())
            }
        }
    }

    /// An acquisition dropped before it finished: it leaves the queue, and
    /// gives back the permit it was handed, if any.
    pub(crate) fn cancel(&self, key: usize) {
        let (waiting, (), waker) = self.waiters.borrow_mut().remove(key);
        drop(waker);
        if !waiting {
            self.release(1);
        }
    }
}
