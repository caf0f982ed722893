//! `UnboundedReceiver`: a channel's messages taken by tasks, with `recv().await`.
//
// Senders on any thread wake the loop on every send (the loop's documented
// way in from other threads); what wakes the *task* is a small source,
// registered only while a `recv` waits, which the loop asks each iteration
// whether a message (or the disconnection) has arrived, and which then
// wakes the task and removes itself. So a receiver nobody waits on keeps
// nothing on the loop, and `run_until_idle` is not held up by it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

pub use crossbeam_channel::TryRecvError;

use crate::event_loop::channel::Sender;
use crate::event_loop::inner::LoopHandle;
use crate::event_loop::source::{PostAction, Readiness, Source, SourceHandle};

/// The receiving half of a channel made by
/// [`LoopHandle::unbounded_channel`], for tasks on the loop: await
/// messages with [`recv`](UnboundedReceiver::recv).
///
/// Messages come in the order sent (per sender). `recv` gives `None` once
/// every [`Sender`] is gone and the channel is drained. The receiver is
/// not `Send`: it belongs to the loop's thread; the senders go anywhere.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let (tx, rx) = lp.unbounded_channel();
/// let worker = thread::spawn(move || {
///     for n in 1..=3 {
///         tx.send(n).unwrap(); // wakes the loop
///     }
/// });
/// let sum = lp.block_on(async {
///     let mut sum = 0;
///     while let Some(n) = rx.recv().await {
///         sum += n;
///     }
///     sum
/// })?;
/// worker.join().unwrap();
/// assert_eq!(sum, 6);
/// # Ok::<(), poll_loop::BlockOnError>(())
/// ```
pub struct UnboundedReceiver<T> {
    lp: LoopHandle,
    shared: Rc<RefCell<Shared<T>>>,
}

struct Shared<T> {
    receiver: crossbeam_channel::Receiver<T>,
    /// A message the source took to learn that one had come.
    held: Option<T>,
    disconnected: bool,
    /// The waiting `recv`'s waker, and its source while registered.
    waiting: Option<(Waker, SourceHandle)>,
}

impl<T> Shared<T> {
    fn try_take(&mut self) -> Result<T, TryRecvError> {
        if let Some(message) = self.held.take() {
            return Ok(message);
        }
        if self.disconnected {
            return Err(TryRecvError::Disconnected);
        }
        let taken = self.receiver.try_recv();
        if matches!(taken, Err(TryRecvError::Disconnected)) {
            self.disconnected = true;
        }
        taken
    }
}

impl<T: 'static> UnboundedReceiver<T> {
    /// Waits for the next message; `None` once every sender is gone and
    /// the channel is drained. Dropping the future loses no message.
    ///
    /// # Panics
    ///
    /// If it has to wait and the loop is closed.
    pub fn recv(&self) -> Recv<'_, T> {
        Recv { receiver: self }
    }

    /// The next message, if one is here now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if none is, [`TryRecvError::Disconnected`]
    /// if none will come.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.shared.borrow_mut().try_take()
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut shared = self.shared.borrow_mut();
        match shared.try_take() {
            Ok(message) => return Poll::Ready(Some(message)),
            Err(TryRecvError::Disconnected) => return Poll::Ready(None),
            Err(TryRecvError::Empty) => {}
        }
        if let Some((waker, _)) = &mut shared.waiting {
            if !waker.will_wake(cx.waker()) {
                let old = std::mem::replace(waker, cx.waker().clone());
                drop(shared);
                drop(old);
            }
            return Poll::Pending;
        }
        drop(shared);
        let source = self.lp.insert_source(Arrival(Rc::downgrade(&self.shared)));
        self.shared.borrow_mut().waiting = Some((cx.waker().clone(), source));
        Poll::Pending
    }

    fn stop_waiting(&self) {
        let waiting = self.shared.borrow_mut().waiting.take();
        if let Some((waker, source)) = waiting {
            source.remove();
            drop(waker);
        }
    }
}

/// The source that watches for a message while a `recv` waits.
struct Arrival<T>(std::rc::Weak<RefCell<Shared<T>>>);

impl<T> Source for Arrival<T> {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        let Some(shared) = self.0.upgrade() else {
            return Readiness::Ready; // to remove itself
        };
        // Never borrowed while the loop asks (nothing holds a borrow across
        // user code); if it were, asking again next time is the safe answer.
        let Ok(mut shared) = shared.try_borrow_mut() else {
            return Readiness::Pending;
        };
        if shared.held.is_some() || shared.disconnected {
            return Readiness::Ready;
        }
        match shared.receiver.try_recv() {
            Ok(message) => {
                shared.held = Some(message);
                Readiness::Ready
            }
            Err(TryRecvError::Empty) => Readiness::Pending,
            Err(TryRecvError::Disconnected) => {
                shared.disconnected = true;
                Readiness::Ready
            }
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        let Some(shared) = self.0.upgrade() else {
            return PostAction::Remove;
        };
        let Ok(mut state) = shared.try_borrow_mut() else {
            return PostAction::Continue;
        };
        let waiting = state.waiting.take();
        drop(state);
        if let Some((waker, _source)) = waiting {
            waker.wake();
        }
        PostAction::Remove
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        if let Some((_, source)) = self.shared.borrow_mut().waiting.take() {
            source.remove();
        }
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver").finish_non_exhaustive()
    }
}

/// The future of [`UnboundedReceiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T: 'static> {
    receiver: &'a UnboundedReceiver<T>,
}

impl<T: 'static> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let ready = self.receiver.poll_recv(cx);
            if ready.is_ready() {
                self.receiver.stop_waiting();
            }
            ready
        })
    }
}

impl<T: 'static> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.receiver.stop_waiting();
    }
}

impl<T: 'static> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

impl LoopHandle {
    /// Creates an unbounded channel whose messages tasks on this loop
    /// await with [`UnboundedReceiver::recv`]. The [`Sender`] may go to any thread
    /// and wakes the loop on every send, as [`channel`](LoopHandle::channel)'s
    /// does.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    pub fn unbounded_channel<T: 'static>(&self) -> (Sender<T>, UnboundedReceiver<T>) {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let sender = Sender::new(sender, self.threadsafe());
        let receiver = UnboundedReceiver {
            lp: self.clone(),
            shared: Rc::new(RefCell::new(Shared {
                receiver,
                held: None,
                disconnected: false,
                waiting: None,
            })),
        };
        (sender, receiver)
    }
}
