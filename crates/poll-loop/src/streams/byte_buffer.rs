//! [`ByteBuffer`]: bytes queued on their way through a stream, taken from
//! the front and added at the back (what a reader has received and not
//! handed out, what a writer was given and the socket has not taken).
//!
//! Taking from the front moves a start index instead of shifting what
//! follows, so reading a buffer of many short lines, or sending a large
//! write in many pieces, costs what is taken, not what is left behind it
//! each time (asyncio's `bytearray` buffers behave so too). The space taken
//! is reclaimed once it is at least as large as what is left, so moving
//! what is left is paid for by what was taken.

use std::io;
use std::task::Poll;

/// How much room one read from the socket is given.
pub(super) const READ_CHUNK: usize = 16 * 1024;

/// A buffer held longer than this while empty is given back to the
/// allocator: one large read or write does not pin its memory for the
/// stream's life.
const KEEP_WHEN_EMPTY: usize = 4 * READ_CHUNK;

/// Queued bytes: `bytes[start..end]` are queued; what follows `end` is
/// room, zeroed once and reused.
#[derive(Default)]
pub(super) struct ByteBuffer {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl ByteBuffer {
    /// The queued bytes.
    pub(super) fn pending(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    pub(super) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Takes the first `n` queued bytes (all of them if fewer).
    pub(super) fn take(&mut self, n: usize) -> Vec<u8> {
        let taken = self.pending()[..n.min(self.len())].to_vec();
        self.discard(taken.len());
        taken
    }

    /// Takes every queued byte.
    pub(super) fn take_all(&mut self) -> Vec<u8> {
        if self.start > 0 {
            return self.take(self.len());
        }
        // All of the allocation is queued bytes and room: hand it over
        // rather than copy (what `read_to_end` gathered may be large).
        self.bytes.truncate(self.end);
        self.end = 0;
        std::mem::take(&mut self.bytes)
    }

    /// Drops the first `n` queued bytes (all of them if fewer).
    pub(super) fn discard(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.is_empty() {
            self.start = 0;
            self.end = 0;
            if self.bytes.capacity() > KEEP_WHEN_EMPTY {
                self.bytes = Vec::new();
            }
        }
    }

    /// Adds `data` at the back.
    pub(super) fn extend(&mut self, data: &[u8]) {
        self.reclaim(data.len());
        // Copied once, not zeroed first: a large write is touched once.
        self.bytes.truncate(self.end);
        self.bytes.extend_from_slice(data);
        self.end = self.bytes.len();
    }

    /// Gives `read` room for up to [`READ_CHUNK`] bytes at the back, and
    /// keeps the bytes it reports: `Ready(Ok(n))` adds `n`; nothing else
    /// changes what is queued.
    pub(super) fn fill_with(
        &mut self,
        read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        self.reclaim(READ_CHUNK);
        if self.bytes.len() - self.end < READ_CHUNK {
            // `resize` grows the allocation geometrically.
            self.bytes.resize(self.end + READ_CHUNK, 0);
        }
        let polled = read(&mut self.bytes[self.end..self.end + READ_CHUNK]);
        if let Poll::Ready(Ok(n)) = polled {
            assert!(n <= READ_CHUNK, "a read reported more than it was given");
            self.end += n;
        }
        polled
    }

    /// If there is less than `additional` bytes of room after `end`, moves
    /// the queued bytes to the front when the space taken before them is at
    /// least as large as they are.
    fn reclaim(&mut self, additional: usize) {
        if self.bytes.len() - self.end < additional && self.start > 0 && self.start >= self.len() {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `buffer` with `data` (at most a chunk) as a read would.
    fn fill(buffer: &mut ByteBuffer, data: &[u8]) {
        let polled = buffer.fill_with(|room| {
            room[..data.len()].copy_from_slice(data);
            Poll::Ready(Ok(data.len()))
        });
        assert!(matches!(polled, Poll::Ready(Ok(n)) if n == data.len()));
    }

    #[test]
    fn takes_come_in_order_and_across_fills() {
        let mut buffer = ByteBuffer::default();
        fill(&mut buffer, b"one\ntwo\nth");
        assert_eq!(buffer.take(4), b"one\n");
        assert_eq!(buffer.pending(), b"two\nth");
        fill(&mut buffer, b"ree\n");
        assert_eq!(buffer.take(4), b"two\n");
        buffer.discard(2);
        buffer.extend(b"four");
        assert_eq!(buffer.take_all(), b"ree\nfour");
        assert!(buffer.is_empty());
        assert_eq!(buffer.take(10), b"");
    }

    #[test]
    fn a_pending_read_or_an_error_keeps_nothing() {
        let mut buffer = ByteBuffer::default();
        fill(&mut buffer, b"kept");
        let polled = buffer.fill_with(|room| {
            room[0] = b'x';
            Poll::Pending
        });
        assert!(polled.is_pending());
        let polled = buffer.fill_with(|room| {
            room[0] = b'y';
            Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()))
        });
        assert!(matches!(polled, Poll::Ready(Err(_))));
        assert_eq!(buffer.pending(), b"kept");
    }

    #[test]
    #[cfg_attr(miri, ignore = "a megabyte or more, byte by byte: too slow for miri")]
    fn reading_many_short_lines_keeps_the_buffer_small() {
        // Chunks of 10-byte lines that end mid-line, read line by line as
        // they arrive: what was taken is reclaimed, so the memory stays
        // near two chunks.
        let stream = b"123456789\n".repeat(100 * READ_CHUNK / 10);
        let mut buffer = ByteBuffer::default();
        for chunk in stream.chunks(READ_CHUNK - 3) {
            fill(&mut buffer, chunk);
            while let Some(at) = buffer.pending().iter().position(|&b| b == b'\n') {
                assert_eq!(buffer.take(at + 1), b"123456789\n");
            }
            assert!(buffer.len() < 10);
            assert!(
                buffer.bytes.len() <= 2 * READ_CHUNK,
                "{}",
                buffer.bytes.len()
            );
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "a megabyte or more, byte by byte: too slow for miri")]
    fn a_large_write_sent_in_pieces_keeps_its_order_and_bounded_memory() {
        // As a writer's background task sends a large buffer a piece at a
        // time while small writes arrive behind it.
        let mut buffer = ByteBuffer::default();
        let mut expected = Vec::new();
        let mut sent = Vec::new();
        let big: Vec<u8> = (0..=255).cycle().take(1 << 20).collect();
        buffer.extend(&big);
        expected.extend_from_slice(&big);
        while !buffer.is_empty() {
            let piece = buffer.len().min(10_000);
            sent.extend_from_slice(&buffer.pending()[..piece]);
            buffer.discard(piece);
            if expected.len() < (1 << 20) + 100_000 {
                buffer.extend(b"0123456789");
                expected.extend_from_slice(b"0123456789");
            }
            assert!(buffer.bytes.len() <= 3 << 20, "{}", buffer.bytes.len());
        }
        assert_eq!(sent, expected);
    }

    #[test]
    fn a_large_buffer_is_given_back_once_emptied() {
        let mut buffer = ByteBuffer::default();
        let chunk = vec![7; READ_CHUNK];
        for _ in 0..8 {
            fill(&mut buffer, &chunk);
        }
        assert_eq!(buffer.len(), 8 * READ_CHUNK);
        assert_eq!(buffer.take_all().len(), 8 * READ_CHUNK);
        assert_eq!(buffer.bytes.capacity(), 0);
    }
}
