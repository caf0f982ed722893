//! What the two user-space readiness sets share (`poll_set.rs` over
//! poll(2), `wsapoll_set.rs` over `WSAPoll`): the watched entries as the
//! system call takes them, what the reactor gave for each, where each one
//! is, and the order readiness is reported in.

use std::collections::HashMap;

use crate::os::sys::{EPOLLERR, EPOLLHUP, Event, RawFd};

/// An entry as the system call takes it (`struct pollfd`, `WSAPOLLFD`).
pub(crate) trait PollEntry {
    /// The descriptor it watches.
    fn raw_fd(&self) -> RawFd;

    /// What the last wait reported for it, cleared.
    fn take_revents(&mut self) -> i16;
}

/// The watched entries, each with its `M` (the reactor's token, and what
/// else a set keeps of it).
#[derive(Debug)]
pub(crate) struct Watched<E, M> {
    /// Handed to the system call as they are.
    pub(crate) fds: Vec<E>,
    /// For each of `fds`, at the same index.
    pub(crate) meta: Vec<M>,
    /// Where each descriptor is in `fds`.
    index: HashMap<RawFd, usize>,
    /// Where the next report starts: after the last one reported when more
    /// were ready than one wait takes, so that none is passed over for
    /// long; otherwise the start.
    start: usize,
}

impl<E, M> Default for Watched<E, M> {
    fn default() -> Self {
        Watched {
            fds: Vec::new(),
            meta: Vec::new(),
            index: HashMap::new(),
            start: 0,
        }
    }
}

impl<E: PollEntry, M> Watched<E, M> {
    /// Where `fd` is, if watched.
    pub(crate) fn position(&self, fd: RawFd) -> Option<usize> {
        self.index.get(&fd).copied()
    }

    /// Watches one more (the caller checked it is not watched yet).
    pub(crate) fn push(&mut self, entry: E, meta: M) {
        self.index.insert(entry.raw_fd(), self.fds.len());
        self.fds.push(entry);
        self.meta.push(meta);
    }

    /// Stops watching `fd`; false if it was not watched.
    pub(crate) fn remove(&mut self, fd: RawFd) -> bool {
        let Some(at) = self.index.remove(&fd) else {
            return false;
        };
        self.fds.swap_remove(at);
        self.meta.swap_remove(at);
        if let Some(moved) = self.fds.get(at) {
            self.index.insert(moved.raw_fd(), at);
        }
        true
    }

    /// After a wait: fills `events` from the start with the entries it
    /// found ready (`report` gives each one's epoll events and whether its
    /// descriptor was closed, then dropped), in the order they were added,
    /// from where the last report stopped if it could not take them all.
    /// Returns how many were filled.
    pub(crate) fn report(
        &mut self,
        events: &mut [Event],
        token: impl Fn(&M) -> u64,
        report: impl Fn(i16) -> (u32, bool),
    ) -> usize {
        let len = self.fds.len();
        let start = self.start.min(len);
        let mut filled = 0;
        let mut left_over = false;
        let mut closed = Vec::new();
        for at in (start..len).chain(0..start) {
            let revents = self.fds[at].take_revents();
            if revents == 0 {
                continue;
            }
            if filled == events.len() {
                left_over = true; // level-triggered: found again next time
                continue;
            }
            let (ready, is_closed) = report(revents);
            if is_closed {
                closed.push(self.fds[at].raw_fd());
            }
            events[filled] = Event::new(ready, token(&self.meta[at]));
            filled += 1;
            if filled == events.len() {
                self.start = at + 1;
            }
        }
        if !left_over {
            self.start = 0; // all reported: in the order they were added
        }
        for fd in closed {
            self.remove(fd);
        }
        filled
    }
}

/// epoll's interest bits as the system call's, by `interest`'s pairs of
/// (its bit, epoll's bit).
pub(crate) fn to_poll(events: u32, interest: &[(i16, u32)]) -> i16 {
    interest
        .iter()
        .filter(|&&(_, epoll)| events & epoll != 0)
        .fold(0, |bits, &(poll, _)| bits | poll)
}

/// The system call's report as epoll's, by the same pairs plus its error
/// and hang-up bits. A closed descriptor (`nval`) is an error and a
/// hang-up, as readiness: whatever is registered for it finds out (a
/// callback's registration is then dropped, `io.rs`).
pub(crate) fn to_epoll(
    revents: i16,
    interest: &[(i16, u32)],
    err: i16,
    hup: i16,
    nval: i16,
) -> u32 {
    if revents & nval != 0 {
        return EPOLLERR | EPOLLHUP;
    }
    let always = [(err, EPOLLERR), (hup, EPOLLHUP)];
    interest
        .iter()
        .chain(&always)
        .filter(|&&(poll, _)| revents & poll != 0)
        .fold(0, |events, &(_, epoll)| events | epoll)
}
