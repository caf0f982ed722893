//! Unix stream sockets: [`UnixListener`] and [`UnixStream`], the same
//! operations as TCP's on a socket file (or a `socketpair`), and the
//! halves of a split stream ([`ReadHalf`], [`WriteHalf`],
//! [`OwnedReadHalf`], [`OwnedWriteHalf`]).

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use super::split::split_halves;
use super::{Listener, Socket, connect_done, socket_fd, stream_io};
use crate::os::reactor::Direction;

/// A Unix stream socket listening for connections, for `async` code on
/// the loop.
///
/// ```
/// use poll_loop::{EventLoop, LoopHandle};
/// use poll_loop::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("poll-loop-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("echo.sock");
/// let _ = std::fs::remove_file(&path);
///
/// let lp = EventLoop::new();
/// let reply = lp.block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     LoopHandle::current().unwrap().spawn(async move {
///         let (mut conn, _peer) = listener.accept().await.unwrap();
///         let mut buf = [0; 4];
///         conn.read_exact(&mut buf).await.unwrap();
///         conn.write_all(&buf).await.unwrap();
///     });
///     let mut client = UnixStream::connect(&path).await?;
///     client.write_all(b"ping").await?;
///     let mut reply = [0; 4];
///     client.read_exact(&mut reply).await?;
///     Ok::<_, std::io::Error>(reply)
/// })??;
/// assert_eq!(&reply, b"ping");
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// See the [module documentation](crate::net).
pub struct UnixListener {
    listener: Listener<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds a listening socket to a new socket file at `path`. Needs no
    /// loop: the socket joins the loop that first waits on it. The file
    /// stays when the listener is dropped (remove it yourself), as with
    /// std's listener.
    ///
    /// # Errors
    ///
    /// What `bind(2)` and `listen(2)` say (`AddrInUse` if the file
    /// exists, …).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// A listener from a std one (made non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
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
    /// address (usually unnamed).
    ///
    /// # Errors
    ///
    /// What `accept(2)` says. Out of file descriptors or memory
    /// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the connection stays
    /// queued and the next `accept` on this listener first waits
    /// [`ACCEPT_RETRY_DELAY`](super::ACCEPT_RETRY_DELAY) (one second, as
    /// asyncio's), so a loop that retries on error does not spin.
    ///
    /// Takes `&self`: several tasks may accept on one listener at once,
    /// as with [`TcpListener::accept`](super::TcpListener::accept).
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self.listener.accept(|l| l.accept()).await?;
        Ok((UnixStream::from_std(stream)?, addr))
    }
}

/// A Unix stream connection, for `async` code on the loop: the same
/// operations as [`TcpStream`](super::TcpStream)'s, with the same rules
/// (one operation at a time per direction, or [`split`](UnixStream::split)
/// it to read and write at once; the socket belongs to the loop it first
/// waited on).
///
/// # Examples
///
/// A connected pair (`socketpair`) on one loop: one end writes and shuts
/// its writing down, the other reads to the end.
///
/// ```
/// use poll_loop::EventLoop;
/// use poll_loop::net::UnixStream;
///
/// let lp = EventLoop::new();
/// let got = lp.block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"over a socket pair").await?;
///     a.shutdown(std::net::Shutdown::Write)?;
///     let mut got = Vec::new();
///     let mut buf = [0; 8];
///     loop {
///         match b.read(&mut buf).await? {
///             0 => break,
///             n => got.extend_from_slice(&buf[..n]),
///         }
///     }
///     Ok::<_, std::io::Error>(got)
/// })??;
/// assert_eq!(got, b"over a socket pair");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// See the [module documentation](crate::net).
pub struct UnixStream {
    stream: Socket<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path` without blocking the loop's
    /// thread.
    ///
    /// # Errors
    ///
    /// `NotFound` when no socket file is there, `ConnectionRefused` when
    /// nothing listens on it, `WouldBlock` when its listener's backlog is
    /// full (a non-blocking Unix connect cannot wait for room: try again
    /// later), `InvalidInput` for a path of 108 bytes or more, and
    /// whatever else `connect(2)` says. Must be awaited on a running loop.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let (stream, in_progress) = crate::os::sys::connect_unix_nonblocking(path.as_ref())?;
        let stream = Socket::new(stream);
        if in_progress {
            let done =
                |s: &std::os::unix::net::UnixStream| connect_done(s.take_error(), || s.peer_addr());
            stream.io(Direction::Write, done).await?;
        }
        Ok(UnixStream { stream })
    }

    /// Two streams connected to each other (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// What `socketpair(2)` says.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// A stream from a connected std one (made non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
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
}

stream_io!(UnixStream);

split_halves!(
    UnixStream,
    SocketAddr,
    split: r#"
Reading and writing at once in one task (`join` from `futures-util`
here), over a socket pair:

```
use std::io::{Read, Write};
use poll_loop::EventLoop;
use poll_loop::net::UnixStream;

let (ours, mut theirs) = std::os::unix::net::UnixStream::pair()?;
std::thread::spawn(move || {
    theirs.write_all(b"hello").unwrap(); // before it reads
    let mut buf = [0; 4];
    theirs.read_exact(&mut buf).unwrap();
});
let lp = EventLoop::new();
let greeting = lp.block_on(async {
    let mut stream = UnixStream::from_std(ours)?;
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
use poll_loop::{EventLoop, spawn};
use poll_loop::net::UnixStream;

let lp = EventLoop::new();
lp.block_on(async {
    let (ours, theirs) = UnixStream::pair()?;
    let (mut reader, mut writer) = ours.into_split();
    let (mut their_reader, mut their_writer) = theirs.into_split();
    let echo = spawn(async move {
        let mut buf = [0; 4];
        their_reader.read_exact(&mut buf).await?;
        their_writer.write_all(&buf).await
    });
    let reading = spawn(async move {
        let mut buf = [0; 4];
        reader.read_exact(&mut buf).await.map(|()| (buf, reader))
    });
    writer.write_all(b"ping").await?;
    let (answer, reader) = reading.await.unwrap()?;
    echo.await.unwrap()?;
    assert_eq!(&answer, b"ping");
    let stream = reader.reunite(writer).unwrap(); // the same stream again
    assert!(stream.peer_addr().is_ok());
    Ok::<_, std::io::Error>(())
})??;
# Ok::<(), Box<dyn std::error::Error>>(())
```
"#,
    reunite: r#"
```
use poll_loop::net::UnixStream;
use poll_loop::net::unix::ReuniteError;

let (a, b) = UnixStream::pair()?;
let (read_a, write_a) = a.into_split();
let (read_b, write_b) = b.into_split();
let ReuniteError(read_a, write_b) = read_a.reunite(write_b).unwrap_err();
assert!(read_a.reunite(write_a).is_ok());
assert!(read_b.reunite(write_b).is_ok());
# Ok::<(), Box<dyn std::error::Error>>(())
```
"#
);

socket_fd!(UnixListener.listener, UnixStream.stream);

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.listener.inner.as_raw_fd())
            .field("local_addr", &self.listener.inner.local_addr().ok())
            .finish()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.stream.inner.as_raw_fd())
            .field("peer_addr", &self.stream.inner.peer_addr().ok())
            .finish()
    }
}
