//! TCP sockets for `async` code on the loop: [`TcpListener`] and
//! [`TcpStream`], non-blocking std sockets that wait on the loop's epoll.
//!
//! They are used from tasks (or [`block_on`](crate::LoopHandle::block_on))
//! of a running loop: an operation that would block registers the task's
//! waker with the loop the first time it has to wait, and the task is
//! polled again once the socket is ready: in the same loop iteration as the
//! wait that found it ready. Nothing here blocks the loop's
//! thread: not even [`TcpStream::connect`], which starts a non-blocking
//! connect and waits for it. Errors are the operating system's, as
//! [`io::Error`]s: `ConnectionRefused`, `ConnectionReset`, and end of file
//! as `Ok(0)` from [`read`](TcpStream::read) (or `UnexpectedEof` from
//! [`read_exact`](TcpStream::read_exact)).
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
//!     let mut listener = TcpListener::bind("127.0.0.1:0")?;
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

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::event_loop::LoopHandle;
use crate::reactor::{Direction, Handler, Reactor};

/// A socket's place in a loop's reactor: made when it first has to wait.
struct Registration {
    fd: RawFd,
    joined: Option<(LoopHandle, Rc<Reactor>)>,
}

impl Registration {
    fn new(fd: RawFd) -> Registration {
        Registration { fd, joined: None }
    }

    /// Waits for `direction` if `result` says the operation would block:
    /// stores the task's waker so that it is polled again when the socket
    /// is ready. The socket is watched edge-triggered: the operation was
    /// just tried and would block, so whatever readies the socket from now
    /// on is a change, reported at a later wait; it cannot be missed.
    fn poll<R>(
        &mut self,
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
        let registered = match &self.joined {
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
    fn join(&mut self) -> io::Result<Rc<Reactor>> {
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
        self.joined = Some((current, Rc::clone(&reactor)));
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

/// A TCP socket listening for connections, for `async` code on the loop.
///
/// See the [module documentation](self).
pub struct TcpListener {
    // Unregistered (in `Drop`) before the socket closes.
    registration: Registration,
    listener: std::net::TcpListener,
}

impl TcpListener {
    /// Binds a listening socket to `addr` (port 0: any free port). Needs
    /// no loop: the socket joins the loop that first waits on it.
    ///
    /// `addr` is resolved with [`ToSocketAddrs`], which may block for a
    /// name lookup: pass an IP address from a task.
    ///
    /// # Errors
    ///
    /// What `bind(2)` and `listen(2)` say (`AddrInUse`, …).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// A listener from a std one (made non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            registration: Registration::new(listener.as_raw_fd()),
            listener,
        })
    }

    /// The address it listens on.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Waits for the next connection, and returns it with the peer's
    /// address.
    ///
    /// # Errors
    ///
    /// What `accept(2)` says (for instance `EMFILE` when out of file
    /// descriptors: the connection stays queued, and a later `accept` may
    /// take it).
    pub async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = poll_fn(|cx| {
            let result = self.listener.accept();
            self.registration.poll(cx, Direction::Read, result)
        })
        .await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }
}

/// A TCP connection, for `async` code on the loop.
///
/// `read`, `write` and the rest take `&mut self`: one operation at a
/// time per direction, as the loop keeps one waiting task per direction.
/// A socket belongs to the loop it first waited on (on a later loop of the
/// same thread it would wait on the first one's reactor).
/// See the [module documentation](self).
pub struct TcpStream {
    // Unregistered (in `Drop`) before the socket closes.
    registration: Registration,
    stream: std::net::TcpStream,
}

impl TcpStream {
    /// Connects to `addr` without blocking the loop's thread: starts a
    /// non-blocking connect and waits until the socket is writable, then
    /// reports how the connection went.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nothing listens there, and whatever else
    /// `connect(2)` says. Must be awaited on a running loop.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let (stream, in_progress) = crate::sys::connect_nonblocking(addr)?;
        let mut stream = TcpStream {
            registration: Registration::new(stream.as_raw_fd()),
            stream,
        };
        if in_progress {
            poll_fn(|cx| {
                let result = stream.connected();
                stream.registration.poll(cx, Direction::Write, result)
            })
            .await?;
        }
        Ok(stream)
    }

    /// Whether a connect in progress is done: `WouldBlock` while not.
    fn connected(&self) -> io::Result<()> {
        if let Some(err) = self.stream.take_error()? {
            return Err(err);
        }
        match self.stream.peer_addr() {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                Err(io::ErrorKind::WouldBlock.into())
            }
            Err(err) => Err(err),
        }
    }

    /// A stream from a connected std one (made non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            registration: Registration::new(stream.as_raw_fd()),
            stream,
        })
    }

    /// Reads what has arrived into `buf`, waiting until something has.
    /// Returns how many bytes were read; `Ok(0)` is end of file (or an
    /// empty `buf`).
    ///
    /// # Errors
    ///
    /// What `read(2)` says: `ConnectionReset` when the peer reset the
    /// connection, …
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let result = (&self.stream).read(buf);
        self.registration.poll(cx, Direction::Read, result)
    }

    /// Writes some of `buf`, waiting until the socket takes at least one
    /// byte. Returns how many it took.
    ///
    /// # Errors
    ///
    /// What `write(2)` says: `BrokenPipe` or `ConnectionReset` once the
    /// peer is gone, …
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let result = (&self.stream).write(buf);
        self.registration.poll(cx, Direction::Write, result)
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the stream ends first (what was read is in
    /// `buf`, lost to the caller), or any error of [`read`](TcpStream::read).
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// Any error of [`write`](TcpStream::write); `WriteZero` if the socket
    /// takes nothing.
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Shuts down the reading half, the writing half (the peer then reads
    /// end of file), or both. Never blocks.
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` says (`NotConnected`, …).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.shutdown(how)
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` says.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream.set_nodelay(nodelay)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.listener.as_raw_fd())
            .field("local_addr", &self.listener.local_addr().ok())
            .finish()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.stream.as_raw_fd())
            .field("local_addr", &self.stream.local_addr().ok())
            .field("peer_addr", &self.stream.peer_addr().ok())
            .finish()
    }
}
