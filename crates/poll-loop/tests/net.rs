//! `poll_loop::net`: TCP on the loop — connect, accept, read, write — with
//! the operating system's errors, and safe to drop mid-operation.
#![cfg(any(unix, windows))]

mod helpers;

use std::cell::Cell;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::thread;

use helpers::{ms, without_hanging};
use poll_loop::net::{TcpListener, TcpStream};
use poll_loop::{EventLoop, LoopHandle, timeout};

/// A std listener on a free local port, whose first connection `peer`
/// handles on a thread of its own.
fn std_peer<R: Send + 'static>(
    peer: impl FnOnce(std::net::TcpStream) -> R + Send + 'static,
) -> (SocketAddr, thread::JoinHandle<R>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || peer(listener.accept().unwrap().0));
    (addr, peer)
}

/// A free local port nothing listens on (bound, then closed).
fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[test]
fn a_client_and_a_server_on_one_loop_exchange_messages() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let reply = lp
            .block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0")?;
                let addr = listener.local_addr()?;
                LoopHandle::current().unwrap().spawn(async move {
                    let (mut conn, peer) = listener.accept().await.unwrap();
                    assert_eq!(peer, conn.peer_addr().unwrap());
                    let mut buf = [0; 5];
                    conn.read_exact(&mut buf).await.unwrap();
                    buf.reverse();
                    conn.write_all(&buf).await.unwrap();
                });
                let mut client = TcpStream::connect(addr).await?;
                assert_eq!(client.peer_addr()?, addr);
                client.write_all(b"hello").await?;
                let mut reply = [0; 5];
                client.read_exact(&mut reply).await?;
                Ok::<_, std::io::Error>(reply)
            })
            .unwrap()
            .unwrap();
        assert_eq!(&reply, b"olleh");
    });
}

#[test]
fn connecting_where_nothing_listens_is_connection_refused() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let addr = closed_port();
        let err = lp.block_on(TcpStream::connect(addr)).unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn the_peer_shutting_down_is_end_of_file() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (addr, peer) = std_peer(move |mut conn| {
            conn.write_all(b"ab").unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
            // Keep the connection until the client is done.
            let _ = conn.read(&mut [0; 1]);
        });
        lp.block_on(async {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0; 2];
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ab");
            assert_eq!(client.read(&mut buf).await.unwrap(), 0, "end of file");
            let err = client.read_exact(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
            client.shutdown(Shutdown::Both).unwrap();
        })
        .unwrap();
        peer.join().unwrap();
    });
}

// Not on Windows: Wine (the only Windows these tests run on here) closes a
// socket with unread data gracefully, where Windows and Unix reset it.
#[cfg(unix)]
#[test]
fn a_peer_reset_is_connection_reset() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (addr, peer) = std_peer(move |mut conn| {
            let mut one = [0; 1];
            conn.read_exact(&mut one).unwrap();
            // Closing with unread data resets the connection.
            drop(conn);
        });
        lp.block_on(async {
            let mut client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"12").await.unwrap();
            let mut buf = [0; 8];
            let err = loop {
                match client.read(&mut buf).await {
                    Ok(0) => panic!("a reset, not an end of file"),
                    Ok(_) => continue,
                    Err(err) => break err,
                }
            };
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        })
        .unwrap();
        peer.join().unwrap();
    });
}

#[test]
fn a_read_dropped_mid_wait_loses_nothing() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (addr, peer) = std_peer(move |mut conn| {
            rx.recv().unwrap();
            conn.write_all(b"late").unwrap();
            let _ = conn.read(&mut [0; 1]);
        });
        lp.block_on(async {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0; 4];
            // Nothing arrives in time: the read is dropped while waiting.
            let waited = timeout(ms(20), client.read(&mut buf)).await;
            assert!(waited.is_err());
            tx.send(()).unwrap();
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"late");
        })
        .unwrap();
        peer.join().unwrap();
    });
}

#[test]
fn a_cancelled_task_drops_its_socket_and_the_peer_sees_it_closed() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let connected = Rc::new(Cell::new(false));
        let c = connected.clone();
        let task = lp.spawn(async move {
            let mut client = TcpStream::connect(addr).await.unwrap();
            c.set(true);
            let mut buf = [0; 1];
            let _ = client.read(&mut buf).await; // waits forever
            unreachable!("nothing is ever sent");
        });
        let h = lp.handle();
        let c = connected.clone();
        fn when_connected(h: LoopHandle, c: Rc<Cell<bool>>) {
            if c.get() {
                h.stop();
            } else {
                let h2 = h.clone();
                h.call_later(ms(1), move || when_connected(h2, c));
            }
        }
        lp.call_soon(move || when_connected(h, c));
        lp.run_forever().unwrap();
        let (mut conn, _) = server.accept().unwrap(); // in the backlog
        assert!(task.cancel());
        lp.run_until_idle().unwrap(); // drops the task, unregistering its socket
        conn.set_read_timeout(Some(helpers::PATIENCE)).unwrap();
        assert_eq!(conn.read(&mut [0; 1]).unwrap(), 0);
    });
}

#[test]
fn a_dropped_loop_closes_the_sockets_its_tasks_held() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let listen_addr = listener.local_addr().unwrap();
        for _ in 0..3 {
            lp.spawn(async move {
                let mut client = TcpStream::connect(addr).await.unwrap();
                let _ = client.read(&mut [0; 1]).await;
            });
        }
        lp.spawn(async move {
            let _ = listener.accept().await;
        });
        server.set_nonblocking(true).unwrap();
        let mut conns = Vec::new();
        while conns.len() < 3 {
            let h = lp.handle();
            lp.call_later(ms(2), move || h.stop());
            lp.run_forever().unwrap();
            while let Ok((conn, _)) = server.accept() {
                conns.push(conn);
            }
        }
        drop(lp);
        for mut conn in conns {
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(helpers::PATIENCE)).unwrap();
            assert_eq!(conn.read(&mut [0; 1]).unwrap(), 0, "closed with the loop");
        }
        // The listener was closed too: nothing accepts there any more.
        let err = std::net::TcpStream::connect(listen_addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn a_socket_polled_outside_a_running_loop_is_an_error_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpListener::from_std(listener).unwrap();
    // A minimal executor of our own: one poll with a no-op waker.
    let mut accept = std::pin::pin!(ours.accept());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match accept.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Err(err)) => assert_eq!(err.kind(), ErrorKind::Other),
        other => panic!("expected an error, got {:?}", other.map(|r| r.map(drop))),
    }
}

/// Task sockets are watched edge-triggered: readiness the kernel reported
/// while nobody waited is not reported again. Data left unread then must
/// still be read (the task tries before it waits), and data that arrives
/// after a wait began must still wake it.
#[test]
fn readiness_reported_while_nobody_waits_is_not_lost() {
    without_hanging(|| {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (addr, peer) = std_peer(move |mut conn| {
            conn.write_all(b"abc").unwrap(); // all at once: one edge
            go_rx.recv().unwrap();
            conn.write_all(b"d").unwrap(); // after the reader waits again
        });
        let lp = EventLoop::new();
        let read = lp
            .block_on(async move {
                let mut stream = TcpStream::connect(addr).await?;
                let mut got = Vec::new();
                let mut byte = [0; 1];
                // One byte a read, with the loop waiting in between: the
                // edge for "abc" came and went while this task slept.
                for _ in 0..3 {
                    stream.read_exact(&mut byte).await?;
                    got.push(byte[0]);
                    poll_loop::sleep(ms(5)).await;
                }
                go_tx.send(()).unwrap();
                stream.read_exact(&mut byte).await?;
                got.push(byte[0]);
                Ok::<_, std::io::Error>(got)
            })
            .unwrap()
            .unwrap();
        peer.join().unwrap();
        assert_eq!(read, b"abcd");
    });
}

/// A writer that fills the socket's buffer waits for it to drain, through
/// the write edge, while the same socket's read side is watched too.
#[test]
fn a_full_send_buffer_wakes_the_writer_when_it_drains() {
    without_hanging(|| {
        const TOTAL: usize = 8 << 20; // far more than the socket buffers hold
        let (addr, peer) = std_peer(move |mut conn| {
            thread::sleep(std::time::Duration::from_millis(50)); // let it fill
            let mut sink = vec![0; 64 << 10];
            let mut total = 0;
            while total < TOTAL {
                total += conn.read(&mut sink).unwrap();
            }
            conn.write_all(b"k").unwrap();
        });
        let lp = EventLoop::new();
        let ack = lp
            .block_on(async move {
                let mut stream = TcpStream::connect(addr).await?;
                stream.write_all(&vec![7; TOTAL]).await?;
                let mut ack = [0; 1];
                stream.read_exact(&mut ack).await?;
                Ok::<_, std::io::Error>(ack)
            })
            .unwrap()
            .unwrap();
        peer.join().unwrap();
        assert_eq!(&ack, b"k");
    });
}
