//! A socket's OS handle, copied, for `add_reader`/`remove_reader` from a
//! callback that owns the socket itself.

/// What the event loop watches a socket by: its file descriptor on Unix
/// (`AsRawFd`), its `SOCKET` on Windows (`AsRawSocket`), copied out of the
/// socket so that a callback owning the socket can still name it.
#[derive(Clone, Copy, Debug)]
pub struct SocketHandle {
    #[cfg(unix)]
    raw: std::os::fd::RawFd,
    #[cfg(windows)]
    raw: std::os::windows::io::RawSocket,
}

impl SocketHandle {
    /// The handle of `socket`.
    #[cfg(unix)]
    pub fn of(socket: &impl std::os::fd::AsRawFd) -> SocketHandle {
        SocketHandle {
            raw: socket.as_raw_fd(),
        }
    }

    /// The handle of `socket`.
    #[cfg(windows)]
    pub fn of(socket: &impl std::os::windows::io::AsRawSocket) -> SocketHandle {
        SocketHandle {
            raw: socket.as_raw_socket(),
        }
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for SocketHandle {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.raw
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for SocketHandle {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.raw
    }
}
