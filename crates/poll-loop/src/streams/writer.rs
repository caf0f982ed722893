//! [`StreamWriter`]: asyncio's buffered writes over a socket's write half,
//! with the transport's background writing done by a task of the writer's
//! own.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::byte_buffer::ByteBuffer;
use super::source::{StreamAddr, WriteSink};
use crate::event_loop::inner::LoopHandle;

/// The write buffer's high-water mark unless set: 64 KiB, asyncio's.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// The writing side of a connection, with asyncio's `StreamWriter`
/// methods: [`write`](StreamWriter::write) (which does not wait),
/// [`drain`](StreamWriter::drain) (which waits while too much is
/// buffered), [`write_eof`](StreamWriter::write_eof),
/// [`close`](StreamWriter::close) and
/// [`wait_closed`](StreamWriter::wait_closed).
///
/// # How the bytes get written
///
/// As asyncio's transport does: `write` sends what the socket takes at
/// once, without waiting, and buffers the rest; a task of the writer's own
/// (spawned on the running loop when something is left over, gone when the
/// buffer is empty) writes the buffer out in the background as the socket
/// takes it. So bytes written are sent without any `drain` — `drain` is
/// for back-pressure: it returns at once while at most the high-water mark
/// (64 KiB by default) is buffered, and otherwise waits until the buffer
/// is down to the low-water mark (a quarter of the high one), so that a
/// writer faster than its peer does not buffer without bound. Set them
/// with [`set_write_buffer_limits`](StreamWriter::set_write_buffer_limits).
///
/// `close` stops taking writes, and shuts the writing direction down once
/// the buffer is written (the peer reads end of file);
/// [`wait_closed`](StreamWriter::wait_closed) waits for that. The socket
/// itself closes once the writer and its [`StreamReader`](super::StreamReader)
/// are both dropped. A writer dropped without `close` still writes out its
/// buffer, then shuts down.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::open_connection;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// let peer = std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     let mut got = String::new();
///     conn.read_to_string(&mut got).unwrap(); // until the writer closes
///     got
/// });
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (_reader, writer) = open_connection(addr).await?;
///     assert_eq!(writer.peer_addr()?.as_tcp(), Some(addr));
///     writer.write(b"GET / HTTP/1.0\r\n");
///     writer.write(b"\r\n");
///     writer.drain().await?; // returns at once: little is buffered
///     writer.close();
///     writer.wait_closed().await // written, and shut down
/// })??;
/// assert_eq!(peer.join().unwrap(), "GET / HTTP/1.0\r\n\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamWriter {
    shared: Rc<Shared>,
}

/// What the writer and its background task share.
struct Shared {
    sink: RefCell<Box<dyn WriteSink>>,
    state: RefCell<State>,
}

struct State {
    buffer: ByteBuffer,
    high: usize,
    low: usize,
    /// Above the high-water mark since the buffer was last at or below
    /// the low one: `drain` waits.
    paused: bool,
    /// The background task runs.
    flushing: bool,
    /// `write_eof` or `close` asked for a shutdown once the buffer is out.
    shutdown_wanted: bool,
    /// The writing direction is shut down (or writing failed).
    shut: bool,
    /// `close` was called (it also wants the shutdown): `is_closing`, and
    /// `wait_closed` returns once `shut`.
    closing: bool,
    /// The first write error: the buffer is dropped, and `drain` and
    /// `wait_closed` report it from then on.
    error: Option<(io::ErrorKind, String)>,
    /// The tasks in `drain` and `wait_closed`.
    waiting: Vec<Waker>,
}

impl State {
    fn error(&self) -> Option<io::Error> {
        let (kind, message) = self.error.as_ref()?;
        Some(io::Error::new(*kind, message.clone()))
    }

    fn fail(&mut self, err: &io::Error) {
        tracing::debug!(error = %err, "stream writer: writing failed; the buffer is dropped");
        self.error
            .get_or_insert_with(|| (err.kind(), err.to_string()));
        self.buffer = ByteBuffer::default();
        self.paused = false;
        self.shut = true;
    }

    fn wait(&mut self, waker: &Waker) {
        if !self.waiting.iter().any(|w| w.will_wake(waker)) {
            self.waiting.push(waker.clone());
        }
    }
}

impl StreamWriter {
    pub(super) fn new(sink: Box<dyn WriteSink>) -> StreamWriter {
        StreamWriter {
            shared: Rc::new(Shared {
                sink: RefCell::new(sink),
                state: RefCell::new(State {
                    buffer: ByteBuffer::default(),
                    high: DEFAULT_HIGH_WATER,
                    low: DEFAULT_HIGH_WATER / 4,
                    paused: false,
                    flushing: false,
                    shutdown_wanted: false,
                    shut: false,
                    closing: false,
                    error: None,
                    waiting: Vec::new(),
                }),
            }),
        }
    }

    /// Writes `data`: sends what the socket takes now, without waiting,
    /// and buffers the rest, which a background task sends (see the
    /// [type's documentation](StreamWriter)). Call
    /// [`drain`](StreamWriter::drain) now and then to wait while too much
    /// is buffered.
    ///
    /// Ignored (with a `tracing` event) once the writer is closing or
    /// after [`write_eof`](StreamWriter::write_eof), or after a write
    /// failed (`drain` reports that error).
    pub fn write(&self, mut data: &[u8]) {
        let mut state = self.shared.state.borrow_mut();
        if state.closing || state.shutdown_wanted || state.shut {
            tracing::debug!(
                bytes = data.len(),
                "stream writer: write after close, write_eof or an error is ignored"
            );
            return;
        }
        if state.buffer.is_empty() && !state.flushing {
            let mut sink = self.shared.sink.borrow_mut();
            while !data.is_empty() {
                match sink.try_write(data) {
                    Ok(0) => break,
                    Ok(n) => data = &data[n..],
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => {
                        state.fail(&err);
                        return;
                    }
                }
            }
        }
        if data.is_empty() {
            return;
        }
        state.buffer.extend(data);
        if state.buffer.len() > state.high {
            state.paused = true;
        }
        drop(state);
        self.ensure_flushing();
    }

    /// Writes each of `chunks`, as [`write`](StreamWriter::write) (asyncio's
    /// `writelines`).
    pub fn writelines<'a>(&self, chunks: impl IntoIterator<Item = &'a [u8]>) {
        for chunk in chunks {
            self.write(chunk);
        }
    }

    /// Waits while more than the high-water mark is buffered, until the
    /// buffer is down to the low one; returns at once otherwise. asyncio's
    /// `drain`.
    ///
    /// # Errors
    ///
    /// The error writing failed with, if it did (the buffer was dropped).
    pub async fn drain(&self) -> io::Result<()> {
        self.ensure_flushing();
        poll_fn(|cx| {
            let mut state = self.shared.state.borrow_mut();
            if let Some(err) = state.error() {
                return Poll::Ready(Err(err));
            }
            if !state.paused {
                return Poll::Ready(Ok(()));
            }
            state.wait(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Sets the write buffer's high-water mark (and the low one: a quarter
    /// of `high` if `None`), as asyncio's transport's
    /// `set_write_buffer_limits`. [`drain`](StreamWriter::drain) waits
    /// while more than `high` is buffered, until at most `low` is.
    ///
    /// # Panics
    ///
    /// If `low` is above `high` (asyncio raises `ValueError`).
    pub fn set_write_buffer_limits(&self, high: usize, low: Option<usize>) {
        let low = low.unwrap_or(high / 4);
        assert!(
            low <= high,
            "poll-loop: high ({high}) must be >= low ({low}) must be >= 0"
        );
        let wake = {
            let mut state = self.shared.state.borrow_mut();
            state.high = high;
            state.low = low;
            if state.buffer.len() > high {
                state.paused = true;
            }
            if state.paused && state.buffer.len() <= low {
                state.paused = false;
                std::mem::take(&mut state.waiting)
            } else {
                Vec::new()
            }
        };
        wake.into_iter().for_each(Waker::wake);
    }

    /// The high- and low-water marks of the write buffer.
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        let state = self.shared.state.borrow();
        (state.high, state.low)
    }

    /// How many bytes are buffered, not yet taken by the socket (asyncio's
    /// `transport.get_write_buffer_size()`).
    pub fn write_buffer_size(&self) -> usize {
        self.shared.state.borrow().buffer.len()
    }

    /// Shuts the writing direction down once the buffer is written: the
    /// peer then reads end of file, and the reader still reads. Writes
    /// after it are ignored.
    pub fn write_eof(&self) {
        self.shared.state.borrow_mut().shutdown_wanted = true;
        self.ensure_flushing();
    }

    /// Whether the writer can shut the writing direction down and still
    /// read (always, for TCP and Unix stream sockets).
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the writer: writes after it are ignored, what is buffered is
    /// still written, then the writing direction is shut down. Returns at
    /// once; [`wait_closed`](StreamWriter::wait_closed) waits for the end.
    /// A task waiting in `drain` is released as the buffer goes out, as
    /// with asyncio (use a [`timeout`](crate::timeout) around
    /// `wait_closed` for a peer that may never read).
    pub fn close(&self) {
        {
            let mut state = self.shared.state.borrow_mut();
            state.closing = true;
            state.shutdown_wanted = true;
        }
        self.ensure_flushing();
    }

    /// True once [`close`](StreamWriter::close) was called.
    pub fn is_closing(&self) -> bool {
        self.shared.state.borrow().closing
    }

    /// Waits until the writer, closed, has written its buffer and shut
    /// down. Waits for `close` if it was not called.
    ///
    /// # Errors
    ///
    /// The error writing failed with, if it did.
    pub async fn wait_closed(&self) -> io::Result<()> {
        self.ensure_flushing();
        poll_fn(|cx| {
            let mut state = self.shared.state.borrow_mut();
            if let Some(err) = state.error() {
                return Poll::Ready(Err(err));
            }
            if state.closing && state.shut {
                return Poll::Ready(Ok(()));
            }
            state.wait(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// The peer's address (asyncio's `get_extra_info('peername')`).
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` says.
    pub fn peer_addr(&self) -> io::Result<StreamAddr> {
        self.shared.sink.borrow().peer_addr()
    }

    /// The local address (asyncio's `get_extra_info('sockname')`).
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    pub fn local_addr(&self) -> io::Result<StreamAddr> {
        self.shared.sink.borrow().local_addr()
    }

    /// Starts the background task if there is work for it (bytes to write,
    /// or a shutdown to do) and it is not running. With no loop running on
    /// this thread, nothing happens: `drain`, `close` or `wait_closed`,
    /// awaited on the loop, starts it.
    fn ensure_flushing(&self) {
        let mut state = self.shared.state.borrow_mut();
        if state.flushing || state.shut {
            return;
        }
        if state.buffer.is_empty() {
            if state.shutdown_wanted {
                // Nothing left to write: shut down now.
                state.shut = true;
                if let Err(err) = self.shared.sink.borrow().shutdown() {
                    state.fail(&err);
                }
                let wake = std::mem::take(&mut state.waiting);
                drop(state);
                wake.into_iter().for_each(Waker::wake);
            }
            return;
        }
        let Some(lp) = LoopHandle::current() else {
            tracing::debug!("stream writer: no loop running here: the buffer waits for drain");
            return;
        };
        state.flushing = true;
        drop(state);
        let shared = Rc::clone(&self.shared);
        drop(lp.spawn(flush(shared)));
    }
}

/// The background task: writes the buffer out as the socket takes it,
/// releases `drain` at the low-water mark, and shuts down if asked once
/// the buffer is empty.
async fn flush(shared: Rc<Shared>) {
    loop {
        let written = poll_fn(|cx| {
            let state = shared.state.borrow();
            if state.buffer.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let polled = shared
                .sink
                .borrow_mut()
                .poll_write(cx, state.buffer.pending());
            match polled {
                Poll::Ready(Ok(0)) => Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                polled => polled,
            }
        })
        .await;
        let mut state = shared.state.borrow_mut();
        let mut wake = Vec::new();
        match written {
            Ok(n) => {
                state.buffer.discard(n);
                if state.paused && state.buffer.len() <= state.low {
                    state.paused = false;
                    wake = std::mem::take(&mut state.waiting);
                }
            }
            Err(err) => {
                state.fail(&err);
                wake = std::mem::take(&mut state.waiting);
            }
        }
        let done = state.buffer.is_empty();
        if done {
            state.flushing = false;
            if state.shutdown_wanted && !state.shut {
                state.shut = true;
                if let Err(err) = shared.sink.borrow().shutdown() {
                    state.fail(&err);
                }
            }
            wake.append(&mut state.waiting);
        }
        drop(state);
        wake.into_iter().for_each(Waker::wake);
        if done {
            return;
        }
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("StreamWriter");
        match self.shared.state.try_borrow() {
            Ok(state) => s
                .field("buffered", &state.buffer.len())
                .field("closing", &state.closing)
                .field("failed", &state.error.is_some()),
            Err(_) => s.field("state", &"<borrowed>"),
        };
        s.finish_non_exhaustive()
    }
}
