//! Sockets for `async` code on the loop: TCP ([`TcpListener`],
//! [`TcpStream`]) and Unix stream sockets ([`UnixListener`],
//! [`UnixStream`]), non-blocking std sockets that wait in the loop's own
//! wait (epoll on Linux, `poll(2)` on the other Unixes, `WSAPoll` on
//! Windows).
//!
//! Built for Linux and Android, macOS and iOS, FreeBSD, DragonFly, NetBSD,
//! OpenBSD, illumos and Solaris — the Unixes whose socket constants and
//! address layouts the crate declares for its non-blocking `connect` —
//! and for Windows, TCP only (Windows 10 version 2004 or later reports a
//! refused connect; older versions leave `connect` waiting).
//!
//! They are used from tasks (or [`block_on`](crate::LoopHandle::block_on))
//! of a running loop: an operation that would block registers the task's
//! waker with the loop the first time it has to wait, and the task is
//! polled again once the socket is ready: in the same loop iteration as the
//! wait that found it ready. Nothing here blocks the loop's
//! thread: not even [`TcpStream::connect`] (or [`UnixStream::connect`]),
//! which starts a non-blocking connect and waits for it. Errors are the operating system's, as
//! [`io::Error`]s: `ConnectionRefused`, `ConnectionReset`, and end of file
//! as `Ok(0)` from [`read`](TcpStream::read) (or `UnexpectedEof` from
//! [`read_exact`](TcpStream::read_exact)).
//!
//! Beyond that, tokio's ergonomics: [`TcpStream::connect`] takes
//! `"host:port"` (each address tried in turn); `accept` takes `&self`, so
//! several tasks may accept on one listener; a stream splits into a read
//! half and a write half ([`split`](TcpStream::split), borrowed, or
//! [`into_split`](TcpStream::into_split), owned) to read in one task while
//! another writes; and [`TcpSocket`] sets options before `bind` or
//! `connect`. For reading lines and frames, and a server with a task per
//! connection, see [`streams`](crate::streams), built on this module.
//!
//! Dropping a future mid-operation is safe: nothing was read or written
//! that the future did not return (each `read`/`write` is one system call
//! that either completes or would block), except that
//! [`read_exact`](TcpStream::read_exact) and
//! [`write_all`](TcpStream::write_all) may have done part of their work.
//! Dropping a socket unregisters it and closes it.
//!
//! ```
//! use poll_loop::{EventLoop, LoopHandle};
//! use poll_loop::net::{TcpListener, TcpStream};
//!
//! let lp = EventLoop::new();
//! let reply = lp.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     // An echo server, as a task on the same loop.
//!     LoopHandle::current().unwrap().spawn(async move {
//!         let (mut conn, _peer) = listener.accept().await.unwrap();
//!         let mut buf = [0; 4];
//!         conn.read_exact(&mut buf).await.unwrap();
//!         conn.write_all(&buf).await.unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"ping").await?;
//!     let mut reply = [0; 4];
//!     client.read_exact(&mut reply).await?;
//!     Ok::<_, std::io::Error>(reply)
//! })??;
//! assert_eq!(&reply, b"ping");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod listener;
mod split;
pub mod tcp;
mod tcp_socket;
#[cfg(unix)]
pub mod unix;

use crate::os::sys::{AsRawFd, RawFd};
use std::cell::OnceCell;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::task::{Context, Poll};

pub use self::listener::ACCEPT_RETRY_DELAY;
use self::listener::Listener;
pub use self::tcp::{TcpListener, TcpStream};
pub use self::tcp_socket::TcpSocket;
#[cfg(unix)]
pub use self::unix::{UnixListener, UnixStream};
use crate::event_loop::inner::LoopHandle;
use crate::os::reactor::{Direction, Handler, Reactor};

/// A socket's place in a loop's reactor: made when it first has to wait.
/// Shared by the halves of a split stream: the reactor keeps a waker per
/// direction, so a reader and a writer can wait at once.
struct Registration {
    fd: RawFd,
    joined: OnceCell<(LoopHandle, Rc<Reactor>)>,
}

impl Registration {
    fn new(fd: RawFd) -> Registration {
        Registration {
            fd,
            joined: OnceCell::new(),
        }
    }

    /// Waits for `direction` if `result` says the operation would block:
    /// stores the task's waker so that it is polled again when the socket
    /// is ready. The socket is watched edge-triggered: the operation was
    /// just tried and would block, so whatever readies the socket from now
    /// on is a change, reported at a later wait; it cannot be missed.
    fn poll<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        result: io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match result {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {
                cx.waker().wake_by_ref(); // try again at once
                return Poll::Pending;
            }
            result => return Poll::Ready(result),
        }
        let registered = match self.joined.get() {
            // Registered, so the reactor's source is too (the socket's
            // entry keeps it): nothing to look up.
            Some((_, reactor)) => reactor.set_waker(self.fd, direction, cx.waker()),
            None => self
                .join()
                .and_then(|reactor| reactor.set_waker(self.fd, direction, cx.waker())),
        };
        match registered {
            Ok(()) => Poll::Pending,
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    /// Registers the socket with the reactor of the loop running on this
    /// thread, the first time it has to wait.
    fn join(&self) -> io::Result<Rc<Reactor>> {
        let current = LoopHandle::current().ok_or_else(|| {
            io::Error::other("poll-loop: a socket was polled outside a running event loop")
        })?;
        if current.is_closed() {
            return Err(io::Error::other("poll-loop: the event loop is closed"));
        }
        let reactor = current.reactor()?;
        for direction in [Direction::Read, Direction::Write] {
            let task = Handler::Task {
                waker: None,
                armed: false,
            };
            // The first adds the socket to the epoll set (both directions,
            // edge-triggered); the second changes nothing there.
            if let Err((err, _)) = reactor.set(self.fd, direction, task) {
                return Err(err);
            }
        }
        current.ensure_io_source(&reactor);
        let joined = (current, Rc::clone(&reactor));
        // Nothing between the check above and here can join it: one thread.
        let _ = self.joined.set(joined);
        Ok(reactor)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some((lp, reactor)) = self.joined.take() {
            let read = reactor.clear(self.fd, Direction::Read);
            let write = reactor.clear(self.fd, Direction::Write);
            if !lp.is_closed() {
                lp.release_io_source(&reactor);
            }
            drop((read, write));
        }
    }
}

/// A non-blocking socket and its place in the loop's reactor: what every
/// type of this module wraps.
struct Socket<S: AsRawFd> {
    // Unregistered (in `Drop`) before the socket closes: fields drop in
    // the order they are declared.
    registration: Registration,
    inner: S,
}

impl<S: AsRawFd> Socket<S> {
    fn new(inner: S) -> Socket<S> {
        Socket {
            registration: Registration::new(inner.as_raw_fd()),
            inner,
        }
    }

    /// Tries `op` on the socket; if it would block, stores the task's
    /// waker for `direction` and returns `Pending`.
    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        crate::task::coop::poll_leaf(cx, |cx| {
            let result = op(&self.inner);
            self.registration.poll(cx, direction, result)
        })
    }

    /// Runs `op` on the socket until it does not block, the task waiting
    /// for `direction` in between.
    async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, direction, &mut op)).await
    }
}

impl<S: AsRawFd> Socket<S>
where
    for<'a> &'a S: Read + Write,
{
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Read, |mut socket| socket.read(buf))
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut socket| socket.write(buf))
    }

    async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

/// Tries each address `addrs` resolves to in turn with `connect`, and
/// returns the first connection made, or the last error.
async fn connect_each<T, F>(
    addrs: impl std::net::ToSocketAddrs,
    mut connect: impl FnMut(std::net::SocketAddr) -> F,
) -> io::Result<T>
where
    F: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addrs.to_socket_addrs()? {
        match connect(addr).await {
            Ok(done) => return Ok(done),
            Err(err) => {
                tracing::debug!(%addr, error = %err, "connect failed: trying the next address");
                last = Some(err);
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

/// Whether a connect in progress is done, from the socket's pending error
/// (`take_error`) and whether it has a peer (`peer_addr`): `WouldBlock`
/// while not.
fn connect_done<A>(
    error: io::Result<Option<io::Error>>,
    peer: impl FnOnce() -> io::Result<A>,
) -> io::Result<()> {
    if let Some(err) = error? {
        return Err(err);
    }
    match peer() {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotConnected => {
            Err(io::ErrorKind::WouldBlock.into())
        }
        Err(err) => Err(err),
    }
}

/// The reading and writing methods of a stream type (a `stream:
/// Socket<_>` field whose std type has `shutdown`), with their
/// documentation: the same for TCP and Unix streams.
macro_rules! stream_io {
    ($stream:ident) => {
        impl $stream {
            /// Reads what has arrived into `buf`, waiting until something
            /// has. Returns how many bytes were read; `Ok(0)` is end of
            /// file (or an empty `buf`).
            ///
            /// # Errors
            ///
            /// What `read(2)` says: `ConnectionReset` when the peer reset
            /// the connection, …
            pub async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.stream.read(buf).await
            }

            /// Writes some of `buf`, waiting until the socket takes at
            /// least one byte. Returns how many it took.
            ///
            /// # Errors
            ///
            /// What `write(2)` says: `BrokenPipe` or `ConnectionReset` once
            /// the peer is gone, …
            pub async fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.stream.write(buf).await
            }

            /// Reads exactly `buf.len()` bytes.
            ///
            /// # Errors
            ///
            /// `UnexpectedEof` if the stream ends first (what was read is
            /// in `buf`, lost to the caller), or any error of
            /// [`read`](Self::read).
            pub async fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
                self.stream.read_exact(buf).await
            }

            /// Writes all of `buf`.
            ///
            /// # Errors
            ///
            /// Any error of [`write`](Self::write); `WriteZero` if the
            /// socket takes nothing.
            pub async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
                self.stream.write_all(buf).await
            }

            /// Shuts down the reading half, the writing half (the peer then
            /// reads end of file), or both. Never blocks.
            ///
            /// # Errors
            ///
            /// What `shutdown(2)` says (`NotConnected`, …).
            pub fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.stream.inner.shutdown(how)
            }
        }
    };
}
use stream_io;

/// `AsRawFd` and `AsFd` (on Windows `AsRawSocket` and `AsSocket`) for a
/// type whose `$field` is a `Socket<_>`: the socket's own.
#[cfg(unix)]
macro_rules! socket_fd {
    ($($ty:ident . $field:ident),+) => {$(
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.$field.inner)
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.$field.inner)
            }
        }
    )+};
}
#[cfg(windows)]
macro_rules! socket_fd {
    ($($ty:ident . $field:ident),+) => {$(
        impl std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
                std::os::windows::io::AsRawSocket::as_raw_socket(&self.$field.inner)
            }
        }

        impl std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
                std::os::windows::io::AsSocket::as_socket(&self.$field.inner)
            }
        }
    )+};
}
use socket_fd;
