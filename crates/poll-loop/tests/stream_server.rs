//! `poll_loop::streams::start_server`: a handler task per connection,
//! `close` and `wait_closed`, and a handler that panics.
#![cfg(any(unix, windows))]

mod helpers;

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::rc::Rc;
use std::thread;

use helpers::{ms, without_hanging};
use poll_loop::streams::{StreamReader, StreamWriter, open_connection, start_server};
use poll_loop::{EventLoop, sleep, spawn, timeout};

/// Echoes lines until end of file.
async fn echo(mut reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.readline().await {
            Ok(line) if !line.is_empty() => {
                writer.write(&line);
                if writer.drain().await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// Sends `line` to `addr` from a std client on a thread, and returns the
/// line it gets back.
fn client(addr: std::net::SocketAddr, line: &'static str) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.write_all(line.as_bytes()).unwrap();
        let mut reply = String::new();
        BufReader::new(conn).read_line(&mut reply).unwrap();
        reply
    })
}

/// True: a condition the compiler cannot see through.
fn calls_now() -> bool {
    std::hint::black_box(true)
}

/// Waits, on the loop, for a thread to finish.
async fn joined<T>(handle: thread::JoinHandle<T>) -> T {
    while !handle.is_finished() {
        sleep(ms(2)).await;
    }
    handle.join().unwrap()
}

/// asyncio's `test_start_server`: clients from other threads, each served
/// by its own handler task; then close, and wait.
#[test]
fn test_start_server() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let server = start_server(echo, "127.0.0.1:0").await.unwrap();
            assert!(server.is_serving());
            let addr = server.local_addr();
            let clients: Vec<_> = ["one\n", "two\n", "three\n"]
                .into_iter()
                .map(|line| (line, client(addr, line)))
                .collect();
            for (line, client) in clients {
                assert_eq!(joined(client).await, line);
            }
            server.close();
            assert!(!server.is_serving());
            server.wait_closed().await;
            assert_eq!(server.active_connections(), 0);
            sleep(ms(5)).await; // the accepting task is dropped
            let refused = std::net::TcpStream::connect(addr);
            assert!(refused.is_err(), "closed: nothing listens");
        })
        .unwrap();
    });
}

#[test]
fn a_client_on_the_same_loop_talks_to_the_server() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let reply = lp
            .block_on(async {
                let server = start_server(echo, "127.0.0.1:0").await?;
                let (mut reader, writer) = open_connection(server.local_addr()).await?;
                writer.write(b"ping\n");
                let reply = reader.readline().await?;
                server.close();
                drop((reader, writer));
                server.wait_closed().await;
                Ok::<_, std::io::Error>(reply)
            })
            .unwrap()
            .unwrap();
        assert_eq!(reply, b"ping\n");
    });
}

/// A handler that panics (in its task, or when called) ends its own
/// connection only: the server goes on serving.
#[test]
fn a_panicking_handler_does_not_kill_the_server() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let calls = Rc::new(Cell::new(0));
            let handler = {
                let calls = Rc::clone(&calls);
                move |reader: StreamReader, writer: StreamWriter| {
                    calls.set(calls.get() + 1);
                    match calls.get() {
                        1 => panic!("the handler panics when called"),
                        2 => Box::pin(async {
                            if calls_now() {
                                panic!("the handler's task panics");
                            }
                        })
                            as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
                        _ => Box::pin(echo(reader, writer)),
                    }
                }
            };
            let server = start_server(handler, "127.0.0.1:0").await.unwrap();
            let addr = server.local_addr();
            for _ in 0..2 {
                let dropped = thread::spawn(move || {
                    let mut conn = std::net::TcpStream::connect(addr).unwrap();
                    let mut rest = Vec::new();
                    // Closed without an answer.
                    conn.read_to_end(&mut rest).map(|_| rest)
                });
                let rest = joined(dropped).await;
                assert!(rest.map_or(true, |rest| rest.is_empty()));
            }
            assert_eq!(
                joined(client(addr, "still serving\n")).await,
                "still serving\n"
            );
            assert_eq!(calls.get(), 3);
            server.close();
            server.wait_closed().await;
        })
        .unwrap();
    });
}

/// `wait_closed` waits for the handlers still running after `close`.
#[test]
fn wait_closed_waits_for_the_handlers() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let finished = Rc::new(Cell::new(false));
            let handler = {
                let finished = Rc::clone(&finished);
                move |_reader: StreamReader, writer: StreamWriter| {
                    let finished = Rc::clone(&finished);
                    async move {
                        sleep(ms(50)).await;
                        writer.write(b"late\n");
                        finished.set(true);
                    }
                }
            };
            let server = start_server(handler, "127.0.0.1:0").await.unwrap();
            let reply = client(server.local_addr(), "");
            while server.active_connections() == 0 {
                sleep(ms(1)).await;
            }
            server.close();
            assert!(
                timeout(ms(10), server.wait_closed()).await.is_err(),
                "a handler still runs"
            );
            server.wait_closed().await;
            assert!(finished.get());
            assert_eq!(joined(reply).await, "late\n");
        })
        .unwrap();
    });
}

/// `serve_forever` returns when a handler closes the server.
#[test]
fn serve_forever_ends_on_close() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async {
            let server = Rc::new(Cell::new(None));
            let handler = {
                let server = Rc::clone(&server);
                move |_reader: StreamReader, writer: StreamWriter| {
                    let server: Option<Rc<poll_loop::streams::Server>> = server.take();
                    async move {
                        writer.write(b"closing\n");
                        if let Some(server) = server {
                            server.close();
                        }
                    }
                }
            };
            let running = Rc::new(start_server(handler, "127.0.0.1:0").await.unwrap());
            server.set(Some(Rc::clone(&running)));
            let reply = client(running.local_addr(), "");
            let serving = spawn({
                let running = Rc::clone(&running);
                async move { running.serve_forever().await }
            });
            serving.await.unwrap();
            assert!(!running.is_serving());
            assert_eq!(joined(reply).await, "closing\n");
        })
        .unwrap();
    });
}

#[cfg(unix)]
#[test]
fn test_start_unix_server() {
    use poll_loop::streams::{open_unix_connection, start_unix_server};
    without_hanging(|| {
        let dir = std::env::temp_dir().join(format!("poll-loop-streams-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("echo.sock");
        let _ = std::fs::remove_file(&path);
        let lp = EventLoop::new();
        let reply = lp
            .block_on({
                let path = path.clone();
                async move {
                    let server = start_unix_server(echo, &path).await?;
                    assert_eq!(server.local_addr().as_pathname(), Some(path.as_path()));
                    let (mut reader, writer) = open_unix_connection(&path).await?;
                    assert_eq!(writer.peer_addr()?.to_string(), path.display().to_string());
                    writer.write(b"over a socket file\n");
                    let reply = reader.readline().await?;
                    server.close();
                    assert!(!path.exists(), "the socket file is removed on close");
                    drop((reader, writer));
                    server.wait_closed().await;
                    Ok::<_, std::io::Error>(reply)
                }
            })
            .unwrap()
            .unwrap();
        assert_eq!(reply, b"over a socket file\n");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
