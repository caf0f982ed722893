//! A non-blocking `connect` for TCP and Unix stream sockets, and what a
//! TCP socket needs before it is bound or connected (`socket`, `bind`,
//! `listen`, the socket options std has no setter for), the same on
//! every Unix but for the constants and address layouts it speaks: Linux's
//! and Android's (`socket/linux.rs`), macOS's and the BSDs' (`socket/bsd.rs`,
//! with their length byte), illumos's and Solaris's (`socket/illumos.rs`). Each of those
//! modules declares the same names, checked against `libc`'s at compile
//! time on its targets; this one is the logic, with no `cfg` of its own.

use std::ffi::{c_int, c_void};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::{fcntl, owned};

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(any(target_os = "linux", target_os = "android"))]
use linux as abi;

#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
))]
mod bsd;
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
))]
use bsd as abi;

#[cfg(any(target_os = "illumos", target_os = "solaris"))]
mod illumos;
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
use illumos as abi;

use abi::{
    AF_INET, AF_INET6, AF_UNIX, EINPROGRESS, ENOBUFS, LINGER, NO_SIGPIPE, O_NONBLOCK, REUSEPORT,
    SO_KEEPALIVE, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, SOCK_NONBLOCK_CLOEXEC, SOCK_STREAM,
    SOL_SOCKET, SockaddrIn, SockaddrIn6, SockaddrUn,
};

// The same on every Unix.
const F_SETFD: c_int = 2;
const F_GETFL: c_int = 3;
const F_SETFL: c_int = 4;
const FD_CLOEXEC: c_int = 1;

// What `accept` fails with when the process or the system runs out of
// descriptors or memory (the errors asyncio backs off on); `ENOBUFS` is
// the OS's own (`abi`).
const ENOMEM: i32 = 12;
const ENFILE: i32 = 23;
const EMFILE: i32 = 24;

unsafe extern "C" {
    // The C library's names for these where they are not the plain ones
    // (as the `libc` crate links them).
    #[cfg_attr(target_os = "netbsd", link_name = "__socket30")]
    #[cfg_attr(target_os = "illumos", link_name = "__xnet_socket")]
    #[cfg_attr(target_os = "solaris", link_name = "__xnet7_socket")]
    fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    #[cfg_attr(
        any(target_os = "illumos", target_os = "solaris"),
        link_name = "__xnet_connect"
    )]
    fn connect(fd: c_int, addr: *const c_void, len: u32) -> c_int;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: u32) -> c_int;
    #[cfg_attr(
        any(target_os = "illumos", target_os = "solaris"),
        link_name = "__xnet_getsockopt"
    )]
    fn getsockopt(fd: c_int, level: c_int, name: c_int, value: *mut c_void, len: *mut u32)
    -> c_int;
    #[cfg_attr(
        any(target_os = "illumos", target_os = "solaris"),
        link_name = "__xnet_bind"
    )]
    fn bind(fd: c_int, addr: *const c_void, len: u32) -> c_int;
    fn listen(fd: c_int, backlog: c_int) -> c_int;
}

/// `struct linger`: the same on every Unix.
#[repr(C)]
#[derive(Clone, Copy)]
struct Linger {
    onoff: c_int,
    seconds: c_int,
}

/// True if `err` says the process or the system is out of file
/// descriptors or memory for a new socket (`EMFILE`, `ENFILE`, `ENOBUFS`,
/// `ENOMEM`): an `accept` retried at once would fail the same way.
pub(crate) fn is_out_of_resources(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(ENOMEM | ENFILE | EMFILE | ENOBUFS))
}

/// The result of a call that returns 0 or -1 and sets `errno`.
fn zero_or_errno(result: c_int) -> io::Result<()> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A new non-blocking, close-on-exec stream socket of `domain`. In one
/// call where `socket` takes both flags; where it does not (macOS), with
/// `fcntl` just after, as std does there (a `fork` on another thread in
/// between would let a child inherit the socket, as with std's). Where a
/// write to a closed connection would raise `SIGPIPE` unless a socket
/// option says not to (macOS, FreeBSD, DragonFly, NetBSD), that option is
/// set, as std sets it on its own sockets.
fn stream_socket(domain: c_int) -> io::Result<OwnedFd> {
    let fd = match SOCK_NONBLOCK_CLOEXEC {
        // SAFETY: no pointer arguments; the result is checked by `owned`.
        Some(flags) => owned(unsafe { socket(domain, SOCK_STREAM | flags, 0) })?,
        None => {
            // SAFETY: as above.
            let fd = owned(unsafe { socket(domain, SOCK_STREAM, 0) })?;
            set_cloexec_and_nonblocking(&fd)?;
            fd
        }
    };
    if let Some((level, name)) = NO_SIGPIPE {
        let on: c_int = 1;
        // SAFETY: `on` is the `int` the option takes, readable for the
        // length given.
        zero_or_errno(unsafe {
            setsockopt(
                fd.as_raw_fd(),
                level,
                name,
                (&on as *const c_int).cast(),
                size_of::<c_int>() as u32,
            )
        })?;
    }
    Ok(fd)
}

/// Sets `FD_CLOEXEC` and `O_NONBLOCK` on `fd`, keeping its other flags.
fn set_cloexec_and_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: F_SETFD and F_SETFL take an `int`, F_GETFL nothing; `fd` is
    // open (borrowed from an `OwnedFd`).
    unsafe {
        zero_or_errno(fcntl(fd, F_SETFD, FD_CLOEXEC))?;
        let flags = fcntl(fd, F_GETFL);
        zero_or_errno(flags)?;
        zero_or_errno(fcntl(fd, F_SETFL, flags | O_NONBLOCK))
    }
}

/// `connect`s `fd` to `addr`, `len` bytes of it, and says what came of it
/// (see [`in_progress`]).
fn connect_to<A>(fd: &impl AsRawFd, addr: &A, len: u32) -> io::Result<bool> {
    debug_assert!(len as usize <= size_of::<A>());
    // SAFETY: `addr` is a socket address of the OS's layout (`abi`), valid
    // and readable for the `len` bytes given.
    in_progress(unsafe { connect(fd.as_raw_fd(), (addr as *const A).cast(), len) })
}

/// Runs `call` with `addr` in the OS's layout and its length.
fn with_raw_addr<R>(addr: SocketAddr, call: impl FnOnce(*const c_void, u32) -> R) -> R {
    match addr {
        SocketAddr::V4(v4) => {
            let raw = SockaddrIn::new(&v4);
            call(
                (&raw as *const SockaddrIn).cast(),
                size_of::<SockaddrIn>() as u32,
            )
        }
        SocketAddr::V6(v6) => {
            let raw = SockaddrIn6::new(&v6);
            call(
                (&raw as *const SockaddrIn6).cast(),
                size_of::<SockaddrIn6>() as u32,
            )
        }
    }
}

/// A new non-blocking TCP socket, neither bound nor connected, for IPv6
/// or IPv4 (held in a std `TcpStream`, which only owns it until it is
/// connected or made a listener).
pub(crate) fn tcp_socket(v6: bool) -> io::Result<TcpStream> {
    let fd = stream_socket(if v6 { AF_INET6 } else { AF_INET })?;
    Ok(TcpStream::from(fd))
}

/// Starts connecting `socket` (from [`tcp_socket`]) to `addr`: whether the
/// connection is still in progress (then it is writable once it
/// completes, and `take_error` says how).
pub(crate) fn connect_started(socket: &TcpStream, addr: SocketAddr) -> io::Result<bool> {
    // SAFETY: `raw` is a socket address of the OS's layout, valid and
    // readable for `len` bytes (`with_raw_addr`).
    in_progress(with_raw_addr(addr, |raw, len| unsafe {
        connect(socket.as_raw_fd(), raw, len)
    }))
}

/// Starts connecting a new non-blocking TCP socket to `addr`. Returns the
/// socket and whether the connection is still in progress (then it is
/// writable once it completes, and `take_error` says how).
pub(crate) fn connect_nonblocking(addr: SocketAddr) -> io::Result<(TcpStream, bool)> {
    let socket = tcp_socket(addr.is_ipv6())?;
    let in_progress = connect_started(&socket, addr)?;
    Ok((socket, in_progress))
}

/// Binds `socket` (from [`tcp_socket`]) to `addr`.
pub(crate) fn bind_to(socket: &TcpStream, addr: SocketAddr) -> io::Result<()> {
    // SAFETY: as in `connect_started`.
    zero_or_errno(with_raw_addr(addr, |raw, len| unsafe {
        bind(socket.as_raw_fd(), raw, len)
    }))
}

/// Makes the bound `socket` a listener with room for `backlog` connections
/// not yet accepted (the kernel may cap it, at `somaxconn` on Linux).
pub(crate) fn listen_on(socket: TcpStream, backlog: u32) -> io::Result<TcpListener> {
    let backlog = c_int::try_from(backlog).unwrap_or(c_int::MAX);
    // SAFETY: no pointer arguments.
    zero_or_errno(unsafe { listen(socket.as_raw_fd(), backlog) })?;
    Ok(TcpListener::from(OwnedFd::from(socket)))
}

/// The socket-level options [`set_option`] and [`option`] handle: each an
/// `int` (a flag, or a size in bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SockOpt {
    ReuseAddr,
    ReusePort,
    KeepAlive,
    SendBuffer,
    RecvBuffer,
}

impl SockOpt {
    /// The option's name at `SOL_SOCKET`; `Unsupported` where the OS has
    /// none.
    fn name(self) -> io::Result<c_int> {
        Ok(match self {
            SockOpt::ReuseAddr => SO_REUSEADDR,
            SockOpt::ReusePort => REUSEPORT.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "SO_REUSEPORT is not available on this OS",
                )
            })?,
            SockOpt::KeepAlive => SO_KEEPALIVE,
            SockOpt::SendBuffer => SO_SNDBUF,
            SockOpt::RecvBuffer => SO_RCVBUF,
        })
    }
}

/// Sets `option` of `socket` to `value`.
pub(crate) fn set_option(socket: &impl AsRawFd, option: SockOpt, value: c_int) -> io::Result<()> {
    set_raw(socket, option.name()?, &value)
}

/// The value of `option` of `socket`.
pub(crate) fn option(socket: &impl AsRawFd, option: SockOpt) -> io::Result<c_int> {
    get_raw(socket, option.name()?, 0)
}

/// Sets `SO_LINGER`: `Some(t)` makes closing wait up to `t` for unsent
/// data (`Some(0)`: reset the connection on close), `None` the default.
pub(crate) fn set_linger(socket: &impl AsRawFd, linger: Option<Duration>) -> io::Result<()> {
    let value = Linger {
        onoff: c_int::from(linger.is_some()),
        seconds: linger.map_or(0, |t| c_int::try_from(t.as_secs()).unwrap_or(c_int::MAX)),
    };
    set_raw(socket, LINGER, &value)
}

/// `SO_LINGER`'s value (see [`set_linger`]).
pub(crate) fn linger(socket: &impl AsRawFd) -> io::Result<Option<Duration>> {
    let value = get_raw(
        socket,
        LINGER,
        Linger {
            onoff: 0,
            seconds: 0,
        },
    )?;
    Ok((value.onoff != 0).then(|| Duration::from_secs(value.seconds.max(0) as u64)))
}

/// `setsockopt(SOL_SOCKET, name)` with a value of the type the option
/// takes (`int` or `struct linger`).
fn set_raw<T: Copy>(socket: &impl AsRawFd, name: c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is readable for the length given, and of the type
    // the option takes (the callers above).
    zero_or_errno(unsafe {
        setsockopt(
            socket.as_raw_fd(),
            SOL_SOCKET,
            name,
            (value as *const T).cast(),
            size_of::<T>() as u32,
        )
    })
}

/// `getsockopt(SOL_SOCKET, name)` into a `T` (starting as `value`).
fn get_raw<T: Copy>(socket: &impl AsRawFd, name: c_int, mut value: T) -> io::Result<T> {
    let mut len = size_of::<T>() as u32;
    // SAFETY: `value` and `len` are writable for their sizes, and `len`
    // says how much of `value` the kernel may write.
    zero_or_errno(unsafe {
        getsockopt(
            socket.as_raw_fd(),
            SOL_SOCKET,
            name,
            (&mut value as *mut T).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Connects a new non-blocking Unix stream socket to the socket at `path`.
/// Returns the socket and whether the connection is still in progress, as
/// [`connect_nonblocking`] does.
///
/// A listener whose backlog is full makes a non-blocking connect fail at
/// once (on Linux with `EAGAIN`, `WouldBlock`; on the BSDs and macOS with
/// `ECONNREFUSED`): it is returned as it is, as tokio does.
pub(crate) fn connect_unix_nonblocking(path: &Path) -> io::Result<(UnixStream, bool)> {
    let bytes = path.as_os_str().as_bytes();
    let Some((raw, len)) = SockaddrUn::new(bytes) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("path must be shorter than {} bytes", SockaddrUn::PATH_LEN),
        ));
    };
    let fd = stream_socket(AF_UNIX)?;
    let in_progress = connect_to(&fd, &raw, len)?;
    Ok((UnixStream::from(fd), in_progress))
}

/// What a non-blocking `connect` returned: done (false), in progress
/// (true), or failed.
fn in_progress(result: c_int) -> io::Result<bool> {
    if result == 0 {
        return Ok(false);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // Interrupted, a non-blocking connect goes on in the background
        // just as one that is in progress.
        Some(EINPROGRESS) => Ok(true),
        _ if err.kind() == io::ErrorKind::Interrupted => Ok(true),
        _ => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::sys::{POLLOUT, PollFd, poll_fds};
    use std::os::fd::AsFd;

    // The constants above, as the C library's headers have them (`libc`);
    // the OS's own are checked in `abi`'s tests.
    same_as_libc!(F_SETFD, F_GETFL, F_SETFL, FD_CLOEXEC);
    same_as_libc!(ENOMEM, ENFILE, EMFILE);
    same_layout_as_libc! {
        Linger == libc::linger {
            onoff: l_onoff,
            seconds: l_linger,
        }
    }

    #[test]
    fn out_of_resources_errors_are_the_c_library_s() {
        // The C library's own names for the numbers declared here (std's
        // `Display` asks `strerror`): a check at run time too, against the
        // system the test runs on.
        for (errno, message) in [
            (ENOMEM, "Cannot allocate memory"),
            (ENFILE, "Too many open files in system"),
            (EMFILE, "Too many open files"),
            (ENOBUFS, "No buffer space available"),
        ] {
            let err = io::Error::from_raw_os_error(errno);
            assert!(err.to_string().starts_with(message), "{errno}: {err}");
            assert!(is_out_of_resources(&err));
        }
        assert!(!is_out_of_resources(&io::ErrorKind::WouldBlock.into()));
        assert!(!is_out_of_resources(&io::Error::from_raw_os_error(1)));
    }

    /// Whether `fd` is close-on-exec and non-blocking, as `fcntl` says.
    fn cloexec_and_nonblocking(fd: impl AsFd) -> (bool, bool) {
        let fd = fd.as_fd().as_raw_fd();
        // SAFETY: F_GETFD and F_GETFL take no argument; `fd` is open.
        let (fd_flags, fl_flags) =
            unsafe { (fcntl(fd, super::super::F_GETFD), fcntl(fd, F_GETFL)) };
        assert!(fd_flags >= 0 && fl_flags >= 0);
        (fd_flags & FD_CLOEXEC != 0, fl_flags & O_NONBLOCK != 0)
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri's socket() has no AF_UNIX")]
    fn new_sockets_are_close_on_exec_and_non_blocking() {
        let fd = stream_socket(AF_UNIX).unwrap();
        assert_eq!(cloexec_and_nonblocking(&fd), (true, true));
    }

    /// macOS's way, `fcntl` after `socket`, tested wherever the tests run.
    #[test]
    #[cfg_attr(miri, ignore = "miri's fcntl has no F_SETFD")]
    fn cloexec_and_nonblocking_can_be_set_after_the_fact() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = OwnedFd::from(a);
        // SAFETY: `fd` is open; F_SETFD and F_SETFL take an `int`.
        unsafe {
            assert_eq!(fcntl(fd.as_raw_fd(), F_SETFD, 0), 0);
            assert_eq!(fcntl(fd.as_raw_fd(), F_SETFL, 0), 0);
        }
        assert_eq!(cloexec_and_nonblocking(&fd), (false, false));
        set_cloexec_and_nonblocking(&fd).unwrap();
        assert_eq!(cloexec_and_nonblocking(&fd), (true, true));
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri has no TCP sockets")]
    fn a_refused_connection_is_an_error_on_the_socket() {
        // A port nothing listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        match connect_nonblocking(port) {
            Err(err) => assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused),
            Ok((stream, _)) => {
                let mut fds = [PollFd {
                    fd: stream.as_raw_fd(),
                    events: POLLOUT,
                    revents: 0,
                }];
                assert_eq!(poll_fds(&mut fds, None).unwrap(), 1);
                let err = stream.take_error().unwrap().expect("refused");
                assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri has no TCP sockets")]
    fn tcp_connects_over_ipv4_and_ipv6() {
        for local in ["127.0.0.1:0", "[::1]:0"] {
            // A host without IPv6 has no `::1` to listen on: nothing to test.
            let Ok(listener) = std::net::TcpListener::bind(local) else {
                continue;
            };
            let addr = listener.local_addr().unwrap();
            let (stream, _) = connect_nonblocking(addr).unwrap();
            let (accepted, peer) = listener.accept().unwrap();
            assert_eq!(peer, stream.local_addr().unwrap());
            assert_eq!(accepted.local_addr().unwrap(), addr);
            assert_eq!(cloexec_and_nonblocking(&stream), (true, true));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri has no Unix socket files")]
    fn unix_connects_to_a_path_and_refuses_one_too_long() {
        let dir = std::env::temp_dir().join(format!("poll-loop-sys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let (stream, _) = connect_unix_nonblocking(&path).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let peer = stream.peer_addr().unwrap();
        assert_eq!(peer.as_pathname(), Some(path.as_path()));
        drop((accepted, listener));
        std::fs::remove_dir_all(&dir).unwrap();

        let long = Path::new("/").join("x".repeat(SockaddrUn::PATH_LEN));
        let err = connect_unix_nonblocking(&long).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
