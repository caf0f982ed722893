//! Many futures polled as one, each with its own waker, so that a wake-up
//! polls only the future it is for.
//
// Polling every future on every wake-up would make gathering n tasks cost
// n² polls. Instead each future gets a waker that records its index in a
// shared ready list (once per wake-up, however often it is woken before
// its poll) and wakes the parent. The wakers must be `Send + Sync` (a
// task may be completed from another thread), so the list sits behind a
// `std::sync::Mutex`, held only to push or to swap the list out — never
// while a future is polled or dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// Futures that complete one by one, each reported with its index.
pub(crate) struct Set<F: Future> {
    futures: Vec<Option<Pin<Box<F>>>>,
    wakers: Vec<Arc<Child>>,
    ready: Arc<Ready>,
    /// Indices taken from the ready list, still to poll.
    batch: Vec<usize>,
    next_in_batch: usize,
    started: bool,
    pending: usize,
}

struct Ready {
    list: Mutex<ReadyList>,
}

#[derive(Default)]
struct ReadyList {
    indices: Vec<usize>,
    parent: Option<Waker>,
}

struct Child {
    index: usize,
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl Wake for Child {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let parent = {
            let mut list = self.ready.lock();
            list.indices.push(self.index);
            list.parent.take()
        };
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

impl Ready {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyList> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<F: Future> Set<F> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> Set<F> {
        let futures: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
        let pending = futures.len();
        // Sized for every future up front: growing these while many small
        // blocks are being freed makes glibc's `malloc` consolidate them
        // (stalls measured by benches/toolbox).
        let list = ReadyList {
            indices: Vec::with_capacity(pending),
            parent: None,
        };
        Set {
            futures,
            wakers: Vec::new(),
            ready: Arc::new(Ready {
                list: Mutex::new(list),
            }),
            batch: Vec::with_capacity(pending),
            next_in_batch: 0,
            started: false,
            pending,
        }
    }

    /// How many futures were given.
    pub(crate) fn len(&self) -> usize {
        self.futures.len()
    }

    /// The next future to complete, with its index; `None` once all have.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        if !self.started {
            self.started = true;
            self.wakers = (0..self.futures.len())
                .map(|index| {
                    Arc::new(Child {
                        index,
                        // Polled first without a wake-up: as if queued.
                        queued: AtomicBool::new(true),
                        ready: Arc::clone(&self.ready),
                    })
                })
                .collect();
            self.batch = (0..self.futures.len()).collect();
            self.next_in_batch = 0;
        }
        loop {
            while let Some(&index) = self.batch.get(self.next_in_batch) {
                if crate::task::coop::is_spent() {
                    // The task's budget is spent: the rest of the batch
                    // waits for its next poll (each would only yield now).
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                self.next_in_batch += 1;
                let Some(future) = &mut self.futures[index] else {
                    continue;
                };
                let child = &self.wakers[index];
                // Cleared before the poll: a wake-up during it queues again.
                child.queued.store(false, Ordering::Release);
                let waker = Waker::from(Arc::clone(child));
                if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker))
                {
                    self.futures[index] = None;
                    self.pending -= 1;
                    return Poll::Ready(Some((index, output)));
                }
            }
            if self.pending == 0 {
                return Poll::Ready(None);
            }
            self.batch.clear();
            self.next_in_batch = 0;
            if crate::task::coop::is_spent() {
                // Likewise for the futures woken meanwhile.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let old_parent = {
                let mut list = self.ready.lock();
                if list.indices.is_empty() {
                    // Stored under the lock, so a wake-up cannot slip
                    // between the look and the wait.
                    let old = list.parent.replace(cx.waker().clone());
                    drop(list);
                    drop(old);
                    return Poll::Pending;
                }
                std::mem::swap(&mut list.indices, &mut self.batch);
                list.parent.take()
            };
            drop(old_parent);
        }
    }
}
