//! TCP: [`TcpListener`] and [`TcpStream`], and the halves of a split
//! stream ([`ReadHalf`], [`WriteHalf`], [`OwnedReadHalf`],
//! [`OwnedWriteHalf`]).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::split::split_halves;
use super::{Listener, Socket, TcpSocket, connect_done, connect_each, socket_fd, stream_io};
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
/// let listener = TcpListener::bind("127.0.0.1:0")?;
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

/// The backlog [`TcpListener::bind`] asks for: room for this many
/// connections not yet accepted (tokio's too; std's `bind` asks for 128).
/// The kernel may cap it (on Linux at `net.core.somaxconn`, 4096 by
/// default).
pub const DEFAULT_BACKLOG: u32 = 1024;

impl TcpListener {
    /// Binds a listening socket to `addr` (port 0: any free port), with a
    /// backlog of [`DEFAULT_BACKLOG`] (1024, as tokio's) and, on Unix,
    /// `SO_REUSEADDR` (as std and tokio set it: a restarted server can bind
    /// its port while old connections linger in `TIME_WAIT`). For another
    /// backlog or other options, use a [`TcpSocket`]. Needs no loop: the
    /// socket joins the loop that first waits on it.
    ///
    /// Each address `addr` resolves to is tried in turn, until one binds.
    /// Resolving is std's [`ToSocketAddrs`], which blocks for a name
    /// lookup (`"localhost:80"`), not for an IP address
    /// (`"127.0.0.1:80"`): see [`TcpStream::connect`].
    ///
    /// # Errors
    ///
    /// What `bind(2)` and `listen(2)` say (`AddrInUse`, …), for the last
    /// address tried; `InvalidInput` if `addr` resolves to none.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            let bound = TcpSocket::for_addr(addr).and_then(|socket| {
                #[cfg(unix)]
                socket.set_reuseaddr(true)?;
                socket.bind(addr)?;
                socket.listen(DEFAULT_BACKLOG)
            });
            match bound {
                Ok(listener) => return Ok(listener),
                Err(err) => last = Some(err),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "could not resolve to any address",
            )
        }))
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
    /// Takes `&self`: several tasks may accept on one listener at once
    /// (each connection goes to one of them; every waiting task is woken
    /// when connections arrive, and those that find none wait again).
    ///
    /// # Errors
    ///
    /// What `accept(2)` says. Out of file descriptors or memory
    /// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the connection stays
    /// queued and the next `accept` on this listener first waits
    /// [`ACCEPT_RETRY_DELAY`](super::ACCEPT_RETRY_DELAY) (one second, as
    /// asyncio's), so a loop that retries on error does not spin.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.listener.accept(|l| l.accept()).await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }
}

/// A TCP connection, for `async` code on the loop.
///
/// `read`, `write` and the rest take `&mut self`: one operation at a
/// time per direction, as the loop keeps one waiting task per direction.
/// To read in one task and write in another (a full-duplex proxy), split
/// it: [`split`](TcpStream::split) borrows, [`into_split`](TcpStream::into_split)
/// gives halves each task can own.
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
    /// Connects to `addr` (a `SocketAddr`, `"127.0.0.1:8080"`,
    /// `("example.com", 80)`, …), trying each address it resolves to in
    /// turn until one accepts, as tokio's `connect` does. Each attempt
    /// starts a non-blocking connect and waits until the socket is
    /// writable, without blocking the loop's thread.
    ///
    /// Resolving is std's [`ToSocketAddrs`], on the calling thread: an IP
    /// address and port (`"127.0.0.1:80"`, a `SocketAddr`) need no lookup,
    /// but a host name does, and the lookup (`getaddrinfo`) blocks the
    /// loop until it answers. tokio resolves on a thread of its own;
    /// here, resolve a name away from the loop first with
    /// [`run_in_executor`](crate::LoopHandle::run_in_executor), then pass
    /// the addresses:
    ///
    /// ```
    /// use std::net::ToSocketAddrs;
    /// use poll_loop::{EventLoop, LoopHandle};
    /// use poll_loop::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let port = listener.local_addr()?.port();
    /// let lp = EventLoop::new();
    /// lp.block_on(async move {
    ///     let lp = LoopHandle::current().unwrap();
    ///     let lookup = lp.run_in_executor(move || {
    ///         let addrs = ("localhost", port).to_socket_addrs();
    ///         addrs.map(Vec::from_iter).map_err(|err| err.to_string())
    ///     })?;
    ///     let addrs = lookup.await??; // resolved on a worker thread
    ///     let stream = TcpStream::connect(&addrs[..]).await?;
    ///     assert_eq!(stream.peer_addr()?.port(), port);
    ///     Ok::<_, Box<dyn std::error::Error>>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The last address's error: `ConnectionRefused` when nothing listens
    /// there, and whatever else `connect(2)` says; `InvalidInput` if
    /// `addr` resolves to no address, and the lookup's error if it fails.
    /// Must be awaited on a running loop.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        connect_each(addr, TcpStream::connect_addr).await
    }

    /// Connects to one address.
    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let (stream, in_progress) = crate::os::sys::connect_nonblocking(addr)?;
        TcpStream::connected(stream, in_progress).await
    }

    /// The stream of a socket whose connect was started, once it is done.
    pub(super) async fn connected(
        stream: std::net::TcpStream,
        in_progress: bool,
    ) -> io::Result<TcpStream> {
        let stream = Socket::new(stream);
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

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.stream.inner.nodelay()
    }

    /// Sets `IP_TTL`: how many hops the packets sent may take.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.stream.inner.set_ttl(ttl)
    }

    /// `IP_TTL`'s value.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn ttl(&self) -> io::Result<u32> {
        self.stream.inner.ttl()
    }

    /// Sets `SO_LINGER`: see [`TcpSocket::set_linger`].
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        crate::os::sys::set_linger(&self.stream.inner, linger)
    }

    /// `SO_LINGER`'s value: see [`TcpSocket::set_linger`].
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        crate::os::sys::linger(&self.stream.inner)
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

split_halves!(
    TcpStream,
    SocketAddr,
    split: r#"
Reading and writing at once in one task: the write and the read wait
together (`join` from `futures-util` here), each woken by its own
readiness.

```
use std::io::{Read, Write};
use poll_loop::EventLoop;
use poll_loop::net::TcpStream;

let server = std::net::TcpListener::bind("127.0.0.1:0")?;
let addr = server.local_addr()?;
std::thread::spawn(move || {
    let (mut conn, _) = server.accept().unwrap();
    conn.write_all(b"hello").unwrap(); // before it reads
    let mut buf = [0; 4];
    conn.read_exact(&mut buf).unwrap();
});
let lp = EventLoop::new();
let greeting = lp.block_on(async {
    let mut stream = TcpStream::connect(addr).await?;
    let (mut reader, mut writer) = stream.split();
    let mut greeting = [0; 5];
    let (wrote, read) = futures_util::future::join(
        writer.write_all(b"ping"),
        reader.read_exact(&mut greeting),
    )
    .await;
    wrote?;
    read?;
    Ok::<_, std::io::Error>(greeting)
})??;
assert_eq!(&greeting, b"hello");
# Ok::<(), Box<dyn std::error::Error>>(())
```
"#,
    into_split: r#"
A reader task and a writer task on one connection, then the stream put
back together:

```
use std::io::{Read, Write};
use poll_loop::{EventLoop, spawn};
use poll_loop::net::TcpStream;

let server = std::net::TcpListener::bind("127.0.0.1:0")?;
let addr = server.local_addr()?;
std::thread::spawn(move || {
    let (mut conn, _) = server.accept().unwrap();
    let mut buf = [0; 4];
    conn.read_exact(&mut buf).unwrap();
    conn.write_all(&buf.map(|b| b.to_ascii_uppercase())).unwrap();
});
let lp = EventLoop::new();
lp.block_on(async {
    let (mut reader, mut writer) = TcpStream::connect(addr).await?.into_split();
    let reading = spawn(async move {
        let mut buf = [0; 4];
        reader.read_exact(&mut buf).await.map(|()| (buf, reader))
    });
    writer.write_all(b"ping").await?;
    let (answer, reader) = reading.await.unwrap()?;
    assert_eq!(&answer, b"PING");
    let stream = reader.reunite(writer).unwrap(); // the same stream again
    assert_eq!(stream.peer_addr()?, addr);
    Ok::<_, std::io::Error>(())
})??;
# Ok::<(), Box<dyn std::error::Error>>(())
```
"#,
    reunite: r#"
```
use poll_loop::EventLoop;
use poll_loop::net::TcpStream;
use poll_loop::net::tcp::ReuniteError;

let server = std::net::TcpListener::bind("127.0.0.1:0")?;
let addr = server.local_addr()?;
let lp = EventLoop::new();
lp.block_on(async {
    let (read_a, write_a) = TcpStream::connect(addr).await?.into_split();
    let (read_b, write_b) = TcpStream::connect(addr).await?.into_split();
    let ReuniteError(read_a, write_b) = read_a.reunite(write_b).unwrap_err();
    assert!(read_a.reunite(write_a).is_ok());
    assert!(read_b.reunite(write_b).is_ok());
    Ok::<_, std::io::Error>(())
})??;
# Ok::<(), Box<dyn std::error::Error>>(())
```
"#
);
