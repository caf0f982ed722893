//! Channels as sources: a callback per message, on the loop's thread.

use std::fmt;
use std::time::Instant;

use crossbeam_channel::{Receiver, TryRecvError};

pub use crossbeam_channel::SendError;

use crate::event_loop::inner::LoopHandle;
use crate::event_loop::source::{PostAction, Readiness, Source, SourceHandle};
use crate::event_loop::threadsafe::ThreadsafeHandle;

/// A [`Source`] that calls a callback on the loop's thread for every
/// message received on a `crossbeam_channel::Receiver`.
///
/// The source removes itself once every sender is gone and the channel is
/// drained. In one dispatch it handles at most the messages that were
/// waiting when the dispatch began, so a fast sender cannot starve the
/// rest of the loop.
///
/// # A foreign receiver cannot wake the loop
///
/// A `crossbeam_channel` sender knows nothing of the loop: a send into a
/// [`Channel::new`] source does not wake a sleeping loop, which then
/// notices the message only when something else wakes it. Either create the
/// channel with [`LoopHandle::channel`], whose [`Sender`] wakes the loop on
/// every send, or call [`ThreadsafeHandle::wake`] after sending.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::thread;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let got = Rc::new(RefCell::new(Vec::new()));
/// let sink = got.clone();
/// let (tx, _source) = lp.channel(move |n: u32| sink.borrow_mut().push(n));
/// let producer = thread::spawn(move || {
///     for n in 0..3 {
///         tx.send(n).unwrap();
///     }
///     // `tx` dropped here: the channel disconnects.
/// });
/// lp.run_until_idle()?; // until the channel is disconnected and drained
/// producer.join().unwrap();
/// assert_eq!(*got.borrow(), [0, 1, 2]);
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Channel<T> {
    receiver: Receiver<T>,
    on_message: Box<dyn FnMut(T)>,
    /// A message taken by `readiness` to learn that one was there.
    held: Option<T>,
    disconnected: bool,
}

impl<T> Channel<T> {
    /// A source that calls `on_message` for each message on `receiver`.
    /// See [the limitation](Channel#a-foreign-receiver-cannot-wake-the-loop).
    pub fn new<F>(receiver: Receiver<T>, on_message: F) -> Channel<T>
    where
        F: FnMut(T) + 'static,
    {
        Channel {
            receiver,
            on_message: Box::new(on_message),
            held: None,
            disconnected: false,
        }
    }
}

impl<T> Source for Channel<T> {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        if self.held.is_some() || self.disconnected {
            return Readiness::Ready;
        }
        match self.receiver.try_recv() {
            Ok(message) => {
                self.held = Some(message);
                Readiness::Ready
            }
            Err(TryRecvError::Empty) => Readiness::Pending,
            Err(TryRecvError::Disconnected) => {
                self.disconnected = true;
                Readiness::Ready
            }
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        // Only what was there when the dispatch began (at least the held
        // message, or one for a zero-capacity channel).
        let mut budget = self.receiver.len().max(1) + usize::from(self.held.is_some());
        while budget > 0 {
            budget -= 1;
            let message = match self.held.take() {
                Some(message) => message,
                None => match self.receiver.try_recv() {
                    Ok(message) => message,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.disconnected = true;
                        break;
                    }
                },
            };
            (self.on_message)(message);
        }
        if self.disconnected && self.held.is_none() && self.receiver.is_empty() {
            PostAction::Remove
        } else {
            PostAction::Continue
        }
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("disconnected", &self.disconnected)
            .finish_non_exhaustive()
    }
}

/// The sending half of a channel made by [`LoopHandle::channel`]: a
/// `crossbeam_channel::Sender` that wakes the loop on every send.
///
/// `Send` and `Sync` when `T: Send`; clones send into the same channel.
/// Dropping a sender wakes the loop too, so that it sees the channel
/// disconnect when the last one goes.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::thread;
/// use poll_loop::EventLoop;
///
/// let lp = EventLoop::new();
/// let last = Rc::new(Cell::new(""));
/// let sink = last.clone();
/// let (tx, _source) = lp.channel(move |word| sink.set(word));
/// thread::spawn(move || tx.send("woken").unwrap()); // wakes the sleeping loop
/// lp.run_until_idle()?; // until the sender is gone and the channel drained
/// assert_eq!(last.get(), "woken");
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub struct Sender<T> {
    /// `None` only inside `drop`, which must let go of it before waking
    /// the loop (see there).
    sender: Option<crossbeam_channel::Sender<T>>,
    waker: ThreadsafeHandle,
}

impl<T> Sender<T> {
    pub(crate) fn new(sender: crossbeam_channel::Sender<T>, waker: ThreadsafeHandle) -> Sender<T> {
        Sender {
            sender: Some(sender),
            waker,
        }
    }

    /// Sends `message` and wakes the loop. Never blocks: the channel is
    /// unbounded.
    ///
    /// # Errors
    ///
    /// [`SendError`], holding the message, if the loop dropped the channel
    /// (it was closed, or the source removed).
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        if let Some(sender) = &self.sender {
            sender.send(message)?;
        }
        self.waker.wake();
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            sender: self.sender.clone(),
            waker: self.waker.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Disconnect first, then wake: woken before the channel
        // disconnects, the loop could find it empty and still connected,
        // and sleep with nothing left to wake it.
        drop(self.sender.take());
        self.waker.wake();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl LoopHandle {
    /// Creates an unbounded channel whose messages are handed to
    /// `on_message` on the loop's thread, one call per message, in the
    /// order sent. Returns the sender — which any thread may use and which
    /// wakes the loop on every send — and the registered [`Channel`]
    /// source's handle.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[track_caller]
    pub fn channel<T, F>(&self, on_message: F) -> (Sender<T>, SourceHandle)
    where
        T: 'static,
        F: FnMut(T) + 'static,
    {
        let (sender, receiver) = crossbeam_channel::unbounded();
        // `insert_source` is `#[track_caller]` too: the location is our caller's.
        let source = self.insert_source(Channel::new(receiver, on_message));
        let sender = Sender {
            sender: Some(sender),
            waker: self.threadsafe(),
        };
        (sender, source)
    }
}
