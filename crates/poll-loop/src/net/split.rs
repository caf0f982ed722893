//! A stream split in two: a read half and a write half, borrowed
//! (`split`) or owned (`into_split`, reunitable), so that one task can read
//! while another writes. The same for TCP and Unix streams: the macro
//! below makes the types in each stream's module (`net::tcp`,
//! `net::unix`).
//
// Both halves use the stream's one registration: the reactor keeps a
// waker per direction, so a reader and a writer waiting at once are each
// woken by their own readiness. Each half's operations take `&mut self`,
// so there is at most one reader and one writer.

/// The methods of a read half (`$stream` is how to reach the stream from
/// `self`).
macro_rules! read_half_methods {
    ($Addr:ty) => {
        /// Reads what has arrived into `buf`, waiting until something has:
        /// the stream's `read`.
        ///
        /// # Errors
        ///
        /// As the stream's.
        pub async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.stream.stream.read(buf).await
        }

        /// Reads exactly `buf.len()` bytes.
        ///
        /// # Errors
        ///
        /// `UnexpectedEof` if the stream ends first, or any error of
        /// [`read`](Self::read).
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
            self.stream.stream.read_exact(buf).await
        }

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// What `getpeername(2)` says.
        pub fn peer_addr(&self) -> std::io::Result<$Addr> {
            self.stream.stream.inner.peer_addr()
        }

        /// The local address.
        ///
        /// # Errors
        ///
        /// What `getsockname(2)` says.
        pub fn local_addr(&self) -> std::io::Result<$Addr> {
            self.stream.stream.inner.local_addr()
        }

        /// Reads into `buf`, or stores the task's waker and says `Pending`.
        #[allow(dead_code, reason = "the borrowed half's is unused")]
        pub(crate) fn poll_read(
            &mut self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.stream.stream.poll_read(cx, buf)
        }
    };
}
pub(super) use read_half_methods;

/// The methods of a write half.
macro_rules! write_half_methods {
    ($Addr:ty) => {
        /// Writes some of `buf`, waiting until the socket takes at least
        /// one byte. Returns how many it took.
        ///
        /// # Errors
        ///
        /// As the stream's `write`.
        pub async fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.stream.stream.write(buf).await
        }

        /// Writes all of `buf`.
        ///
        /// # Errors
        ///
        /// Any error of [`write`](Self::write); `WriteZero` if the socket
        /// takes nothing.
        pub async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
            self.stream.stream.write_all(buf).await
        }

        /// Shuts the writing direction down: the peer reads end of file
        /// once it has read what was written. The read half still reads.
        ///
        /// # Errors
        ///
        /// What `shutdown(2)` says (`NotConnected`, …).
        pub fn shutdown(&self) -> std::io::Result<()> {
            self.stream.stream.inner.shutdown(std::net::Shutdown::Write)
        }

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// What `getpeername(2)` says.
        pub fn peer_addr(&self) -> std::io::Result<$Addr> {
            self.stream.stream.inner.peer_addr()
        }

        /// The local address.
        ///
        /// # Errors
        ///
        /// What `getsockname(2)` says.
        pub fn local_addr(&self) -> std::io::Result<$Addr> {
            self.stream.stream.inner.local_addr()
        }

        /// Writes from `buf`, or stores the task's waker and says
        /// `Pending`.
        #[allow(dead_code, reason = "the borrowed half's is unused")]
        pub(crate) fn poll_write(
            &mut self,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.stream.stream.poll_write(cx, buf)
        }

        /// One non-blocking write, whatever task (if any) runs it:
        /// `WouldBlock` if the socket takes nothing now. Nothing waits.
        #[allow(dead_code, reason = "the borrowed half's is unused")]
        pub(crate) fn try_write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            std::io::Write::write(&mut &self.stream.stream.inner, buf)
        }
    };
}
pub(super) use write_half_methods;

/// The halves of `$Stream` (a type of the calling module with a `stream:
/// Socket<_>` field), and its `split` and `into_split`.
macro_rules! split_halves {
    ($Stream:ident, $Addr:ty, split: $split:literal, into_split: $into_split:literal, reunite: $reunite:literal) => {
        /// The reading half of a
        #[doc = concat!("[`", stringify!($Stream), "`]")]
        /// borrowed by [`split`](
        #[doc = concat!(stringify!($Stream), "::split")]
        /// ): reads while the [`WriteHalf`] writes, in another task or in
        /// the same one (with [`gather`](crate::gather) or
        /// [`select`](crate::select)).
        ///
        /// # Examples
        ///
        #[doc = $split]
        pub struct ReadHalf<'a> {
            stream: &'a $Stream,
        }

        /// The writing half of a
        #[doc = concat!("[`", stringify!($Stream), "`]")]
        /// borrowed by `split`: see [`ReadHalf`].
        ///
        /// # Examples
        ///
        #[doc = $split]
        pub struct WriteHalf<'a> {
            stream: &'a $Stream,
        }

        /// The reading half of a
        #[doc = concat!("[`", stringify!($Stream), "`]")]
        /// owned, from `into_split`: it may move into a task of its own.
        /// Put the stream back together with
        /// [`reunite`](OwnedReadHalf::reunite).
        ///
        /// # Examples
        ///
        #[doc = $into_split]
        pub struct OwnedReadHalf {
            stream: std::rc::Rc<$Stream>,
        }

        /// The writing half of a
        #[doc = concat!("[`", stringify!($Stream), "`]")]
        /// owned, from `into_split`. Dropping it shuts the writing
        /// direction down (the peer reads end of file), as tokio's does;
        /// the socket itself closes once both halves are gone.
        ///
        /// # Examples
        ///
        #[doc = $into_split]
        pub struct OwnedWriteHalf {
            stream: std::rc::Rc<$Stream>,
            shutdown_on_drop: bool,
        }

        /// The halves given to `reunite` were not split from the same
        /// stream: both come back, as they were.
        ///
        /// # Examples
        ///
        #[doc = $reunite]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl $Stream {
            /// Splits the stream into a read half and a write half that
            /// borrow it, so that reading and writing can wait at the same
            /// time (a reader waiting for data while a writer waits for
            /// room: each is woken by its own readiness).
            ///
            /// # Examples
            ///
            #[doc = $split]
            pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf { stream: self }, WriteHalf { stream: self })
            }

            /// Splits the stream into owned halves, each of which may move
            /// into a task of its own (on the same loop: they are not
            /// `Send`). [`OwnedReadHalf::reunite`] puts them back
            /// together.
            ///
            /// # Examples
            ///
            #[doc = $into_split]
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let stream = std::rc::Rc::new(self);
                (
                    OwnedReadHalf {
                        stream: std::rc::Rc::clone(&stream),
                    },
                    OwnedWriteHalf {
                        stream,
                        shutdown_on_drop: true,
                    },
                )
            }
        }

        impl ReadHalf<'_> {
            $crate::net::split::read_half_methods!($Addr);
        }

        impl WriteHalf<'_> {
            $crate::net::split::write_half_methods!($Addr);
        }

        impl OwnedReadHalf {
            $crate::net::split::read_half_methods!($Addr);

            /// Puts the stream back together from this half and `other`.
            ///
            /// # Errors
            ///
            /// [`ReuniteError`], with both halves, if `other` was split
            /// from another stream.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$Stream, ReuniteError> {
                reunite(self, other)
            }
        }

        impl OwnedWriteHalf {
            $crate::net::split::write_half_methods!($Addr);

            /// Puts the stream back together from this half and `other`:
            /// [`OwnedReadHalf::reunite`].
            ///
            /// # Errors
            ///
            /// [`ReuniteError`], with both halves, if `other` was split
            /// from another stream.
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$Stream, ReuniteError> {
                reunite(other, self)
            }
        }

        fn reunite(
            read: OwnedReadHalf,
            mut write: OwnedWriteHalf,
        ) -> Result<$Stream, ReuniteError> {
            if !std::rc::Rc::ptr_eq(&read.stream, &write.stream) {
                return Err(ReuniteError(read, write));
            }
            write.shutdown_on_drop = false;
            drop(write);
            match std::rc::Rc::try_unwrap(read.stream) {
                Ok(stream) => Ok(stream),
                Err(_) => unreachable!("the two halves held the only references"),
            }
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    // Already shut down, or the peer gone: nothing to do.
                    let _ = self.stream.stream.inner.shutdown(std::net::Shutdown::Write);
                }
            }
        }

        impl std::fmt::Debug for ReadHalf<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReadHalf").field(self.stream).finish()
            }
        }

        impl std::fmt::Debug for WriteHalf<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("WriteHalf").field(self.stream).finish()
            }
        }

        impl std::fmt::Debug for OwnedReadHalf {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("OwnedReadHalf").field(&*self.stream).finish()
            }
        }

        impl std::fmt::Debug for OwnedWriteHalf {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("OwnedWriteHalf")
                    .field(&*self.stream)
                    .finish()
            }
        }

        impl std::fmt::Debug for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReuniteError").finish_non_exhaustive()
            }
        }

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same stream")
            }
        }

        impl std::error::Error for ReuniteError {}
    };
}
pub(super) use split_halves;
