//! 3. Many idle connections: heap per connection, and the CPU the loop spends holding them.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use benches::Measured;
use benches::report::{Check, Table, failures, num, ratio};

use crate::{HEAP, Options};

/// Set in the child that holds the clients' ends: `ADDR,N`.
const HOLD_ENV: &str = "NET_BENCH_HOLD";

/// How long the idle loop is watched for its CPU use.
const WATCH: Duration = Duration::from_secs(1);

/// In the child: connects `N` sockets to `ADDR`, says so, and holds them until its stdin
/// closes. Returns false in the benchmark itself.
pub(crate) fn run_holder_if_asked() -> bool {
    let Some(spec) = std::env::var_os(HOLD_ENV) else {
        return false;
    };
    let spec = spec.to_string_lossy();
    let (addr, n) = spec.split_once(',').expect("ADDR,N");
    let (addr, n): (SocketAddr, usize) = (addr.parse().unwrap(), n.parse().unwrap());
    let held: Vec<_> = (0..n)
        .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
        .collect();
    println!("connected {}", held.len());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    true
}

/// Starts the child holding `n` client connections to `addr`.
fn hold(addr: SocketAddr, n: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(HOLD_ENV, format!("{addr},{n}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the holder child")
}

/// Waits until the child connected everything, then lets it go.
fn release(mut child: Child) {
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    drop(child.stdin.take());
    let _ = child.wait();
}

/// The calling thread's CPU time so far, in ns.
fn thread_cpu_ns() -> Measured {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .map_err(|e| format!("/proc/thread-self/schedstat: {e}"))?;
    text.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .ok_or_else(|| "unreadable schedstat".to_string())
}

/// One peer's numbers: heap bytes per connection, CPU ms over `WATCH`.
struct Sample {
    bytes_per_conn: f64,
    cpu_ms: Measured,
}

fn ours(n: usize) -> Sample {
    use poll_loop::net::TcpListener;
    use poll_loop::{EventLoop, LoopHandle, sleep};
    let lp = EventLoop::new();
    let (sample, child) = lp
        .block_on(async move {
            let h = LoopHandle::current().unwrap();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let child = hold(listener.local_addr().unwrap(), n);
            let before = HEAP.current_usage();
            for _ in 0..n {
                let (mut conn, _) = listener.accept().await.unwrap();
                h.spawn(async move {
                    let mut buf = [0; 16];
                    let _ = conn.read(&mut buf).await;
                });
            }
            sleep(Duration::from_millis(50)).await; // every task waits on its read
            let bytes = HEAP.current_usage().saturating_sub(before);
            let start = thread_cpu_ns();
            sleep(WATCH).await;
            let cpu_ms = start.and_then(|s| Ok((thread_cpu_ns()? - s) / 1e6));
            let sample = Sample {
                bytes_per_conn: bytes as f64 / n as f64,
                cpu_ms,
            };
            (sample, child)
        })
        .unwrap();
    release(child);
    drop(lp);
    sample
}

fn tokio(n: usize) -> Sample {
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (sample, child) = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let child = hold(listener.local_addr().unwrap(), n);
        let before = HEAP.current_usage();
        for _ in 0..n {
            let (mut conn, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = [0; 16];
                let _ = conn.read(&mut buf).await;
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let bytes = HEAP.current_usage().saturating_sub(before);
        let start = thread_cpu_ns();
        tokio::time::sleep(WATCH).await;
        let cpu_ms = start.and_then(|s| Ok((thread_cpu_ns()? - s) / 1e6));
        let sample = Sample {
            bytes_per_conn: bytes as f64 / n as f64,
            cpu_ms,
        };
        (sample, child)
    });
    release(child);
    drop(rt);
    sample
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let n = options.idle;
    let rows = [
        ("poll-loop net", ours(n)),
        ("tokio current-thread", tokio(n)),
    ];
    let mut notes = vec![format!(
        "{n} accepted connections, a task each waiting to read; heap counted by the allocator (kernel socket buffers not included), CPU of the loop's thread over {} s of waiting. ratio = peer / poll-loop.",
        WATCH.as_secs()
    )];
    notes.extend(failures(
        rows.iter().map(|(name, s)| (*name, "cpu", &s.cpu_ms)),
    ));
    let ours_bytes: Measured = Ok(rows[0].1.bytes_per_conn);
    Table {
        title: format!("3. {n} idle connections"),
        columns: &["peer", "heap bytes/connection", "ratio", "CPU ms per s"],
        rows: rows
            .iter()
            .map(|(name, s)| {
                let bytes = Ok(s.bytes_per_conn);
                vec![
                    name.to_string(),
                    num(&bytes, 0),
                    ratio(&bytes, &ours_bytes),
                    num(&s.cpu_ms, 2),
                ]
            })
            .collect(),
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let (o, t) = (rows[0].1.bytes_per_conn, rows[1].1.bytes_per_conn);
    let mut checks = vec![Check::target(
        o <= t,
        format!("heap per idle connection {o:.0} B, tokio's {t:.0} B (target: <= tokio's)"),
    )];
    if let Ok(cpu) = rows[0].1.cpu_ms {
        checks.push(Check::target(
            cpu < 10.0,
            format!(
                "{n} idle connections cost {cpu:.2} ms of CPU per second (target: near zero, < 10)"
            ),
        ));
    }
    checks
}
