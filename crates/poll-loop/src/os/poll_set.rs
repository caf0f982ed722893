//! The reactor's wait where there is no epoll: a set of descriptors kept in
//! user space and handed to poll(2) at every wait, with epoll's interface
//! and answers, so that the reactor is the same over both. Wake-ups from
//! other threads come through a socket pair instead of an eventfd.
//!
//! Used on Unixes other than Linux, and on Linux built with
//! `--cfg poll_loop_force_poll` (how its tests run it).
//
// What epoll does that poll(2) does not, and how it is made up for:
// - A registration belongs to the open file, and closing the file's last
//   descriptor drops it. Here it belongs to the number: `POLLNVAL` (the
//   number is closed) drops it, after one last report, as does a change
//   of the file behind the number (its device and inode), which `modify`
//   checks, so the reactor gets epoll's `ENOENT` in both cases.
// - epoll refuses regular files and directories (`EPERM`), which poll(2)
//   reports always ready; `add` refuses them the same way.
// - No edge trigger: the reactor watches task sockets level-triggered here
//   (`EDGE_TRIGGERED`), arming a direction only while a task waits on it.

use std::cell::RefCell;
use std::ffi::c_short;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::os::sys::{
    self, EBADF, EPOLLIN, EPOLLOUT, EPOLLRDHUP, Event, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT,
    POLLRDHUP, PollFd,
};
use crate::os::watched::{self, PollEntry, Watched};

// epoll's errors, which `PollSet` answers with: the same on every Unix.
const ENOENT: i32 = 2;
const EEXIST: i32 = 17;
const EPERM: i32 = 1;

/// The watched descriptors, as poll(2) takes them.
#[derive(Debug, Default)]
pub(crate) struct PollSet {
    inner: RefCell<Watched<PollFd, Meta>>,
}

/// What the set keeps of each descriptor: its token and the file it
/// referred to when added.
type Meta = (u64, Option<(u64, u64)>);

impl PollEntry for PollFd {
    fn raw_fd(&self) -> RawFd {
        self.fd
    }

    fn take_revents(&mut self) -> i16 {
        std::mem::take(&mut self.revents)
    }
}

/// poll(2)'s bits for epoll's interest bits (`POLLRDHUP` is 0 where poll(2)
/// has none: readable says it).
const INTEREST: [(c_short, u32); 3] = [
    (POLLIN, EPOLLIN),
    (POLLOUT, EPOLLOUT),
    (POLLRDHUP, EPOLLRDHUP),
];

fn to_poll(events: u32) -> c_short {
    watched::to_poll(events, &INTEREST)
}

fn to_epoll(revents: c_short) -> u32 {
    watched::to_epoll(revents, &INTEREST, POLLERR, POLLHUP, POLLNVAL)
}

impl PollSet {
    /// An empty set (it cannot fail; `io::Result` as epoll's).
    pub(crate) fn new() -> io::Result<PollSet> {
        Ok(PollSet::default())
    }

    /// Watches `fd` for `events` (epoll's bits), reporting them with
    /// `token`. Errors as `epoll_ctl`'s: `EEXIST` if watched already,
    /// `EBADF` if not open, `EPERM` for a regular file or a directory.
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut watched = self.inner.borrow_mut();
        if watched.position(fd).is_some() {
            return Err(io::Error::from_raw_os_error(EEXIST));
        }
        let metadata = sys::metadata(fd).ok_or_else(|| io::Error::from_raw_os_error(EBADF))?;
        if metadata.is_file() || metadata.is_dir() {
            return Err(io::Error::from_raw_os_error(EPERM));
        }
        // What `sys::file_identity` says, from the `fstat` just made (a
        // test in `sys/linux.rs` checks that the two agree).
        let file = {
            use std::os::unix::fs::MetadataExt;
            Some((metadata.dev(), metadata.ino()))
        };
        let entry = PollFd {
            fd,
            events: to_poll(events),
            revents: 0,
        };
        watched.push(entry, (token, file));
        Ok(())
    }

    /// Changes what `fd` is watched for. `ENOENT` if it is not watched, or
    /// if the number now names another file than when it was added (that
    /// registration is dropped, as epoll drops a closed file's); `EBADF` if
    /// it is not open (dropped too).
    pub(crate) fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut watched = self.inner.borrow_mut();
        let Some(at) = watched.position(fd) else {
            return Err(io::Error::from_raw_os_error(ENOENT));
        };
        match sys::file_identity(fd) {
            None => {
                watched.remove(fd);
                Err(io::Error::from_raw_os_error(EBADF))
            }
            Some(file) if Some(file) != watched.meta[at].1 => {
                watched.remove(fd);
                Err(io::Error::from_raw_os_error(ENOENT))
            }
            Some(_) => {
                watched.fds[at].events = to_poll(events);
                watched.meta[at].0 = token;
                Ok(())
            }
        }
    }

    /// Stops watching `fd`; `ENOENT` if it was not watched.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        if self.inner.borrow_mut().remove(fd) {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(ENOENT))
        }
    }

    /// Waits until one of the watched descriptors is ready or `timeout`
    /// has passed (`None`: no timeout), and fills `events` from the start.
    /// Returns how many were filled. A descriptor found closed is reported
    /// once, as an error and a hang-up, and dropped from the set (as epoll
    /// forgets a closed file).
    pub(crate) fn wait(
        &self,
        events: &mut [Event],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let mut watched = self.inner.borrow_mut();
        let watched = &mut *watched;
        if sys::poll_fds(&mut watched.fds, timeout)? == 0 {
            return Ok(0);
        }
        let closed = |revents: c_short| (to_epoll(revents), revents & POLLNVAL != 0);
        Ok(watched.report(events, |meta| meta.0, closed))
    }
}

/// Wakes a poll(2) wait from another thread: one end of a socket pair,
/// watched by the wait, made readable by writing a byte to the other.
#[derive(Debug)]
pub(crate) struct WakePair {
    watched: UnixStream,
    written: UnixStream,
}

impl WakePair {
    /// A pair of non-blocking sockets, with nothing to read.
    pub(crate) fn new() -> io::Result<WakePair> {
        let (watched, written) = UnixStream::pair()?;
        watched.set_nonblocking(true)?;
        written.set_nonblocking(true)?;
        Ok(WakePair { watched, written })
    }

    /// Makes the watched end readable. Never blocks: with the buffer full,
    /// the write fails, and the end is readable anyway.
    pub(crate) fn signal(&self) {
        let _ = (&self.written).write(&[1]);
    }

    /// Reads what the signals wrote, so that the watched end is no longer
    /// readable. Does nothing if it was not.
    pub(crate) fn drain(&self) {
        let mut buf = [0; 64];
        while let Ok(n) = (&self.watched).read(&mut buf) {
            if n < buf.len() {
                break;
            }
        }
    }
}

impl AsRawFd for WakePair {
    fn as_raw_fd(&self) -> RawFd {
        self.watched.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::sys::{EPOLLERR, EPOLLHUP};
    use std::fs::File;

    // The constants above, as the C library's headers have them (`libc`).
    const _: () = assert!(ENOENT == libc::ENOENT);
    const _: () = assert!(EEXIST == libc::EEXIST);
    const _: () = assert!(EPERM == libc::EPERM);

    fn ready(set: &PollSet, timeout: Option<Duration>) -> Vec<(u64, u32)> {
        let mut events = [Event::EMPTY; 8];
        let n = set.wait(&mut events, timeout).unwrap();
        events[..n]
            .iter()
            .map(|e| (e.token(), e.events()))
            .collect()
    }

    #[test]
    fn a_wake_pair_wakes_a_wait_until_drained() {
        let set = PollSet::new().unwrap();
        let wake = WakePair::new().unwrap();
        set.add(wake.as_raw_fd(), EPOLLIN, 7).unwrap();
        assert!(ready(&set, Some(Duration::ZERO)).is_empty());
        wake.signal();
        wake.signal();
        assert_eq!(ready(&set, None), [(7, EPOLLIN)]);
        wake.drain();
        assert!(ready(&set, Some(Duration::ZERO)).is_empty());
        wake.drain(); // nothing to read: does nothing, does not block
    }

    #[test]
    fn errors_are_epolls() {
        let set = PollSet::new().unwrap();
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let kind = |r: io::Result<()>| r.unwrap_err().kind();
        assert_eq!(kind(set.modify(fd, EPOLLIN, 0)), io::ErrorKind::NotFound);
        set.add(fd, EPOLLIN, 0).unwrap();
        assert_eq!(kind(set.add(fd, EPOLLIN, 0)), io::ErrorKind::AlreadyExists);
        set.delete(fd).unwrap();
        assert_eq!(kind(set.delete(fd)), io::ErrorKind::NotFound);
        let bad = set.add(-1, EPOLLIN, 0).unwrap_err();
        assert_eq!(bad.raw_os_error(), Some(EBADF));
        let file = File::open("Cargo.toml").unwrap();
        assert_eq!(
            kind(set.add(file.as_raw_fd(), EPOLLIN, 0)),
            io::ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn readiness_is_level_triggered_and_translated() {
        let set = PollSet::new().unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        set.add(a.as_raw_fd(), EPOLLIN | EPOLLRDHUP, 1).unwrap();
        assert!(ready(&set, Some(Duration::ZERO)).is_empty());
        b.write_all(b"x").unwrap();
        assert_eq!(ready(&set, None), [(1, EPOLLIN)]);
        assert_eq!(ready(&set, None), [(1, EPOLLIN)], "still readable");
        set.modify(a.as_raw_fd(), EPOLLIN | EPOLLOUT, 2).unwrap();
        assert_eq!(ready(&set, None), [(2, EPOLLIN | EPOLLOUT)]);
        drop(b);
        let (_, events) = ready(&set, None)[0];
        assert_ne!(events & EPOLLHUP, 0, "a hang-up is reported: {events:#x}");
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
    fn a_closed_descriptor_is_dropped_and_a_reused_number_is_not_the_old_registration() {
        let set = PollSet::new().unwrap();
        let (a, _peer) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        set.add(fd, EPOLLIN, 1).unwrap();
        drop(a);
        assert_eq!(
            ready(&set, Some(Duration::ZERO)),
            [(1, EPOLLERR | EPOLLHUP)],
            "reported once"
        );
        assert!(
            ready(&set, Some(Duration::ZERO)).is_empty(),
            "then forgotten"
        );
        assert_eq!(
            set.modify(fd, EPOLLIN, 1).unwrap_err().kind(),
            io::ErrorKind::NotFound,
            "forgotten"
        );

        let (c, _peer) = UnixStream::pair().unwrap();
        set.add(c.as_raw_fd(), EPOLLIN, 2).unwrap();
        let number = c.as_raw_fd();
        drop(c);
        let (d, _peer) = UnixStream::pair().unwrap();
        if d.as_raw_fd() == number {
            // The number now names another socket: not the one added.
            let err = set.modify(number, EPOLLIN, 2).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            set.add(number, EPOLLIN, 3).unwrap();
        }
    }

    #[test]
    fn more_ready_than_a_wait_takes_are_reported_in_turn() {
        let set = PollSet::new().unwrap();
        let pairs: Vec<_> = (0..12).map(|_| UnixStream::pair().unwrap()).collect();
        for (i, (_, writer)) in pairs.iter().enumerate() {
            set.add(writer.as_raw_fd(), EPOLLOUT, i as u64).unwrap();
        }
        let first = ready(&set, None);
        let second = ready(&set, None);
        assert_eq!(first.len(), 8);
        let tokens: Vec<_> = second.iter().map(|&(t, _)| t).collect();
        assert_eq!(&tokens[..4], [8, 9, 10, 11], "the rest come next");
    }
}
