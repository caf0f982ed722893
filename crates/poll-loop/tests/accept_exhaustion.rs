//! A listener out of file descriptors backs off instead of spinning: the
//! naive accept loop (`loop { match accept().await { Ok(..) => spawn(..),
//! Err(e) => log(e) } }`) under `ulimit -n 64` with 100 clients keeps
//! serving the connections it has, costs next to no CPU while exhausted,
//! and serves new connections once the clients close.
//!
//! The server runs in a child process (this test, run again with a lower
//! descriptor limit); the clients are this process's, so they do not count
//! against the server's limit.
// Linux only: the server's CPU time comes from /proc.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use poll_loop::net::{ACCEPT_RETRY_DELAY, TcpListener};
use poll_loop::{EventLoop, spawn};

const TEST: &str = "a_naive_accept_loop_out_of_descriptors_keeps_serving_and_recovers";
const ROLE: &str = "POLL_LOOP_TEST_ACCEPT_SERVER";
const CLIENTS: usize = 100;

#[test]
fn a_naive_accept_loop_out_of_descriptors_keeps_serving_and_recovers() {
    if std::env::var_os(ROLE).is_some() {
        server();
    } else {
        clients();
    }
}

/// The server, in the child: the naive accept loop, an echo per
/// connection. It prints its port, then a line per failed accept; a
/// connection that sends `quit` ends the process.
fn server() {
    let lp = EventLoop::new();
    lp.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // The loop makes its reactor (an epoll and an eventfd: two
        // descriptors) when a socket first waits. The listener waits once
        // before any client knows the port: were its first accepts never
        // to wait (the clients all queued before this thread ran again, on
        // a loaded machine), the reactor would be made only when the first
        // connection's read waits, with the descriptors already used up.
        {
            let mut first = std::pin::pin!(listener.accept());
            std::future::poll_fn(|cx| {
                assert!(first.as_mut().poll(cx).is_pending(), "no client yet");
                std::task::Poll::Ready(())
            })
            .await;
        }
        // On a line of its own: the test harness has begun one.
        println!("\nport {}", listener.local_addr().unwrap().port());
        loop {
            match listener.accept().await {
                Ok((mut conn, _)) => {
                    spawn(async move {
                        let mut buf = [0; 64];
                        loop {
                            let n = match conn.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            if buf[..n].starts_with(b"quit") {
                                std::process::exit(0);
                            }
                            if conn.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
                Err(err) => println!("accept-error {err}"),
            }
        }
    })
    .unwrap();
}

/// A message sent and echoed back, within `patience`.
fn echoes(stream: &mut TcpStream, patience: Duration) -> bool {
    stream.set_read_timeout(Some(patience)).unwrap();
    if stream.write_all(b"ping").is_err() {
        return false;
    }
    let mut reply = [0; 4];
    stream.read_exact(&mut reply).is_ok() && &reply == b"ping"
}

/// The CPU time a process has used (user and system), from `/proc`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name (which may hold spaces): utime and
    // stime are the 12th and 13th of them, in clock ticks (100 a second on
    // every Linux std runs on).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn clients() {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 64 && exec "$0" --exact "$1" --nocapture --test-threads=1"#)
        .arg(&exe)
        .arg(TEST)
        .env(ROLE, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Killed if this test fails, rather than left serving.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let errors = Arc::new(AtomicU64::new(0));
    let (port_tx, port_rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(child);
    let reader = {
        let errors = Arc::clone(&errors);
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                if let Some(port) = line.strip_prefix("port ") {
                    port_tx.send(port.parse::<u16>().unwrap()).unwrap();
                } else if line.starts_with("accept-error") {
                    errors.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    let port = port_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    // 100 clients: more than the server has descriptors for.
    let mut streams: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let patience = Duration::from_secs(10);
    let start = Instant::now();
    while errors.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < patience, "the server never ran out");
        thread::sleep(Duration::from_millis(10));
    }

    // Exhausted: the first connection is still served, again and again,
    // and the accept loop neither spins nor starves it.
    let (errors_before, cpu_before, window_start) =
        (errors.load(Ordering::SeqCst), cpu_time(pid), Instant::now());
    while window_start.elapsed() < ACCEPT_RETRY_DELAY * 2 {
        assert!(
            echoes(&mut streams[0], patience),
            "a connection it has is not served"
        );
        thread::sleep(Duration::from_millis(50));
    }
    let window = window_start.elapsed();
    let failed = errors.load(Ordering::SeqCst) - errors_before;
    let cpu = cpu_time(pid) - cpu_before;
    eprintln!(
        "exhausted for {window:?}: {failed} failed accepts, {:.1}% CPU",
        cpu.as_secs_f64() * 100.0 / window.as_secs_f64()
    );
    // One try per back-off (a spinning loop fails millions of times a
    // second), and nowhere near a core.
    let tries = window.as_secs_f64() / ACCEPT_RETRY_DELAY.as_secs_f64();
    assert!(
        (failed as f64) <= tries + 2.0,
        "{failed} failed accepts in {window:?}"
    );
    assert!(cpu < window / 2, "{cpu:?} of CPU in {window:?}");

    // Every client goes: the server frees its descriptors, and serves a
    // newcomer within its back-off.
    drop(streams);
    let closed = Instant::now();
    let mut newcomer = TcpStream::connect(addr).unwrap();
    assert!(
        echoes(&mut newcomer, patience),
        "a new connection is never served"
    );
    let recovered = closed.elapsed();
    eprintln!("served a new connection {recovered:?} after the clients closed");
    assert!(recovered < ACCEPT_RETRY_DELAY + patience);

    newcomer.write_all(b"quit").unwrap();
    assert!(child.0.wait().unwrap().success());
    reader.join().unwrap();
}
