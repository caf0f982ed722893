//! `poll_loop::net`'s Unix stream sockets: the same operations and errors
//! as TCP's, on a socket file or a pair.
#![cfg(unix)]

mod helpers;

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::thread;

use helpers::without_hanging;
use poll_loop::net::{UnixListener, UnixStream};
use poll_loop::{EventLoop, LoopHandle};

/// A fresh directory for this test's socket files, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("poll-loop-unix-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_client_and_a_server_on_one_loop_exchange_messages() {
    without_hanging(|| {
        let dir = Dir::new("echo");
        let path = dir.path("echo.sock");
        let lp = EventLoop::new();
        let replies = lp
            .block_on(async {
                let listener = UnixListener::bind(&path)?;
                LoopHandle::current().unwrap().spawn(async move {
                    for _ in 0..3 {
                        let (mut conn, _) = listener.accept().await.unwrap();
                        let mut buf = [0; 3];
                        conn.read_exact(&mut buf).await.unwrap();
                        buf.reverse();
                        conn.write_all(&buf).await.unwrap();
                    }
                });
                let mut replies = Vec::new();
                for word in [b"abc", b"def", b"ghi"] {
                    let mut client = UnixStream::connect(&path).await?;
                    client.write_all(word).await?;
                    let mut reply = [0; 3];
                    client.read_exact(&mut reply).await?;
                    replies.push(reply);
                }
                Ok::<_, std::io::Error>(replies)
            })
            .unwrap()
            .unwrap();
        assert_eq!(replies, [*b"cba", *b"fed", *b"ihg"]);
    });
}

#[test]
fn a_pair_talks_to_a_std_peer_on_another_thread_until_end_of_file() {
    without_hanging(|| {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let peer = thread::spawn(move || {
            let mut theirs = theirs;
            theirs.write_all(b"hello").unwrap();
            let mut back = [0; 5];
            theirs.read_exact(&mut back).unwrap();
            back
        }); // dropped at the end: our side reads end of file
        let lp = EventLoop::new();
        let (got, eof) = lp
            .block_on(async move {
                let mut ours = UnixStream::from_std(ours)?;
                let mut buf = [0; 5];
                ours.read_exact(&mut buf).await?;
                ours.write_all(&buf).await?;
                let eof = ours.read(&mut [0; 1]).await?;
                Ok::<_, std::io::Error>((buf, eof))
            })
            .unwrap()
            .unwrap();
        assert_eq!(&got, b"hello");
        assert_eq!(peer.join().unwrap(), *b"hello");
        assert_eq!(eof, 0, "end of file once the peer is gone");
    });
}

#[test]
fn a_pair_made_on_the_loop_works_both_ways() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let got = lp
            .block_on(async {
                let (mut a, mut b) = UnixStream::pair()?;
                a.write_all(b"ping").await?;
                let mut buf = [0; 4];
                b.read_exact(&mut buf).await?;
                b.shutdown(std::net::Shutdown::Write)?;
                let eof = a.read(&mut [0; 1]).await?;
                Ok::<_, std::io::Error>((buf, eof))
            })
            .unwrap()
            .unwrap();
        assert_eq!(got, (*b"ping", 0));
    });
}

#[test]
fn connecting_errors_are_the_kernels() {
    without_hanging(|| {
        let dir = Dir::new("errors");
        // A socket file nobody listens on any more.
        let stale = dir.path("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        let lp = EventLoop::new();
        let (missing, refused, too_long) = lp
            .block_on(async {
                let missing = UnixStream::connect(dir.path("missing.sock")).await;
                let refused = UnixStream::connect(&stale).await;
                let too_long = UnixStream::connect(dir.path(&"x".repeat(200))).await;
                (missing.map(drop), refused.map(drop), too_long.map(drop))
            })
            .unwrap();
        assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::ConnectionRefused);
        assert_eq!(too_long.unwrap_err().kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn a_dropped_loop_closes_the_sockets_its_tasks_held() {
    without_hanging(|| {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let lp = EventLoop::new();
        lp.spawn(async move {
            let mut ours = UnixStream::from_std(ours).unwrap();
            let _ = ours.read(&mut [0; 1]).await; // waits forever
        });
        lp.run_once_then_close();
        let mut theirs = theirs;
        assert_eq!(theirs.read(&mut [0; 1]).unwrap(), 0, "closed with the loop");
    });
}

trait RunOnceThenClose {
    fn run_once_then_close(self);
}

impl RunOnceThenClose for EventLoop {
    fn run_once_then_close(self) {
        let h = self.handle();
        h.call_soon({
            let h = h.clone();
            move || h.stop()
        });
        self.run_forever().unwrap();
        drop(self);
    }
}
