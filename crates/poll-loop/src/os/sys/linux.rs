//! Linux's own: epoll, eventfd, and `statx` (a file's identity in one
//! call).

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{Event, owned, timeout_ms, waited};

const EPOLL_CLOEXEC: c_int = 0o2_000_000;
const EPOLL_CTL_ADD: c_int = 1;
const EPOLL_CTL_DEL: c_int = 2;
const EPOLL_CTL_MOD: c_int = 3;

const EFD_CLOEXEC: c_int = 0o2_000_000;
const EFD_NONBLOCK: c_int = 0o4_000;

unsafe extern "C" {
    fn epoll_create1(flags: c_int) -> c_int;
    fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut Event) -> c_int;
    fn epoll_wait(epfd: c_int, events: *mut Event, maxevents: c_int, timeout: c_int) -> c_int;
    fn eventfd(initval: c_uint, flags: c_int) -> c_int;
    fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize;
    fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    fn statx(
        dirfd: c_int,
        path: *const c_char,
        flags: c_int,
        mask: c_uint,
        buf: *mut Statx,
    ) -> c_int;
}

const AT_EMPTY_PATH: c_int = 0x1000;
const STATX_INO: c_uint = 0x100;
const ENOSYS: i32 = 38;
const EPERM: i32 = 1;

/// `struct statx`: 256 bytes, the same on every architecture.
#[repr(C)]
struct Statx {
    mask: u32,
    blksize: u32,
    attributes: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    mode: u16,
    spare0: u16,
    ino: u64,
    size: u64,
    blocks: u64,
    attributes_mask: u64,
    /// atime, btime, ctime, mtime: `struct statx_timestamp`, 16 bytes each.
    times: [[u64; 2]; 4],
    rdev_major: u32,
    rdev_minor: u32,
    dev_major: u32,
    dev_minor: u32,
    spare: [u64; 14],
}

/// The open file `fd` refers to, as (device, inode), in one `statx`; `None`
/// if `fd` is not open. The device is encoded as glibc's `makedev`, so it
/// equals std's `MetadataExt::dev`. Where `statx` is missing or filtered
/// (an old kernel, a seccomp profile), the two-call `fstat` way.
pub(super) fn file_identity(fd: RawFd) -> Option<(u64, u64)> {
    if fd < 0 {
        return None;
    }
    let mut buf = std::mem::MaybeUninit::<Statx>::zeroed();
    // SAFETY: the path is an empty C string, which with AT_EMPTY_PATH makes
    // `statx` describe `fd` itself (a closed `fd` is EBADF, not UB); `buf`
    // is a writable `struct statx` of the kernel's size.
    let result = unsafe { statx(fd, c"".as_ptr(), AT_EMPTY_PATH, STATX_INO, buf.as_mut_ptr()) };
    if result != 0 {
        return match io::Error::last_os_error().raw_os_error() {
            Some(ENOSYS | EPERM) => super::fstat_identity(fd),
            _ => None,
        };
    }
    // SAFETY: zeroed, then filled in by the kernel; every bit pattern is a
    // valid `Statx`.
    let stat = unsafe { buf.assume_init() };
    if stat.mask & STATX_INO == 0 {
        return super::fstat_identity(fd);
    }
    let (major, minor) = (u64::from(stat.dev_major), u64::from(stat.dev_minor));
    let dev = ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff);
    Some((dev, stat.ino))
}

/// Retries `call` while it fails with `EINTR`; maps a negative result to
/// the `errno` it set.
fn retrying(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// An epoll instance: the set of file descriptors the loop waits on.
#[derive(Debug)]
pub(crate) struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: no pointer arguments; the result is checked by `owned`.
        let fd = owned(unsafe { epoll_create1(EPOLL_CLOEXEC) })?;
        Ok(Epoll { fd })
    }

    fn ctl(&self, op: c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = Event {
            events,
            data: token,
        };
        // SAFETY: `event` is a valid `epoll_event` for the length of the
        // call (the kernel only reads it); a bad `fd` is an error, not UB.
        retrying(|| unsafe { epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) as isize })
            .map(drop)
    }

    /// Watches `fd` for `events`, reporting them with `token`.
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(EPOLL_CTL_ADD, fd, events, token)
    }

    /// Changes what `fd` is watched for.
    pub(crate) fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(EPOLL_CTL_MOD, fd, events, token)
    }

    /// Stops watching `fd`.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits until one of the watched descriptors is ready or `timeout`
    /// has passed (`None`: no timeout), and fills `events` from the start.
    /// Returns how many were filled. A signal that interrupts the wait
    /// makes it return 0 early, as a timeout would.
    pub(crate) fn wait(
        &self,
        events: &mut [Event],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let max = c_int::try_from(events.len()).unwrap_or(c_int::MAX);
        // SAFETY: the kernel writes at most `max` events into `events`,
        // which holds at least that many.
        waited(unsafe {
            epoll_wait(
                self.fd.as_raw_fd(),
                events.as_mut_ptr(),
                max,
                timeout_ms(timeout),
            )
        })
    }
}

/// An eventfd: a counter another thread can bump to wake an epoll wait
/// that watches it.
#[derive(Debug)]
pub(crate) struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// A non-blocking eventfd at zero.
    pub(crate) fn new() -> io::Result<EventFd> {
        // SAFETY: no pointer arguments; the result is checked by `owned`.
        let fd = owned(unsafe { eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) })?;
        Ok(EventFd { fd })
    }

    /// Makes the eventfd readable. Never blocks: at the counter's limit
    /// (2^64 - 2, far beyond any number of pending wake-ups) the write
    /// fails with `EAGAIN`, and the eventfd is readable anyway.
    pub(crate) fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: `one` is 8 readable bytes, as eventfd's `write` requires.
        let _ = retrying(|| unsafe { write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) });
    }

    /// Resets the counter to zero, so that the eventfd is no longer
    /// readable. Does nothing if it was not.
    pub(crate) fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: `count` is 8 writable bytes, as eventfd's `read` requires.
        let _ =
            retrying(|| unsafe { read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) });
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::super::EPOLLIN;
    use super::*;
    use std::mem::offset_of;
    use std::os::unix::net::UnixStream;

    // The constants and layouts above, as the C library's headers have
    // them (`libc`).
    same_as_libc!(EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD);
    same_as_libc!(EFD_CLOEXEC, EFD_NONBLOCK);
    same_as_libc!(AT_EMPTY_PATH, STATX_INO, ENOSYS, EPERM);
    same_layout_as_libc! {
        Statx == libc::statx {
            mask: stx_mask,
            mode: stx_mode,
            ino: stx_ino,
            dev_major: stx_dev_major,
            dev_minor: stx_dev_minor,
        }
    }

    #[test]
    fn statx_matches_the_kernel_abi() {
        assert_eq!(size_of::<Statx>(), 256);
        assert_eq!(offset_of!(Statx, mode), 28);
        assert_eq!(offset_of!(Statx, ino), 32);
        assert_eq!(offset_of!(Statx, dev_major), 136);
        assert_eq!(offset_of!(Statx, dev_minor), 140);
    }

    /// One `statx` gives what `fstat` gives, device encoding included.
    #[test]
    #[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
    fn statx_identity_is_fstats() {
        let (a, _b) = UnixStream::pair().unwrap();
        let file = std::fs::File::open("Cargo.toml").unwrap();
        for fd in [a.as_raw_fd(), file.as_raw_fd()] {
            assert_eq!(file_identity(fd), super::super::fstat_identity(fd));
        }
        assert_eq!(file_identity(-1), None);
    }

    #[test]
    fn an_eventfd_wakes_an_epoll_wait_until_drained() {
        let epoll = Epoll::new().unwrap();
        let efd = EventFd::new().unwrap();
        epoll.add(efd.as_raw_fd(), EPOLLIN, 7).unwrap();
        let mut events = [Event::EMPTY; 4];
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        efd.signal();
        efd.signal();
        assert_eq!(epoll.wait(&mut events, None).unwrap(), 1);
        assert_eq!(events[0].token(), 7);
        assert_eq!(events[0].events() & EPOLLIN, EPOLLIN);
        efd.drain();
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        efd.drain(); // not readable: does nothing, does not block
    }

    #[test]
    fn epoll_errors_come_back_as_io_errors() {
        let epoll = Epoll::new().unwrap();
        let efd = EventFd::new().unwrap();
        let err = epoll.modify(efd.as_raw_fd(), EPOLLIN, 0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound); // ENOENT
        epoll.add(efd.as_raw_fd(), EPOLLIN, 0).unwrap();
        let err = epoll.add(efd.as_raw_fd(), EPOLLIN, 0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists); // EEXIST
        epoll.delete(efd.as_raw_fd()).unwrap();
    }
}
