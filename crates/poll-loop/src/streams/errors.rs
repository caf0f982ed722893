//! The errors of [`StreamReader`](super::StreamReader)'s reads, asyncio's
//! `LimitOverrunError` and `IncompleteReadError` among them, each keeping
//! what asyncio keeps.

use std::error::Error;
use std::fmt;
use std::io;

/// The separator was not found within the reader's
/// [limit](super::StreamReader::limit) (asyncio's `LimitOverrunError`).
///
/// After [`readuntil`](super::StreamReader::readuntil) the data stays in
/// the reader's buffer, so it can be read again (with a higher limit, or
/// with [`read`](super::StreamReader::read)); after
/// [`readline`](super::StreamReader::readline) it is dropped, as asyncio
/// drops it: up to and with the newline if one was found, else all of it.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{ReadUntilError, open_connection};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     conn.write_all(b"a rather long line;short;").unwrap();
/// });
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (mut reader, _writer) = open_connection(addr).await?;
///     reader.set_limit(8);
///     let Err(ReadUntilError::LimitOverrun(err)) = reader.readuntil(b";").await else {
///         panic!("the chunk is longer than 8 bytes");
///     };
///     assert!(err.separator_found());
///     assert_eq!(err.consumed(), 18); // where the separator is
///     // The data stays: read the long chunk another way.
///     assert_eq!(reader.readexactly(err.consumed() + 1).await?, b"a rather long line;");
///     assert_eq!(reader.readuntil(b";").await?, b"short;");
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    consumed: usize,
    found: bool,
}

impl LimitOverrunError {
    pub(super) fn new(consumed: usize, found: bool) -> LimitOverrunError {
        LimitOverrunError { consumed, found }
    }

    /// How many bytes to consume before the separator: where it was found,
    /// or (not found) how far the search went.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Whether the separator was found (beyond the limit).
    pub fn separator_found(&self) -> bool {
        self.found
    }
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.found {
            f.write_str("separator is found, but chunk is longer than limit")
        } else {
            f.write_str("separator is not found, and chunk exceed the limit")
        }
    }
}

impl Error for LimitOverrunError {}

/// The stream ended before the read was complete (asyncio's
/// `IncompleteReadError`): what was read is kept in
/// [`partial`](IncompleteReadError::partial), and is no longer in the
/// reader's buffer.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{ReadExactlyError, open_connection};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     conn.write_all(b"only 7!").unwrap(); // then closed
/// });
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (mut reader, _writer) = open_connection(addr).await?;
///     let Err(ReadExactlyError::IncompleteRead(err)) = reader.readexactly(10).await else {
///         panic!("the stream ends first");
///     };
///     assert_eq!(err.partial(), b"only 7!");
///     assert_eq!(err.expected(), Some(10));
///     assert!(reader.at_eof());
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    partial: Vec<u8>,
    expected: Option<usize>,
}

impl IncompleteReadError {
    pub(super) fn new(partial: Vec<u8>, expected: Option<usize>) -> IncompleteReadError {
        IncompleteReadError { partial, expected }
    }

    /// The bytes read before the stream ended.
    pub fn partial(&self) -> &[u8] {
        &self.partial
    }

    /// The bytes read before the stream ended, owned.
    pub fn into_partial(self) -> Vec<u8> {
        self.partial
    }

    /// How many bytes were asked for (`None` for
    /// [`readuntil`](super::StreamReader::readuntil), which cannot know).
    pub fn expected(&self) -> Option<usize> {
        self.expected
    }
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "{} bytes read on a total of {n} expected bytes",
                self.partial.len()
            ),
            None => write!(
                f,
                "{} bytes read on a total of undefined expected bytes",
                self.partial.len()
            ),
        }
    }
}

impl Error for IncompleteReadError {}

/// Why [`readuntil`](super::StreamReader::readuntil) returned no chunk.
///
/// `?` turns it into an `io::Error` where a function returns one:
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
///     conn.write_all(b"key=value\0no end").unwrap(); // then closed
/// });
/// async fn field(reader: &mut poll_loop::streams::StreamReader) -> std::io::Result<Vec<u8>> {
///     Ok(reader.readuntil(b"\0").await?)
/// }
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (mut reader, _writer) = open_connection(addr).await?;
///     assert_eq!(field(&mut reader).await?, b"key=value\0");
///     let err = field(&mut reader).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum ReadUntilError {
    /// The socket's error.
    Io(io::Error),
    /// No separator within the limit; the data stays buffered.
    LimitOverrun(LimitOverrunError),
    /// The stream ended before a separator; what was read is in the error.
    IncompleteRead(IncompleteReadError),
}

/// Why [`readline`](super::StreamReader::readline) returned no line. (End
/// of file is not an error there: the partial line, or an empty one, is
/// returned.)
///
/// ```
/// use std::io::Write;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{ReadLineError, open_connection};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     conn.write_all(b"far too long a line\nok\n").unwrap();
/// });
/// let lp = EventLoop::new();
/// lp.block_on(async move {
///     let (mut reader, _writer) = open_connection(addr).await?;
///     reader.set_limit(4);
///     let err = reader.readline().await.unwrap_err();
///     assert!(matches!(err, ReadLineError::LimitOverrun(_)));
///     // The long line is dropped; the next one reads.
///     assert_eq!(reader.readline().await?, b"ok\n");
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum ReadLineError {
    /// The socket's error.
    Io(io::Error),
    /// The line is longer than the limit; it was dropped (see
    /// [`LimitOverrunError`]).
    LimitOverrun(LimitOverrunError),
}

/// Why [`readexactly`](super::StreamReader::readexactly) returned no
/// bytes. See [`IncompleteReadError`] for an example.
#[derive(Debug)]
pub enum ReadExactlyError {
    /// The socket's error.
    Io(io::Error),
    /// The stream ended first; what was read is in the error.
    IncompleteRead(IncompleteReadError),
}

macro_rules! read_error {
    ($name:ident { $($variant:ident),+ }) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Self::$variant(err) => fmt::Display::fmt(err, f),)+
                }
            }
        }

        impl Error for $name {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                match self {
                    $(Self::$variant(err) => err.source(),)+
                }
            }
        }

        impl From<io::Error> for $name {
            fn from(err: io::Error) -> Self {
                Self::Io(err)
            }
        }

        /// An `io::Error` for `?` in a function that returns one: the
        /// socket's own, `InvalidData` for a limit overrun,
        /// `UnexpectedEof` for an incomplete read (the error kept as its
        /// inner error, with the data read).
        impl From<$name> for io::Error {
            fn from(err: $name) -> io::Error {
                match err {
                    $($name::$variant(err) => read_error!(@io $variant err),)+
                }
            }
        }
    };
    (@io Io $err:ident) => { $err };
    (@io LimitOverrun $err:ident) => { io::Error::new(io::ErrorKind::InvalidData, $err) };
    (@io IncompleteRead $err:ident) => { io::Error::new(io::ErrorKind::UnexpectedEof, $err) };
}

read_error!(ReadUntilError {
    Io,
    LimitOverrun,
    IncompleteRead
});
read_error!(ReadLineError { Io, LimitOverrun });
read_error!(ReadExactlyError { Io, IncompleteRead });
