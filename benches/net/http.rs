//! 4. An HTTP/1.1 keep-alive server, loaded from another process as users measure servers.
//!
//! Each peer serves `GET`s with a small fixed body ([`benches::http`]), a task (or
//! coroutine) per connection, on one loop thread pinned to one core. The load comes from
//! a child process (this same binary, see [`run_load_if_asked`]) pinned to another core:
//! a thread per connection with a blocking socket, each sending a request and reading
//! its response in lock-step, for a fixed time. The generator measures throughput and
//! latency; the server measures its own loop thread's CPU time (`getrusage` with
//! `RUSAGE_THREAD`, inside the server) from its start until its last connection
//! closes, and the requests it answered.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use benches::cpu::{self, Times, Who};
use benches::http::{REJECT, REQUEST, RESPONSE, next_request, response_len};
use benches::report::{Check, Table, failures, num};
use benches::{Measured, percentile, python};

use crate::Options;

/// Set in the load generator child: `ADDR,CONNECTIONS,MILLISECONDS,CPU` (CPU -1: not
/// pinned).
const LOAD_ENV: &str = "NET_BENCH_LOAD";

/// The largest request head a server buffers; a longer one closes the connection.
const HEAD_LIMIT: usize = 4096;

/// What a server reports when its last connection has closed.
struct Served {
    requests: u64,
    /// Its loop thread's CPU time while serving (`None` where `getrusage` cannot say).
    cpu: Option<Times>,
}

/// The I/O a server's connection loop needs, so that the Rust peers share that loop and
/// differ only in their sockets.
trait Conn {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize>;
    async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()>;
}

/// Answers the requests on `conn` until the client closes it (or sends `Connection:
/// close`, or something else than a GET); returns how many it answered.
async fn respond(mut conn: impl Conn) -> u64 {
    let mut buf = vec![0; HEAD_LIMIT];
    let (mut filled, mut searched, mut answered) = (0, 0, 0);
    loop {
        match conn.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return answered,
            Ok(n) => filled += n,
        }
        while let Some(request) = next_request(&buf[..filled], searched) {
            let answer = if request.get { RESPONSE } else { REJECT };
            if conn.write_all(answer).await.is_err() {
                return answered;
            }
            answered += 1;
            if request.close {
                return answered;
            }
            buf.copy_within(request.len..filled, 0);
            (filled, searched) = (filled - request.len, 0);
        }
        searched = filled;
        if filled == buf.len() {
            return answered;
        }
    }
}

mod ours {
    use super::{Conn, Served, respond};
    use benches::cpu::{self, Who};
    use poll_loop::net::{TcpListener, TcpStream};
    use poll_loop::{Event, EventLoop, LoopHandle};
    use std::cell::Cell;
    use std::net::SocketAddr;
    use std::rc::Rc;
    use std::sync::mpsc::Sender;

    impl Conn for TcpStream {
        async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            TcpStream::read(self, buf).await
        }
        async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
            TcpStream::write_all(self, buf).await
        }
    }

    #[derive(Default)]
    struct Counts {
        open: Cell<usize>,
        requests: Cell<u64>,
        all_closed: Event,
    }

    /// Serves on this thread until the connections it accepted have all closed.
    pub(super) fn serve(addr_to: Sender<SocketAddr>) -> Served {
        let before = cpu::times(Who::Thread);
        let lp = EventLoop::new();
        let counts = Rc::new(Counts::default());
        let c = counts.clone();
        lp.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            addr_to.send(listener.local_addr().unwrap()).unwrap();
            let h = LoopHandle::current().unwrap();
            let counts = c.clone();
            h.clone().spawn(async move {
                while let Ok((conn, _)) = listener.accept().await {
                    let _ = conn.set_nodelay(true);
                    counts.open.set(counts.open.get() + 1);
                    let counts = counts.clone();
                    h.spawn(async move {
                        let answered = respond(conn).await;
                        counts.requests.set(counts.requests.get() + answered);
                        counts.open.set(counts.open.get() - 1);
                        if counts.open.get() == 0 {
                            counts.all_closed.set();
                        }
                    });
                }
            });
            c.all_closed.wait().await;
        })
        .unwrap();
        drop(lp);
        let after = cpu::times(Who::Thread);
        Served {
            requests: counts.requests.get(),
            cpu: after.zip(before).map(|(a, b)| a - b),
        }
    }
}

mod tokio_peer {
    use super::{Conn, Served, respond};
    use benches::cpu::{self, Who};
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::mpsc::Sender;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::Notify;

    impl Conn for TcpStream {
        async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            AsyncReadExt::read(self, buf).await
        }
        async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
            AsyncWriteExt::write_all(self, buf).await
        }
    }

    /// Atomics because `tokio::spawn` wants `Send` tasks, as a tokio server has them.
    #[derive(Default)]
    struct Counts {
        open: AtomicUsize,
        requests: AtomicU64,
        all_closed: Notify,
    }

    pub(super) fn serve(addr_to: Sender<SocketAddr>) -> Served {
        let before = cpu::times(Who::Thread);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let requests = rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_to.send(listener.local_addr().unwrap()).unwrap();
            let counts = Arc::new(Counts::default());
            let c = counts.clone();
            tokio::spawn(async move {
                while let Ok((conn, _)) = listener.accept().await {
                    let _ = conn.set_nodelay(true);
                    c.open.fetch_add(1, Ordering::Relaxed);
                    let counts = c.clone();
                    tokio::spawn(async move {
                        let answered = respond(conn).await;
                        counts.requests.fetch_add(answered, Ordering::Relaxed);
                        if counts.open.fetch_sub(1, Ordering::Relaxed) == 1 {
                            counts.all_closed.notify_one();
                        }
                    });
                }
            });
            counts.all_closed.notified().await;
            counts.requests.load(Ordering::Relaxed)
        });
        drop(rt);
        let after = cpu::times(Who::Thread);
        Served {
            requests,
            cpu: after.zip(before).map(|(a, b)| a - b),
        }
    }
}

/// The two cores: the server's loop thread's, and the load generator's; or why nothing
/// is pinned.
fn cores() -> Result<(usize, usize), String> {
    match cpu::allowed_cpus()[..] {
        [] => Err("the cores allowed are not known on this OS".to_string()),
        [only] => Err(format!("only core {only} is allowed")),
        [server, .., load] => Ok((server, load)),
    }
}

/// A server under test, started: where it listens, and how to wait for its numbers.
struct Started {
    addr: SocketAddr,
    finish: Box<dyn FnOnce() -> Result<Served, String>>,
}

/// Starts a Rust peer's server on a thread of its own, pinned to `core`.
fn start_thread(serve: fn(mpsc::Sender<SocketAddr>) -> Served, core: Option<usize>) -> Started {
    let (addr_to, addr) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        if let Some(core) = core {
            cpu::pin_current_thread(core).expect("pinning the server's thread");
        }
        serve(addr_to)
    });
    let addr = addr.recv().expect("the server thread's address");
    Started {
        addr,
        finish: Box::new(|| thread.join().map_err(|_| "the server panicked".to_string())),
    }
}

/// Starts `peer.py`'s server on `mode`'s loop, pinned to `core`.
fn start_python(mode: &str, core: Option<usize>) -> Result<Started, String> {
    let core = core.map_or(-1, |c| c as i64);
    let mut server = python::Background::start(include_str!("peer.py"), mode, &[core])?;
    let port = server.first_value("port")?;
    Ok(Started {
        addr: SocketAddr::from(([127, 0, 0, 1], port as u16)),
        finish: Box::new(move || {
            let out = server.finish();
            let us = |key| python::value(&out, key).map(|us| Duration::from_secs_f64(us / 1e6));
            Ok(Served {
                requests: python::value(&out, "requests")? as u64,
                cpu: Some(Times {
                    user: us("user_us")?,
                    system: us("system_us")?,
                    preempted: python::value(&out, "preempted")? as u64,
                }),
            })
        }),
    })
}

/// One peer's numbers in one round.
#[derive(Clone, Debug)]
struct Sample {
    requests_per_s: f64,
    p99_us: f64,
    user_us: f64,
    system_us: f64,
    /// The load generator's CPU time over the wall time (1: a whole core).
    load_busy: f64,
    /// How often a second the server's loop thread was preempted.
    preempted_per_s: f64,
}

/// Loads the started server for `options.http_time` from the generator child, then
/// collects both sides' numbers.
fn sample(
    started: Result<Started, String>,
    options: &Options,
    core: Option<usize>,
) -> Result<Sample, String> {
    let started = started?;
    let load = load(started.addr, options, core);
    if load.is_err() {
        // A generator that died before connecting leaves the server waiting for its
        // first connection: one that closes at once ends it.
        drop(std::net::TcpStream::connect(started.addr));
    }
    let served = (started.finish)()?;
    let load = load?;
    let value = |key: &str| {
        load.get(key)
            .copied()
            .ok_or_else(|| format!("the load generator printed no {key}"))
    };
    let requests = value("requests")?;
    if served.requests as f64 != requests {
        return Err(format!(
            "the server answered {} requests, the generator counted {requests}",
            served.requests
        ));
    }
    let cpu = served.cpu.ok_or("no getrusage(RUSAGE_THREAD) on this OS")?;
    let per_request = |d: Duration| d.as_secs_f64() * 1e6 / requests.max(1.0);
    let secs = value("secs")?;
    Ok(Sample {
        requests_per_s: requests / secs,
        preempted_per_s: cpu.preempted as f64 / secs,
        p99_us: value("p99_us")?,
        user_us: per_request(cpu.user),
        system_us: per_request(cpu.system),
        load_busy: value("busy")?,
    })
}

/// Runs the load generator child against `addr` and returns what it printed.
fn load(
    addr: SocketAddr,
    options: &Options,
    core: Option<usize>,
) -> Result<HashMap<String, f64>, String> {
    let spec = format!(
        "{addr},{},{},{}",
        options.http_connections,
        options.http_time.as_millis(),
        core.map_or(-1, |c| c as i64)
    );
    let out = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(LOAD_ENV, spec)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("the load generator: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "the load generator failed: {}",
            stderr.lines().last().unwrap_or("no output")
        ));
    }
    Ok(python::parse(&String::from_utf8_lossy(&out.stdout)))
}

/// In the load generator child: connects, loads the server, prints `key value` lines
/// (`requests`, `secs`, `p50_us`, `p99_us`, `busy`) and exits, closing its connections;
/// on an error, says why on stderr and exits with status 1. Returns false in the
/// benchmark itself.
pub(crate) fn run_load_if_asked() -> bool {
    let Some(spec) = std::env::var_os(LOAD_ENV) else {
        return false;
    };
    if let Err(e) = generate_load(&spec.to_string_lossy()) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    true
}

fn generate_load(spec: &str) -> Result<(), String> {
    let fields: Vec<&str> = spec.split(',').collect();
    let [addr, conns, millis, core] = fields[..] else {
        return Err(format!(
            "{LOAD_ENV}: ADDR,CONNECTIONS,MILLISECONDS,CPU, not {spec}"
        ));
    };
    let number = |what: &str, text: &str| {
        text.parse::<u64>()
            .map_err(|e| format!("{LOAD_ENV}: {what} {text:?}: {e}"))
    };
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("{LOAD_ENV}: ADDR {addr:?}: {e}"))?;
    let conns = number("CONNECTIONS", conns)? as usize;
    let time = Duration::from_millis(number("MILLISECONDS", millis)?);
    if core != "-1" {
        let core = number("CPU", core)? as usize;
        cpu::pin_current_thread(core).map_err(|e| format!("pinning to core {core}: {e}"))?;
    }
    let cpu_before = cpu::times(Who::Process);
    // All connected before any thread starts, so that a failure leaves no thread waiting.
    let streams = (0..conns)
        .map(|_| {
            let stream = std::net::TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            Ok(stream)
        })
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    let go = Arc::new(Barrier::new(conns + 1));
    let threads: Vec<_> = streams
        .into_iter()
        .map(|stream| {
            let go = go.clone();
            std::thread::spawn(move || {
                go.wait();
                lock_step(stream, Instant::now() + time)
            })
        })
        .collect();
    go.wait();
    let start = Instant::now();
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().map_err(|_| "a load thread panicked")??);
    }
    let secs = start.elapsed().as_secs_f64();
    let busy = cpu::times(Who::Process)
        .zip(cpu_before)
        .map(|(after, before)| {
            let t = after - before;
            (t.user + t.system).as_secs_f64() / secs
        })
        .ok_or("no getrusage on this OS")?;
    println!("requests {}", latencies.len());
    println!("secs {secs}");
    println!("p50_us {}", percentile(&latencies, 0.5)?);
    println!("p99_us {}", percentile(&latencies, 0.99)?);
    println!("busy {busy}");
    Ok(())
}

/// One connection of the load: a request, its whole response, the next, until
/// `deadline`. Returns each round trip in µs, or what went wrong.
fn lock_step(mut stream: std::net::TcpStream, deadline: Instant) -> Result<Vec<f64>, String> {
    let mut latencies = Vec::new();
    let mut buf = vec![0; 4096];
    loop {
        let start = Instant::now();
        if start >= deadline {
            return Ok(latencies);
        }
        stream
            .write_all(REQUEST)
            .map_err(|e| format!("sending a request: {e}"))?;
        let mut filled = 0;
        let len = loop {
            if filled == buf.len() {
                return Err("a response longer than 4 KiB".to_string());
            }
            match stream.read(&mut buf[filled..]) {
                Ok(0) => return Err("the server closed a connection".to_string()),
                Ok(n) => filled += n,
                Err(e) => return Err(format!("reading a response: {e}")),
            }
            if let Some(len) = response_len(&buf[..filled]) {
                break len;
            }
        };
        if buf[..filled] != *RESPONSE {
            return Err(format!(
                "a wrong response ({len} of {filled} bytes): {:?}",
                String::from_utf8_lossy(&buf[..filled])
            ));
        }
        latencies.push(start.elapsed().as_secs_f64() * 1e6);
    }
}

fn median(values: impl Iterator<Item = f64>) -> Measured {
    percentile(&values.collect::<Vec<_>>(), 0.5)
}

/// A peer's medians over the rounds, or why it has none.
struct Row {
    name: &'static str,
    requests_per_s: Measured,
    p99_us: Measured,
    user_us: Measured,
    system_us: Measured,
    total_us: Measured,
    load_busy: Measured,
    preempted_per_s: Measured,
    /// The rounds' spread of throughput: (max - min) / median.
    spread: Measured,
}

impl Row {
    fn new(name: &'static str, samples: &[Result<Sample, String>]) -> Row {
        let ok: Vec<&Sample> = samples.iter().filter_map(|s| s.as_ref().ok()).collect();
        let why = samples
            .iter()
            .find_map(|s| s.as_ref().err())
            .cloned()
            .unwrap_or_else(|| "no rounds".to_string());
        let of = |f: fn(&Sample) -> f64| -> Measured {
            if ok.is_empty() {
                Err(why.clone())
            } else {
                median(ok.iter().map(|s| f(s)))
            }
        };
        let rates: Vec<f64> = ok.iter().map(|s| s.requests_per_s).collect();
        let spread = of(|s| s.requests_per_s).map(|m| {
            let max = rates.iter().copied().fold(f64::MIN, f64::max);
            let min = rates.iter().copied().fold(f64::MAX, f64::min);
            (max - min) / m
        });
        Row {
            name,
            requests_per_s: of(|s| s.requests_per_s),
            p99_us: of(|s| s.p99_us),
            user_us: of(|s| s.user_us),
            system_us: of(|s| s.system_us),
            total_us: of(|s| s.user_us + s.system_us),
            load_busy: of(|s| s.load_busy * 100.0),
            preempted_per_s: of(|s| s.preempted_per_s),
            spread,
        }
    }
}

/// Where a target puts a ratio poll-loop / peer.
#[derive(Clone, Copy)]
enum Bound {
    AtMost(f64),
    AtLeast(f64),
}

/// The median over the rounds of `value(ours) / value(theirs)`, each round's pair taken
/// back to back (so that what slows a round, such as another process on the server's
/// core, slows both), and how many rounds had both.
fn paired(
    ours: &[Result<Sample, String>],
    theirs: &[Result<Sample, String>],
    value: fn(&Sample) -> f64,
) -> Option<(f64, usize)> {
    let ratios: Vec<f64> = ours
        .iter()
        .zip(theirs)
        .filter_map(|(o, t)| Some(value(o.as_ref().ok()?) / value(t.as_ref().ok()?)))
        .collect();
    Some((percentile(&ratios, 0.5).ok()?, ratios.len()))
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let cores = cores();
    let (server_core, load_core) = match cores {
        Ok((server, load)) => (Some(server), Some(load)),
        Err(_) => (None, None),
    };
    let python = |mode: &str| -> Result<Started, String> {
        if options.judged {
            start_python(mode, server_core)
        } else {
            Err("not in a smoke run".to_string())
        }
    };
    let mut samples: [Vec<Result<Sample, String>>; 4] = Default::default();
    for _ in 0..options.http_rounds {
        // Interleaved, so that load elsewhere hits every peer alike.
        samples[0].push(sample(
            Ok(start_thread(ours::serve, server_core)),
            options,
            load_core,
        ));
        samples[1].push(sample(
            Ok(start_thread(tokio_peer::serve, server_core)),
            options,
            load_core,
        ));
        samples[2].push(sample(python("http-asyncio"), options, load_core));
        samples[3].push(sample(python("http-uvloop"), options, load_core));
    }
    let names = [
        "poll-loop net",
        "tokio current-thread",
        "Python asyncio streams",
        "Python asyncio streams on uvloop",
    ];
    let rows: Vec<Row> = names
        .iter()
        .zip(&samples)
        .map(|(name, samples)| Row::new(name, samples))
        .collect();
    let conns = options.http_connections;
    let mut notes = vec![
        format!(
            "{conns} keep-alive connections, each a GET answered by a {}-byte response before the next, for {:.1} s a round; medians of {} rounds, peers interleaved.",
            RESPONSE.len(),
            options.http_time.as_secs_f64(),
            options.http_rounds
        ),
        match cores {
            Ok((server, load)) => format!(
                "The server's loop thread runs on core {server}; the load generator (this binary in another process: a thread per connection, blocking sockets) on core {load}."
            ),
            Err(e) => format!("Nothing pinned: {e}."),
        },
        "CPU per request: the server's loop thread's user and system time (getrusage with RUSAGE_THREAD, inside the server; the split is the kernel's tick sampling) from its start to its last connection's close, over the requests it answered. Targets: the median of the rounds' ratios poll-loop / peer (the peers of a round run back to back).".to_string(),
        "spread: the rounds' (max - min) / median of requests/s. load busy: the generator's CPU time over the wall time; near 100% means the generator, not the server, set the pace. preempted: how often a second the server's loop thread lost its core while it had work (involuntary context switches): other processes on its core, which make a round slower and noisier.".to_string(),
    ];
    let by_round: Vec<String> = names
        .iter()
        .zip(&samples)
        .filter(|(_, samples)| samples.iter().any(Result::is_ok))
        .map(|(name, samples)| {
            let rates: Vec<String> = samples
                .iter()
                .map(|s| {
                    s.as_ref()
                        .map_or("n/a".into(), |s| format!("{:.1}", s.requests_per_s / 1e3))
                })
                .collect();
            format!("{name} {}", rates.join(", "))
        })
        .collect();
    notes.push(format!(
        "Thousands of requests/s by round: {}.",
        by_round.join("; ")
    ));
    notes.extend(failures(
        rows.iter()
            .map(|r| (r.name, "requests/s", &r.requests_per_s)),
    ));
    Table {
        title: format!("4. HTTP/1.1 keep-alive, {conns} connections, load from another process"),
        columns: &[
            "peer",
            "requests/s",
            "spread %",
            "p99 us",
            "user us/request",
            "system us/request",
            "total us/request",
            "load busy %",
            "preempted /s",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.name.to_string(),
                    num(&r.requests_per_s, 0),
                    num(&r.spread.clone().map(|s| s * 100.0), 0),
                    num(&r.p99_us, 1),
                    num(&r.user_us, 2),
                    num(&r.system_us, 2),
                    num(&r.total_us, 2),
                    num(&r.load_busy, 0),
                    num(&r.preempted_per_s, 0),
                ]
            })
            .collect(),
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    let (o, t) = (&rows[0], &rows[1]);
    let [ours, tokio, asyncio, uvloop] = &samples;
    let user: fn(&Sample) -> f64 = |s| s.user_us;
    let total: fn(&Sample) -> f64 = |s| s.user_us + s.system_us;
    let rate: fn(&Sample) -> f64 = |s| s.requests_per_s;
    let targets = [
        (
            "user CPU per request",
            "asyncio",
            asyncio,
            user,
            Bound::AtMost(0.10),
        ),
        (
            "user CPU per request",
            "uvloop",
            uvloop,
            user,
            Bound::AtMost(0.20),
        ),
        (
            "total CPU per request",
            "tokio",
            tokio,
            total,
            Bound::AtMost(1.05),
        ),
        ("throughput", "tokio", tokio, rate, Bound::AtLeast(0.95)),
    ];
    let mut checks = Vec::new();
    for (what, peer, theirs, value, bound) in targets {
        let Some((ratio, rounds)) = paired(ours, theirs, value) else {
            continue;
        };
        let (met, target) = match bound {
            Bound::AtMost(max) => (ratio <= max, format!("<= {max:.2}")),
            Bound::AtLeast(min) => (ratio >= min, format!(">= {min:.2}")),
        };
        checks.push(Check::target(
            met,
            format!(
                "HTTP {what}, poll-loop / {peer} = {ratio:.2} (median of {rounds} rounds' ratios; target: {target})"
            ),
        ));
    }
    if let (Ok(a), Ok(b)) = (&o.spread, &t.spread) {
        checks.push(Check::report(format!(
            "HTTP throughput's rounds spread by {:.0}% (poll-loop) and {:.0}% (tokio) of their medians",
            a * 100.0,
            b * 100.0
        )));
    }
    if let (Ok(system), Ok(total)) = (&o.system_us, &o.total_us) {
        checks.push(Check::report(format!(
            "the kernel's share of poll-loop's HTTP CPU: {system:.2} of {total:.2} us a request is system time"
        )));
    }
    checks
}
