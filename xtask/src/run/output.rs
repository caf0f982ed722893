//! Reads a demo's stdout and stderr on threads of their own, within fixed limits.
//!
//! Stdout is read in chunks as they come and split into lines, each stamped with the time
//! its last byte arrived; past [`MAX_LINES`] lines or [`MAX_BYTES`] bytes the reader stops
//! and says so, so that a demo that prints without end costs bounded memory. Of stderr only
//! the last [`STDERR_KEEP`] bytes are kept.

use std::io::{ErrorKind, Read};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use crate::outcome::{Cap, Stamped};

/// Most stdout lines a run may print.
pub(crate) const MAX_LINES: usize = 100_000;

/// Most stdout bytes a run may print (8 MiB).
pub(crate) const MAX_BYTES: usize = 8 << 20;

/// How much of the end of stderr is kept for the report (64 KiB).
pub(crate) const STDERR_KEEP: usize = 64 << 10;

/// Size of one read.
const CHUNK: usize = 64 << 10;

/// What the stdout reader reports.
#[derive(Debug)]
pub(super) enum Event {
    /// Lines completed by one read.
    Lines(Vec<Stamped>),
    /// The output went past a limit: the reader stopped reading. Lines before the limit
    /// (and the cut-off line, if any) came before this event.
    Overflow(Cap),
    /// Stdout was closed. `unterminated`: its last line had no newline.
    End { unterminated: bool },
}

/// Splits chunks of output into lines and counts them against the limits. Pure, so the
/// limits are tested without a process.
#[derive(Debug)]
pub(super) struct Splitter {
    max_lines: usize,
    max_bytes: usize,
    lines: usize,
    bytes: usize,
    /// The line read so far, and when its last byte came.
    partial: Vec<u8>,
    partial_at: Duration,
}

impl Splitter {
    pub(super) fn new(max_lines: usize, max_bytes: usize) -> Self {
        Self {
            max_lines,
            max_bytes,
            lines: 0,
            bytes: 0,
            partial: Vec::new(),
            partial_at: Duration::ZERO,
        }
    }

    /// Takes one chunk that arrived at `at`, and appends the lines it completes to `out`.
    /// Past a limit, `out` also gets the cut-off line, and the limit is returned: feed no
    /// more.
    pub(super) fn feed(
        &mut self,
        chunk: &[u8],
        at: Duration,
        out: &mut Vec<Stamped>,
    ) -> Result<(), Cap> {
        let room = self.max_bytes - self.bytes;
        let (chunk, over) = if chunk.len() > room {
            (&chunk[..room], true)
        } else {
            (chunk, false)
        };
        self.bytes += chunk.len();
        for piece in chunk.split_inclusive(|&b| b == b'\n') {
            self.partial.extend_from_slice(piece);
            self.partial_at = at;
            if piece.ends_with(b"\n") {
                if self.lines == self.max_lines {
                    return Err(Cap::Lines(self.max_lines));
                }
                self.lines += 1;
                out.push(self.take_line());
            }
        }
        if over {
            if let Some(line) = self.finish() {
                out.push(line);
            }
            return Err(Cap::Bytes(self.max_bytes));
        }
        Ok(())
    }

    /// The last line, if the output did not end with a newline.
    pub(super) fn finish(&mut self) -> Option<Stamped> {
        (!self.partial.is_empty()).then(|| self.take_line())
    }

    fn take_line(&mut self) -> Stamped {
        let mut text = std::mem::take(&mut self.partial);
        if text.last() == Some(&b'\n') {
            text.pop();
            if text.last() == Some(&b'\r') {
                text.pop();
            }
        }
        Stamped {
            at: self.partial_at,
            text,
        }
    }
}

/// Reads `stdout` on a thread of its own, stamping lines with the time since `start`.
pub(super) fn read_stdout(stdout: impl Read + Send + 'static, start: Instant) -> Receiver<Event> {
    let (send, events) = mpsc::channel();
    thread::spawn(move || {
        let mut stdout = stdout;
        let mut splitter = Splitter::new(MAX_LINES, MAX_BYTES);
        let mut chunk = vec![0; CHUNK];
        loop {
            let n = match stdout.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let mut lines = Vec::new();
            let fed = splitter.feed(&chunk[..n], start.elapsed(), &mut lines);
            if !lines.is_empty() && send.send(Event::Lines(lines)).is_err() {
                return;
            }
            if let Err(cap) = fed {
                // Dropping stdout here closes the pipe: a demo still writing gets EPIPE.
                let _ = send.send(Event::Overflow(cap));
                return;
            }
        }
        let last = splitter.finish();
        let unterminated = last.is_some();
        if let Some(line) = last {
            let _ = send.send(Event::Lines(vec![line]));
        }
        let _ = send.send(Event::End { unterminated });
    });
    events
}

/// The end of stderr, and how many bytes it had in all.
#[derive(Debug, Default)]
pub(super) struct Tail {
    pub(super) kept: Vec<u8>,
    pub(super) total: u64,
}

/// Reads `stderr` to its end on a thread of its own, keeping its last [`STDERR_KEEP`] bytes.
pub(super) fn read_stderr(stderr: impl Read + Send + 'static) -> Receiver<Tail> {
    let (send, tail) = mpsc::channel();
    thread::spawn(move || {
        let mut stderr = stderr;
        let mut out = Tail::default();
        let mut chunk = vec![0; CHUNK];
        loop {
            match stderr.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    out.total += n as u64;
                    out.kept.extend_from_slice(&chunk[..n]);
                    // Trim only now and then, so that each byte is moved a bounded number
                    // of times.
                    if out.kept.len() > 2 * STDERR_KEEP {
                        out.kept.drain(..out.kept.len() - STDERR_KEEP);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        if out.kept.len() > STDERR_KEEP {
            out.kept.drain(..out.kept.len() - STDERR_KEEP);
        }
        let _ = send.send(out);
    });
    tail
}
