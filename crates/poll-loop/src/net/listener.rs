//! What TCP's and Unix's listeners share: an `accept` several tasks may
//! wait in at once, and its back-off when the process runs out of file
//! descriptors.

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::Socket;
use crate::os::reactor::Direction;
use crate::os::sys::AsRawFd;

/// How long a listener waits before it tries `accept` again after the
/// process or the system ran out of file descriptors or memory (`EMFILE`,
/// `ENFILE`, `ENOBUFS`, `ENOMEM`): asyncio's `ACCEPT_RETRY_DELAY`.
///
/// The failing `accept` still returns its error; the next `accept` on the
/// same listener first waits this long. So an accept loop that logs errors
/// and goes on costs next to no CPU while the descriptors are used up,
/// lets the connections that hold them run (and close), and recovers by
/// itself.
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// A listening socket: a [`Socket`] whose `accept` backs off after running
/// out of resources (see [`ACCEPT_RETRY_DELAY`]), and may be awaited by
/// several tasks at once.
pub(super) struct Listener<S: AsRawFd> {
    pub(super) socket: Socket<S>,
    /// When the next `accept` may try, after one failed for lack of
    /// resources.
    retry_at: Cell<Option<Instant>>,
    /// The tasks waiting for a connection. The reactor keeps one waker per
    /// direction; it is given `wake_all`, which wakes every one of them,
    /// so that no waiting task is forgotten when another joins it.
    waiting: Arc<Waiting>,
    wake_all: Waker,
}

/// The wakers of the tasks waiting in `accept` (behind a mutex only
/// because a `Waker` must be `Send`: it is used on the loop's thread).
#[derive(Default)]
struct Waiting(Mutex<Vec<Waker>>);

impl Waiting {
    fn add(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for Waiting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        // Woken outside the lock: a waker may run anything.
        for waker in wakers {
            waker.wake();
        }
    }
}

impl<S: AsRawFd> Listener<S> {
    pub(super) fn new(inner: S) -> Listener<S> {
        let waiting = Arc::new(Waiting::default());
        Listener {
            socket: Socket::new(inner),
            retry_at: Cell::new(None),
            wake_all: Waker::from(Arc::clone(&waiting)),
            waiting,
        }
    }

    /// Accepts with `op`, waiting out a back-off first if the last accept
    /// ran out of resources. (Dropped during the back-off, it leaves it for
    /// the next call.)
    pub(super) async fn accept<R>(&self, mut op: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        if let Some(retry_at) = self.retry_at.get() {
            crate::toolbox::time::sleep_until(retry_at).await;
            self.retry_at.set(None);
        }
        let result = poll_fn(|cx| self.poll_accept(cx, &mut op)).await;
        if let Err(err) = &result {
            if crate::os::sys::is_out_of_resources(err) {
                tracing::warn!(
                    error = %err,
                    retry_after_ms = ACCEPT_RETRY_DELAY.as_millis() as u64,
                    "accept ran out of resources: the listener waits before it tries again"
                );
                self.retry_at
                    .set(Instant::now().checked_add(ACCEPT_RETRY_DELAY));
            }
        }
        result
    }

    fn poll_accept<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let result = op(&self.socket.inner);
            if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
                // Added before the reactor is given `wake_all`: a readiness
                // after this point wakes this task too.
                self.waiting.add(cx.waker());
            }
            let mut all = Context::from_waker(&self.wake_all);
            self.socket
                .registration
                .poll(&mut all, Direction::Read, result)
        })
    }
}

impl<S: AsRawFd> std::ops::Deref for Listener<S> {
    type Target = Socket<S>;

    fn deref(&self) -> &Socket<S> {
        &self.socket
    }
}
