//! 5.: reading a stream line by line, as a line protocol's reader does.
//!
//! A feeder thread (std sockets, blocking) accepts one connection and sends lines of one
//! length, 64 KiB a write, then closes. The reader, on one loop thread, takes one line at
//! a time until end of file: poll-loop's `StreamReader::readline`, tokio's
//! `BufReader::read_until` into a new `Vec` a line (each reader hands out an owned line,
//! as asyncio's `readline` does), and asyncio's `StreamReader.readline`.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use benches::report::{Check, Table, failures, num, ratio};
use benches::{Measured, percentile, python};

use crate::Options;

/// The line lengths measured, newline included.
const LENGTHS: [usize; 3] = [10, 100, 1000];

/// Starts a feeder of `bytes` bytes of `len`-byte lines (rounded down to whole lines) on
/// a port of its own: the address to connect to, and the number of lines it sends.
fn feeder(len: usize, bytes: usize) -> (SocketAddr, usize, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut line = vec![b'x'; len - 1];
    line.push(b'\n');
    let per_write = (64 * 1024 / len).max(1);
    let writes = (bytes / len / per_write).max(1);
    let chunk = line.repeat(per_write);
    let feeder = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        for _ in 0..writes {
            if conn.write_all(&chunk).is_err() {
                return; // The reader gave up; it reports why.
            }
        }
    });
    (addr, writes * per_write, feeder)
}

/// Connects to a new feeder, reads every line with `read`, and returns ns per line.
fn measure(len: usize, bytes: usize, read: fn(SocketAddr) -> usize) -> f64 {
    let (addr, lines, feeder) = feeder(len, bytes);
    let start = Instant::now();
    let read_lines = read(addr);
    let elapsed = start.elapsed();
    feeder.join().unwrap();
    assert_eq!(read_lines, lines, "every line read, once");
    elapsed.as_nanos() as f64 / lines as f64
}

mod ours {
    use poll_loop::EventLoop;
    use poll_loop::streams::open_connection;

    /// Lines read until end of file.
    pub(super) fn read(addr: std::net::SocketAddr) -> usize {
        EventLoop::new()
            .block_on(async move {
                let (mut reader, _writer) = open_connection(addr).await.unwrap();
                let mut lines = 0;
                while !reader.readline().await.unwrap().is_empty() {
                    lines += 1;
                }
                lines
            })
            .unwrap()
    }
}

mod tokio_peer {
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::net::TcpStream;

    /// Lines read until end of file.
    pub(super) fn read(addr: std::net::SocketAddr) -> usize {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap()
            .block_on(async move {
                let mut reader = BufReader::new(TcpStream::connect(addr).await.unwrap());
                let mut lines = 0;
                loop {
                    let mut line = Vec::new();
                    if reader.read_until(b'\n', &mut line).await.unwrap() == 0 {
                        return lines;
                    }
                    lines += 1;
                }
            })
    }
}

/// asyncio's ns per line, reading from a feeder of its own.
fn asyncio(len: usize, bytes: usize) -> Measured {
    let (addr, lines, feeder) = feeder(len, bytes);
    let out = python::run(include_str!("peer.py"), "lines", &[addr.port()]);
    if out.is_err() {
        // The script never connected: let the feeder go.
        drop(std::net::TcpStream::connect(addr));
    }
    feeder.join().unwrap();
    let read = python::value(&out, "lines")?;
    if read != lines as f64 {
        return Err(format!("read {read} lines of {lines}"));
    }
    python::value(&out, "ns_per_line")
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let bytes = options.line_bytes;
    let mut rows: Vec<(&str, Vec<Measured>)> = vec![
        ("poll-loop streams readline", Vec::new()),
        ("tokio BufReader::read_until", Vec::new()),
        ("Python asyncio readline", Vec::new()),
    ];
    for len in LENGTHS {
        let (mut ours, mut tokio) = (Vec::new(), Vec::new());
        for _ in 0..options.rounds {
            // Interleaved, so that load elsewhere hits both alike.
            ours.push(measure(len, bytes, ours::read));
            tokio.push(measure(len, bytes, tokio_peer::read));
        }
        rows[0].1.push(percentile(&ours, 0.5));
        rows[1].1.push(percentile(&tokio, 0.5));
        rows[2].1.push(if options.judged {
            asyncio(len, bytes / 4)
        } else {
            Err("not in a smoke run".to_string())
        });
    }
    let mut notes = vec![format!(
        "{} MiB of lines a round (asyncio: a quarter), sent by a thread with blocking sockets, 64 KiB a write; medians of {} rounds. ratio = peer / poll-loop (above 1: the peer takes longer).",
        bytes >> 20,
        options.rounds
    )];
    // A peer that could not run fails alike for every length: its first column says why.
    notes.extend(failures(
        rows.iter()
            .map(|(name, values)| (*name, "10-byte lines", &values[0])),
    ));
    Table {
        title: "5. Reading lines until end of file, ns per line".to_string(),
        columns: &[
            "reader",
            "10-byte lines",
            "ratio",
            "100-byte",
            "ratio",
            "1000-byte",
            "ratio",
        ],
        rows: rows
            .iter()
            .map(|(name, values)| {
                let mut row = vec![name.to_string()];
                for (i, value) in values.iter().enumerate() {
                    row.push(num(value, 0));
                    row.push(ratio(value, &rows[0].1[i]));
                }
                row
            })
            .collect(),
        notes,
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    // No target: where the streams stand.
    let per_peer: Vec<String> = rows
        .iter()
        .map(|(name, values)| {
            let values: Vec<String> = values.iter().map(|value| num(value, 0)).collect();
            format!("{name} {}", values.join("/"))
        })
        .collect();
    vec![Check::report(format!(
        "ns a line for 10/100/1000-byte lines: {}",
        per_peer.join("; ")
    ))]
}
