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
