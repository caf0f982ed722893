//! File descriptors on the loop: asyncio's `add_reader`/`add_writer`, the
//! source that dispatches their readiness, and the loop's wait once it has
//! a reactor.

use std::cell::{Cell, OnceCell};
use std::io;
use std::panic::Location;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::event_loop::context::run_caught;
use crate::event_loop::inner::{Inner, LoopHandle};
use crate::event_loop::source::{PostAction, Readiness, Source, SourceHandle};
use crate::os::reactor::{Direction, Due, Handler, Reactor, Slot};
use crate::os::sys::{AsDescriptor, RawFd, descriptor};
use crate::state::wake::Woke;

/// A loop's reactor, made when it watches its first file descriptor.
/// The file descriptors a loop watches: its reactor, made with the first,
/// and the source that dispatches the reactor's readiness to callbacks
/// while any is registered.
#[derive(Default)]
pub(crate) struct Io {
    reactor: OnceCell<Rc<Reactor>>,
    source: Cell<Option<SourceHandle>>,
}

impl Io {
    /// The reactor, once the loop has one.
    pub(crate) fn get(&self) -> Option<&Rc<Reactor>> {
        self.reactor.get()
    }
}

impl LoopHandle {
    /// Calls `callback` on the loop's thread whenever `fd` is readable,
    /// until [`remove_reader`](LoopHandle::remove_reader) — asyncio's
    /// `add_reader`.
    ///
    /// Readiness is level-triggered: while `fd` stays readable the
    /// callback runs once per loop iteration, so it should read (or
    /// remove itself). An error or a hang-up on `fd` counts as readable:
    /// the callback finds out by reading (`Ok(0)` is end of file). A
    /// callback set for `fd` replaces (and drops) the one it had. The
    /// callback may add, remove and close anything, its own `fd`
    /// included; once a callback is removed it never runs again, even for
    /// readiness the loop saw before.
    ///
    /// `fd` stays yours: the loop never closes it. **Remove it before
    /// closing it.** If you close it while it is registered, its callbacks
    /// stop running: the kernel drops it from the loop's wait (with `poll`,
    /// the loop sees the number closed and drops the registration; if
    /// another descriptor still refers to the same file, the loop notices
    /// and drops the old registration itself). A later `add_reader` or
    /// `add_writer` of the same number, for whatever file has it then,
    /// starts afresh, dropping what the closed one had (and is refused with
    /// `EBADF` if no file has it); removing either direction of the closed
    /// one drops both. It is never undefined behaviour and never a busy
    /// loop.
    ///
    /// On Unix, `fd` is anything with a file descriptor
    /// ([`AsRawFd`](std::os::fd::AsRawFd)): a socket, a pipe, a terminal.
    /// On Windows it is a socket ([`AsRawSocket`], as `WSAPoll` watches
    /// sockets only): anything else is refused (`WSAENOTSOCK`). The first
    /// descriptor a loop watches makes its wait the kernel's instead of a
    /// park: `epoll_wait` on Linux (with an eventfd for wake-ups from other
    /// threads), `poll` on other Unixes (with a socket pair) and `WSAPoll`
    /// on Windows (with a loopback TCP pair, as Python's
    /// `socket.socketpair` makes one there); `poll` and `WSAPoll` scan every
    /// registered descriptor at each wait, so they suit tens of them, not
    /// thousands. A loop keeps that wait until it is dropped.
    ///
    /// [`AsRawSocket`]: https://doc.rust-lang.org/std/os/windows/io/trait.AsRawSocket.html
    ///
    /// # Errors
    ///
    /// What epoll says (and `poll`'s loop says the same): a descriptor it
    /// cannot watch (a regular file or a directory: `PermissionDenied`), a
    /// closed one (`EBADF`); then nothing is registered and `callback` is
    /// dropped.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use poll_loop::EventLoop;
    ///
    /// let lp = EventLoop::new();
    /// let (mut ours, mut theirs) = UnixStream::pair()?;
    /// ours.set_nonblocking(true)?;
    /// let fd = ours.as_raw_fd();
    /// let h = lp.handle();
    /// lp.add_reader(&fd, move || {
    ///     let mut buf = [0; 16];
    ///     let n = ours.read(&mut buf).unwrap();
    ///     assert_eq!(&buf[..n], b"ping");
    ///     h.remove_reader(&fd); // and `ours` is closed with the callback
    /// })?;
    /// theirs.write_all(b"ping")?;
    /// lp.run_until_idle()?; // idle once the reader is removed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn add_reader<F>(&self, fd: &impl AsDescriptor, callback: F) -> io::Result<()>
    where
        F: FnMut() + 'static,
    {
        self.add_callback(descriptor(fd)?, Direction::Read, Box::new(callback))
    }

    /// Calls `callback` on the loop's thread whenever `fd` is writable,
    /// until [`remove_writer`](LoopHandle::remove_writer) — asyncio's
    /// `add_writer`. Everything said of
    /// [`add_reader`](LoopHandle::add_reader) holds (level-triggered: a
    /// socket is writable almost always, so remove the writer once what
    /// you had to write is written).
    ///
    /// # Errors
    ///
    /// As for [`add_reader`](LoopHandle::add_reader).
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[track_caller]
    pub fn add_writer<F>(&self, fd: &impl AsDescriptor, callback: F) -> io::Result<()>
    where
        F: FnMut() + 'static,
    {
        self.add_callback(descriptor(fd)?, Direction::Write, Box::new(callback))
    }

    /// Stops watching `fd` for reading and drops its reader callback.
    /// Returns true if it had one. Safe from any callback, the reader's
    /// own included (it is then dropped when it returns).
    pub fn remove_reader(&self, fd: &impl AsDescriptor) -> bool {
        descriptor(fd).is_ok_and(|fd| self.remove_callback(fd, Direction::Read))
    }

    /// Stops watching `fd` for writing and drops its writer callback.
    /// Returns true if it had one. See
    /// [`remove_reader`](LoopHandle::remove_reader).
    pub fn remove_writer(&self, fd: &impl AsDescriptor) -> bool {
        descriptor(fd).is_ok_and(|fd| self.remove_callback(fd, Direction::Write))
    }

    #[track_caller]
    fn add_callback(
        &self,
        fd: RawFd,
        direction: Direction,
        callback: Box<dyn FnMut()>,
    ) -> io::Result<()> {
        let location = Location::caller();
        let reactor = self.reactor()?;
        let file = crate::os::sys::file_identity(fd);
        match reactor.set(fd, direction, Handler::callback(callback, location, file)) {
            Ok(replaced) => {
                self.ensure_io_source(&reactor);
                drop(replaced); // outside the reactor's borrow
                Ok(())
            }
            Err((err, rejected)) => {
                drop(rejected); // the callback, outside the reactor's borrow
                Err(err)
            }
        }
    }

    fn remove_callback(&self, fd: RawFd, direction: Direction) -> bool {
        let Some(reactor) = self.inner.io.get().cloned() else {
            return false;
        };
        let removed = reactor.clear(fd, direction);
        self.release_io_source(&reactor);
        removed.is_some()
    }

    /// The loop's reactor, made on first use.
    pub(crate) fn reactor(&self) -> io::Result<Rc<Reactor>> {
        let inner = self.live();
        if let Some(reactor) = inner.io.get() {
            return Ok(Rc::clone(reactor));
        }
        let reactor = Rc::new(Reactor::new()?);
        // On the loop's thread, awake: from here on notifiers write the
        // eventfd the next wait watches (see `wake.rs`).
        inner.remote.wake.set_signal(reactor.signal());
        let _ = inner.io.reactor.set(Rc::clone(&reactor));
        tracing::debug!(
            wait = crate::os::reactor::WAIT_NAME,
            "event loop waits in the kernel from now on"
        );
        Ok(reactor)
    }

    /// Registers the source that dispatches the reactor's readiness, if it
    /// is not.
    pub(crate) fn ensure_io_source(&self, reactor: &Rc<Reactor>) {
        let source = &self.inner.io.source;
        let handle = match source.take() {
            Some(handle) if handle.is_registered() => handle,
            _ => self.insert_source(IoSource {
                reactor: Rc::clone(reactor),
            }),
        };
        source.set(Some(handle));
    }

    /// Removes that source once no descriptor is registered, so that a
    /// loop with none is idle again.
    pub(crate) fn release_io_source(&self, reactor: &Reactor) {
        if reactor.is_empty() {
            if let Some(handle) = self.inner.io.source.take() {
                handle.remove();
            }
        }
    }

    /// Runs what the readiness taken from the kernel makes due: for each
    /// ready descriptor in the order the kernel reported them, its reader,
    /// then its writer.
    fn dispatch_io(&self, reactor: &Reactor) {
        while let Some((fd, generation, events, limit)) = reactor.next_ready() {
            for direction in [Direction::Read, Direction::Write] {
                match reactor.take_due(fd, generation, events, limit, direction) {
                    None => {}
                    Some(Due::Callback(callback, _, _, file))
                        if crate::os::sys::file_identity(fd) != file =>
                    {
                        // Closed without being removed, and the kernel
                        // still reports its file (a `dup` keeps it open),
                        // whether the number is free now or was given to
                        // another file: its callbacks must not run on it.
                        let forgotten = reactor.forget_closed(fd);
                        drop((callback, forgotten));
                        self.release_io_source(reactor);
                        break;
                    }
                    Some(Due::Callback(mut callback, seq, location, _)) => {
                        let start = self.get_debug().then(Instant::now);
                        if let Err(payload) = run_caught(&mut callback) {
                            self.report_panic(payload, location, "file descriptor callback");
                        }
                        self.inner.counters.callbacks.bump();
                        self.warn_if_slow(start, location, "file descriptor callback");
                        let removed = reactor.put_back(fd, direction, seq, callback);
                        drop(removed); // outside the reactor's borrow
                    }
                }
            }
        }
    }
}

/// What the loop's wait found.
pub(crate) struct Waited {
    /// A notification from another thread was consumed.
    pub(crate) notified: bool,
    /// The wait blocked (it did not find a notification already pending).
    pub(crate) slept: bool,
    /// Readiness for `add_reader`/`add_writer` callbacks waits for the
    /// reactor's source to dispatch it.
    pub(crate) callbacks: bool,
}

impl LoopHandle {
    /// The loop's one wait: parked until it watches a file descriptor, in
    /// epoll from then on. With `sleep`, blocks up to `timeout`; without,
    /// only asks the kernel what is ready (if a descriptor is registered)
    /// and takes a pending notification. Either way this is the one time
    /// an iteration asks the kernel. The tasks waiting on sockets found
    /// ready are woken before it returns, so they run in this iteration's
    /// batch.
    pub(crate) fn wait(&self, timeout: Option<Duration>, sleep: bool) -> Waited {
        let inner = &*self.inner;
        let Some(reactor) = inner.io.get() else {
            let woke = if sleep {
                inner.remote.wake.park(timeout)
            } else {
                Woke {
                    notified: inner.remote.wake.take_notification(),
                    blocked: false,
                }
            };
            return Waited {
                notified: woke.notified,
                slept: woke.blocked,
                callbacks: false,
            };
        };
        let mut woken = reactor.woken.take();
        let woke = if sleep {
            let woke = inner
                .remote
                .wake
                .wait_with(timeout, |remaining| reactor.poll(remaining, &mut woken));
            if !woke.blocked && !reactor.is_empty() {
                // A notification was pending (another thread, or
                // `block_on`'s future waking itself), so the wait returned
                // without blocking: the kernel is still asked, or a loop
                // woken every iteration would never see a socket again.
                reactor.poll(Some(Duration::ZERO), &mut woken);
            }
            woke
        } else {
            if !reactor.is_empty() {
                reactor.poll(Some(Duration::ZERO), &mut woken);
            }
            Woke {
                notified: inner.remote.wake.take_notification(),
                blocked: false,
            }
        };
        let callbacks = reactor.has_pending();
        for waker in woken.drain(..) {
            if let Err(payload) = run_caught(|| waker.wake()) {
                self.report_panic(payload, Location::caller(), "socket waker");
            }
        }
        reactor.woken.set(woken);
        Waited {
            notified: woke.notified,
            slept: woke.blocked,
            callbacks,
        }
    }
}

/// Unregisters every descriptor, for closing the loop: what they had is
/// returned, to be dropped by the caller.
pub(crate) fn take_all(inner: &Inner) -> Vec<(Slot, &'static Location<'static>)> {
    inner
        .io
        .get()
        .map(|reactor| reactor.take_all())
        .unwrap_or_default()
}

/// The file descriptors with callbacks, as one more [`Source`]: ready when
/// the loop's wait found readiness for a callback, pending otherwise. (It
/// never asks the kernel itself: the wait does, once an iteration.)
struct IoSource {
    reactor: Rc<Reactor>,
}

impl Source for IoSource {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        if self.reactor.has_pending() {
            Readiness::Ready
        } else {
            Readiness::Pending
        }
    }

    fn dispatch(&mut self, lp: &LoopHandle) -> PostAction {
        lp.dispatch_io(&self.reactor);
        PostAction::Continue
    }
}
