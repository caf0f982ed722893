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

/// In tests: `const` assertions that each constant named equals `libc`'s of
/// the same name, so that a wrong value fails to build on that target.
#[cfg(all(test, unix))]
macro_rules! same_as_libc {
    ($($name:ident),+ $(,)?) => {$(
        const _: () = assert!($name == libc::$name, concat!(stringify!($name), ": not libc's"));
    )+};
}

/// In tests: `const` assertions that the struct `$ours` has the size of
/// `libc`'s `$theirs`, and each field named the offset of libc's field
/// given after it.
#[cfg(all(test, unix))]
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

// What every Unix shares (`fcntl`, `fstat`, descriptors), and Windows's
// calls (`WSAPoll`, a non-blocking connect).
#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

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
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
    target_os = "solaris",
))]
mod socket;
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
    target_os = "solaris",
))]
pub(crate) use socket::{
    SockOpt, bind_to, connect_nonblocking, connect_started, connect_unix_nonblocking,
    is_out_of_resources, linger, listen_on, option, set_linger, set_option, tcp_socket,
};

// poll(2), where the loop waits with it: other Unixes, and Linux built with
// `--cfg poll_loop_force_poll` (to test that backend); its unit tests run
// on every build.
#[cfg(all(unix, any(not(target_os = "linux"), poll_loop_force_poll, test)))]
mod poll;
#[cfg(all(unix, any(not(target_os = "linux"), poll_loop_force_poll, test)))]
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
