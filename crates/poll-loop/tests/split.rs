//! tokio's ergonomics on `poll_loop::net`'s sockets: `connect` with a host
//! string (each address tried in turn), `accept` from several tasks, and a
//! stream split into halves that read and write at once.
#![cfg(any(unix, windows))]

mod helpers;

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::thread;

use helpers::sockets::tcp_pair;
use helpers::{ms, without_hanging};
use poll_loop::net::{TcpListener, TcpStream};
use poll_loop::{EventLoop, gather, sleep, spawn};

/// A free local port nothing listens on (bound, then closed).
fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[test]
fn connect_takes_a_host_string() {
    without_hanging(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let lp = EventLoop::new();
        let peer = lp
            .block_on(async move {
                let stream = TcpStream::connect(format!("127.0.0.1:{port}")).await?;
                stream.peer_addr()
            })
            .unwrap()
            .unwrap();
        assert_eq!(peer.port(), port);
        // "localhost" may resolve to ::1 first, where nothing listens: the
        // next address is tried.
        let peer = lp
            .block_on(async move { TcpStream::connect(("localhost", port)).await?.peer_addr() })
            .unwrap()
            .unwrap();
        assert_eq!(peer, listener.local_addr().unwrap());
    });
}

#[test]
fn connect_tries_each_address_in_turn_and_returns_the_last_error() {
    without_hanging(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let good = listener.local_addr().unwrap();
        let lp = EventLoop::new();
        let (refused, connected, none) = lp
            .block_on(async move {
                let refused = TcpStream::connect(&[closed_port(), closed_port()][..]).await;
                let connected = TcpStream::connect(&[closed_port(), good][..]).await;
                let none = TcpStream::connect(&[][..]).await;
                (refused, connected.map(|s| s.peer_addr()), none)
            })
            .unwrap();
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::ConnectionRefused);
        assert_eq!(connected.unwrap().unwrap(), good);
        assert_eq!(none.unwrap_err().kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn bind_takes_a_host_string_and_listens() {
    without_hanging(|| {
        let listener = TcpListener::bind("localhost:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let client = thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
        let lp = EventLoop::new();
        let (_, peer) = lp.block_on(listener.accept()).unwrap().unwrap();
        assert_eq!(peer, client.join().unwrap().local_addr().unwrap());
        let err = TcpListener::bind(&[][..]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

/// Several tasks wait in `accept` on one listener, and connections arrive
/// together: each task gets one, none is forgotten (the reactor keeps one
/// waker per direction; the listener wakes every waiting task).
#[test]
fn several_tasks_accept_on_one_listener() {
    without_hanging(|| {
        const TASKS: usize = 4;
        let lp = EventLoop::new();
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        let accepted = lp
            .block_on(async move {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let listener = Rc::clone(&listener);
                        spawn(async move { listener.accept().await.map(|(_, peer)| peer) })
                    })
                    .collect();
                // Every task waits before the first client connects.
                sleep(ms(20)).await;
                let clients = thread::spawn(move || {
                    (0..TASKS)
                        .map(|_| std::net::TcpStream::connect(addr).unwrap())
                        .collect::<Vec<_>>()
                });
                let mut peers = Vec::new();
                for task in tasks {
                    peers.push(task.await.unwrap().unwrap());
                }
                let clients = clients.join().unwrap();
                (peers, clients)
            })
            .unwrap();
        let (mut peers, clients) = accepted;
        let mut expected: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        peers.sort();
        expected.sort();
        assert_eq!(peers, expected);
    });
}

/// A reader waiting for data and a writer waiting for room, on one socket
/// at the same time: each is woken by its own readiness.
#[test]
fn a_waiting_reader_and_a_waiting_writer_are_each_woken() {
    without_hanging(|| {
        const BIG: usize = 16 << 20; // more than the kernel's buffers hold
        let lp = EventLoop::new();
        let (stream, mut peer) = tcp_pair(&lp);
        let writer_done = Rc::new(Cell::new(false));
        let peer_thread = thread::spawn(move || {
            // Neither reads nor writes for a while: both sides wait.
            thread::sleep(ms(100));
            peer.write_all(b"hello").unwrap();
            let mut received = Vec::new();
            (&peer).take(BIG as u64).read_to_end(&mut received).unwrap();
            received.len()
        });
        let (read, wrote_while_reading) = lp
            .block_on({
                let writer_done = Rc::clone(&writer_done);
                async move {
                    let (mut reader, mut writer) = stream.into_split();
                    let writing = spawn(async move {
                        writer.write_all(&vec![7; BIG]).await.unwrap();
                        writer_done.set(true);
                        writer
                    });
                    let mut buf = [0; 5];
                    reader.read_exact(&mut buf).await.unwrap();
                    // The writer was still waiting for room when the read
                    // came in (the peer reads only after writing).
                    let still_writing = !writing.done();
                    let _writer = writing.await.unwrap();
                    (buf, still_writing)
                }
            })
            .unwrap();
        assert_eq!(&read, b"hello");
        assert!(wrote_while_reading);
        assert!(writer_done.get());
        assert_eq!(peer_thread.join().unwrap(), BIG);
    });
}

/// A full-duplex proxy: a task per direction, over owned halves.
#[test]
fn owned_halves_make_a_full_duplex_proxy() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // client <-> [ours_a | proxy | ours_b] <-> upstream
        let (ours_a, mut client) = tcp_pair(&lp);
        let (ours_b, mut upstream) = tcp_pair(&lp);
        let client_thread = thread::spawn(move || {
            client.write_all(b"request").unwrap();
            client.shutdown(std::net::Shutdown::Write).unwrap();
            let mut reply = Vec::new();
            client.read_to_end(&mut reply).unwrap();
            reply
        });
        let upstream_thread = thread::spawn(move || {
            let mut request = Vec::new();
            upstream.read_to_end(&mut request).unwrap();
            upstream.write_all(b"reply to ").unwrap();
            upstream.write_all(&request).unwrap();
        });
        lp.block_on(async move {
            let (mut a_read, mut a_write) = ours_a.into_split();
            let (mut b_read, mut b_write) = ours_b.into_split();
            let there = spawn(async move {
                let mut buf = [0; 1024];
                loop {
                    match a_read.read(&mut buf).await.unwrap() {
                        0 => break, // dropping b_write shuts it down
                        n => b_write.write_all(&buf[..n]).await.unwrap(),
                    }
                }
            });
            let back = spawn(async move {
                let mut buf = [0; 1024];
                loop {
                    match b_read.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => a_write.write_all(&buf[..n]).await.unwrap(),
                    }
                }
            });
            gather([there, back]).await
        })
        .unwrap();
        upstream_thread.join().unwrap();
        assert_eq!(client_thread.join().unwrap(), b"reply to request");
    });
}

#[test]
fn borrowed_halves_read_and_write_in_one_task() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (mut stream, mut peer) = tcp_pair(&lp);
        let echo = thread::spawn(move || {
            let mut buf = [0; 4];
            peer.read_exact(&mut buf).unwrap();
            peer.write_all(&buf).unwrap();
        });
        let reply = lp
            .block_on(async move {
                let (mut reader, mut writer) = stream.split();
                assert_eq!(reader.peer_addr()?, writer.peer_addr()?);
                assert_eq!(reader.local_addr()?, writer.local_addr()?);
                let mut reply = [0; 4];
                let (wrote, read) = futures_util::future::join(
                    writer.write_all(b"ping"),
                    reader.read_exact(&mut reply),
                )
                .await;
                wrote?;
                read?;
                stream.shutdown(std::net::Shutdown::Both)?; // usable again
                Ok::<_, std::io::Error>(reply)
            })
            .unwrap()
            .unwrap();
        echo.join().unwrap();
        assert_eq!(&reply, b"ping");
    });
}

#[test]
fn halves_reunite_only_with_their_own() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (first, _peer1) = tcp_pair(&lp);
        let (second, _peer2) = tcp_pair(&lp);
        let first_addr = first.local_addr().unwrap();
        let (read1, write1) = first.into_split();
        let (read2, write2) = second.into_split();
        let err = read1.reunite(write2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tried to reunite halves that are not from the same stream"
        );
        let poll_loop::net::tcp::ReuniteError(read1, write2) = err;
        let stream = write1.reunite(read1).unwrap();
        assert_eq!(stream.local_addr().unwrap(), first_addr);
        assert!(read2.reunite(write2).is_ok());
    });
}

#[test]
fn dropping_the_owned_write_half_sends_end_of_file() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (stream, mut peer) = tcp_pair(&lp);
        let (read, write) = stream.into_split();
        drop(write);
        let mut rest = Vec::new();
        peer.read_to_end(&mut rest).unwrap(); // end of file, not a hang
        assert!(rest.is_empty());
        // The read half still reads.
        peer.write_all(b"still open").unwrap();
        let got = lp
            .block_on(async move {
                let mut read = read;
                let mut buf = [0; 10];
                read.read_exact(&mut buf).await.map(|()| buf)
            })
            .unwrap()
            .unwrap();
        assert_eq!(&got, b"still open");
    });
}

#[cfg(unix)]
#[test]
fn unix_streams_split_too() {
    use poll_loop::net::UnixStream;
    without_hanging(|| {
        let lp = EventLoop::new();
        let got = lp
            .block_on(async {
                let (a, b) = UnixStream::pair()?;
                let (mut a_read, mut a_write) = a.into_split();
                let (mut b_read, b_write) = b.into_split();
                let echo = spawn(async move {
                    let mut b_write = b_write;
                    let mut buf = [0; 5];
                    b_read.read_exact(&mut buf).await?;
                    b_write.write_all(&buf).await
                });
                a_write.write_all(b"hello").await?;
                let mut buf = [0; 5];
                a_read.read_exact(&mut buf).await?;
                echo.await.unwrap()?;
                let stream = a_read.reunite(a_write).unwrap();
                assert!(stream.peer_addr().is_ok());
                Ok::<_, std::io::Error>(buf)
            })
            .unwrap()
            .unwrap();
        assert_eq!(&got, b"hello");
    });
}
