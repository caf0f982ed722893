//! The socket ABI of illumos and Solaris: a two-byte family as on Linux,
//! but their own numbers (even `SOCK_STREAM`'s), and a `sockaddr_in6` four
//! bytes longer.

use std::ffi::c_int;
use std::mem::offset_of;
use std::net::{SocketAddrV4, SocketAddrV6};

pub(super) const AF_UNIX: c_int = 1;
pub(super) const AF_INET: c_int = 2;
pub(super) const AF_INET6: c_int = 26;
pub(super) const SOCK_STREAM: c_int = 2;
const SOCK_CLOEXEC: c_int = 0x08_0000;
const SOCK_NONBLOCK: c_int = 0x10_0000;
/// The flags that make `socket` return a non-blocking, close-on-exec
/// socket.
pub(super) const SOCK_NONBLOCK_CLOEXEC: Option<c_int> = Some(SOCK_NONBLOCK | SOCK_CLOEXEC);
pub(super) const O_NONBLOCK: c_int = 0x80;
/// No socket option stops `SIGPIPE` here (a `send` flag does; Rust
/// programs ignore the signal).
pub(super) const NO_SIGPIPE: Option<(c_int, c_int)> = None;

pub(super) const SOL_SOCKET: c_int = 0xffff;
pub(super) const SO_REUSEADDR: c_int = 0x4;
pub(super) const SO_KEEPALIVE: c_int = 0x8;
const SO_LINGER: c_int = 0x80;
/// The linger option, in seconds.
pub(super) const LINGER: c_int = SO_LINGER;
pub(super) const SO_SNDBUF: c_int = 0x1001;
pub(super) const SO_RCVBUF: c_int = 0x1002;
/// `SO_REUSEPORT`, where the OS has it: not here (libc declares none).
pub(super) const REUSEPORT: Option<c_int> = None;

pub(super) const EINPROGRESS: i32 = 150;
pub(super) const ENOBUFS: i32 = 132;

/// `struct sockaddr_in`.
#[repr(C)]
pub(super) struct SockaddrIn {
    family: u16,
    port: [u8; 2],
    addr: [u8; 4],
    zero: [u8; 8],
}

impl SockaddrIn {
    pub(super) fn new(addr: &SocketAddrV4) -> SockaddrIn {
        SockaddrIn {
            family: AF_INET as u16,
            port: addr.port().to_be_bytes(),
            addr: addr.ip().octets(),
            zero: [0; 8],
        }
    }
}

/// `struct sockaddr_in6`.
#[repr(C)]
pub(super) struct SockaddrIn6 {
    family: u16,
    port: [u8; 2],
    flowinfo: u32,
    addr: [u8; 16],
    scope_id: u32,
    /// The kernel's, zero when given.
    src_id: u32,
}

impl SockaddrIn6 {
    pub(super) fn new(addr: &SocketAddrV6) -> SockaddrIn6 {
        SockaddrIn6 {
            family: AF_INET6 as u16,
            port: addr.port().to_be_bytes(),
            flowinfo: addr.flowinfo(),
            addr: addr.ip().octets(),
            scope_id: addr.scope_id(),
            src_id: 0,
        }
    }
}

/// `struct sockaddr_un`.
#[repr(C)]
pub(super) struct SockaddrUn {
    family: u16,
    path: [u8; SockaddrUn::PATH_LEN],
}

impl SockaddrUn {
    /// The room for a path, its terminating NUL included.
    pub(super) const PATH_LEN: usize = 108;

    /// The address of the socket file at `path`, and its length (up to
    /// the path's terminating NUL); `None` if the path does not fit.
    pub(super) fn new(path: &[u8]) -> Option<(SockaddrUn, u32)> {
        if path.len() >= Self::PATH_LEN {
            return None;
        }
        let mut raw = SockaddrUn {
            family: AF_UNIX as u16,
            path: [0; Self::PATH_LEN],
        };
        raw.path[..path.len()].copy_from_slice(path);
        let len = offset_of!(SockaddrUn, path) + path.len() + 1;
        Some((raw, len as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The constants and layouts above, as the C library's headers have
    // them (`libc`).
    same_as_libc!(AF_UNIX, AF_INET, AF_INET6, SOCK_STREAM);
    same_as_libc!(SOCK_NONBLOCK, SOCK_CLOEXEC);
    same_as_libc!(O_NONBLOCK, EINPROGRESS, ENOBUFS);
    same_as_libc!(SOL_SOCKET, SO_REUSEADDR, SO_SNDBUF, SO_RCVBUF);
    same_as_libc!(SO_KEEPALIVE, SO_LINGER);

    const _: fn(u16) -> libc::sa_family_t = |family| family;
    same_layout_as_libc! {
        SockaddrIn == libc::sockaddr_in {
            family: sin_family,
            port: sin_port,
            addr: sin_addr,
            zero: sin_zero,
        }
    }
    same_layout_as_libc! {
        SockaddrIn6 == libc::sockaddr_in6 {
            family: sin6_family,
            port: sin6_port,
            flowinfo: sin6_flowinfo,
            addr: sin6_addr,
            scope_id: sin6_scope_id,
            src_id: __sin6_src_id,
        }
    }
    same_layout_as_libc! {
        SockaddrUn == libc::sockaddr_un {
            family: sun_family,
            path: sun_path,
        }
    }
}
