//! poll-loop's sockets (`poll_loop::net`) side by side with tokio's current-thread runtime
//! and Python's asyncio streams, on a localhost TCP echo.
//!
//! Every peer runs its server and its clients on one thread, on one loop or runtime:
//!
//! 1. `pingpong`: one connection, 64-byte messages echoed one at a time: round trip p50
//!    and p99 (us).
//! 2. `throughput`: 100 connections at once, each sending 1 KiB messages and reading each
//!    echo before the next: messages per second.
//! 3. `idle`: 10,000 connections accepted, a task per connection waiting to read: heap per
//!    connection (bytes, from a counting allocator; the sockets' kernel buffers are not
//!    counted), and the loop thread's CPU over one second of waiting (ms). The clients'
//!    ends are held by a child process (this same binary), so both ends fit under the
//!    file-descriptor limit. (Rust peers only.)
//!
//! The fourth measures a server as its users do, with the load in another process:
//!
//! 4. `http`: an HTTP/1.1 keep-alive server (a small fixed body for every GET) on one
//!    loop thread pinned to one core, 50 connections each sending a request when the
//!    last one's response arrived, from a load generator (this same binary, a child
//!    process) pinned to another core: requests per second and p99 latency (from the
//!    generator), and the server's loop-thread user and system CPU per request (us),
//!    against tokio's current-thread runtime, asyncio streams and asyncio on uvloop
//!    (where `pip install uvloop` put it).
//!
//! The fifth measures the streams layer:
//!
//! 5. `lines`: a thread with blocking sockets sends lines of 10, 100 and 1000 bytes;
//!    one loop thread reads them one at a time until end of file: poll-loop's
//!    `StreamReader::readline`, tokio's `BufReader::read_until` and asyncio's
//!    `StreamReader.readline` (ns per line).
//!
//! `cargo bench -p benches --bench net` runs the full set; `-- --quick` fewer rounds;
//! `-- --only=pingpong,idle` only the scenarios named. Without `--bench` (how `cargo test
//! --benches` runs it) it is a smoke run: tiny sizes, no Python, no targets.

mod echo;
mod http;
mod idle;
mod lines;

use std::time::Duration;

use benches::report;
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

fn main() {
    if idle::run_holder_if_asked() || http::run_load_if_asked() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::from_args(&args);
    println!(
        "# poll-loop net: {} run, medians of the rounds\n",
        options.mode
    );
    let scenarios: [(&str, Scenario); 5] = [
        ("pingpong", echo::pingpong),
        ("throughput", echo::throughput),
        ("idle", idle::run),
        ("http", http::run),
        ("lines", lines::run),
    ];
    report::run_selected("poll-loop net", &args, &scenarios, &options);
}

type Scenario = report::Scenario<Options>;

/// What to run, from the command line.
pub(crate) struct Options {
    pub(crate) mode: &'static str,
    /// Whether sizes are the issue's, so that targets are judged (and Python runs).
    pub(crate) judged: bool,
    pub(crate) rounds: usize,
    /// Round trips of `pingpong`.
    pub(crate) round_trips: usize,
    /// Connections of `throughput`, and messages per connection.
    pub(crate) connections: usize,
    pub(crate) messages: usize,
    /// Connections of `idle`.
    pub(crate) idle: usize,
    /// Connections of `http`, its rounds, and how long each peer is loaded a round.
    pub(crate) http_connections: usize,
    pub(crate) http_rounds: usize,
    pub(crate) http_time: Duration,
    /// Bytes of lines a round of `lines` reads.
    pub(crate) line_bytes: usize,
}

impl Options {
    fn from_args(args: &[String]) -> Options {
        let flag = |name: &str| args.iter().any(|arg| arg == name);
        let (mode, judged, rounds, round_trips, messages, idle) = if !flag("--bench") {
            ("smoke", false, 1, 200, 20, 100)
        } else if flag("--quick") {
            ("quick", true, 3, 10_000, 500, 10_000)
        } else {
            ("full", true, 7, 20_000, 2_000, 10_000)
        };
        // More and shorter rounds than the echo's: on a shared machine another process
        // landing on the server's core slows a whole round, and the median of many
        // rounds leaves such rounds out.
        let (http_connections, http_rounds, http_millis) = match mode {
            "smoke" => (4, 1, 100),
            "quick" => (50, 3, 2_000),
            _ => (50, 11, 2_000),
        };
        Options {
            mode,
            judged,
            rounds,
            round_trips,
            connections: 100,
            messages,
            idle,
            http_connections,
            http_rounds,
            http_time: Duration::from_millis(http_millis),
            line_bytes: match mode {
                "smoke" => 1 << 20,
                "quick" => 16 << 20,
                _ => 32 << 20,
            },
        }
    }
}
