//! Windows: the calls std lacks for the loop's wait and its sockets —
//! `WSAPoll`, a non-blocking `connect`, asking whether a handle is a
//! socket, and what a TCP socket needs before it is bound or connected
//! (`bind`, `listen`, the socket options std has no setter for) — declared by hand (the library takes no `windows-sys`), each
//! wrapped in a safe function.
//
// The values are winsock2.h's. `SOCKET` is a pointer-sized handle; the
// reactor keys its registrations by a 32-bit number, so a socket whose
// handle does not fit is refused (handles are small numbers in practice).
// The tests at the bottom check the layouts.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::windows::io::{AsRawSocket, FromRawSocket, RawSocket};
use std::sync::Once;
use std::time::Duration;

/// A socket as the reactor keys it: its handle, as a 32-bit number.
pub(crate) type RawFd = i32;

/// What `add_reader` and the sockets take on Windows: a socket.
pub(crate) use std::os::windows::io::AsRawSocket as AsDescriptor;

/// A socket's number, as the reactor keys it (Windows' counterpart of
/// `AsRawFd`): -1, which no socket has, if its handle does not fit.
pub(crate) trait AsRawFd {
    fn as_raw_fd(&self) -> RawFd;
}

impl<S: AsRawSocket> AsRawFd for S {
    fn as_raw_fd(&self) -> RawFd {
        to_raw_fd(self.as_raw_socket()).unwrap_or(-1)
    }
}

/// The number `add_reader` registers for a socket.
pub(crate) fn descriptor(socket: &impl AsRawSocket) -> io::Result<RawFd> {
    to_raw_fd(socket.as_raw_socket())
}

/// What the reactor says of a number no socket has (Windows has no
/// `EBADF` for sockets).
pub(crate) const EBADF: i32 = WSAENOTSOCK;

type Socket = usize;

const INVALID_SOCKET: Socket = !0;
const SOCKET_ERROR: c_int = -1;

pub(crate) const POLLRDNORM: i16 = 0x0100;
pub(crate) const POLLWRNORM: i16 = 0x0010;
pub(crate) const POLLERR: i16 = 0x0001;
pub(crate) const POLLHUP: i16 = 0x0002;
pub(crate) const POLLNVAL: i16 = 0x0004;

const AF_INET: c_int = 2;
const AF_INET6: c_int = 23;
const SOCK_STREAM: c_int = 1;
const IPPROTO_TCP: c_int = 6;
const WSA_FLAG_OVERLAPPED: u32 = 0x01;
const WSA_FLAG_NO_HANDLE_INHERIT: u32 = 0x80;
/// `_IOW('f', 126, u_long)`.
const FIONBIO: c_long = 0x8004_667E_u32 as c_long;
const SOL_SOCKET: c_int = 0xffff;
const SO_TYPE: c_int = 0x1008;
const SO_REUSEADDR: c_int = 0x4;
const SO_KEEPALIVE: c_int = 0x8;
const SO_LINGER: c_int = 0x80;
const SO_SNDBUF: c_int = 0x1001;
const SO_RCVBUF: c_int = 0x1002;
const WSAEWOULDBLOCK: i32 = 10035;
/// Not a socket: what the loop says of a handle it cannot watch.
pub(crate) const WSAENOTSOCK: i32 = 10038;
const WSAEMFILE: i32 = 10024;
const WSAENOBUFS: i32 = 10055;

/// True if `err` says the process or the system is out of sockets or
/// buffer space for a new one: an `accept` retried at once would fail the
/// same way.
pub(crate) fn is_out_of_resources(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(WSAEMFILE | WSAENOBUFS))
        || err.kind() == io::ErrorKind::OutOfMemory
}

/// `WSAPOLLFD`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct PollFd {
    pub(crate) fd: Socket,
    pub(crate) events: i16,
    pub(crate) revents: i16,
}

/// `struct sockaddr_in`.
#[repr(C)]
struct SockaddrIn {
    family: u16,
    port: [u8; 2],
    addr: [u8; 4],
    zero: [u8; 8],
}

/// `struct sockaddr_in6`.
#[repr(C)]
struct SockaddrIn6 {
    family: u16,
    port: [u8; 2],
    flowinfo: u32,
    addr: [u8; 16],
    scope_id: u32,
}

/// `struct linger`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Linger {
    onoff: u16,
    seconds: u16,
}

/// Room for a `WSADATA` (408 bytes on 64-bit Windows, 400 on 32-bit),
/// which is only ever written by `WSAStartup`.
#[repr(C, align(8))]
struct WsaData([u8; 512]);

#[link(name = "ws2_32")]
unsafe extern "system" {
    fn WSAStartup(version: u16, data: *mut WsaData) -> c_int;
    fn WSAGetLastError() -> c_int;
    fn WSAPoll(fds: *mut PollFd, nfds: c_ulong, timeout: c_int) -> c_int;
    fn WSASocketW(
        af: c_int,
        kind: c_int,
        protocol: c_int,
        info: *mut c_void,
        group: u32,
        flags: u32,
    ) -> Socket;
    fn ioctlsocket(socket: Socket, cmd: c_long, argp: *mut c_ulong) -> c_int;
    fn connect(socket: Socket, name: *const c_void, namelen: c_int) -> c_int;
    fn bind(socket: Socket, name: *const c_void, namelen: c_int) -> c_int;
    fn listen(socket: Socket, backlog: c_int) -> c_int;
    fn setsockopt(
        socket: Socket,
        level: c_int,
        name: c_int,
        value: *const c_char,
        len: c_int,
    ) -> c_int;
    #[cfg(test)]
    fn closesocket(socket: Socket) -> c_int;
    fn getsockopt(
        socket: Socket,
        level: c_int,
        name: c_int,
        value: *mut c_char,
        len: *mut c_int,
    ) -> c_int;
}

/// Winsock is started once per process (std starts it too, when it first
/// makes a socket; the count is the system's).
fn startup() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let mut data = WsaData([0; 512]);
        // SAFETY: `data` is writable and larger than a `WSADATA`.
        let _ = unsafe { WSAStartup(0x202, &mut data) };
    });
}

fn last_error() -> io::Error {
    // SAFETY: no arguments; reads this thread's last Winsock error.
    io::Error::from_raw_os_error(unsafe { WSAGetLastError() })
}

/// The reactor's number for a socket handle, if it fits.
pub(crate) fn to_raw_fd(socket: RawSocket) -> io::Result<RawFd> {
    RawFd::try_from(socket).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "poll-loop: a socket handle too large to watch",
        )
    })
}

/// True if `fd` is an open socket: Windows' loop watches sockets only.
pub(crate) fn is_socket(fd: RawFd) -> bool {
    let mut kind: c_int = 0;
    let mut len = size_of::<c_int>() as c_int;
    // SAFETY: `kind` and `len` are valid for writes of their sizes; an
    // invalid handle is an error, not undefined behaviour.
    let status = unsafe {
        getsockopt(
            fd as u32 as Socket,
            SOL_SOCKET,
            SO_TYPE,
            (&raw mut kind).cast(),
            &mut len,
        )
    };
    status == 0
}

/// Which socket a number names while it is open: the handle itself
/// (Windows gives sockets nothing like an inode).
pub(crate) fn file_identity(fd: RawFd) -> Option<(u64, u64)> {
    is_socket(fd).then_some((0, fd as u32 as u64))
}

/// Waits for readiness of `fds` (or `timeout`: `None` for none), as
/// `WSAPoll`; returns how many have `revents` set.
pub(crate) fn poll_fds(fds: &mut [PollFd], timeout: Option<Duration>) -> io::Result<usize> {
    let timeout = match timeout {
        None => -1,
        // Rounded up: never wake before the deadline.
        Some(t) => c_int::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(c_int::MAX),
    };
    let len = c_ulong::try_from(fds.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `fds` is a valid, writable array of `len` `WSAPOLLFD`s.
    let n = unsafe { WSAPoll(fds.as_mut_ptr(), len, timeout) };
    if n == SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(n as usize)
    }
}

/// A new non-blocking TCP socket, neither bound nor connected, for IPv6
/// or IPv4 (held in a std `TcpStream`, which only owns it until it is
/// connected or made a listener).
pub(crate) fn tcp_socket(v6: bool) -> io::Result<TcpStream> {
    startup();
    let family = if v6 { AF_INET6 } else { AF_INET };
    let flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT;
    // SAFETY: plain values; a null protocol info is allowed.
    let socket = unsafe {
        WSASocketW(
            family,
            SOCK_STREAM,
            IPPROTO_TCP,
            std::ptr::null_mut(),
            0,
            flags,
        )
    };
    if socket == INVALID_SOCKET {
        return Err(last_error());
    }
    // SAFETY: `socket` is a new socket nothing else owns: the stream now
    // owns it and closes it when dropped (also on the error below).
    let stream = unsafe { TcpStream::from_raw_socket(socket as RawSocket) };
    let mut nonblocking: c_ulong = 1;
    // SAFETY: `socket` is open; `nonblocking` is a valid `u_long`.
    if unsafe { ioctlsocket(socket, FIONBIO, &mut nonblocking) } != 0 {
        return Err(last_error());
    }
    Ok(stream)
}

/// Runs `call` with `addr` in Winsock's layout and its length.
fn with_raw_addr<R>(addr: SocketAddr, call: impl FnOnce(*const c_void, c_int) -> R) -> R {
    match addr {
        SocketAddr::V4(v4) => {
            let raw = SockaddrIn {
                family: AF_INET as u16,
                port: v4.port().to_be_bytes(),
                addr: v4.ip().octets(),
                zero: [0; 8],
            };
            call((&raw const raw).cast(), size_of::<SockaddrIn>() as c_int)
        }
        SocketAddr::V6(v6) => {
            let raw = SockaddrIn6 {
                family: AF_INET6 as u16,
                port: v6.port().to_be_bytes(),
                flowinfo: v6.flowinfo(),
                addr: v6.ip().octets(),
                scope_id: v6.scope_id(),
            };
            call((&raw const raw).cast(), size_of::<SockaddrIn6>() as c_int)
        }
    }
}

fn handle(socket: &impl AsRawSocket) -> Socket {
    socket.as_raw_socket() as Socket
}

/// Starts connecting `socket` (from [`tcp_socket`]) to `addr`: whether the
/// connection is still in progress (`WSAEWOULDBLOCK`, the usual answer:
/// it is writable once it completes, and `take_error` says how).
pub(crate) fn connect_started(socket: &TcpStream, addr: SocketAddr) -> io::Result<bool> {
    // SAFETY: `raw` is a valid socket address of the length given.
    let status = with_raw_addr(addr, |raw, len| unsafe {
        connect(handle(socket), raw, len)
    });
    if status == SOCKET_ERROR {
        let err = last_error();
        if err.raw_os_error() != Some(WSAEWOULDBLOCK) {
            return Err(err);
        }
        return Ok(true);
    }
    Ok(false)
}

/// Starts connecting a new non-blocking TCP socket to `addr`. Returns the
/// socket and whether the connection is still in progress (see
/// [`connect_started`]).
pub(crate) fn connect_nonblocking(addr: SocketAddr) -> io::Result<(TcpStream, bool)> {
    let socket = tcp_socket(addr.is_ipv6())?;
    let in_progress = connect_started(&socket, addr)?;
    Ok((socket, in_progress))
}

/// The result of a call that returns 0 or `SOCKET_ERROR`.
fn zero_or_error(status: c_int) -> io::Result<()> {
    if status == SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(())
    }
}

/// Binds `socket` (from [`tcp_socket`]) to `addr`.
pub(crate) fn bind_to(socket: &TcpStream, addr: SocketAddr) -> io::Result<()> {
    // SAFETY: `raw` is a valid socket address of the length given.
    zero_or_error(with_raw_addr(addr, |raw, len| unsafe {
        bind(handle(socket), raw, len)
    }))
}

/// Makes the bound `socket` a listener with room for `backlog` connections
/// not yet accepted.
pub(crate) fn listen_on(socket: TcpStream, backlog: u32) -> io::Result<TcpListener> {
    let backlog = c_int::try_from(backlog).unwrap_or(c_int::MAX);
    // SAFETY: no pointer arguments.
    zero_or_error(unsafe { listen(handle(&socket), backlog) })?;
    Ok(TcpListener::from(std::os::windows::io::OwnedSocket::from(
        socket,
    )))
}

/// The socket-level options [`set_option`] and [`option`] handle: each an
/// `int` (a flag, or a size in bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SockOpt {
    ReuseAddr,
    KeepAlive,
    SendBuffer,
    RecvBuffer,
}

impl SockOpt {
    fn name(self) -> c_int {
        match self {
            SockOpt::ReuseAddr => SO_REUSEADDR,
            SockOpt::KeepAlive => SO_KEEPALIVE,
            SockOpt::SendBuffer => SO_SNDBUF,
            SockOpt::RecvBuffer => SO_RCVBUF,
        }
    }
}

/// Sets `option` of `socket` to `value`.
pub(crate) fn set_option(
    socket: &impl AsRawSocket,
    option: SockOpt,
    value: c_int,
) -> io::Result<()> {
    set_raw(socket, option.name(), &value)
}

/// The value of `option` of `socket`.
pub(crate) fn option(socket: &impl AsRawSocket, option: SockOpt) -> io::Result<c_int> {
    get_raw(socket, option.name(), 0)
}

/// Sets `SO_LINGER`: `Some(t)` makes closing wait up to `t` for unsent
/// data (`Some(0)`: reset the connection on close), `None` the default.
pub(crate) fn set_linger(socket: &impl AsRawSocket, linger: Option<Duration>) -> io::Result<()> {
    let value = Linger {
        onoff: u16::from(linger.is_some()),
        seconds: linger.map_or(0, |t| u16::try_from(t.as_secs()).unwrap_or(u16::MAX)),
    };
    set_raw(socket, SO_LINGER, &value)
}

/// `SO_LINGER`'s value (see [`set_linger`]).
pub(crate) fn linger(socket: &impl AsRawSocket) -> io::Result<Option<Duration>> {
    let value = get_raw(
        socket,
        SO_LINGER,
        Linger {
            onoff: 0,
            seconds: 0,
        },
    )?;
    Ok((value.onoff != 0).then(|| Duration::from_secs(u64::from(value.seconds))))
}

/// `setsockopt(SOL_SOCKET, name)` with a value of the type the option
/// takes (`int` or `struct linger`).
fn set_raw<T: Copy>(socket: &impl AsRawSocket, name: c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is readable for the length given, and of the type
    // the option takes (the callers above).
    zero_or_error(unsafe {
        setsockopt(
            handle(socket),
            SOL_SOCKET,
            name,
            (value as *const T).cast(),
            size_of::<T>() as c_int,
        )
    })
}

/// `getsockopt(SOL_SOCKET, name)` into a `T` (starting as `value`).
fn get_raw<T: Copy>(socket: &impl AsRawSocket, name: c_int, mut value: T) -> io::Result<T> {
    let mut len = size_of::<T>() as c_int;
    // SAFETY: `value` and `len` are writable for their sizes, and `len`
    // says how much of `value` Winsock may write.
    zero_or_error(unsafe {
        getsockopt(
            handle(socket),
            SOL_SOCKET,
            name,
            (&mut value as *mut T).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Closes a socket the caller owns and forgets (tests only).
#[cfg(test)]
fn close(socket: Socket) {
    // SAFETY: the caller owns `socket` and never uses it again.
    unsafe { closesocket(socket) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;
    use std::net::TcpListener;
    use std::os::windows::io::{AsRawSocket, IntoRawSocket};

    use windows_sys::Win32::Networking::WinSock as ws;

    // Every value above, as windows-sys has it: a wrong one fails to build.
    // (Cast to our types whatever windows-sys's are: some are the same.)
    #[allow(clippy::unnecessary_cast)]
    const _: () = {
        assert!(POLLRDNORM == ws::POLLRDNORM as i16);
        assert!(POLLWRNORM == ws::POLLWRNORM as i16);
        assert!(POLLERR == ws::POLLERR as i16);
        assert!(POLLHUP == ws::POLLHUP as i16);
        assert!(POLLNVAL == ws::POLLNVAL as i16);
        assert!(AF_INET == ws::AF_INET as c_int);
        assert!(AF_INET6 == ws::AF_INET6 as c_int);
        assert!(SOCK_STREAM == ws::SOCK_STREAM as c_int);
        assert!(IPPROTO_TCP == ws::IPPROTO_TCP as c_int);
        assert!(WSA_FLAG_OVERLAPPED == ws::WSA_FLAG_OVERLAPPED as u32);
        assert!(WSA_FLAG_NO_HANDLE_INHERIT == ws::WSA_FLAG_NO_HANDLE_INHERIT as u32);
        assert!(FIONBIO == ws::FIONBIO as c_long);
        assert!(SOL_SOCKET == ws::SOL_SOCKET as c_int);
        assert!(SO_TYPE == ws::SO_TYPE as c_int);
        assert!(SO_REUSEADDR == ws::SO_REUSEADDR as c_int);
        assert!(SO_KEEPALIVE == ws::SO_KEEPALIVE as c_int);
        assert!(SO_LINGER == ws::SO_LINGER as c_int);
        assert!(SO_SNDBUF == ws::SO_SNDBUF as c_int);
        assert!(SO_RCVBUF == ws::SO_RCVBUF as c_int);
        assert!(size_of::<Linger>() == size_of::<ws::LINGER>());
        assert!(offset_of!(Linger, onoff) == offset_of!(ws::LINGER, l_onoff));
        assert!(offset_of!(Linger, seconds) == offset_of!(ws::LINGER, l_linger));
        assert!(WSAEWOULDBLOCK == ws::WSAEWOULDBLOCK as i32);
        assert!(WSAENOTSOCK == ws::WSAENOTSOCK as i32);
        assert!(WSAEMFILE == ws::WSAEMFILE as i32);
        assert!(WSAENOBUFS == ws::WSAENOBUFS as i32);
        assert!(SOCKET_ERROR == ws::SOCKET_ERROR);
        assert!(INVALID_SOCKET == ws::INVALID_SOCKET);
        assert!(size_of::<PollFd>() == size_of::<ws::WSAPOLLFD>());
        assert!(offset_of!(PollFd, events) == offset_of!(ws::WSAPOLLFD, events));
        assert!(offset_of!(PollFd, revents) == offset_of!(ws::WSAPOLLFD, revents));
        assert!(size_of::<SockaddrIn>() == size_of::<ws::SOCKADDR_IN>());
        assert!(offset_of!(SockaddrIn, port) == offset_of!(ws::SOCKADDR_IN, sin_port));
        assert!(offset_of!(SockaddrIn, addr) == offset_of!(ws::SOCKADDR_IN, sin_addr));
        assert!(size_of::<SockaddrIn6>() == size_of::<ws::SOCKADDR_IN6>());
        assert!(offset_of!(SockaddrIn6, port) == offset_of!(ws::SOCKADDR_IN6, sin6_port));
        assert!(offset_of!(SockaddrIn6, flowinfo) == offset_of!(ws::SOCKADDR_IN6, sin6_flowinfo));
        assert!(offset_of!(SockaddrIn6, addr) == offset_of!(ws::SOCKADDR_IN6, sin6_addr));
        assert!(size_of::<WsaData>() >= size_of::<ws::WSADATA>());
    };

    #[test]
    fn layouts_are_winsock2_s() {
        assert_eq!(size_of::<PollFd>(), 16);
        assert_eq!(offset_of!(PollFd, events), 8);
        assert_eq!(offset_of!(PollFd, revents), 10);
        assert_eq!(size_of::<SockaddrIn>(), 16);
        assert_eq!(offset_of!(SockaddrIn, addr), 4);
        assert_eq!(size_of::<SockaddrIn6>(), 28);
        assert_eq!(offset_of!(SockaddrIn6, addr), 8);
        assert_eq!(offset_of!(SockaddrIn6, scope_id), 24);
    }

    #[test]
    fn a_listener_is_a_socket_and_a_closed_one_is_not() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = to_raw_fd(listener.as_raw_socket()).unwrap();
        assert!(is_socket(fd));
        assert!(file_identity(fd).is_some());
        close(listener.into_raw_socket() as Socket);
        assert!(!is_socket(fd));
        assert_eq!(file_identity(fd), None);
    }

    #[test]
    fn a_nonblocking_connect_completes_once_writable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (stream, _) = connect_nonblocking(listener.local_addr().unwrap()).unwrap();
        let mut fds = [PollFd {
            fd: stream.as_raw_socket() as Socket,
            events: POLLWRNORM,
            revents: 0,
        }];
        assert_eq!(poll_fds(&mut fds, Some(Duration::from_secs(5))).unwrap(), 1);
        assert!(fds[0].revents & POLLWRNORM != 0);
        assert!(stream.take_error().unwrap().is_none());
        assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    }
}
