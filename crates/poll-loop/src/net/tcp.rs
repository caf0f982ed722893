//! TCP: [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use super::{Listener, Socket, connect_done, socket_fd, stream_io};
use crate::os::reactor::Direction;
use crate::os::sys::AsRawFd;

/// A TCP socket listening for connections, for `async` code on the loop.
///
/// # Examples
///
/// A server that answers each connection's line in upper case, a task per
/// connection, and a client from another thread:
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use poll_loop::net::TcpListener;
/// use poll_loop::{EventLoop, spawn};
///
/// let lp = EventLoop::new();
/// let mut listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let client = std::thread::spawn(move || {
///     let mut stream = std::net::TcpStream::connect(addr).unwrap();
///     stream.write_all(b"hello\n").unwrap();
///     let mut line = String::new();
///     BufReader::new(stream).read_line(&mut line).unwrap();
///     line
/// });
/// lp.block_on(async {
///     let (mut conn, _peer) = listener.accept().await?;
///     spawn(async move {
///         let mut buf = [0; 64];
///         let n = conn.read(&mut buf).await.unwrap();
///         conn.write_all(&buf[..n].to_ascii_uppercase()).await.unwrap();
///     })
///     .await
///     .unwrap();
///     Ok::<_, std::io::Error>(())
/// })??;
/// assert_eq!(client.join().unwrap(), "HELLO\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// See the [module documentation](crate::net).
pub struct TcpListener {
    listener: Listener<std::net::TcpListener>,
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
            listener: Listener::new(listener),
        })
    }

    /// The address it listens on.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.inner.local_addr()
    }

    /// Waits for the next connection, and returns it with the peer's
    /// address.
    ///
    /// # Errors
    ///
    /// What `accept(2)` says. Out of file descriptors or memory
    /// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the connection stays
    /// queued and the next `accept` on this listener first waits
    /// [`ACCEPT_RETRY_DELAY`](super::ACCEPT_RETRY_DELAY) (one second, as
    /// asyncio's), so a loop that retries on error does not spin.
    pub async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.listener.accept(|l| l.accept()).await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }
}

/// A TCP connection, for `async` code on the loop.
///
/// `read`, `write` and the rest take `&mut self`: one operation at a
/// time per direction, as the loop keeps one waiting task per direction.
/// A socket belongs to the loop it first waited on (on a later loop of the
/// same thread it would wait on the first one's reactor).
///
/// # Examples
///
/// A client: connect, send a request, read the answer to its end. The
/// server here is a std one on another thread.
///
/// ```
/// use std::io::{Read, Write};
/// use poll_loop::EventLoop;
/// use poll_loop::net::TcpStream;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     let mut n = [0; 1];
///     conn.read_exact(&mut n).unwrap();
///     conn.write_all(&[n[0] * n[0]]).unwrap(); // then closed
/// });
/// let lp = EventLoop::new();
/// let answer = lp.block_on(async {
///     let mut stream = TcpStream::connect(addr).await?;
///     stream.write_all(&[7]).await?;
///     let mut answer = Vec::new();
///     let mut buf = [0; 8];
///     loop {
///         match stream.read(&mut buf).await? {
///             0 => break, // end of file: the server closed
///             n => answer.extend_from_slice(&buf[..n]),
///         }
///     }
///     Ok::<_, std::io::Error>(answer)
/// })??;
/// assert_eq!(answer, [49]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// See the [module documentation](crate::net).
pub struct TcpStream {
    stream: Socket<std::net::TcpStream>,
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
        let (stream, in_progress) = crate::os::sys::connect_nonblocking(addr)?;
        let mut stream = Socket::new(stream);
        if in_progress {
            let done = |s: &std::net::TcpStream| connect_done(s.take_error(), || s.peer_addr());
            stream.io(Direction::Write, done).await?;
        }
        Ok(TcpStream { stream })
    }

    /// A stream from a connected std one (made non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            stream: Socket::new(stream),
        })
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` says.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.inner.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.inner.local_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream.inner.set_nodelay(nodelay)
    }
}

socket_fd!(TcpListener.listener, TcpStream.stream);

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.listener.inner.as_raw_fd())
            .field("local_addr", &self.listener.inner.local_addr().ok())
            .finish()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.stream.inner.as_raw_fd())
            .field("local_addr", &self.stream.inner.local_addr().ok())
            .field("peer_addr", &self.stream.inner.peer_addr().ok())
            .finish()
    }
}

stream_io!(TcpStream);
