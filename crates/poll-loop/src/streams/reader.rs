//! [`StreamReader`]: asyncio's buffered reads over a socket's read half.

use std::fmt;
use std::future::poll_fn;
use std::io;

use super::byte_buffer::ByteBuffer;
use super::errors::{
    IncompleteReadError, LimitOverrunError, ReadExactlyError, ReadLineError, ReadUntilError,
};
use super::find::find;
use super::source::ReadSource;

/// The longest line (or chunk before a separator) a reader returns unless
/// told otherwise: 64 KiB, asyncio's `_DEFAULT_LIMIT`.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// The reading side of a connection, with asyncio's `StreamReader`
/// methods: [`read`](StreamReader::read) up to `n` bytes,
/// [`readline`](StreamReader::readline),
/// [`readuntil`](StreamReader::readuntil) a separator,
/// [`readexactly`](StreamReader::readexactly) `n` bytes,
/// [`read_to_end`](StreamReader::read_to_end) (asyncio's `read(-1)`), and
/// [`at_eof`](StreamReader::at_eof).
///
/// What has arrived from the socket and is not read yet stays in the
/// reader's buffer, [`buffer`](StreamReader::buffer). A line (or chunk
/// before a separator) may be at most [`limit`](StreamReader::limit)
/// bytes long, not counting the separator (64 KiB unless
/// [set](StreamReader::set_limit)): a peer sending an endless line cannot
/// make the buffer grow without bound.
///
/// Every method is safe to cancel (to drop before it is done, in a
/// [`timeout`](crate::timeout) or [`select`](crate::select)): what was
/// received stays in the buffer, and the next call starts over with it.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::open_connection;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     conn.write_all(b"HELLO 2\r\nab").unwrap(); // then closed
/// });
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (mut reader, _writer) = open_connection(addr).await?;
///     assert_eq!(reader.readline().await?, b"HELLO 2\r\n");
///     assert_eq!(reader.readexactly(2).await?, b"ab");
///     assert_eq!(reader.read(100).await?, b""); // end of file
///     assert!(reader.at_eof());
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamReader {
    source: Box<dyn ReadSource>,
    buffer: ByteBuffer,
    eof: bool,
    limit: usize,
}

impl StreamReader {
    pub(super) fn new(source: Box<dyn ReadSource>) -> StreamReader {
        StreamReader {
            source,
            buffer: ByteBuffer::default(),
            eof: false,
            limit: DEFAULT_LIMIT,
        }
    }

    /// The longest line (or chunk before a separator) the reader returns,
    /// separator not counted.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the [`limit`](StreamReader::limit) (asyncio's `limit=`
    /// argument).
    ///
    /// # Panics
    ///
    /// If `limit` is 0 (asyncio raises `ValueError`).
    pub fn set_limit(&mut self, limit: usize) {
        assert!(limit > 0, "poll-loop: a stream's limit must be above 0");
        self.limit = limit;
    }

    /// What has been received and not read yet.
    pub fn buffer(&self) -> &[u8] {
        self.buffer.pending()
    }

    /// True if the peer has ended the stream and the buffer is empty:
    /// every read from now on returns nothing (or an incomplete read).
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffer.is_empty()
    }

    /// Reads from the socket once, appending to the buffer: how many bytes
    /// came (0: end of file, which is remembered). Safe to cancel: a poll
    /// keeps what it read, and nothing else changes.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        let n = poll_fn(|cx| {
            let source = &mut self.source;
            self.buffer.fill_with(|room| source.poll_read(cx, room))
        })
        .await?;
        if n == 0 {
            tracing::trace!("stream reader: end of file");
            self.eof = true;
        }
        Ok(n)
    }

    /// Reads up to `n` bytes: what is buffered, or (if nothing is) what the
    /// next read from the socket brings. Empty at end of file, or if `n`
    /// is 0. Not bound by the limit.
    ///
    /// # Errors
    ///
    /// The socket's.
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.buffer.is_empty() {
            self.fill().await?;
        }
        Ok(self.buffer.take(n))
    }

    /// Reads everything up to end of file (asyncio's `read(-1)`). Not
    /// bound by the limit: the peer decides how much memory it takes.
    ///
    /// # Errors
    ///
    /// The socket's (what was read stays in the buffer).
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while self.fill().await? > 0 {}
        Ok(self.buffer.take_all())
    }

    /// Reads a line, up to and with `\n`. At end of file it returns what
    /// is left (a line without its `\n`), then empty lines.
    ///
    /// # Errors
    ///
    /// The socket's, or [`LimitOverrun`](ReadLineError::LimitOverrun) if
    /// the line (without its `\n`) is longer than the limit: as asyncio
    /// does, the line is then dropped from the buffer if its end was
    /// found, else everything buffered is.
    pub async fn readline(&mut self) -> Result<Vec<u8>, ReadLineError> {
        match self.readuntil(b"\n").await {
            Ok(line) => Ok(line),
            Err(ReadUntilError::IncompleteRead(err)) => Ok(err.into_partial()),
            Err(ReadUntilError::LimitOverrun(err)) => {
                if self.buffer.pending()[err.consumed()..].starts_with(b"\n") {
                    self.buffer.discard(err.consumed() + 1);
                } else {
                    self.buffer.discard(self.buffer.len());
                }
                Err(ReadLineError::LimitOverrun(err))
            }
            Err(ReadUntilError::Io(err)) => Err(ReadLineError::Io(err)),
        }
    }

    /// Reads up to and with `separator`.
    ///
    /// # Errors
    ///
    /// The socket's;
    /// [`LimitOverrun`](ReadUntilError::LimitOverrun) if no separator ends
    /// a chunk of at most the limit (the data stays in the buffer, to be
    /// read another way); [`IncompleteRead`](ReadUntilError::IncompleteRead)
    /// if the stream ends before a separator (the error holds what was
    /// buffered, which may end with part of the separator; the buffer is
    /// then empty).
    ///
    /// # Panics
    ///
    /// If `separator` is empty (asyncio raises `ValueError`).
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, ReadUntilError> {
        assert!(
            !separator.is_empty(),
            "poll-loop: a separator must be at least one byte"
        );
        // Where the search goes on from: what was searched had no
        // separator (but a part of one may end it).
        let mut offset = 0;
        let found = loop {
            if self.buffer.len() - offset >= separator.len() {
                if let Some(at) = find(&self.buffer.pending()[offset..], separator) {
                    break offset + at;
                }
                offset = self.buffer.len() + 1 - separator.len();
                if offset > self.limit {
                    return Err(ReadUntilError::LimitOverrun(LimitOverrunError::new(
                        offset, false,
                    )));
                }
            }
            if self.eof {
                let partial = self.buffer.take_all();
                return Err(ReadUntilError::IncompleteRead(IncompleteReadError::new(
                    partial, None,
                )));
            }
            self.fill().await?;
        };
        if found > self.limit {
            return Err(ReadUntilError::LimitOverrun(LimitOverrunError::new(
                found, true,
            )));
        }
        Ok(self.buffer.take(found + separator.len()))
    }

    /// Reads exactly `n` bytes. Not bound by the limit.
    ///
    /// # Errors
    ///
    /// The socket's, or [`IncompleteRead`](ReadExactlyError::IncompleteRead)
    /// if the stream ends first (the error holds what was read; the
    /// buffer is then empty).
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, ReadExactlyError> {
        while self.buffer.len() < n {
            if self.eof {
                let partial = self.buffer.take_all();
                return Err(ReadExactlyError::IncompleteRead(IncompleteReadError::new(
                    partial,
                    Some(n),
                )));
            }
            self.fill().await?;
        }
        Ok(self.buffer.take(n))
    }

    /// The lines of the stream, as `String`s without their line ending
    /// (`\n` or `\r\n`), until end of file: the loop asyncio writes as
    /// `async for line in reader`.
    ///
    /// ```
    /// use std::io::Write;
    /// use poll_loop::EventLoop;
    /// use poll_loop::streams::open_connection;
    ///
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// std::thread::spawn(move || {
    ///     let (mut conn, _) = server.accept().unwrap();
    ///     conn.write_all(b"one\r\ntwo\nthree").unwrap();
    /// });
    /// let lp = EventLoop::new();
    /// let lines = lp.block_on(async move {
    ///     let (mut reader, _writer) = open_connection(addr).await?;
    ///     let mut lines = Vec::new();
    ///     let mut stream = reader.lines();
    ///     while let Some(line) = stream.next_line().await? {
    ///         lines.push(line);
    ///     }
    ///     Ok::<_, std::io::Error>(lines)
    /// })??;
    /// assert_eq!(lines, ["one", "two", "three"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lines(&mut self) -> Lines<'_> {
        Lines { reader: self }
    }
}

/// The lines of a [`StreamReader`]: see [`StreamReader::lines`], whose
/// example reads them.
pub struct Lines<'a> {
    reader: &'a mut StreamReader,
}

impl Lines<'_> {
    /// The next line without its line ending, or `None` at end of file.
    /// Safe to cancel, as the reader's methods.
    ///
    /// # Errors
    ///
    /// The socket's; `InvalidData` for a line longer than the limit
    /// (dropped, as [`readline`](StreamReader::readline) does) or not
    /// UTF-8.
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut line = self.reader.readline().await?;
        if line.is_empty() {
            return Ok(None);
        }
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        String::from_utf8(line)
            .map(Some)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buffer.len())
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lines").field(&self.reader).finish()
    }
}
