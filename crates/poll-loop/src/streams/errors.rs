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
#[derive(Debug)]
pub enum ReadLineError {
    /// The socket's error.
    Io(io::Error),
    /// The line is longer than the limit; it was dropped (see
    /// [`LimitOverrunError`]).
    LimitOverrun(LimitOverrunError),
}

/// Why [`readexactly`](super::StreamReader::readexactly) returned no
/// bytes.
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
