//! What every Unix shares: `fcntl`, `fstat` and the descriptors the
//! reactor keys its registrations by.

use std::ffi::c_int;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;

pub(crate) use std::os::fd::{AsRawFd, AsRawFd as AsDescriptor, RawFd};

/// The descriptor `add_reader` and the sockets register: on Unix, the file
/// descriptor itself.
#[inline]
pub(crate) fn descriptor(fd: &impl AsRawFd) -> io::Result<RawFd> {
    Ok(fd.as_raw_fd())
}

#[cfg(target_os = "linux")]
use super::linux;

unsafe extern "C" {
    pub(crate) fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
}

pub(crate) const F_GETFD: c_int = 1;

/// "Bad file descriptor": the same on every Unix.
pub(crate) const EBADF: i32 = 9;

/// True if `fd` is an open file descriptor (`fcntl(F_GETFD)` does not say
/// `EBADF`).
pub(crate) fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD takes no third argument and only reads the
    // descriptor table; a closed `fd` is an error, not UB.
    unsafe { fcntl(fd, F_GETFD) >= 0 }
}

/// Which open file `fd` refers to, as (device, inode), or `None` if `fd` is
/// not open. Unlike [`is_open`], this tells a number that was closed and
/// handed to a new file from the file it had before — for sockets, pipes and
/// files, which have inodes of their own (eventfds, epoll and timer
/// descriptors share one anonymous inode, so cannot be told apart).
///
/// Asked at every dispatch of an `add_reader`/`add_writer` callback, so on
/// Linux it is one `statx` (`sys/linux.rs`): measured here at 380-430 ns,
/// where `fcntl` and `fstat` took 640-780 (a `read` that finds nothing,
/// 350-470).
pub(crate) fn file_identity(fd: RawFd) -> Option<(u64, u64)> {
    #[cfg(target_os = "linux")]
    return linux::file_identity(fd);
    #[cfg(not(target_os = "linux"))]
    return fstat_identity(fd);
}

/// [`file_identity`] through `fstat`: two system calls, as `fcntl` checks
/// first that `fd` is open.
pub(crate) fn fstat_identity(fd: RawFd) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = metadata(fd)?;
    Some((metadata.dev(), metadata.ino()))
}

/// What `fstat` says of `fd`, or `None` if it is not open.
pub(crate) fn metadata(fd: RawFd) -> Option<std::fs::Metadata> {
    use std::mem::ManuallyDrop;
    if fd < 0 || !is_open(fd) {
        return None;
    }
    // SAFETY: `fd` is a non-negative, open descriptor (checked above; if
    // another thread closes it meanwhile, `fstat` fails with EBADF or
    // describes whatever file got the number, which is harmless). The `File`
    // is never dropped, so it never closes a descriptor it does not own; it
    // is only used for `fstat`.
    let file = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    file.metadata().ok()
}

/// The result of a call that returns a new file descriptor, owned.
pub(crate) fn owned(fd: c_int) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call just returned `fd`, open and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// epoll's and poll's timeout in milliseconds, rounded up so a wait never ends before
/// its deadline; -1 for none.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> c_int {
    match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_nanos().div_ceil(1_000_000);
            c_int::try_from(ms).unwrap_or(c_int::MAX)
        }
    }
}

/// What a readiness wait returned: how many are ready, 0 if a signal
/// interrupted it (as if it had timed out), or the error it set.
pub(crate) fn waited(n: c_int) -> io::Result<usize> {
    if n >= 0 {
        return Ok(n as usize);
    }
    let err = io::Error::last_os_error();
    if err.kind() == io::ErrorKind::Interrupted {
        Ok(0)
    } else {
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::sys::Event;
    use std::mem::{align_of, offset_of};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    // The constants above, as the C library's headers have them (`libc`).
    same_as_libc!(F_GETFD, EBADF);

    // epoll's bits and report, which the poll(2) backend speaks too: where
    // there is epoll, the kernel's.
    #[cfg(target_os = "linux")]
    mod epoll_abi {
        use crate::os::sys::*;
        use std::mem::align_of;

        const _: () = assert!(EPOLLIN == libc::EPOLLIN as u32);
        const _: () = assert!(EPOLLOUT == libc::EPOLLOUT as u32);
        const _: () = assert!(EPOLLERR == libc::EPOLLERR as u32);
        const _: () = assert!(EPOLLHUP == libc::EPOLLHUP as u32);
        const _: () = assert!(EPOLLRDHUP == libc::EPOLLRDHUP as u32);
        const _: () = assert!(EPOLLET == libc::EPOLLET as u32);
        same_layout_as_libc! {
            Event == libc::epoll_event {
                events: events,
                data: u64,
            }
        }
        const _: () = assert!(align_of::<Event>() == align_of::<libc::epoll_event>());
    }

    #[test]
    fn layouts_match_the_abi() {
        if cfg!(target_arch = "x86_64") {
            assert_eq!(size_of::<Event>(), 12);
            assert_eq!(align_of::<Event>(), 1);
        } else {
            assert_eq!(size_of::<Event>(), 16);
            assert_eq!(offset_of!(Event, data), 8);
        }
        assert_eq!(offset_of!(Event, events), 0);
    }

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1500))), 2);
        assert_eq!(timeout_ms(Some(Duration::MAX)), c_int::MAX);
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
    fn file_identity_tells_one_socket_from_another() {
        let (a, _a) = UnixStream::pair().unwrap();
        let (b, _b) = UnixStream::pair().unwrap();
        let identity = file_identity(a.as_raw_fd()).expect("open");
        assert_eq!(file_identity(a.as_raw_fd()), Some(identity));
        assert_ne!(file_identity(b.as_raw_fd()), Some(identity));
        assert_eq!(file_identity(-1), None);
    }

    #[test]
    fn is_open_tells_open_from_closed_descriptors() {
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        assert!(is_open(fd));
        drop(a);
        assert!(!is_open(fd));
        assert!(!is_open(-1));
    }
}
