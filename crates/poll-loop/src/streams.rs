//! asyncio's streams: [`open_connection`] gives a [`StreamReader`] and a
//! [`StreamWriter`], [`start_server`] runs a handler task per connection —
//! the API to write a protocol with (a line protocol, HTTP, a proxy), over
//! TCP and Unix sockets alike.
//!
//! The reader buffers what arrives and reads it as the protocol wants it:
//! [`readline`](StreamReader::readline),
//! [`readuntil`](StreamReader::readuntil) a separator,
//! [`readexactly`](StreamReader::readexactly) `n` bytes,
//! [`read`](StreamReader::read) up to `n`, [`read_to_end`](StreamReader::read_to_end).
//! Lines are bounded by a [limit](StreamReader::set_limit) (64 KiB, as
//! asyncio's), and the errors keep the data ([`LimitOverrunError`],
//! [`IncompleteReadError`]). The writer's [`write`](StreamWriter::write)
//! does not wait; [`drain`](StreamWriter::drain) waits while too much is
//! buffered (back-pressure). The reader and the writer are separate
//! values: a task may read while another writes.
//!
//! # Examples
//!
//! A line-based server and its client on one loop: the server answers each
//! line with its length; the client sends two lines and reads the answers.
//!
//! ```
//! use poll_loop::EventLoop;
//! use poll_loop::streams::{StreamReader, StreamWriter, open_connection, start_server};
//!
//! async fn handle(mut reader: StreamReader, writer: StreamWriter) {
//!     let mut lines = reader.lines();
//!     while let Ok(Some(line)) = lines.next_line().await {
//!         writer.write(format!("{}\n", line.len()).as_bytes());
//!         if writer.drain().await.is_err() {
//!             return;
//!         }
//!     }
//!     writer.close();
//! }
//!
//! let lp = EventLoop::new();
//! let answers = lp.block_on(async {
//!     let server = start_server(handle, "127.0.0.1:0").await?;
//!     let (mut reader, writer) = open_connection(server.local_addr()).await?;
//!     writer.write(b"hello\nasync world\n");
//!     writer.write_eof(); // no more lines: the server's loop ends
//!     let answers = reader.read_to_end().await?;
//!     server.close();
//!     server.wait_closed().await;
//!     Ok::<_, std::io::Error>(answers)
//! })??;
//! assert_eq!(answers, b"5\n11\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Differences from asyncio
//!
//! - There is no transport object: the writer's background writing is a
//!   task of its own, spawned when `write` leaves bytes the socket could
//!   not take (see [`StreamWriter`]).
//! - Host names are resolved on the loop's thread, by std's blocking
//!   resolver (see [`TcpStream::connect`](crate::net::TcpStream::connect));
//!   asyncio resolves in its executor.
//! - Cancellation is dropping the future (asyncio throws `CancelledError`
//!   in): every read is safe to drop, what was received stays buffered.

mod byte_buffer;
mod errors;
mod find;
mod reader;
mod server;
mod source;
mod writer;

use std::io;
use std::net::ToSocketAddrs;

pub use self::errors::{
    IncompleteReadError, LimitOverrunError, ReadExactlyError, ReadLineError, ReadUntilError,
};
pub use self::reader::{DEFAULT_LIMIT, Lines, StreamReader};
pub use self::server::{Server, start_server};
pub use self::source::StreamAddr;
pub use self::writer::{DEFAULT_HIGH_WATER, StreamWriter};

use crate::net::TcpStream;

/// Connects to `addr` over TCP and returns the connection's reader and
/// writer. asyncio's `open_connection(host, port)`.
///
/// Each address `addr` resolves to is tried in turn
/// ([`TcpStream::connect`], which says how names are resolved).
///
/// # Errors
///
/// The connect's (`ConnectionRefused`, …), for the last address tried.
///
/// # Examples
///
/// A host string, as asyncio's `open_connection(host, port)` takes (here
/// `localhost`, which may resolve to `::1` first, where nothing listens:
/// the next address is tried):
///
/// ```
/// use std::io::Write;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::open_connection;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let port = server.local_addr()?.port();
/// std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     conn.write_all(b"220 ready\r\n").unwrap();
/// });
/// let lp = EventLoop::new();
/// let greeting = lp.block_on(async move {
///     let (mut reader, _writer) = open_connection(format!("localhost:{port}")).await?;
///     reader.readline().await.map_err(std::io::Error::from)
/// })??;
/// assert_eq!(greeting, b"220 ready\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn open_connection(addr: impl ToSocketAddrs) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect(addr).await?;
    Ok(from_tcp_stream(stream))
}

/// The reader and writer of a connected [`TcpStream`] (made with a
/// [`TcpSocket`](crate::net::TcpSocket), or accepted by hand).
pub fn from_tcp_stream(stream: TcpStream) -> (StreamReader, StreamWriter) {
    let (read, write) = stream.into_split();
    (
        StreamReader::new(Box::new(read)),
        StreamWriter::new(Box::new(write)),
    )
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use self::unix::{from_unix_stream, open_unix_connection, start_unix_server};
