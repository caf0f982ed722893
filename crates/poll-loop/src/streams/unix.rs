//! The Unix-socket flavours: [`open_unix_connection`] and
//! [`start_unix_server`].

use std::future::Future;
use std::io;
use std::path::Path;
use std::rc::Rc;

use super::{Server, StreamReader, StreamWriter};
use crate::net::{UnixListener, UnixStream};

/// Connects to the Unix socket at `path` and returns the connection's
/// reader and writer. asyncio's `open_unix_connection`.
///
/// # Errors
///
/// As [`UnixStream::connect`].
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader, StreamWriter)> {
    Ok(from_unix_stream(UnixStream::connect(path).await?))
}

/// The reader and writer of a connected [`UnixStream`] (one of a
/// [`pair`](UnixStream::pair), say).
pub fn from_unix_stream(stream: UnixStream) -> (StreamReader, StreamWriter) {
    let (read, write) = stream.into_split();
    (
        StreamReader::new(Box::new(read)),
        StreamWriter::new(Box::new(write)),
    )
}

/// Starts a server on a new Unix socket file at `path`, as
/// [`start_server`](super::start_server) does on TCP. asyncio's
/// `start_unix_server`. The file is removed when the server is
/// [closed](Server::close) (asyncio 3.13's `cleanup_socket`).
///
/// # Errors
///
/// As [`UnixListener::bind`] (`AddrInUse` if the file exists, …).
///
/// # Examples
///
/// ```
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{StreamReader, StreamWriter, open_unix_connection, start_unix_server};
///
/// async fn hello(_reader: StreamReader, writer: StreamWriter) {
///     writer.write(b"hello over a socket file\n");
///     writer.close();
/// }
///
/// let dir = std::env::temp_dir().join(format!("poll-loop-streams-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("hello.sock");
/// let lp = EventLoop::new();
/// let line = lp.block_on(async {
///     let server = start_unix_server(hello, &path).await?;
///     let (mut reader, _writer) = open_unix_connection(&path).await?;
///     let line = reader.readline().await?;
///     server.close(); // removes the socket file
///     server.wait_closed().await;
///     Ok::<_, std::io::Error>(line)
/// })??;
/// assert_eq!(line, b"hello over a socket file\n");
/// assert!(!path.exists());
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics
///
/// If no loop runs on this thread.
pub async fn start_unix_server<H, F>(
    handler: H,
    path: impl AsRef<Path>,
) -> io::Result<Server<std::os::unix::net::SocketAddr>>
where
    H: FnMut(StreamReader, StreamWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let path = path.as_ref();
    let listener = Rc::new(UnixListener::bind(path)?);
    let local_addr = listener.local_addr()?;
    let accept = move || {
        let listener = Rc::clone(&listener);
        async move {
            let (stream, _peer) = listener.accept().await?;
            Ok(from_unix_stream(stream))
        }
    };
    Ok(Server::start(
        handler,
        accept,
        local_addr,
        Some(path.to_path_buf()),
    ))
}
