//! The reactor's wait on Windows: the watched sockets kept in user space
//! and handed to `WSAPoll` at every wait, with epoll's interface and
//! answers (as `poll_set.rs` does with poll(2) on other Unixes), so that
//! the reactor is the same everywhere. Wake-ups from other threads come
//! through a loopback TCP pair, as Python's `socket.socketpair` makes one
//! on Windows.
//
// What differs from poll(2), and how it is made up for:
// - `WSAPoll` takes sockets only; `add` refuses anything else with
//   `WSAENOTSOCK`, so a handle that is not a socket is a clear error, never
//   a wait that cannot end.
// - It rejects the error bits in `events` (they are always reported), and
//   reads `POLLRDNORM`/`POLLWRNORM` for reading and writing.
// - A socket closed while watched is reported `POLLNVAL`: reported once,
//   as an error and a hang-up, and dropped (as epoll forgets a closed file).
// - No edge trigger: the reactor watches task sockets level-triggered here,
//   arming a direction only while a task waits on it.
// - Windows before 10 version 2004 does not report a refused non-blocking
//   `connect` through `WSAPoll` (the wait goes on to its timeout); later
//   versions, and Wine, report it as an error.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

use crate::os::sys::{
    self, EPOLLIN, EPOLLOUT, Event, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLWRNORM, PollFd,
    RawFd,
};
use crate::os::watched::{self, PollEntry, Watched};

/// The watched sockets, as `WSAPoll` takes them.
#[derive(Debug, Default)]
pub(crate) struct PollSet {
    inner: RefCell<Watched<PollFd, u64>>,
}

impl PollEntry for PollFd {
    fn raw_fd(&self) -> RawFd {
        self.fd as u32 as RawFd
    }

    fn take_revents(&mut self) -> i16 {
        std::mem::take(&mut self.revents)
    }
}

/// `WSAPoll`'s bits for epoll's interest bits. (It rejects the error bits
/// in a request: they are always reported.)
const INTEREST: [(i16, u32); 2] = [(POLLRDNORM, EPOLLIN), (POLLWRNORM, EPOLLOUT)];

fn to_poll(events: u32) -> i16 {
    watched::to_poll(events, &INTEREST)
}

fn to_epoll(revents: i16) -> u32 {
    watched::to_epoll(revents, &INTEREST, POLLERR, POLLHUP, POLLNVAL)
}

impl PollSet {
    /// An empty set (it cannot fail; `io::Result` as epoll's).
    pub(crate) fn new() -> io::Result<PollSet> {
        Ok(PollSet::default())
    }

    /// Watches `fd` for `events` (epoll's bits), reporting them with
    /// `token`. `AlreadyExists` if watched already; `WSAENOTSOCK` if it is
    /// not an open socket.
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut watched = self.inner.borrow_mut();
        if watched.position(fd).is_some() {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        if !sys::is_socket(fd) {
            return Err(io::Error::from_raw_os_error(sys::WSAENOTSOCK));
        }
        let entry = PollFd {
            fd: fd as u32 as usize,
            events: to_poll(events),
            revents: 0,
        };
        watched.push(entry, token);
        Ok(())
    }

    /// Changes what `fd` is watched for. `NotFound` if it is not watched,
    /// or no longer an open socket (then dropped, as epoll drops a closed
    /// file's registration).
    pub(crate) fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut watched = self.inner.borrow_mut();
        let Some(at) = watched.position(fd) else {
            return Err(io::ErrorKind::NotFound.into());
        };
        if !sys::is_socket(fd) {
            watched.remove(fd);
            return Err(io::ErrorKind::NotFound.into());
        }
        watched.fds[at].events = to_poll(events);
        watched.meta[at] = token;
        Ok(())
    }

    /// Stops watching `fd`; `NotFound` if it was not watched.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        if self.inner.borrow_mut().remove(fd) {
            Ok(())
        } else {
            Err(io::ErrorKind::NotFound.into())
        }
    }

    /// Waits until one of the watched sockets is ready or `timeout` has
    /// passed (`None`: no timeout), and fills `events` from the start.
    /// Returns how many were filled. A socket found closed is reported
    /// once, as an error and a hang-up, and dropped from the set.
    pub(crate) fn wait(
        &self,
        events: &mut [Event],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let mut watched = self.inner.borrow_mut();
        let watched = &mut *watched;
        if watched.fds.is_empty() {
            // `WSAPoll` refuses an empty set (the reactor's never is: it
            // watches its wake-up pair). Sleep as it would.
            match timeout {
                Some(timeout) => std::thread::sleep(timeout),
                None => std::thread::park(),
            }
            return Ok(0);
        }
        if sys::poll_fds(&mut watched.fds, timeout)? == 0 {
            return Ok(0);
        }
        let closed = |revents: i16| (to_epoll(revents), revents & POLLNVAL != 0);
        Ok(watched.report(events, |&token| token, closed))
    }
}

/// Wakes a `WSAPoll` wait from another thread: one end of a loopback TCP
/// connection, watched by the wait, made readable by writing a byte to the
/// other.
#[derive(Debug)]
pub(crate) struct WakePair {
    watched: TcpStream,
    written: TcpStream,
}

impl WakePair {
    /// A connected pair of non-blocking loopback sockets, with nothing to
    /// read. The listener that made it is closed at once.
    pub(crate) fn new() -> io::Result<WakePair> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let written = TcpStream::connect(listener.local_addr()?)?;
        // Only the connection just made is accepted: another process could
        // connect to the port first, so check that the peer is ours.
        let watched = loop {
            let (stream, peer) = listener.accept()?;
            if peer == written.local_addr()? {
                break stream;
            }
        };
        watched.set_nonblocking(true)?;
        written.set_nonblocking(true)?;
        written.set_nodelay(true)?;
        Ok(WakePair { watched, written })
    }

    /// Makes the watched end readable. Never blocks: with the buffer full,
    /// the write fails, and the end is readable anyway.
    pub(crate) fn signal(&self) {
        let _ = (&self.written).write(&[1]);
    }

    /// Reads what the signals wrote, so that the watched end is no longer
    /// readable. Does nothing if it was not.
    pub(crate) fn drain(&self) {
        let mut buf = [0; 64];
        while let Ok(n) = (&self.watched).read(&mut buf) {
            if n < buf.len() {
                break;
            }
        }
    }
}

impl sys::AsRawFd for WakePair {
    /// The watched end, as the reactor keys it.
    fn as_raw_fd(&self) -> RawFd {
        sys::AsRawFd::as_raw_fd(&self.watched)
    }
}
