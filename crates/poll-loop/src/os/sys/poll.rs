//! poll(2): the readiness wait of every Unix.

use std::ffi::{c_int, c_short};
use std::io;
use std::time::Duration;

use super::{timeout_ms, waited};

/// `struct pollfd`: a descriptor, what to watch it for, what was found.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct PollFd {
    pub(crate) fd: c_int,
    pub(crate) events: c_short,
    pub(crate) revents: c_short,
}

// poll(2)'s event bits, the same on every Unix but for `POLLRDHUP`.
pub(crate) const POLLIN: c_short = 0x001;
pub(crate) const POLLOUT: c_short = 0x004;
pub(crate) const POLLERR: c_short = 0x008;
pub(crate) const POLLHUP: c_short = 0x010;
/// The descriptor is not open.
pub(crate) const POLLNVAL: c_short = 0x020;
/// The peer shut its writing half down: on Linux. Elsewhere none (0, which
/// no report has): the peer's shutdown is seen as readable (a read then
/// finds the end of file), the loop needs nothing more. (FreeBSD and
/// illumos have a `POLLRDHUP` of their own, 0x4000, unused here.)
#[cfg(target_os = "linux")]
pub(crate) const POLLRDHUP: c_short = 0x2000;
#[cfg(not(target_os = "linux"))]
pub(crate) const POLLRDHUP: c_short = 0;

/// `nfds_t`.
#[cfg(any(target_os = "linux", target_os = "solaris", target_os = "illumos"))]
type Nfds = std::ffi::c_ulong;
#[cfg(not(any(target_os = "linux", target_os = "solaris", target_os = "illumos")))]
type Nfds = std::ffi::c_uint;

unsafe extern "C" {
    fn poll(fds: *mut PollFd, nfds: Nfds, timeout: c_int) -> c_int;
}

/// Waits until one of `fds` is ready or `timeout` has passed (`None`: no
/// timeout), setting each one's `revents`. Returns how many have some. A
/// signal that interrupts the wait makes it return 0 early, as a timeout
/// would.
pub(crate) fn poll_fds(fds: &mut [PollFd], timeout: Option<Duration>) -> io::Result<usize> {
    let len = Nfds::try_from(fds.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too many descriptors"))?;
    // SAFETY: the kernel reads and writes `len` entries of `fds`, which
    // holds that many.
    waited(unsafe { poll(fds.as_mut_ptr(), len, timeout_ms(timeout)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::mem::offset_of;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    // The constants and layouts above, as the C library's headers have
    // them (`libc`).
    same_as_libc!(POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL);
    same_layout_as_libc! {
        PollFd == libc::pollfd {
            fd: fd,
            events: events,
            revents: revents,
        }
    }
    // `nfds_t` is the C library's type, not only one of its size.
    const _: fn(Nfds) -> libc::nfds_t = |n| n;
    #[cfg(target_os = "linux")]
    same_as_libc!(POLLRDHUP);

    #[test]
    fn pollfd_matches_the_abi() {
        assert_eq!(size_of::<PollFd>(), 8);
        assert_eq!(offset_of!(PollFd, events), 4);
        assert_eq!(offset_of!(PollFd, revents), 6);
    }

    #[test]
    fn poll_reports_readiness_and_closed_descriptors() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (closed, _peer) = UnixStream::pair().unwrap();
        let closed_fd = closed.as_raw_fd();
        drop(closed);
        let mut fds = [
            PollFd {
                fd: a.as_raw_fd(),
                events: POLLIN,
                revents: 0,
            },
            PollFd {
                fd: closed_fd,
                events: POLLIN,
                revents: 0,
            },
        ];
        assert_eq!(poll_fds(&mut fds[..1], Some(Duration::ZERO)).unwrap(), 0);
        b.write_all(b"x").unwrap();
        assert_eq!(poll_fds(&mut fds, None).unwrap(), 2);
        assert_eq!(fds[0].revents, POLLIN);
        assert_eq!(fds[1].revents, POLLNVAL);
    }
}
