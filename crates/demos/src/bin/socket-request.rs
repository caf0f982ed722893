//! Example 1b over a real socket: the request goes to a TCP server, with `add_reader`/`add_writer` callbacks.
//!
//! The tutorial's `async_network_request(number, on_done)` pretended: a timer stood for the
//! network. Here the request is real. One `poll-loop` event loop, on the program's only thread,
//! runs both sides: a tiny TCP server on 127.0.0.1 (port 0) that answers each request one
//! second after it arrives (`call_later`), and the client, which writes its request when the
//! socket is writable and reads the answer when it is readable. Nothing blocks and no thread
//! is spawned: every step is a callback the loop runs when the kernel says the socket is ready.
//!
//! The wire format is one line each way: the client sends `3\n`, the server answers `9\n`.

use std::process::ExitCode;

mod over_sockets {
    use std::cell::{Cell, RefCell};
    use std::error::Error;
    use std::io::{self, ErrorKind, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::rc::Rc;

    use demos::{DELAY, Response, SocketHandle};
    use poll_loop::{EventLoop, LoopHandle};

    /// Reads what is there into `buf` without blocking. Returns true at end of file.
    fn read_available(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<bool> {
        let mut chunk = [0; 64];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => return Ok(true),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `data` when `stream` is writable, then calls `then`: the writer callback removes
    /// itself once everything is written.
    fn write_then(
        lp: &LoopHandle,
        stream: Rc<RefCell<TcpStream>>,
        data: Vec<u8>,
        then: impl FnOnce() + 'static,
    ) -> io::Result<()> {
        let fd = SocketHandle::of(&*stream.borrow());
        let mut written = 0;
        let mut then = Some(then);
        let h = lp.clone();
        lp.add_writer(&fd, move || {
            match stream.borrow_mut().write(&data[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    eprintln!("write failed: {e}");
                    written = data.len();
                }
            }
            if written == data.len() {
                h.remove_writer(&fd);
                if let Some(then) = then.take() {
                    then();
                }
            }
        })
    }

    /// The server: accepts connections, reads each request line, and answers it [`DELAY`] later.
    fn serve(lp: &LoopHandle, listener: TcpListener) -> io::Result<()> {
        listener.set_nonblocking(true)?;
        let fd = SocketHandle::of(&listener);
        let h = lp.clone();
        // The listener lives in its callback; removing the callback closes it.
        lp.add_reader(&fd, move || {
            while let Ok((conn, _)) = listener.accept() {
                if let Err(e) = answer_later(&h, conn) {
                    eprintln!("server: {e}");
                }
            }
        })
    }

    /// Reads one request from `conn`, then schedules its answer.
    fn answer_later(lp: &LoopHandle, conn: TcpStream) -> io::Result<()> {
        conn.set_nonblocking(true)?;
        let fd = SocketHandle::of(&conn);
        let conn = Rc::new(RefCell::new(conn));
        let mut request = Vec::new();
        let h = lp.clone();
        lp.add_reader(&fd, move || {
            let eof = match read_available(&mut conn.borrow_mut(), &mut request) {
                Ok(eof) => eof,
                Err(e) => {
                    eprintln!("server: {e}");
                    true
                }
            };
            if !request.ends_with(b"\n") && !eof {
                return; // not all of it yet
            }
            h.remove_reader(&fd);
            let number: i64 = String::from_utf8_lossy(&request)
                .trim()
                .parse()
                .unwrap_or(0);
            let (conn, h2) = (conn.clone(), h.clone());
            // The pretend work: the answer is ready one second later.
            h.call_later(DELAY, move || {
                let answer = format!("{}\n", number * number).into_bytes();
                // Closed (dropped with the callback) once written.
                if let Err(e) = write_then(&h2, conn, answer, || {}) {
                    eprintln!("server: {e}");
                }
            });
        })
    }

    /// The tutorial's `async_network_request(number, on_done)`, for real: connects to the server,
    /// sends `number`, and returns at once; `on_done` is called on the loop with the answer.
    fn async_network_request(
        lp: &LoopHandle,
        server: SocketAddr,
        number: i32,
        on_done: impl FnOnce(Response) + 'static,
    ) -> io::Result<()> {
        // A connect to a listening local port completes in the kernel, without waiting for the
        // server's program to run: this does not block the loop.
        let stream = TcpStream::connect(server)?;
        stream.set_nonblocking(true)?;
        let fd = SocketHandle::of(&stream);
        let stream = Rc::new(RefCell::new(stream));
        let h = lp.clone();
        let reading = stream.clone();
        write_then(lp, stream, format!("{number}\n").into_bytes(), move || {
            let mut answer = Vec::new();
            let mut on_done = Some(on_done);
            let h2 = h.clone();
            let added = h.add_reader(&fd, move || {
                match read_available(&mut reading.borrow_mut(), &mut answer) {
                    Ok(false) => return, // the answer continues
                    Ok(true) => {}
                    Err(e) => eprintln!("client: {e}"),
                }
                h2.remove_reader(&fd);
                let result = String::from_utf8_lossy(&answer).trim().parse().unwrap_or(0);
                if let Some(on_done) = on_done.take() {
                    on_done(Response {
                        value: number,
                        result,
                    });
                }
            });
            if let Err(e) = added {
                eprintln!("client: {e}");
            }
        })
    }

    pub(crate) fn run() -> Result<(), Box<dyn Error>> {
        let lp = EventLoop::new();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let server = listener.local_addr()?;
        let listener_fd = SocketHandle::of(&listener);
        serve(&lp, listener)?;

        let left = Rc::new(Cell::new(3));
        println!("Start Async");
        for number in [3, 4, 5] {
            let (left, h) = (left.clone(), lp.handle());
            async_network_request(&lp, server, number, move |response| {
                println!("{response}");
                left.set(left.get() - 1);
                if left.get() == 0 {
                    // The last answer is in: stop serving, and the loop has nothing left.
                    h.remove_reader(&listener_fd);
                }
            })?;
        }
        println!("End Async");

        lp.run_until_idle()?;
        Ok(())
    }
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(over_sockets::run())
}
