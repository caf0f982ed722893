//! `ThreadsafeHandle`: the one way into the loop from other threads.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::error::ScheduleError;
use crate::state::queue::send_callback;
use crate::state::remote::Remote;

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
        let closed = self.remote.try_is_closed();
        let mut s = f.debug_struct("ThreadsafeHandle");
        match closed {
            Some(closed) => s.field("closed", &closed),
            None => s.field("closed", &format_args!("<locked>")),
        };
        s.finish()
    }
}
