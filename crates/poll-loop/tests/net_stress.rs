//! Many short TCP connections through one loop, client and server both on
//! it: every request is answered, and nothing is left registered.
#![cfg(any(unix, windows))]

mod helpers;

use std::cell::Cell;
use std::rc::Rc;

use helpers::without_hanging;
use poll_loop::net::{TcpListener, TcpStream};
use poll_loop::{EventLoop, LoopHandle};

// Fewer on Windows: under Wine (where these tests run on Windows here) a
// connection costs several times what it does on Linux.
const CONNECTIONS: u32 = if cfg!(windows) { 500 } else { 2_000 };
const AT_ONCE: u32 = 64;

#[test]
fn many_short_connections_are_all_answered() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let answered = Rc::new(Cell::new(0u32));
        let served = Rc::new(Cell::new(0u32));
        let (a, s) = (answered.clone(), served.clone());
        lp.block_on(async move {
            let lp = LoopHandle::current().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = lp.spawn(async move {
                let lp = LoopHandle::current().unwrap();
                for _ in 0..CONNECTIONS {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    let s = s.clone();
                    lp.spawn(async move {
                        let mut buf = [0; 4];
                        conn.read_exact(&mut buf).await.unwrap();
                        let n = u32::from_le_bytes(buf);
                        conn.write_all(&(n * 2).to_le_bytes()).await.unwrap();
                        s.set(s.get() + 1);
                        // Dropped here: closed while the client may still
                        // be reading, which it must see as its answer
                        // then end of file.
                    });
                }
            });
            // AT_ONCE clients, each making its share of connections.
            let mut clients = Vec::new();
            for c in 0..AT_ONCE {
                let a = a.clone();
                clients.push(lp.spawn(async move {
                    let mut n = c;
                    while n < CONNECTIONS {
                        let mut conn = TcpStream::connect(addr).await.unwrap();
                        conn.write_all(&n.to_le_bytes()).await.unwrap();
                        let mut buf = [0; 4];
                        conn.read_exact(&mut buf).await.unwrap();
                        assert_eq!(u32::from_le_bytes(buf), n * 2);
                        assert_eq!(conn.read(&mut buf).await.unwrap(), 0);
                        a.set(a.get() + 1);
                        n += AT_ONCE;
                    }
                }));
            }
            for client in clients {
                client.await.unwrap();
            }
            server.await.unwrap();
        })
        .unwrap();
        assert_eq!(answered.get(), CONNECTIONS);
        assert_eq!(served.get(), CONNECTIONS);
        // Every socket unregistered itself: the loop is idle.
        lp.run_until_idle().unwrap();
    });
}
