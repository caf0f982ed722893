//! [`start_server`] and [`Server`]: a handler task per connection, as
//! asyncio's `start_server`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::ToSocketAddrs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::{StreamReader, StreamWriter, from_tcp_stream};
use crate::event_loop::inner::LoopHandle;
use crate::net::TcpListener;
use crate::task::join::JoinHandle;

/// A server started by [`start_server`] (or
/// [`start_unix_server`](super::start_unix_server)): it accepts
/// connections and runs a handler task for each until
/// [`close`](Server::close)d. asyncio's `Server`.
///
/// Dropping it does not stop it: the accepting task goes on until `close`
/// (or the loop's end).
///
/// # Examples
///
/// A server that serves until a client says `stop`, with
/// [`serve_forever`](Server::serve_forever):
///
/// ```
/// use std::cell::OnceCell;
/// use std::io::Write;
/// use std::rc::Rc;
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{Server, start_server};
///
/// let lp = EventLoop::new();
/// lp.block_on(async {
///     let server: Rc<OnceCell<Rc<Server>>> = Rc::default();
///     let handler = {
///         let server = Rc::clone(&server);
///         move |mut reader: poll_loop::streams::StreamReader, _writer| {
///             let server = Rc::clone(&server);
///             async move {
///                 if reader.readline().await.is_ok_and(|line| line == b"stop\n") {
///                     server.get().unwrap().close();
///                 }
///             }
///         }
///     };
///     let running = Rc::new(start_server(handler, "127.0.0.1:0").await?);
///     let _ = server.set(Rc::clone(&running));
///     let addr = running.local_addr();
///     std::thread::spawn(move || {
///         let mut conn = std::net::TcpStream::connect(addr).unwrap();
///         conn.write_all(b"stop\n").unwrap();
///     });
///     running.serve_forever().await; // until the client said stop
///     assert!(!running.is_serving());
///     running.wait_closed().await;
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Server<A = std::net::SocketAddr> {
    state: Rc<ServerState>,
    local_addr: A,
    /// A Unix server's socket file, removed on `close`.
    path: Option<std::path::PathBuf>,
}

#[derive(Default)]
struct ServerState {
    closed: Cell<bool>,
    /// Handler tasks not yet finished.
    active: Cell<usize>,
    accepting: RefCell<Option<JoinHandle<()>>>,
    /// The tasks in `wait_closed` and `serve_forever`.
    waiting: RefCell<Vec<Waker>>,
}

impl ServerState {
    fn wake_all(&self) {
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        waiting.into_iter().for_each(Waker::wake);
    }

    fn wait(&self, waker: &Waker) {
        let mut waiting = self.waiting.borrow_mut();
        if !waiting.iter().any(|w| w.will_wake(waker)) {
            waiting.push(waker.clone());
        }
    }
}

/// Counts a handler task as active while it lives (dropped when it ends,
/// panics or is cancelled).
struct Active(Rc<ServerState>);

impl Active {
    fn new(state: &Rc<ServerState>) -> Active {
        state.active.set(state.active.get() + 1);
        Active(Rc::clone(state))
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let left = self.0.active.get() - 1;
        self.0.active.set(left);
        if left == 0 {
            self.0.wake_all();
        }
    }
}

/// Starts a TCP server on `addr`: a task that accepts connections and, for
/// each, runs `handler(reader, writer)` as a task of its own. asyncio's
/// `start_server(client_connected_cb, host, port)`.
///
/// The listener is a [`TcpListener::bind`]'s (each address `addr` resolves
/// to tried in turn, resolved on this thread; a backlog of 1024). A
/// handler that panics ends its own task only (the loop reports the panic,
/// as for any task whose panic nobody reads); the server goes on. A
/// failed `accept` is logged (`tracing`) and the server goes on, after
/// [`ACCEPT_RETRY_DELAY`](crate::net::ACCEPT_RETRY_DELAY) if it ran out of
/// file descriptors.
///
/// # Errors
///
/// What binding says (`AddrInUse`, …).
///
/// # Panics
///
/// If no loop runs on this thread.
///
/// # Examples
///
/// An echo server, a client from another thread, and a clean stop:
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use poll_loop::EventLoop;
/// use poll_loop::streams::{StreamReader, StreamWriter, start_server};
///
/// async fn echo(mut reader: StreamReader, writer: StreamWriter) {
///     while let Ok(line) = reader.readline().await {
///         if line.is_empty() {
///             break; // end of file
///         }
///         writer.write(&line);
///         if writer.drain().await.is_err() {
///             break;
///         }
///     }
///     writer.close();
/// }
///
/// let lp = EventLoop::new();
/// lp.block_on(async {
///     let server = start_server(echo, "127.0.0.1:0").await?;
///     let addr = server.local_addr();
///     let client = std::thread::spawn(move || {
///         let mut conn = std::net::TcpStream::connect(addr).unwrap();
///         conn.write_all(b"hello\n").unwrap();
///         let mut line = String::new();
///         BufReader::new(conn).read_line(&mut line).unwrap();
///         line
///     });
///     while !client.is_finished() {
///         poll_loop::sleep(std::time::Duration::from_millis(5)).await;
///     }
///     assert_eq!(client.join().unwrap(), "hello\n");
///     server.close(); // stop accepting
///     server.wait_closed().await; // and wait for the handlers
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn start_server<H, F>(handler: H, addr: impl ToSocketAddrs) -> io::Result<Server>
where
    H: FnMut(StreamReader, StreamWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let listener = TcpListener::bind(addr)?;
    let local_addr = listener.local_addr()?;
    tracing::debug!(%local_addr, "stream server: listening");
    let listener = Rc::new(listener);
    let accept = move || {
        let listener = Rc::clone(&listener);
        async move {
            let (stream, _peer) = listener.accept().await?;
            Ok(from_tcp_stream(stream))
        }
    };
    Ok(Server::start(handler, accept, local_addr, None))
}

impl<A> Server<A> {
    /// Starts the accepting task over `accept` (one connection's reader
    /// and writer per call).
    pub(super) fn start<H, F, Acc, AF>(
        mut handler: H,
        mut accept: Acc,
        local_addr: A,
        path: Option<std::path::PathBuf>,
    ) -> Server<A>
    where
        H: FnMut(StreamReader, StreamWriter) -> F + 'static,
        F: Future<Output = ()> + 'static,
        Acc: FnMut() -> AF + 'static,
        AF: Future<Output = io::Result<(StreamReader, StreamWriter)>>,
    {
        let lp = LoopHandle::current()
            .expect("poll-loop: start_server needs a running loop on this thread");
        let state = Rc::new(ServerState::default());
        let accepting = {
            let state = Rc::clone(&state);
            let lp = lp.clone();
            async move {
                loop {
                    let (reader, writer) = match accept().await {
                        Ok(connection) => connection,
                        Err(err) => {
                            tracing::warn!(error = %err, "stream server: accept failed");
                            if !crate::os::sys::is_out_of_resources(&err) {
                                // Whatever it is, not in a tight loop.
                                crate::toolbox::time::sleep(std::time::Duration::from_millis(10))
                                    .await;
                            }
                            continue;
                        }
                    };
                    let active = Active::new(&state);
                    match catch_unwind(AssertUnwindSafe(|| handler(reader, writer))) {
                        Ok(handling) => drop(lp.spawn(async move {
                            let _active = active;
                            handling.await;
                        })),
                        Err(_) => tracing::error!("stream server: the handler panicked"),
                    }
                }
            }
        };
        *state.accepting.borrow_mut() = Some(lp.spawn(accepting));
        Server {
            state,
            local_addr,
            path,
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> A
    where
        A: Clone,
    {
        self.local_addr.clone()
    }

    /// Stops accepting: the listening socket is closed (at the loop's next
    /// turn, when the accepting task is dropped; a Unix server's socket
    /// file is removed now). The connections being handled go on.
    /// asyncio's `Server.close`.
    pub fn close(&self) {
        if self.state.closed.replace(true) {
            return;
        }
        tracing::debug!("stream server: closed");
        if let Some(accepting) = self.state.accepting.borrow_mut().take() {
            accepting.cancel();
        }
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
        self.state.wake_all();
    }

    /// True until [`close`](Server::close).
    pub fn is_serving(&self) -> bool {
        !self.state.closed.get()
    }

    /// How many handler tasks are running.
    pub fn active_connections(&self) -> usize {
        self.state.active.get()
    }

    /// Waits until the server is closed and every handler task has
    /// finished. asyncio's `Server.wait_closed` (3.12 on).
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            if self.state.closed.get() && self.state.active.get() == 0 {
                return Poll::Ready(());
            }
            self.state.wait(cx.waker());
            Poll::Pending
        })
        .await;
    }

    /// Serves until [`close`](Server::close) is called (from a handler, or
    /// another task). asyncio's `Server.serve_forever`, which ends when
    /// cancelled.
    pub async fn serve_forever(&self) {
        poll_fn(|cx| {
            if self.state.closed.get() {
                return Poll::Ready(());
            }
            self.state.wait(cx.waker());
            Poll::Pending
        })
        .await;
    }
}

impl<A: fmt::Debug> fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("serving", &self.is_serving())
            .field("active", &self.active_connections())
            .finish()
    }
}
