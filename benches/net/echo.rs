//! 1. and 2.: the echo ping-pong and the 100-connection throughput, for each peer.

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, percentile, python};

use crate::Options;

const PING_SIZE: usize = 64;
const MESSAGE_SIZE: usize = 1024;

mod ours {
    use poll_loop::net::{TcpListener, TcpStream};
    use poll_loop::{EventLoop, LoopHandle};
    use std::time::Instant;

    /// Echoes `size`-byte messages until the peer is gone.
    async fn echo(mut conn: TcpStream, size: usize) {
        let _ = conn.set_nodelay(true);
        let mut buf = vec![0; size];
        while conn.read_exact(&mut buf).await.is_ok() {
            if conn.write_all(&buf).await.is_err() {
                return;
            }
        }
    }

    /// A server accepting forever, echoing on each connection in a task.
    fn serve(lp: &LoopHandle, size: usize) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let h = lp.clone();
        lp.spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                h.spawn(echo(conn, size));
            }
        });
        addr
    }

    pub(super) fn pingpong(n: usize, size: usize) -> Vec<f64> {
        let lp = EventLoop::new();
        let addr = serve(&lp, size);
        lp.block_on(async move {
            let mut client = TcpStream::connect(addr).await.unwrap();
            client.set_nodelay(true).unwrap();
            let msg = vec![7; size];
            let mut buf = vec![0; size];
            let mut rtts = Vec::with_capacity(n);
            for _ in 0..n {
                let start = Instant::now();
                client.write_all(&msg).await.unwrap();
                client.read_exact(&mut buf).await.unwrap();
                rtts.push(start.elapsed().as_secs_f64() * 1e6);
            }
            rtts
        })
        .unwrap()
    }

    /// Messages a second, and the kernel's CPU time per message (this thread runs the
    /// server and the clients, so it is the kernel's whole share of the work).
    pub(super) fn throughput(
        conns: usize,
        per_conn: usize,
        size: usize,
    ) -> (f64, benches::Measured) {
        let before = benches::thread_times();
        let rate = run_throughput(conns, per_conn, size);
        let kernel_us = match (before, benches::thread_times()) {
            (Some((_, start)), Some((_, end))) => {
                Ok((end - start).as_secs_f64() * 1e6 / (conns * per_conn) as f64)
            }
            _ => Err("no /proc/thread-self/stat".to_string()),
        };
        (rate, kernel_us)
    }

    fn run_throughput(conns: usize, per_conn: usize, size: usize) -> f64 {
        let lp = EventLoop::new();
        let addr = serve(&lp, size);
        let h = lp.handle();
        lp.block_on(async move {
            let start = Instant::now();
            let clients: Vec<_> = (0..conns)
                .map(|_| {
                    h.spawn(async move {
                        let mut c = TcpStream::connect(addr).await.unwrap();
                        c.set_nodelay(true).unwrap();
                        let msg = vec![7; size];
                        let mut buf = vec![0; size];
                        for _ in 0..per_conn {
                            c.write_all(&msg).await.unwrap();
                            c.read_exact(&mut buf).await.unwrap();
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            (conns * per_conn) as f64 / start.elapsed().as_secs_f64()
        })
        .unwrap()
    }
}

mod tokio_peer {
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap()
    }

    async fn echo(mut conn: TcpStream, size: usize) {
        let _ = conn.set_nodelay(true);
        let mut buf = vec![0; size];
        while conn.read_exact(&mut buf).await.is_ok() {
            if conn.write_all(&buf).await.is_err() {
                return;
            }
        }
    }

    async fn serve(size: usize) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(echo(conn, size));
            }
        });
        addr
    }

    pub(super) fn pingpong(n: usize, size: usize) -> Vec<f64> {
        runtime().block_on(async move {
            let addr = serve(size).await;
            let mut client = TcpStream::connect(addr).await.unwrap();
            client.set_nodelay(true).unwrap();
            let msg = vec![7; size];
            let mut buf = vec![0; size];
            let mut rtts = Vec::with_capacity(n);
            for _ in 0..n {
                let start = Instant::now();
                client.write_all(&msg).await.unwrap();
                client.read_exact(&mut buf).await.unwrap();
                rtts.push(start.elapsed().as_secs_f64() * 1e6);
            }
            rtts
        })
    }

    pub(super) fn throughput(conns: usize, per_conn: usize, size: usize) -> f64 {
        runtime().block_on(async move {
            let addr = serve(size).await;
            let start = Instant::now();
            let clients: Vec<_> = (0..conns)
                .map(|_| {
                    tokio::spawn(async move {
                        let mut c = TcpStream::connect(addr).await.unwrap();
                        c.set_nodelay(true).unwrap();
                        let msg = vec![7; size];
                        let mut buf = vec![0; size];
                        for _ in 0..per_conn {
                            c.write_all(&msg).await.unwrap();
                            c.read_exact(&mut buf).await.unwrap();
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            (conns * per_conn) as f64 / start.elapsed().as_secs_f64()
        })
    }
}

fn median(values: &[f64]) -> Measured {
    percentile(values, 0.5)
}

pub(crate) fn pingpong(options: &Options) -> Vec<Check> {
    let n = options.round_trips;
    let (mut ours, mut tokio) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..options.rounds {
        // Interleaved, so that load elsewhere hits both alike.
        for (rtts, into) in [
            (self::ours::pingpong(n, PING_SIZE), &mut ours),
            (tokio_peer::pingpong(n, PING_SIZE), &mut tokio),
        ] {
            into[0].push(percentile(&rtts, 0.5).unwrap());
            into[1].push(percentile(&rtts, 0.99).unwrap());
        }
    }
    let py = if options.judged {
        python::run(include_str!("peer.py"), "pingpong", &[n / 4, PING_SIZE])
    } else {
        Err("not in a smoke run".to_string())
    };
    let rows = [
        ("poll-loop net", median(&ours[0]), median(&ours[1])),
        ("tokio current-thread", median(&tokio[0]), median(&tokio[1])),
        (
            "Python asyncio streams",
            python::value(&py, "p50_us"),
            python::value(&py, "p99_us"),
        ),
    ];
    let mut notes = vec![format!(
        "{n} round trips of {PING_SIZE} bytes on one connection (asyncio: {}), server and client on one thread; medians of {} rounds. ratio = peer / poll-loop.",
        n / 4,
        options.rounds
    )];
    notes.extend(failures(
        rows.iter().map(|(name, p50, _)| (*name, "p50", p50)),
    ));
    Table {
        title: "1. Ping-pong round trip, us".to_string(),
        columns: &["peer", "p50", "ratio", "p99", "ratio"],
        rows: rows
            .iter()
            .map(|(name, p50, p99)| {
                vec![
                    name.to_string(),
                    num(p50, 1),
                    ratio(p50, &rows[0].1),
                    num(p99, 1),
                    ratio(p99, &rows[0].2),
                ]
            })
            .collect(),
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let mut checks = Vec::new();
    if let (Ok(o), Ok(t)) = (&rows[0].2, &rows[1].2) {
        checks.push(Check::target(
            o <= t,
            format!("ping-pong p99 {o:.1} us, tokio's {t:.1} us (target: <= tokio's)"),
        ));
    }
    checks
}

pub(crate) fn throughput(options: &Options) -> Vec<Check> {
    let (conns, per) = (options.connections, options.messages);
    let (mut ours, mut kernel_us, mut tokio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..options.rounds {
        let (rate, kernel) = self::ours::throughput(conns, per, MESSAGE_SIZE);
        ours.push(rate);
        kernel_us.extend(kernel.ok());
        tokio.push(tokio_peer::throughput(conns, per, MESSAGE_SIZE));
    }
    let py = if options.judged {
        python::run(
            include_str!("peer.py"),
            "throughput",
            &[conns, (per / 4).max(1), MESSAGE_SIZE],
        )
    } else {
        Err("not in a smoke run".to_string())
    };
    let rows = [
        ("poll-loop net", median(&ours)),
        ("tokio current-thread", median(&tokio)),
        ("Python asyncio streams", python::value(&py, "msgs_per_s")),
    ];
    let mut notes = vec![format!(
        "{conns} connections at once, each {per} messages of {MESSAGE_SIZE} bytes echoed one at a time (asyncio: {} each); medians of {} rounds. ratio = ours / peer (above 1: we do more).",
        (per / 4).max(1),
        options.rounds
    )];
    notes.extend(failures(rows.iter().map(|(name, v)| (*name, "msgs/s", v))));
    Table {
        title: "2. Throughput, 100 connections, messages/s".to_string(),
        columns: &["peer", "messages/s", "ratio"],
        rows: rows
            .iter()
            .map(|(name, v)| vec![name.to_string(), num(v, 0), ratio(&rows[0].1, v)])
            .collect(),
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let mut checks = Vec::new();
    if let (Ok(o), Ok(t)) = (&rows[0].1, &rows[1].1) {
        checks.push(Check::target(
            o >= t,
            format!("throughput {o:.0} msgs/s, tokio's {t:.0} (target: >= tokio's)"),
        ));
    }
    if let (Ok(o), Ok(p)) = (&rows[0].1, &rows[2].1) {
        // No target against asyncio here (the `http` scenario has one, on CPU per
        // request): every peer makes the same system calls for a message, so asyncio's
        // time per message over the kernel's share of ours bounds any loop's lead.
        let mut line = format!("echo throughput {:.1}x asyncio's", o / p);
        if let Ok(kernel) = median(&kernel_us) {
            let us_per_msg = 1e6 / p;
            line += &format!(
                "; the kernel's share: {kernel:.1} us of our {:.1} us a message (system CPU \
                 time); asyncio takes {us_per_msg:.1} us a message in all, so no loop here can \
                 reach more than {:.1}x asyncio's throughput",
                1e6 / o,
                us_per_msg / kernel
            );
        }
        checks.push(Check::report(line));
    }
    checks
}
