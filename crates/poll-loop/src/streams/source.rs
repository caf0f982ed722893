//! What the reader and the writer need of a socket's halves, the same over
//! TCP and Unix sockets: the readers and writers are written once, over
//! these traits, and hold a boxed half.

use std::fmt;
use std::io;
use std::task::{Context, Poll};

use crate::net::tcp;
#[cfg(unix)]
use crate::net::unix;

/// A socket's address, as [`StreamWriter::peer_addr`](super::StreamWriter::peer_addr)
/// and [`local_addr`](super::StreamWriter::local_addr) give it (asyncio's
/// `get_extra_info('peername')` and `'sockname'`).
///
/// # Examples
///
/// ```
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{StreamAddr, open_connection};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (_reader, writer) = open_connection(addr).await?;
///     let peer = writer.peer_addr()?;
///     assert!(matches!(peer, StreamAddr::Tcp(_)));
///     assert_eq!(peer.as_tcp(), Some(addr));
///     assert_eq!(peer.to_string(), addr.to_string());
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub enum StreamAddr {
    /// A TCP connection's end.
    Tcp(std::net::SocketAddr),
    /// A Unix socket's end (often unnamed, on the client's side).
    #[cfg(unix)]
    Unix(std::os::unix::net::SocketAddr),
}

impl StreamAddr {
    /// The TCP address, if it is one.
    pub fn as_tcp(&self) -> Option<std::net::SocketAddr> {
        match self {
            StreamAddr::Tcp(addr) => Some(*addr),
            #[cfg(unix)]
            StreamAddr::Unix(_) => None,
        }
    }
}

impl fmt::Debug for StreamAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamAddr::Tcp(addr) => f.debug_tuple("Tcp").field(addr).finish(),
            #[cfg(unix)]
            StreamAddr::Unix(addr) => f.debug_tuple("Unix").field(addr).finish(),
        }
    }
}

impl fmt::Display for StreamAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamAddr::Tcp(addr) => fmt::Display::fmt(addr, f),
            #[cfg(unix)]
            StreamAddr::Unix(addr) => match addr.as_pathname() {
                Some(path) => fmt::Display::fmt(&path.display(), f),
                None => f.write_str("(unnamed)"),
            },
        }
    }
}

/// A read half.
pub(super) trait ReadSource {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}

/// A write half.
pub(super) trait WriteSink {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// One write that does not wait: `WouldBlock` if the socket takes
    /// nothing now.
    fn try_write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// Shuts the writing direction down.
    fn shutdown(&self) -> io::Result<()>;
    fn peer_addr(&self) -> io::Result<StreamAddr>;
    fn local_addr(&self) -> io::Result<StreamAddr>;
}

macro_rules! halves {
    ($module:ident, $variant:ident) => {
        impl ReadSource for $module::OwnedReadHalf {
            fn poll_read(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                $module::OwnedReadHalf::poll_read(self, cx, buf)
            }
        }

        impl WriteSink for $module::OwnedWriteHalf {
            fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                $module::OwnedWriteHalf::poll_write(self, cx, buf)
            }

            fn try_write(&mut self, buf: &[u8]) -> io::Result<usize> {
                $module::OwnedWriteHalf::try_write(self, buf)
            }

            fn shutdown(&self) -> io::Result<()> {
                $module::OwnedWriteHalf::shutdown(self)
            }

            fn peer_addr(&self) -> io::Result<StreamAddr> {
                $module::OwnedWriteHalf::peer_addr(self).map(StreamAddr::$variant)
            }

            fn local_addr(&self) -> io::Result<StreamAddr> {
                $module::OwnedWriteHalf::local_addr(self).map(StreamAddr::$variant)
            }
        }
    };
}

halves!(tcp, Tcp);
#[cfg(unix)]
halves!(unix, Unix);
