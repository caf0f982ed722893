//! The socket ABI of macOS and the BSDs (FreeBSD and DragonFly, NetBSD,
//! OpenBSD): an address begins with its length (a byte) and a one-byte
//! family, and a Unix socket's path has 104 bytes of room. What differs
//! between them (the IPv6 family's number, `socket`'s flags, the option
//! that stops `SIGPIPE`) is in one small module for each.

use std::ffi::c_int;
use std::mem::offset_of;
use std::net::{SocketAddrV4, SocketAddrV6};

pub(super) use self::os::{AF_INET6, LINGER, SOCK_NONBLOCK_CLOEXEC};

pub(super) const AF_UNIX: c_int = 1;
pub(super) const AF_INET: c_int = 2;
pub(super) const SOCK_STREAM: c_int = 1;
pub(super) const O_NONBLOCK: c_int = 0x4;
pub(super) const SOL_SOCKET: c_int = 0xffff;
pub(super) const SO_REUSEADDR: c_int = 0x4;
pub(super) const SO_KEEPALIVE: c_int = 0x8;
/// `SO_LINGER`, in seconds everywhere but Apple's (see `os::LINGER`).
#[cfg_attr(target_vendor = "apple", allow(dead_code))]
const SO_LINGER: c_int = 0x80;
const SO_REUSEPORT: c_int = 0x200;
/// `SO_REUSEPORT`, where the OS has it.
pub(super) const REUSEPORT: Option<c_int> = Some(SO_REUSEPORT);
pub(super) const SO_SNDBUF: c_int = 0x1001;
pub(super) const SO_RCVBUF: c_int = 0x1002;
/// The option that makes a write to a closed connection fail with `EPIPE`
/// instead of raising `SIGPIPE`, where there is one: std sets it on its
/// sockets there.
pub(super) const NO_SIGPIPE: Option<(c_int, c_int)> = match os::NO_SIGPIPE {
    Some(name) => Some((SOL_SOCKET, name)),
    None => None,
};

pub(super) const EINPROGRESS: i32 = 36;
pub(super) const ENOBUFS: i32 = 55;

#[cfg(target_vendor = "apple")]
mod os {
    use std::ffi::c_int;

    pub(in super::super) const AF_INET6: c_int = 30;
    /// None: `socket` takes no such flags here; they are set with `fcntl`.
    pub(in super::super) const SOCK_NONBLOCK_CLOEXEC: Option<c_int> = None;
    const SO_NOSIGPIPE: c_int = 0x1022;
    pub(super) const NO_SIGPIPE: Option<c_int> = Some(SO_NOSIGPIPE);
    /// Apple's `SO_LINGER` counts in clock ticks; this one in seconds (as
    /// std uses).
    const SO_LINGER_SEC: c_int = 0x1080;
    /// The linger option, in seconds.
    pub(in super::super) const LINGER: c_int = SO_LINGER_SEC;

    #[cfg(test)]
    mod tests {
        use super::*;

        same_as_libc!(AF_INET6, SO_NOSIGPIPE, SO_LINGER_SEC);
    }
}

#[cfg(any(target_os = "freebsd", target_os = "dragonfly", target_os = "netbsd"))]
mod os {
    use std::ffi::c_int;

    #[cfg(not(target_os = "netbsd"))]
    pub(in super::super) const AF_INET6: c_int = 28;
    #[cfg(target_os = "netbsd")]
    pub(in super::super) const AF_INET6: c_int = 24;
    const SOCK_CLOEXEC: c_int = 0x1000_0000;
    const SOCK_NONBLOCK: c_int = 0x2000_0000;
    pub(in super::super) const SOCK_NONBLOCK_CLOEXEC: Option<c_int> =
        Some(SOCK_NONBLOCK | SOCK_CLOEXEC);
    const SO_NOSIGPIPE: c_int = 0x0800;
    pub(super) const NO_SIGPIPE: Option<c_int> = Some(SO_NOSIGPIPE);
    /// The linger option, in seconds.
    pub(in super::super) const LINGER: c_int = super::SO_LINGER;

    #[cfg(test)]
    mod tests {
        use super::*;

        same_as_libc!(AF_INET6, SO_NOSIGPIPE);
        same_as_libc!(SOCK_CLOEXEC, SOCK_NONBLOCK);
    }
}

#[cfg(target_os = "openbsd")]
mod os {
    use std::ffi::c_int;

    pub(in super::super) const AF_INET6: c_int = 24;
    const SOCK_CLOEXEC: c_int = 0x8000;
    const SOCK_NONBLOCK: c_int = 0x4000;
    pub(in super::super) const SOCK_NONBLOCK_CLOEXEC: Option<c_int> =
        Some(SOCK_NONBLOCK | SOCK_CLOEXEC);
    /// None: OpenBSD has no such option (a `send` flag does it; Rust
    /// programs ignore the signal).
    pub(super) const NO_SIGPIPE: Option<c_int> = None;
    /// The linger option, in seconds.
    pub(in super::super) const LINGER: c_int = super::SO_LINGER;

    #[cfg(test)]
    mod tests {
        use super::*;

        same_as_libc!(AF_INET6, SOCK_CLOEXEC, SOCK_NONBLOCK);
    }
}

/// `struct sockaddr_in`.
#[repr(C)]
pub(super) struct SockaddrIn {
    len: u8,
    family: u8,
    port: [u8; 2],
    addr: [u8; 4],
    zero: [u8; 8],
}

impl SockaddrIn {
    pub(super) fn new(addr: &SocketAddrV4) -> SockaddrIn {
        SockaddrIn {
            len: size_of::<SockaddrIn>() as u8,
            family: AF_INET as u8,
            port: addr.port().to_be_bytes(),
            addr: addr.ip().octets(),
            zero: [0; 8],
        }
    }
}

/// `struct sockaddr_in6`.
#[repr(C)]
pub(super) struct SockaddrIn6 {
    len: u8,
    family: u8,
    port: [u8; 2],
    flowinfo: u32,
    addr: [u8; 16],
    scope_id: u32,
}

impl SockaddrIn6 {
    pub(super) fn new(addr: &SocketAddrV6) -> SockaddrIn6 {
        SockaddrIn6 {
            len: size_of::<SockaddrIn6>() as u8,
            family: AF_INET6 as u8,
            port: addr.port().to_be_bytes(),
            flowinfo: addr.flowinfo(),
            addr: addr.ip().octets(),
            scope_id: addr.scope_id(),
        }
    }
}

/// `struct sockaddr_un`.
#[repr(C)]
pub(super) struct SockaddrUn {
    len: u8,
    family: u8,
    path: [u8; SockaddrUn::PATH_LEN],
}

impl SockaddrUn {
    /// The room for a path, its terminating NUL included.
    pub(super) const PATH_LEN: usize = 104;

    /// The address of the socket file at `path`, and its length (up to
    /// the path's terminating NUL); `None` if the path does not fit.
    pub(super) fn new(path: &[u8]) -> Option<(SockaddrUn, u32)> {
        if path.len() >= Self::PATH_LEN {
            return None;
        }
        let len = offset_of!(SockaddrUn, path) + path.len() + 1;
        let mut raw = SockaddrUn {
            len: len as u8,
            family: AF_UNIX as u8,
            path: [0; Self::PATH_LEN],
        };
        raw.path[..path.len()].copy_from_slice(path);
        Some((raw, len as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The constants and layouts above, as the C library's headers have
    // them (`libc`); each OS's own, in its module's tests.
    same_as_libc!(AF_UNIX, AF_INET, SOCK_STREAM, O_NONBLOCK);
    same_as_libc!(SOL_SOCKET, EINPROGRESS, ENOBUFS);
    same_as_libc!(SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER, SO_REUSEPORT);
    same_as_libc!(SO_SNDBUF, SO_RCVBUF);

    const _: fn(u8) -> libc::sa_family_t = |family| family;
    same_layout_as_libc! {
        SockaddrIn == libc::sockaddr_in {
            len: sin_len,
            family: sin_family,
            port: sin_port,
            addr: sin_addr,
            zero: sin_zero,
        }
    }
    same_layout_as_libc! {
        SockaddrIn6 == libc::sockaddr_in6 {
            len: sin6_len,
            family: sin6_family,
            port: sin6_port,
            flowinfo: sin6_flowinfo,
            addr: sin6_addr,
            scope_id: sin6_scope_id,
        }
    }
    same_layout_as_libc! {
        SockaddrUn == libc::sockaddr_un {
            len: sun_len,
            family: sun_family,
            path: sun_path,
        }
    }
}
