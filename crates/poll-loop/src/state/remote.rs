//! The loop's inbox from other threads: callbacks sent with
//! `call_soon_threadsafe` (and task polls woken elsewhere), a stop flag and
//! the wake-up state, behind one lock. `ThreadsafeHandle` is its public face.

use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use crate::state::queue::{Call, Queues};
use crate::state::wake::WakeState;

/// A callback sent from another thread, with where it was scheduled.
pub(crate) type Injected = Box<dyn Call + Send>;

/// What the loop shares with other threads.
pub(crate) struct Remote {
    pub(crate) wake: WakeState,
    queue: Mutex<Queue>,
    /// Set by `stop` from any thread; the loop takes it at the end of an
    /// iteration.
    stop: AtomicBool,
    /// True while the queue holds callbacks: written under the lock, read
    /// with one relaxed load by every `call_soon`, which drains the queue
    /// first when it is set (see `flush_into`).
    queued: AtomicBool,
    /// The loop's thread: the only one that can run it.
    pub(crate) thread: ThreadId,
}

struct Queue {
    /// The oldest callback, when it is the only one: kept here, next to
    /// the lock, so that a lone wake-up does not make the loop's thread
    /// fetch one more cache line (the deque's buffer) from the sender's.
    first: Option<Injected>,
    /// The others, in the order sent.
    callbacks: VecDeque<Injected>,
    closed: bool,
}

impl Remote {
    /// Created on the loop's thread, which is the one its wake state parks.
    pub(crate) fn new() -> Arc<Remote> {
        Arc::new(Remote {
            wake: WakeState::new(),
            queue: Mutex::new(Queue {
                first: None,
                callbacks: VecDeque::new(),
                closed: false,
            }),
            stop: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            thread: std::thread::current().id(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // No user code runs under this lock (callbacks are dropped outside
        // it), so poisoning cannot come from a callback; recover anyway.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands every queued callback to `push`, in the order they were sent.
    /// `push` must not run user code (it runs under the lock). The queue
    /// keeps its buffer, so that senders do not allocate one each time.
    pub(crate) fn drain_into(&self, mut push: impl FnMut(Injected)) {
        let mut queue = self.lock();
        self.queued.store(false, Ordering::Relaxed);
        if let Some(first) = queue.first.take() {
            push(first);
        }
        queue.callbacks.drain(..).for_each(&mut push);
    }

    /// Moves the callbacks sent so far to the end of `queues`' ready queue,
    /// if there are any: called before the loop's thread queues a callback
    /// of its own, so that both kinds share one FIFO, as asyncio's
    /// `call_soon` and `call_soon_threadsafe` do. A thread-safe call that
    /// happened before this one (made on the loop's thread, or on another
    /// synchronised with it) then runs first; the flag's relaxed load sees
    /// its store by coherence, and the lock then acquires the callback.
    #[inline]
    pub(crate) fn flush_into(&self, queues: &mut Queues) {
        if self.queued.load(Ordering::Relaxed) {
            self.drain_into(|injected| {
                queues.push_ready(injected);
            });
        }
    }

    /// Refuses new callbacks from now on and returns the queued ones, to be
    /// dropped by the caller outside the lock.
    pub(crate) fn close(&self) -> VecDeque<Injected> {
        let mut queue = self.lock();
        queue.closed = true;
        self.queued.store(false, Ordering::Relaxed);
        let mut all = mem::take(&mut queue.callbacks);
        if let Some(first) = queue.first.take() {
            all.push_front(first);
        }
        all
    }

    /// Queues `callback` for the loop's thread and wakes the loop; hands
    /// it back if the loop is closed.
    pub(crate) fn inject<C: Call + Send + 'static>(&self, callback: Box<C>) -> Result<(), Box<C>> {
        {
            let mut queue = self.lock();
            if queue.closed {
                return Err(callback);
            }
            if queue.first.is_none() && queue.callbacks.is_empty() {
                queue.first = Some(callback);
            } else {
                queue.callbacks.push_back(callback);
            }
            self.queued.store(true, Ordering::Relaxed);
        }
        self.wake.notify();
        Ok(())
    }

    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub(crate) fn take_stop(&self) -> bool {
        // A load first: once per iteration, and a swap costs a locked
        // instruction even when there is nothing to take.
        self.stop.load(Ordering::SeqCst) && self.stop.swap(false, Ordering::SeqCst)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Whether it is closed, or `None` if another thread holds the lock
    /// (for `Debug`, which must not block).
    pub(crate) fn try_is_closed(&self) -> Option<bool> {
        self.queue.try_lock().ok().map(|queue| queue.closed)
    }
}
