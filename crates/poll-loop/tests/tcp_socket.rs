//! `TcpSocket`: options set before `bind` or `connect`, a backlog of one's
//! own, and the same options on a `TcpStream`.
#![cfg(any(unix, windows))]

mod helpers;

use std::time::Duration;

use helpers::without_hanging;
use poll_loop::EventLoop;
use poll_loop::net::{TcpListener, TcpSocket};

#[test]
fn options_set_before_bind_read_back() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    assert!(socket.reuseaddr().unwrap());
    socket.set_reuseaddr(false).unwrap();
    assert!(!socket.reuseaddr().unwrap());
    socket.set_keepalive(true).unwrap();
    assert!(socket.keepalive().unwrap());
    socket.set_linger(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(3)));
    socket.set_linger(None).unwrap();
    assert_eq!(socket.linger().unwrap(), None);
    socket.set_ttl(42).unwrap();
    assert_eq!(socket.ttl().unwrap(), 42);
    socket.set_nodelay(true).unwrap();
    assert!(socket.nodelay().unwrap());
    // The system may round a buffer size up (Linux doubles it): at least
    // what was asked for.
    socket.set_send_buffer_size(64 * 1024).unwrap();
    assert!(socket.send_buffer_size().unwrap() >= 64 * 1024);
    socket.set_recv_buffer_size(32 * 1024).unwrap();
    assert!(socket.recv_buffer_size().unwrap() >= 32 * 1024);
    assert!(format!("{socket:?}").starts_with("TcpSocket"));
}

#[test]
fn a_socket_binds_listens_and_connects() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let server = TcpSocket::new_v4()?;
            server.bind("127.0.0.1:0".parse().unwrap())?;
            let addr = server.local_addr()?;
            let listener = server.listen(8)?;
            assert_eq!(listener.local_addr()?, addr);
            let client = TcpSocket::new_v4()?;
            client.set_linger(Some(Duration::ZERO))?;
            let mut stream = client.connect(addr).await?;
            assert_eq!(stream.linger()?, Some(Duration::ZERO));
            let (mut conn, peer) = listener.accept().await?;
            assert_eq!(peer, stream.local_addr()?);
            stream.write_all(b"hi").await?;
            let mut buf = [0; 2];
            conn.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"hi");
            Ok::<_, std::io::Error>(())
        })
        .unwrap()
        .unwrap();
    });
}

#[test]
fn a_refused_connect_through_a_socket_is_an_error() {
    without_hanging(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let lp = EventLoop::new();
        let err = lp
            .block_on(async move { TcpSocket::new_v4()?.connect(port).await })
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn binding_an_address_in_use_fails() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    let err = socket.bind(taken.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}

#[test]
fn stream_options_read_back() {
    without_hanging(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let lp = EventLoop::new();
        lp.block_on(async move {
            let stream = poll_loop::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            assert!(stream.nodelay()?);
            stream.set_ttl(7)?;
            assert_eq!(stream.ttl()?, 7);
            stream.set_linger(Some(Duration::from_secs(1)))?;
            assert_eq!(stream.linger()?, Some(Duration::from_secs(1)));
            Ok::<_, std::io::Error>(())
        })
        .unwrap()
        .unwrap();
    });
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd"
))]
#[test]
fn two_sockets_with_reuseport_listen_on_one_port() {
    let first = TcpSocket::new_v4().unwrap();
    first.set_reuseport(true).unwrap();
    assert!(first.reuseport().unwrap());
    first.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = first.local_addr().unwrap();
    let _first = first.listen(16).unwrap();
    let second = TcpSocket::new_v4().unwrap();
    second.set_reuseport(true).unwrap();
    second.bind(addr).unwrap();
    let _second = second.listen(16).unwrap();
}

#[cfg(unix)]
#[test]
fn a_listener_binds_again_while_old_connections_linger() {
    // `TcpListener::bind` sets SO_REUSEADDR on Unix: a closed listener's
    // port, held in TIME_WAIT by a connection it closed first, binds again.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::net::TcpStream::connect(addr).unwrap();
    let lp = EventLoop::new();
    let (conn, _) = lp.block_on(listener.accept()).unwrap().unwrap();
    drop(conn); // the server closes first: its side goes to TIME_WAIT
    let mut buf = [0; 1];
    let _ = std::io::Read::read(&mut &client, &mut buf);
    drop((client, listener));
    TcpListener::bind(addr).unwrap();
}
