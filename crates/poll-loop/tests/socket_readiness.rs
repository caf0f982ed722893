//! `add_reader`/`add_writer` on sockets, the same on every OS the loop
//! watches sockets on (Unix: any file descriptor; Windows: sockets, in
//! `WSAPoll`): callbacks run when a socket is ready, other threads still
//! wake the loop while it waits in the kernel, and a handle the loop cannot
//! watch is a clear error.
#![cfg(any(unix, windows))]

mod helpers;

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::thread;

use helpers::{ms, without_hanging};
use poll_loop::EventLoop;

/// A connected pair of non-blocking loopback sockets.
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    ours.set_nonblocking(true).unwrap();
    (ours, theirs)
}

#[test]
fn a_reader_runs_when_its_socket_is_readable_and_not_before() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, mut theirs) = pair();
        let ours = Rc::new(ours);
        let got = Rc::new(Cell::new(0));
        let (h, sock, g) = (lp.handle(), Rc::clone(&ours), Rc::clone(&got));
        lp.add_reader(&*ours, move || {
            let mut buf = [0; 16];
            match (&*sock).read(&mut buf) {
                Ok(n) => g.set(g.get() + n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
            if g.get() == 4 {
                h.remove_reader(&*sock);
            }
        })
        .unwrap();
        // Nothing to read yet: a short run leaves the reader waiting.
        let h = lp.handle();
        lp.call_later(ms(20), move || h.stop());
        lp.run_forever().unwrap();
        assert_eq!(got.get(), 0);
        theirs.write_all(b"ping").unwrap();
        lp.run_until_idle().unwrap(); // idle once the reader removed itself
        assert_eq!(got.get(), 4);
    });
}

#[test]
fn a_writer_runs_when_its_socket_is_writable() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, mut theirs) = pair();
        let ours = Rc::new(ours);
        let (h, sock) = (lp.handle(), Rc::clone(&ours));
        lp.add_writer(&*ours, move || {
            (&*sock).write_all(b"pong").unwrap();
            h.remove_writer(&*sock);
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        let mut buf = [0; 4];
        theirs.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");
    });
}

#[test]
fn another_thread_wakes_the_loop_while_it_waits_in_the_kernel() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, _theirs) = pair();
        // Watched but never ready: the loop blocks in the kernel's wait.
        lp.add_reader(&ours, || {}).unwrap();
        let remote = lp.threadsafe();
        let waker = thread::spawn(move || {
            thread::sleep(ms(30));
            remote.stop();
        });
        lp.run_forever().unwrap();
        waker.join().unwrap();
        assert!(lp.remove_reader(&ours));
    });
}

/// A handle that is not an open socket: refused at once, never a wait that
/// cannot end.
#[cfg(windows)]
#[test]
fn a_handle_that_is_not_a_socket_is_refused() {
    use std::os::windows::io::{AsRawSocket, RawSocket};
    struct NotASocket;
    impl AsRawSocket for NotASocket {
        fn as_raw_socket(&self) -> RawSocket {
            0x7ffc
        }
    }
    let lp = EventLoop::new();
    let err = lp.add_reader(&NotASocket, || {}).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(10038), "WSAENOTSOCK: {err}");
    lp.run_until_idle().unwrap();
}
