//! The few system calls std does not wrap: `poll`, `fcntl`, a non-blocking
//! `connect` for TCP and Unix sockets (`sys/socket.rs`, with each OS's
//! socket ABI), and on Linux epoll, eventfd and statx (`sys/linux.rs`).
//! Each is declared here, once, and wrapped in a safe function; this is the
//! only module of the crate's I/O that uses `unsafe`.
//
// Why not the `libc` crate: the library crates keep to crossbeam,
// once_cell and tracing at run time, and a few declarations and a few
// dozen constants are all we need. Every constant and layout declared by
// hand is checked against `libc`'s (a dev-dependency) by `const`
// assertions in the test module of the file that declares it, so that
// `cargo check --all-targets --target T` (or clippy) fails for a wrong
// value on that target. `fcntl`'s and poll's constants and `struct pollfd`
// are the same on every Unix (only `nfds_t`'s width differs); the socket
// constants and address layouts differ (`sys/socket/`); the Linux ones are
// Linux's generic ABI (x86-64, aarch64, riscv64), and `epoll_event` is
// packed on x86-64 only, as in the kernel's headers.
#![allow(unsafe_code)]

use std::ffi::c_int;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// In tests: `const` assertions that each constant named equals `libc`'s of
/// the same name, so that a wrong value fails to build on that target.
#[cfg(test)]
macro_rules! same_as_libc {
    ($($name:ident),+ $(,)?) => {$(
        const _: () = assert!($name == libc::$name, concat!(stringify!($name), ": not libc's"));
    )+};
}

/// In tests: `const` assertions that the struct `$ours` has the size of
/// `libc`'s `$theirs`, and each field named the offset of libc's field
/// given after it.
#[cfg(test)]
macro_rules! same_layout_as_libc {
    ($ours:ident == $theirs:ty { $($field:ident: $c_field:ident),+ $(,)? }) => {
        const _: () = assert!(
            size_of::<$ours>() == size_of::<$theirs>(),
            concat!(stringify!($ours), "'s size is not libc's"),
        );
        $(const _: () = assert!(
            std::mem::offset_of!($ours, $field) == std::mem::offset_of!($theirs, $c_field),
            concat!(stringify!($ours), ".", stringify!($field), ": not where libc has it"),
        );)+
    };
}

// With `--cfg poll_loop_force_poll`, epoll and eventfd go unused but stay
// built, and tested.
#[cfg(target_os = "linux")]
#[cfg_attr(poll_loop_force_poll, allow(dead_code))]
mod linux;
#[cfg(all(target_os = "linux", not(poll_loop_force_poll)))]
pub(crate) use linux::{Epoll, EventFd};

// Sockets, on the Unixes whose socket ABI `socket/` declares (the list
// `net` is built for, in `lib.rs`).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "illumos",
))]
mod socket;
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "illumos",
))]
pub(crate) use socket::{connect_nonblocking, connect_unix_nonblocking, is_out_of_resources};

// poll(2), where the loop waits with it: other Unixes, and Linux built with
// `--cfg poll_loop_force_poll` (to test that backend); its unit tests run
// on every build.
#[cfg(any(not(target_os = "linux"), poll_loop_force_poll, test))]
mod poll;
#[cfg(any(not(target_os = "linux"), poll_loop_force_poll, test))]
pub(crate) use poll::*;

// The readiness bits the reactor speaks, whatever waits for it: epoll's
// values (the poll(2) backend translates, `poll_set.rs`).

/// Readable (epoll's `EPOLLIN`).
pub(crate) const EPOLLIN: u32 = 0x001;
/// Writable (`EPOLLOUT`).
pub(crate) const EPOLLOUT: u32 = 0x004;
/// An error condition; always reported (`EPOLLERR`).
pub(crate) const EPOLLERR: u32 = 0x008;
/// Hang-up; always reported (`EPOLLHUP`).
pub(crate) const EPOLLHUP: u32 = 0x010;
/// The peer shut its writing half down (`EPOLLRDHUP`).
pub(crate) const EPOLLRDHUP: u32 = 0x2000;
/// Edge-triggered: report changes of readiness, not readiness (`EPOLLET`).
pub(crate) const EPOLLET: u32 = 1 << 31;

/// One readiness report: which events, for which registration (the `u64`
/// given when it was added). The kernel's `struct epoll_event`, which the
/// poll(2) backend fills in too.
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
pub(crate) struct Event {
    events: u32,
    data: u64,
}

impl Event {
    pub(crate) const EMPTY: Event = Event { events: 0, data: 0 };

    /// A report of `events` for the registration `token`.
    #[cfg_attr(
        all(target_os = "linux", not(any(test, poll_loop_force_poll))),
        expect(dead_code, reason = "only the poll(2) backend makes reports itself")
    )]
    pub(crate) fn new(events: u32, token: u64) -> Event {
        Event {
            events,
            data: token,
        }
    }

    /// The events reported (`EPOLLIN`, …).
    pub(crate) fn events(&self) -> u32 {
        self.events
    }

    /// The registration's token.
    pub(crate) fn token(&self) -> u64 {
        self.data
    }
}

unsafe extern "C" {
    fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
}

const F_GETFD: c_int = 1;

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
fn fstat_identity(fd: RawFd) -> Option<(u64, u64)> {
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
fn owned(fd: c_int) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call just returned `fd`, open and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// epoll's and poll's timeout in milliseconds, rounded up so a wait never ends before
/// its deadline; -1 for none.
pub(super) fn timeout_ms(timeout: Option<Duration>) -> c_int {
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
fn waited(n: c_int) -> io::Result<usize> {
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
    use std::mem::{align_of, offset_of};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    // The constants above, as the C library's headers have them (`libc`).
    same_as_libc!(F_GETFD, EBADF);

    // epoll's bits and report, which the poll(2) backend speaks too: where
    // there is epoll, the kernel's.
    #[cfg(target_os = "linux")]
    mod epoll_abi {
        use super::super::*;
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
