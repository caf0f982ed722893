//! The reactor: the file descriptors the loop watches, the kernel's set
//! that watches them (epoll, or poll(2) where there is none), and the
//! eventfd (a socket pair with poll(2)) that makes the same wait the loop's
//! wake-up from other threads.
//!
//! A loop gets its reactor when its first file descriptor is registered
//! (`io.rs`); until then it parks, as before. From then on the loop's one
//! wait is `epoll_wait` (or `poll`) with the timeout to the next deadline.
//
// Registration is per file descriptor number: an `Entry` holds a reader
// and a writer slot and what the epoll set watches the number for
// (`kernel`). Each entry has a generation, part of the token the kernel
// reports, so a report that outlived its registration (the number closed
// and registered again) is told apart. Each slot has a sequence number, so
// readiness polled before a slot was set is never given to it.
//
// A number closed without being removed keeps its entry, which belongs to
// the closed file: the kernel has forgotten it (epoll keys a registration
// by file and number, and drops it with the file), and a new file may get
// the number. When the number is set again, the entry is checked against
// the file the number names now (callbacks keep its device and inode) and
// against the kernel (`EPOLL_CTL_MOD` says `ENOENT`, which also covers
// files an inode does not tell apart, such as eventfds): if either says it
// is another file's, what the entry had is dropped and the number is
// registered afresh, with a new generation (`set`). Removing one direction
// of such an entry drops the other too (`clear`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use crate::os::sys::{AsRawFd, RawFd};
use crate::os::sys::{EBADF, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, Event};
use crate::state::wake::Signal;

// The kernel's readiness wait: epoll on Linux; poll(2) on other Unixes and
// on Linux built with `--cfg poll_loop_force_poll` (`poll_set.rs`), and
// `WSAPoll` on Windows (`wsapoll_set.rs`), both with epoll's interface, so
// that everything below is the same over all three.
#[cfg(all(unix, not(all(target_os = "linux", not(poll_loop_force_poll)))))]
use crate::os::poll_set::{PollSet as WaitSet, WakePair as WakeFd};
#[cfg(all(target_os = "linux", not(poll_loop_force_poll)))]
use crate::os::sys::{Epoll as WaitSet, EventFd as WakeFd};
#[cfg(windows)]
use crate::os::wsapoll_set::{PollSet as WaitSet, WakePair as WakeFd};

/// Whether the wait is epoll's.
const EPOLL: bool = cfg!(all(target_os = "linux", not(poll_loop_force_poll)));

/// Whether task sockets may be watched edge-triggered (see
/// [`Entry::wanted`]): not with poll(2), which has no edge trigger.
const EDGE_TRIGGERED: bool = EPOLL;

/// The name of the wait, for the logs.
pub(crate) const WAIT_NAME: &str = if EPOLL { "epoll" } else { "poll" };

/// The token of the eventfd (no entry has it: generations skip `u32::MAX`).
const WAKE_TOKEN: u64 = u64::MAX;

/// How many readiness reports one wait takes at most; more stay on the
/// kernel's ready list for the next wait (nothing is lost).
const EVENTS: usize = 1024;

/// Reading or writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn other(self) -> Direction {
        match self {
            Direction::Read => Direction::Write,
            Direction::Write => Direction::Read,
        }
    }

    /// The epoll events that make this direction ready: an error or a
    /// hang-up makes both ready, so the callback finds out by trying.
    fn ready_in(self, events: u32) -> bool {
        let mask = match self {
            Direction::Read => EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP,
            Direction::Write => EPOLLOUT | EPOLLERR | EPOLLHUP,
        };
        events & mask != 0
    }

    fn interest(self) -> u32 {
        match self {
            Direction::Read => EPOLLIN | EPOLLRDHUP,
            Direction::Write => EPOLLOUT,
        }
    }
}

/// What runs when a direction of a file descriptor is ready.
//
// Kept small, as every socket has two: a task's is a waker and a flag
// (24 bytes, the enum's tag in the flag's spare values), and what only a
// callback needs is boxed (a socket has no callback). An `Entry` is 56
// bytes; with the sequence number and location in every slot it was 88.
pub(crate) enum Handler {
    /// `add_reader`/`add_writer`'s callback.
    Callback(Box<Callback>),
    /// A task waiting on a socket (`net.rs`). `armed` while a task waits:
    /// set when a waker is stored, cleared when readiness finds no waker.
    /// It decides what the epoll set watches only for a descriptor that
    /// also has a callback, watched level-triggered (so a socket nobody
    /// waits on cannot keep the loop awake); see [`Entry::wanted`].
    Task { waker: Option<Waker>, armed: bool },
}

/// An `add_reader`/`add_writer` callback and what the loop keeps with it.
pub(crate) struct Callback {
    /// When it was set: readiness polled before then is not given to it.
    seq: u64,
    /// `None` while it runs.
    run: Option<Box<dyn FnMut()>>,
    location: &'static Location<'static>,
    /// The file the descriptor referred to when the callback was set
    /// (device, inode): a number closed and reused by another file is not
    /// the registration's any more.
    file: Option<(u64, u64)>,
}

impl Handler {
    /// A callback's handler, for [`Reactor::set`] (which numbers it).
    pub(crate) fn callback(
        run: Box<dyn FnMut()>,
        location: &'static Location<'static>,
        file: Option<(u64, u64)>,
    ) -> Handler {
        Handler::Callback(Box::new(Callback {
            seq: 0,
            run: Some(run),
            location,
            file,
        }))
    }
}

pub(crate) struct Slot {
    pub(crate) handler: Handler,
}

impl Slot {
    fn wants(&self) -> bool {
        match &self.handler {
            Handler::Callback(_) => true,
            Handler::Task { armed, .. } => *armed,
        }
    }
}

#[derive(Default)]
pub(crate) struct Entry {
    generation: u32,
    /// What the epoll set watches this number for; 0 when not in it.
    kernel: u32,
    reader: Option<Slot>,
    writer: Option<Slot>,
}

impl Entry {
    fn slot(&mut self, direction: Direction) -> &mut Option<Slot> {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }

    fn token(&self, fd: RawFd) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(fd as u32)
    }

    /// What the epoll set should watch the number for.
    ///
    /// A descriptor only tasks wait on (a `net` socket) is watched for
    /// both directions, edge-triggered, from the first wait to the last:
    /// no `epoll_ctl` per wait, and a readiness the task has already used
    /// is not reported again at every wait (measured: 4-7% more socket
    /// round trips a second). Nothing is missed: a task tries its read or
    /// write first and stores its waker only after the kernel said it
    /// would block, before the loop waits again, so whatever makes the
    /// socket ready after that is a change, reported at a later wait.
    /// Callbacks (`add_reader`) keep asyncio's level-triggered readiness.
    fn wanted(&self) -> u32 {
        let is_task = |slot: &Option<Slot>| {
            matches!(
                slot,
                None | Some(Slot {
                    handler: Handler::Task { .. }
                })
            )
        };
        if EDGE_TRIGGERED && !self.is_empty() && is_task(&self.reader) && is_task(&self.writer) {
            return Direction::Read.interest() | Direction::Write.interest() | EPOLLET;
        }
        let mut events = 0;
        for (slot, direction) in [
            (&self.reader, Direction::Read),
            (&self.writer, Direction::Write),
        ] {
            if slot.as_ref().is_some_and(Slot::wants) {
                events |= direction.interest();
            }
        }
        events
    }

    fn is_empty(&self) -> bool {
        self.reader.is_none() && self.writer.is_none()
    }

    /// The files the callbacks were set for. (A task's handler has none:
    /// a socket of `net` owns its descriptor, and clears it before closing
    /// it.)
    fn callback_files(&self) -> impl Iterator<Item = Option<(u64, u64)>> + '_ {
        [&self.reader, &self.writer]
            .into_iter()
            .filter_map(|slot| match &slot.as_ref()?.handler {
                Handler::Callback(callback) => Some(callback.file),
                Handler::Task { .. } => None,
            })
    }
}

/// The registrations, indexed by descriptor number: the kernel hands out
/// the lowest free numbers, so they are dense, and a lookup is an index
/// (a `HashMap` cost a third more memory per idle socket, and a hash per
/// readiness report). The index is paged: a page is allocated when a
/// number in it is first registered and freed when its last one goes, so
/// memory follows what is registered, without the up-to-half-empty tail
/// a doubling `Vec` has.
#[derive(Default)]
struct Entries {
    pages: Vec<Option<Box<Page>>>,
    len: usize,
}

/// How many descriptor numbers a page of [`Entries`] holds.
const PAGE: usize = 64;

struct Page {
    used: usize,
    entries: [Option<Entry>; PAGE],
}

/// A descriptor number's page and place in it; `None` if negative.
fn place(fd: RawFd) -> Option<(usize, usize)> {
    let index = usize::try_from(fd).ok()?;
    Some((index / PAGE, index % PAGE))
}

impl Entries {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get_mut(&mut self, fd: &RawFd) -> Option<&mut Entry> {
        let (page, at) = place(*fd)?;
        self.pages.get_mut(page)?.as_mut()?.entries[at].as_mut()
    }

    /// The entry of `fd` (not negative), made with `new` if there is none.
    fn get_or_insert_with(&mut self, fd: RawFd, new: impl FnOnce() -> Entry) -> &mut Entry {
        let (page, at) = place(fd).expect("checked by the caller");
        if page >= self.pages.len() {
            self.pages.resize_with(page + 1, || None);
        }
        let page = self.pages[page].get_or_insert_with(|| {
            Box::new(Page {
                used: 0,
                entries: std::array::from_fn(|_| None),
            })
        });
        let slot = &mut page.entries[at];
        if slot.is_none() {
            self.len += 1;
            page.used += 1;
        }
        slot.get_or_insert_with(new)
    }

    fn remove(&mut self, fd: &RawFd) -> Option<Entry> {
        let (page, at) = place(*fd)?;
        let held = self.pages.get_mut(page)?;
        let entry = held.as_mut()?.entries[at].take()?;
        self.len -= 1;
        let used = held.as_ref().map_or(0, |p| p.used) - 1;
        if used == 0 {
            *held = None;
        } else if let Some(p) = held.as_mut() {
            p.used = used;
        }
        Some(entry)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (RawFd, &mut Entry)> {
        self.pages
            .iter_mut()
            .enumerate()
            .filter_map(|(page, held)| Some((page, held.as_mut()?)))
            .flat_map(|(page, held)| {
                held.entries
                    .iter_mut()
                    .enumerate()
                    .filter_map(move |(at, e)| Some(((page * PAGE + at) as RawFd, e.as_mut()?)))
            })
    }

    fn drain(&mut self) -> impl Iterator<Item = (RawFd, Entry)> {
        self.len = 0;
        std::mem::take(&mut self.pages)
            .into_iter()
            .enumerate()
            .filter_map(|(page, held)| Some((page, held?)))
            .flat_map(|(page, held)| {
                let Page { entries, .. } = *held;
                entries
                    .into_iter()
                    .enumerate()
                    .filter_map(move |(at, e)| Some(((page * PAGE + at) as RawFd, e?)))
            })
    }
}

/// The registered file descriptors.
#[derive(Default)]
struct Table {
    entries: Entries,
    next_generation: u32,
    next_seq: u64,
}

impl Table {
    fn generation(&mut self) -> u32 {
        if self.next_generation == u32::MAX {
            self.next_generation = 0;
        }
        self.next_generation += 1;
        self.next_generation
    }
}

/// Readiness taken from the kernel and not yet dispatched.
struct Ready {
    events: Box<[Event]>,
    len: usize,
    next: usize,
    /// Slots set from this sequence number on were set after the wait.
    limit: u64,
}

/// What a ready direction gives the dispatcher to run, outside the table.
pub(crate) enum Due {
    /// The callback, its sequence number, where it was set, and the file
    /// its descriptor referred to then.
    Callback(
        Box<dyn FnMut()>,
        u64,
        &'static Location<'static>,
        Option<(u64, u64)>,
    ),
}

pub(crate) struct Reactor {
    set: RefCell<WaitSet>,
    wake: Arc<WakeFd>,
    table: RefCell<Table>,
    ready: RefCell<Ready>,
    /// The wakers a wait took, kept between waits for its allocation.
    pub(crate) woken: Cell<Vec<Waker>>,
}

impl Signal for WakeFd {
    fn signal(&self) {
        WakeFd::signal(self);
    }
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let set = WaitSet::new()?;
        let wake = Arc::new(WakeFd::new()?);
        set.add(wake.as_raw_fd(), EPOLLIN, WAKE_TOKEN)?;
        Ok(Reactor {
            set: RefCell::new(set),
            wake,
            table: RefCell::new(Table::default()),
            ready: RefCell::new(Ready {
                events: vec![Event::EMPTY; EVENTS].into_boxed_slice(),
                len: 0,
                next: 0,
                limit: 0,
            }),
            woken: Cell::new(Vec::new()),
        })
    }

    /// The signal the loop's wake state uses once this reactor exists.
    pub(crate) fn signal(&self) -> Arc<dyn Signal> {
        self.wake.clone()
    }

    /// True while a file descriptor is registered.
    pub(crate) fn is_empty(&self) -> bool {
        self.table.borrow().entries.is_empty()
    }

    /// Sets `direction`'s handler of `fd`, replacing (and returning, to be
    /// dropped by the caller) the one it had. If what was registered for
    /// the number belonged to a file since closed (the number now names
    /// another file, or none), all of it is returned, and the number is
    /// registered afresh. On an error from the kernel (a descriptor epoll
    /// cannot watch, such as a regular file, or a closed one) nothing else
    /// changes, and the new handler comes back with the error, with what
    /// is to be dropped.
    pub(crate) fn set(
        &self,
        fd: RawFd,
        direction: Direction,
        mut handler: Handler,
    ) -> Result<Vec<Slot>, (io::Error, Vec<Slot>)> {
        let mut dropped = Vec::new();
        if fd < 0 {
            dropped.push(Slot { handler });
            return Err((io::Error::from_raw_os_error(EBADF), dropped));
        }
        let mut table = self.table.borrow_mut();
        if let Handler::Callback(callback) = &mut handler {
            callback.seq = table.next_seq;
            table.next_seq += 1;
        }
        let generation = table.generation();
        let entry = table.entries.get_or_insert_with(fd, || Entry {
            generation,
            ..Entry::default()
        });
        // Whether the kernel is asked even if what it watches stays the
        // same, to learn whether it still has the registration.
        let mut verify = false;
        if entry.callback_files().next().is_some() {
            let now = match &handler {
                Handler::Callback(callback) => callback.file,
                Handler::Task { .. } => crate::os::sys::file_identity(fd),
            };
            if entry.callback_files().any(|file| file != now) {
                // Closed without being removed, and the number names
                // another file now, or none.
                dropped.extend(entry.reader.take());
                dropped.extend(entry.writer.take());
                if entry.kernel != 0 {
                    // Gone from epoll's set with its file, unless a `dup`
                    // keeps the file open: then its reports, under the old
                    // generation, are told apart (and the set rebuilt).
                    let _ = self.set.borrow().delete(fd);
                    entry.kernel = 0;
                }
                entry.generation = generation;
            } else {
                // The same file, as far as its inode tells: eventfds and
                // the like share one.
                verify = true;
            }
        }
        let old = entry.slot(direction).replace(Slot { handler });
        let mut forgotten = false;
        let result = match self.update(fd, entry, verify) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                // The kernel has forgotten the registration: the number
                // was closed and is open again. What it had belonged to
                // the closed file; the slot just set starts afresh.
                forgotten = true;
                dropped.extend(entry.slot(direction.other()).take());
                self.afresh(fd, entry, generation)
            }
            result => result,
        };
        match result {
            Ok(()) => {
                dropped.extend(old);
                Ok(dropped)
            }
            Err(err) => {
                let old = if forgotten {
                    dropped.extend(old);
                    None
                } else {
                    old
                };
                let new = std::mem::replace(entry.slot(direction), old);
                if entry.is_empty() {
                    table.entries.remove(&fd);
                }
                dropped.extend(new);
                Err((err, dropped))
            }
        }
    }

    /// Clears `direction`'s handler of `fd` and returns it, to be dropped
    /// by the caller; `None` if it had none. If the kernel has forgotten
    /// the number's registration (it was closed, and maybe reused), the
    /// other direction's handler belonged to the closed file too, and is
    /// cleared and returned with it.
    pub(crate) fn clear(&self, fd: RawFd, direction: Direction) -> Option<(Slot, Option<Slot>)> {
        let mut table = self.table.borrow_mut();
        let entry = table.entries.get_mut(&fd)?;
        let old = entry.slot(direction).take()?;
        let mut stale = None;
        if !entry.is_empty() {
            // Watching less cannot fail but for a closed descriptor
            // (`EBADF`: what is left stays, for its own removal) or a
            // registration the kernel has forgotten (`ENOENT`).
            if let Err(err) = self.update(fd, entry, false) {
                if err.kind() == io::ErrorKind::NotFound {
                    stale = entry.slot(direction.other()).take();
                    entry.kernel = 0;
                }
            }
        }
        if entry.is_empty() {
            if entry.kernel != 0 {
                // EBADF or ENOENT: the descriptor was closed, and the
                // kernel dropped it from the set itself.
                let _ = self.set.borrow().delete(fd);
            }
            table.entries.remove(&fd);
        }
        Some((old, stale))
    }

    /// Stores the waker of a task waiting for `direction` of `fd` (which
    /// must have a task handler), and makes sure the epoll set watches for
    /// it.
    pub(crate) fn set_waker(&self, fd: RawFd, direction: Direction, new: &Waker) -> io::Result<()> {
        let mut table = self.table.borrow_mut();
        let generation = table.generation();
        let Some(entry) = table.entries.get_mut(&fd) else {
            return Err(io::Error::other("poll-loop: the socket is not registered"));
        };
        let Some(Slot {
            handler: Handler::Task { waker, armed },
            ..
        }) = entry.slot(direction)
        else {
            return Err(io::Error::other("poll-loop: the socket is not registered"));
        };
        match waker {
            Some(waker) if waker.will_wake(new) => {}
            _ => *waker = Some(new.clone()),
        }
        if *armed {
            return Ok(());
        }
        *armed = true;
        self.update_or_afresh(fd, entry, generation)
    }

    /// Brings what the epoll set watches `fd` for in line with its slots;
    /// with `verify`, asks the kernel even if that is unchanged. `ENOENT`
    /// (`NotFound`) if the kernel has forgotten the registration: the
    /// descriptor was closed without being removed (and its number maybe
    /// given to another file); the caller decides what of the entry is
    /// still wanted, and registers it [`afresh`](Reactor::afresh).
    fn update(&self, fd: RawFd, entry: &mut Entry, verify: bool) -> io::Result<()> {
        let wanted = entry.wanted();
        if wanted == entry.kernel && (wanted == 0 || !verify) {
            return Ok(());
        }
        let set = self.set.borrow();
        if wanted == 0 {
            let _ = set.delete(fd);
            entry.kernel = 0;
            return Ok(());
        }
        if entry.kernel == 0 {
            match set.add(fd, wanted, entry.token(fd)) {
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    set.modify(fd, wanted, entry.token(fd))?;
                }
                result => result?,
            }
        } else {
            set.modify(fd, wanted, entry.token(fd))?;
        }
        entry.kernel = wanted;
        Ok(())
    }

    /// Registers what `entry` has with the kernel anew, under `generation`
    /// (so that reports for the registration the kernel forgot, if any
    /// still come, are told apart).
    fn afresh(&self, fd: RawFd, entry: &mut Entry, generation: u32) -> io::Result<()> {
        entry.generation = generation;
        entry.kernel = 0;
        self.update(fd, entry, false)
    }

    /// [`update`](Reactor::update) for a task's socket, whose slots are all
    /// its own (it clears them before closing its descriptor): if the
    /// kernel has forgotten the registration, all of it is registered
    /// afresh.
    fn update_or_afresh(&self, fd: RawFd, entry: &mut Entry, generation: u32) -> io::Result<()> {
        match self.update(fd, entry, false) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => self.afresh(fd, entry, generation),
            result => result,
        }
    }

    /// Waits for readiness (at most `timeout`; `None`: no limit; zero:
    /// only asks) unless some is already waiting to be dispatched. This is
    /// the one place the kernel is asked: the tasks waiting on what it
    /// reports ready are handed over at once, their wakers pushed onto
    /// `woken` (to be woken by the caller, outside the wait); reports for
    /// callbacks stay in the ready list for the dispatcher. Returns whether
    /// either kind was found.
    pub(crate) fn poll(&self, timeout: Option<Duration>, woken: &mut Vec<Waker>) -> bool {
        let mut ready = self.ready.borrow_mut();
        if ready.next < ready.len {
            return true;
        }
        let n = match self.set.borrow().wait(&mut ready.events, timeout) {
            Ok(n) => n,
            Err(err) => {
                // Only a bug of ours (a bad buffer, a closed epoll) makes
                // epoll_wait fail; do not spin on it.
                tracing::error!(%err, "poll-loop: the {WAIT_NAME} wait failed");
                std::thread::sleep(timeout.unwrap_or(Duration::from_millis(10)));
                0
            }
        };
        let before = woken.len();
        let mut table = self.table.borrow_mut();
        let mut kept = 0;
        let mut stale = false;
        for i in 0..n {
            let event = ready.events[i];
            if event.token() == WAKE_TOKEN {
                self.wake.drain();
                continue;
            }
            let fd = event.token() as u32 as RawFd;
            let generation = (event.token() >> 32) as u32;
            let Some(entry) = table
                .entries
                .get_mut(&fd)
                .filter(|entry| entry.generation == generation && entry.kernel != 0)
            else {
                stale = true;
                continue;
            };
            if self.hand_over(fd, entry, event.events(), woken) {
                ready.events[kept] = event;
                kept += 1;
            }
        }
        ready.len = kept;
        ready.next = 0;
        ready.limit = table.next_seq;
        drop(table);
        drop(ready);
        if stale {
            self.rebuild();
        }
        kept > 0 || woken.len() > before
    }

    /// Takes the wakers of the tasks waiting on the ready directions of
    /// `fd` (or stops watching a direction nobody waits on, so that a
    /// socket nobody reads cannot keep the loop awake). Returns whether a
    /// ready direction has a callback, to be dispatched later.
    fn hand_over(&self, fd: RawFd, entry: &mut Entry, events: u32, woken: &mut Vec<Waker>) -> bool {
        let mut callbacks = false;
        let mut disarmed = false;
        for direction in [Direction::Read, Direction::Write] {
            if !direction.ready_in(events) {
                continue;
            }
            match entry.slot(direction) {
                None => {}
                Some(Slot {
                    handler: Handler::Callback(_),
                    ..
                }) => callbacks = true,
                Some(Slot {
                    handler: Handler::Task { waker, armed },
                    ..
                }) => match waker.take() {
                    Some(waker) => woken.push(waker),
                    None => {
                        *armed = false;
                        disarmed = true;
                    }
                },
            }
        }
        if disarmed {
            let generation = entry.generation;
            let _ = self.update_or_afresh(fd, entry, generation);
        }
        callbacks
    }

    /// True if readiness for callbacks waits to be dispatched.
    pub(crate) fn has_pending(&self) -> bool {
        let ready = self.ready.borrow();
        ready.next < ready.len
    }

    /// A report for a registration that no longer exists came from the
    /// kernel: a descriptor was closed without being removed while another
    /// descriptor (a `dup`, a child process's copy) keeps its file open, so
    /// the epoll set still watches the file and cannot be told to stop (the
    /// number that named it is gone). Left alone, a level-triggered report
    /// would come back on every wait, a busy loop. Start a new epoll set
    /// with only what is registered.
    #[cold]
    fn rebuild(&self) {
        let fresh = match WaitSet::new() {
            Ok(fresh) => fresh,
            Err(err) => {
                tracing::error!(%err, "poll-loop: could not rebuild the epoll set");
                return;
            }
        };
        if let Err(err) = fresh.add(self.wake.as_raw_fd(), EPOLLIN, WAKE_TOKEN) {
            tracing::error!(%err, "poll-loop: could not rebuild the epoll set");
            return;
        }
        let mut table = self.table.borrow_mut();
        for (fd, entry) in table.entries.iter_mut() {
            if entry.kernel != 0 && fresh.add(fd, entry.kernel, entry.token(fd)).is_err() {
                entry.kernel = 0; // closed: its callbacks never run again
            }
        }
        tracing::warn!(
            "poll-loop: a registered file descriptor was closed without being removed; \
             rebuilt the epoll set"
        );
        // Level-triggered: whatever is ready is reported again by the new
        // set.
        *self.set.borrow_mut() = fresh;
    }

    /// The next undispatched readiness report: the descriptor, its
    /// generation, its events, and the sequence number below which slots
    /// may take it.
    pub(crate) fn next_ready(&self) -> Option<(RawFd, u32, u32, u64)> {
        let mut ready = self.ready.borrow_mut();
        if ready.next >= ready.len {
            return None;
        }
        let event = ready.events[ready.next];
        ready.next += 1;
        let token = event.token();
        Some((
            token as u32 as RawFd,
            (token >> 32) as u32,
            event.events(),
            ready.limit,
        ))
    }

    /// What to run for `direction` of a ready `fd`: takes the callback out
    /// (to be put back with [`put_back`](Reactor::put_back)). `None` if the
    /// direction is not ready, has no callback (a task's waker was taken
    /// by the wait), or its callback was set after the readiness was
    /// polled.
    pub(crate) fn take_due(
        &self,
        fd: RawFd,
        generation: u32,
        events: u32,
        limit: u64,
        direction: Direction,
    ) -> Option<Due> {
        if !direction.ready_in(events) {
            return None;
        }
        let mut table = self.table.borrow_mut();
        let entry = table.entries.get_mut(&fd)?;
        if entry.generation != generation {
            return None;
        }
        match &mut entry.slot(direction).as_mut()?.handler {
            Handler::Callback(callback) if callback.seq < limit => {
                let run = callback.run.take()?;
                Some(Due::Callback(
                    run,
                    callback.seq,
                    callback.location,
                    callback.file,
                ))
            }
            // Set after the readiness was polled.
            Handler::Callback(_) => None,
            // Handed over by `poll` already.
            Handler::Task { .. } => None,
        }
    }

    /// Puts a callback back after it ran, if its slot is still the same;
    /// otherwise hands it back to be dropped.
    pub(crate) fn put_back(
        &self,
        fd: RawFd,
        direction: Direction,
        seq: u64,
        callback: Box<dyn FnMut()>,
    ) -> Option<Box<dyn FnMut()>> {
        let mut table = self.table.borrow_mut();
        let slot = table
            .entries
            .get_mut(&fd)
            .and_then(|entry| entry.slot(direction).as_mut());
        match slot {
            Some(Slot {
                handler: Handler::Callback(place),
            }) if place.seq == seq && place.run.is_none() => {
                place.run = Some(callback);
                None
            }
            _ => Some(callback),
        }
    }

    /// Drops everything registered for `fd`, which was closed without
    /// being removed while another descriptor keeps its file open (the
    /// kernel still reports it); rebuilds the epoll set to stop those
    /// reports. Returns what it had, to be dropped by the caller.
    #[cold]
    pub(crate) fn forget_closed(&self, fd: RawFd) -> Option<Entry> {
        let entry = self.table.borrow_mut().entries.remove(&fd);
        tracing::warn!(
            fd,
            "poll-loop: a registered file descriptor was closed without being removed"
        );
        self.rebuild();
        entry
    }

    /// Unregisters everything, for closing the loop: returns what was
    /// registered, with where, to be dropped by the caller outside the
    /// table.
    pub(crate) fn take_all(&self) -> Vec<(Slot, &'static Location<'static>)> {
        let mut table = self.table.borrow_mut();
        let set = self.set.borrow();
        let mut slots = Vec::new();
        for (fd, entry) in table.entries.drain() {
            if entry.kernel != 0 {
                let _ = set.delete(fd);
            }
            for slot in [entry.reader, entry.writer].into_iter().flatten() {
                let location = match &slot.handler {
                    Handler::Callback(callback) => callback.location,
                    // A task's waker: nothing of the user's to point at.
                    Handler::Task { .. } => Location::caller(),
                };
                slots.push((slot, location));
            }
        }
        let mut ready = self.ready.borrow_mut();
        ready.len = 0;
        ready.next = 0;
        slots
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registered = self.table.try_borrow().map(|t| t.entries.len);
        let mut s = f.debug_struct("Reactor");
        match registered {
            Ok(n) => s.field("registered", &n),
            Err(_) => s.field("registered", &format_args!("<borrowed>")),
        };
        s.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::{Entries, Entry, PAGE};
    #[cfg(unix)]
    use super::{Reactor, WAIT_NAME};
    #[cfg(unix)]
    use crate::os::sys::AsRawFd;

    /// The build's wait is the one it says: with `--cfg
    /// poll_loop_force_poll` (or off Linux) poll(2), whose wake-up is a
    /// socket pair; on Linux epoll, with an eventfd.
    #[cfg(unix)]
    #[test]
    fn the_wait_is_the_one_the_build_asks_for() {
        use std::os::unix::fs::FileTypeExt;
        let reactor = Reactor::new().unwrap();
        let wake = crate::os::sys::metadata(reactor.wake.as_raw_fd()).unwrap();
        let poll = !cfg!(all(target_os = "linux", not(poll_loop_force_poll)));
        assert_eq!(wake.file_type().is_socket(), poll);
        assert_eq!(WAIT_NAME, if poll { "poll" } else { "epoll" });
    }

    /// Every registered socket has an entry: what only a callback needs
    /// stays out of it (see `Handler`).
    #[test]
    fn an_entry_is_two_wakers_and_a_few_words() {
        assert!(std::mem::size_of::<Option<Entry>>() <= 56);
    }

    /// A number closed while registered and given to a file its inode
    /// does not tell from the closed one (eventfds share one): the kernel
    /// says the registration is gone, and the new one starts afresh.
    #[test]
    #[cfg(all(target_os = "linux", not(poll_loop_force_poll)))]
    #[cfg_attr(miri, ignore = "miri's epoll does not forget a closed file")]
    fn a_number_reused_by_a_file_of_the_same_inode_is_registered_afresh() {
        use super::{Direction, Handler};
        use crate::os::sys::{EventFd, file_identity};
        use std::panic::Location;
        use std::time::Duration;

        let reactor = Reactor::new().unwrap();
        let callback =
            |fd| Handler::callback(Box::new(|| {}), Location::caller(), file_identity(fd));
        for _ in 0..100 {
            let old = EventFd::new().unwrap();
            let number = old.as_raw_fd();
            assert!(
                reactor
                    .set(number, Direction::Read, callback(number))
                    .is_ok()
            );
            drop(old); // closed while registered
            let new = EventFd::new().unwrap();
            if new.as_raw_fd() != number {
                // Another test's thread took the number: try again.
                drop(reactor.clear(number, Direction::Read));
                continue;
            }
            assert_eq!(file_identity(number), reactor_file(&reactor, number));
            let replaced = reactor.set(number, Direction::Read, callback(number));
            assert_eq!(replaced.ok().map(|slots| slots.len()), Some(1));
            new.signal();
            let mut woken = Vec::new();
            assert!(
                reactor.poll(Some(Duration::from_secs(5)), &mut woken),
                "the new eventfd is watched"
            );
            let (fd, ..) = reactor.next_ready().unwrap();
            assert_eq!(fd, number);
            return;
        }
        panic!("the number of a closed eventfd was never given to a new one");
    }

    /// The file the reader callback of `fd` was set for.
    #[cfg(all(target_os = "linux", not(poll_loop_force_poll)))]
    fn reactor_file(reactor: &Reactor, fd: i32) -> Option<(u64, u64)> {
        let mut table = reactor.table.borrow_mut();
        let entry = table.entries.get_mut(&fd)?;
        entry.callback_files().next()?
    }

    #[test]
    fn entries_are_paged_by_number_and_a_page_goes_with_its_last_entry() {
        let mut entries = Entries::default();
        let far = (2 * PAGE + 5) as i32;
        for fd in [0, 1, far] {
            entries.get_or_insert_with(fd, Entry::default).generation = fd as u32 + 1;
        }
        assert_eq!(entries.len, 3);
        assert!(entries.pages[1].is_none(), "no page for numbers never used");
        let seen: Vec<_> = entries
            .iter_mut()
            .map(|(fd, e)| (fd, e.generation))
            .collect();
        assert_eq!(seen, [(0, 1), (1, 2), (far, far as u32 + 1)]);
        assert!(entries.remove(&far).is_some());
        assert!(
            entries.pages[2].is_none(),
            "its last entry gone, the page is freed"
        );
        assert!(entries.remove(&far).is_none());
        assert!(entries.get_mut(&-1).is_none());
        let drained: Vec<_> = entries.drain().map(|(fd, _)| fd).collect();
        assert_eq!(drained, [0, 1]);
        assert!(entries.is_empty());
    }
}
