//! `ThreadsafeHandle`: the one way into the loop from other threads.

use std::collections::VecDeque;
use std::fmt;
use std::mem;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use crate::error::ScheduleError;
use crate::state::queue::{Call, Queues, send_callback};
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

    fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

/// A `Send + Sync` handle that schedules callbacks on an event loop from any
/// thread, wakes it, or stops it.
///
/// Get one with [`LoopHandle::threadsafe`](crate::LoopHandle::threadsafe).
/// This is asyncio's `call_soon_threadsafe`: the only part of the loop that
/// other threads may touch. Everything it does is one short lock and, if
/// the loop is asleep, one wake-up; many calls in a row wake it once.
///
/// It does not keep the loop alive: once the loop is closed (or its
/// [`EventLoop`](crate::EventLoop) dropped),
/// [`call_soon_threadsafe`](ThreadsafeHandle::call_soon_threadsafe) hands the
/// callback back in a [`ScheduleError`].
///
/// # Examples
///
/// ```
/// use std::thread;
/// use std::time::Duration;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let remote = lp.threadsafe();
/// let worker = thread::spawn(move || {
///     thread::sleep(Duration::from_millis(20));
///     // Runs on the loop's thread, which was asleep until now.
///     remote.call_soon_threadsafe(|| println!("hello from the loop")).unwrap();
///     remote.stop();
/// });
/// lp.run_forever()?;
/// worker.join().unwrap();
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone)]
pub struct ThreadsafeHandle {
    pub(crate) remote: Arc<Remote>,
}

impl ThreadsafeHandle {
    pub(crate) fn new(remote: Arc<Remote>) -> ThreadsafeHandle {
        ThreadsafeHandle { remote }
    }

    /// Schedules `callback` to run on the loop's thread, as soon as
    /// possible, and wakes the loop if it sleeps.
    ///
    /// Callbacks sent from one thread run in the order they were sent. On
    /// the loop they join the queue of ready callbacks, behind the ones
    /// already queued. To reach the loop from the callback, use
    /// [`LoopHandle::current`](crate::LoopHandle::current).
    ///
    /// # Errors
    ///
    /// [`ScheduleError`], holding `callback`, if the loop is closed.
    #[track_caller]
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> Result<(), ScheduleError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        // Boxed before taking the lock, to keep the lock (and so the loop's
        // wake-up) short.
        let callback = send_callback(callback, Location::caller());
        self.remote
            .inject(callback)
            .map_err(|callback| ScheduleError::new((*callback).into_inner()))
    }

    /// Asks the loop to stop after the iteration it is in (or, if it is not
    /// running, after the first iteration of its next run), and wakes it.
    /// See [`LoopHandle::stop`](crate::LoopHandle::stop).
    pub fn stop(&self) {
        self.remote.request_stop();
        self.remote.wake.notify();
    }

    /// Wakes the loop so that it polls its sources again, without
    /// scheduling anything.
    ///
    /// A [`Source`](crate::Source) whose readiness changes because of
    /// another thread calls this after the change. Wake-ups merge: many
    /// calls while the loop is busy make it look once more, not many times.
    pub fn wake(&self) {
        self.remote.wake.notify();
    }

    /// True once the loop is closed: callbacks are refused from then on.
    pub fn is_closed(&self) -> bool {
        self.remote.is_closed()
    }
}

impl fmt::Debug for ThreadsafeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let closed = match self.remote.queue.try_lock() {
            Ok(queue) => Some(queue.closed),
            Err(_) => None,
        };
        let mut s = f.debug_struct("ThreadsafeHandle");
        match closed {
            Some(closed) => s.field("closed", &closed),
            None => s.field("closed", &format_args!("<locked>")),
        };
        s.finish()
    }
}
