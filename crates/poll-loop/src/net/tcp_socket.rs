//! [`TcpSocket`]: a TCP socket not yet bound or connected, to set options
//! that must come first (or to choose the listen backlog).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::{TcpListener, TcpStream};
use crate::os::sys::{self, AsRawFd, SockOpt};

/// A TCP socket not yet bound or connected: set its options, then
/// [`listen`](TcpSocket::listen) (a [`TcpListener`], with the backlog
/// you choose) or [`connect`](TcpSocket::connect) (a [`TcpStream`]).
/// tokio's `TcpSocket`, with the same names.
///
/// Options that must be set before `bind` or `connect`
/// ([`set_reuseaddr`](TcpSocket::set_reuseaddr), the buffer sizes, which
/// decide the window TCP offers) can only be set here; the others
/// ([`set_nodelay`](TcpSocket::set_nodelay),
/// [`set_linger`](TcpSocket::set_linger), [`set_ttl`](TcpSocket::set_ttl))
/// on a [`TcpStream`] too. Setting an option is one system call, which
/// never blocks.
///
/// # Examples
///
/// A listener with a backlog of its own and `SO_REUSEADDR`, and a client
/// with small buffers and no Nagle delay:
///
/// ```
/// use poll_loop::EventLoop;
/// use poll_loop::net::TcpSocket;
///
/// let lp = EventLoop::new();
/// lp.block_on(async {
///     let server = TcpSocket::new_v4()?;
///     server.set_reuseaddr(true)?;
///     server.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = server.listen(64)?;
///     let addr = listener.local_addr()?;
///
///     let client = TcpSocket::new_v4()?;
///     client.set_recv_buffer_size(16 * 1024)?;
///     client.set_nodelay(true)?;
///     let stream = client.connect(addr).await?;
///     let (_conn, peer) = listener.accept().await?;
///     assert_eq!(peer, stream.local_addr()?);
///     assert!(stream.nodelay()?);
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TcpSocket {
    // An unconnected socket in a std `TcpStream`, which only owns it (and
    // gives std's setters) until `listen` or `connect`.
    socket: std::net::TcpStream,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Errors
    ///
    /// What `socket(2)` says (`EMFILE`, …).
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            socket: sys::tcp_socket(false)?,
        })
    }

    /// A new IPv6 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Errors
    ///
    /// What `socket(2)` says (`EMFILE`, `EAFNOSUPPORT` on a host without
    /// IPv6, …).
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            socket: sys::tcp_socket(true)?,
        })
    }

    /// A new socket of `addr`'s family.
    pub(super) fn for_addr(addr: SocketAddr) -> io::Result<TcpSocket> {
        if addr.is_ipv6() {
            TcpSocket::new_v6()
        } else {
            TcpSocket::new_v4()
        }
    }

    /// Sets `SO_REUSEADDR`. On Unix, a listener may then bind a port that
    /// connections closed lately still hold (in `TIME_WAIT`), so a
    /// restarted server need not wait; [`TcpListener::bind`] sets it
    /// there. On Windows it means more (another socket may bind the same
    /// port and take its connections), so `bind` leaves it unset there.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        sys::set_option(&self.socket, SockOpt::ReuseAddr, reuseaddr.into())
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        Ok(sys::option(&self.socket, SockOpt::ReuseAddr)? != 0)
    }

    /// Sets `SO_REUSEPORT`: several sockets, each with it set, may listen
    /// on the same address and port (Linux spreads the connections over
    /// them).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says; `Unsupported` on illumos and Solaris,
    /// which have no such option.
    #[cfg(unix)]
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        sys::set_option(&self.socket, SockOpt::ReusePort, reuseport.into())
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    ///
    /// As [`set_reuseport`](TcpSocket::set_reuseport).
    #[cfg(unix)]
    pub fn reuseport(&self) -> io::Result<bool> {
        Ok(sys::option(&self.socket, SockOpt::ReusePort)? != 0)
    }

    /// Sets `SO_KEEPALIVE`: the system probes a connection that has been
    /// idle for long (two hours by default), and reports it broken if the
    /// peer does not answer.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        sys::set_option(&self.socket, SockOpt::KeepAlive, keepalive.into())
    }

    /// Whether `SO_KEEPALIVE` is set.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn keepalive(&self) -> io::Result<bool> {
        Ok(sys::option(&self.socket, SockOpt::KeepAlive)? != 0)
    }

    /// Sets `SO_LINGER`: with `Some(t)`, closing the socket sends what is
    /// still unsent for up to `t` (whole seconds), and `Some(ZERO)` resets
    /// the connection at once, dropping it; with `None` (the default),
    /// closing returns at once and the system sends the rest in the
    /// background.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::set_linger(&self.socket, linger)
    }

    /// `SO_LINGER`'s value (see [`set_linger`](TcpSocket::set_linger)).
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::linger(&self.socket)
    }

    /// Sets `IP_TTL`: how many hops the packets sent may take (IPv4).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.socket.set_ttl(ttl)
    }

    /// `IP_TTL`'s value.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn ttl(&self) -> io::Result<u32> {
        self.socket.ttl()
    }

    /// Sets `SO_SNDBUF`: the room the system keeps for data sent and not
    /// yet acknowledged. The system may round it (Linux doubles it).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        sys::set_option(&self.socket, SockOpt::SendBuffer, clamp(size))
    }

    /// `SO_SNDBUF`'s value, as the system keeps it.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        Ok(sys::option(&self.socket, SockOpt::SendBuffer)?.max(0) as u32)
    }

    /// Sets `SO_RCVBUF`: the room the system keeps for data received and
    /// not yet read, which decides the window TCP offers (set it before
    /// `connect` or `listen`). The system may round it (Linux doubles it).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        sys::set_option(&self.socket, SockOpt::RecvBuffer, clamp(size))
    }

    /// `SO_RCVBUF`'s value, as the system keeps it.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        Ok(sys::option(&self.socket, SockOpt::RecvBuffer)?.max(0) as u32)
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of waiting
    /// for the acknowledgement of the last (Nagle's algorithm).
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.socket.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.socket.nodelay()
    }

    /// Binds the socket to `addr` (port 0: any free port).
    ///
    /// # Errors
    ///
    /// What `bind(2)` says (`AddrInUse`, `AddrNotAvailable`,
    /// `InvalidInput` for an address of the other family, …).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        sys::bind_to(&self.socket, addr)
    }

    /// The address it is bound to.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Listens on the bound socket, with room for `backlog` connections
    /// not yet accepted (the system may cap it: Linux at
    /// `net.core.somaxconn`).
    ///
    /// # Errors
    ///
    /// What `listen(2)` says.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        TcpListener::from_std(sys::listen_on(self.socket, backlog)?)
    }

    /// Connects to `addr` without blocking the loop's thread, as
    /// [`TcpStream::connect`] does (one address, with this socket's
    /// options).
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nothing listens there, and whatever else
    /// `connect(2)` says. Must be awaited on a running loop.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let in_progress = sys::connect_started(&self.socket, addr)?;
        TcpStream::connected(self.socket, in_progress).await
    }
}

/// A size for `setsockopt`, which takes an `int`.
fn clamp(size: u32) -> std::ffi::c_int {
    std::ffi::c_int::try_from(size).unwrap_or(std::ffi::c_int::MAX)
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("fd", &self.socket.as_raw_fd())
            .field("local_addr", &self.socket.local_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.socket)
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.socket)
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for TcpSocket {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        std::os::windows::io::AsRawSocket::as_raw_socket(&self.socket)
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsSocket for TcpSocket {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        std::os::windows::io::AsSocket::as_socket(&self.socket)
    }
}
