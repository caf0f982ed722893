//! Memory per future: a fresh child process (this benchmark, run again with
//! `--heap-child=<scenario>:<peer>`) makes N futures, holds them all, and reports its
//! peak resident-set growth divided by N. That counts what the allocator really spends,
//! headers and rounding included, and leaves the timed runs free of any counting
//! allocator. Linux only (`/proc/self/status`); elsewhere the column reads n/a.

use std::hint::black_box;
use std::process::Command;

use benches::Measured;

pub(crate) const CHILD_FLAG: &str = "--heap-child=";

/// Runs a child that builds `n` futures of `scenario`'s peer number `peer`, and returns
/// its bytes per future.
pub(crate) fn probe(scenario: &str, peer: usize, n: usize) -> Measured {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg(format!("{CHILD_FLAG}{scenario}:{peer}"))
        .arg(n.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.trim().parse() {
        Ok(bytes) if out.status.success() => Ok(bytes),
        _ => Err(format!(
            "heap probe failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The child's side: prints the bytes per future, or fails.
pub(crate) fn child_main(which: &str, args: &[String]) {
    let n: usize = args
        .iter()
        .find_map(|arg| arg.parse().ok())
        .expect("usage: --heap-child=<scenario>:<peer> <n>");
    let (scenario, peer) = which.split_once(':').expect("<scenario>:<peer>");
    let peer: usize = peer.parse().expect("a peer number");
    let bytes = match scenario {
        "lifecycle" => crate::lifecycle::hold(peer, n),
        "callbacks" => crate::callbacks::hold(peer, n),
        _ => Err(format!("no scenario {scenario}")),
    };
    match bytes {
        Ok(bytes) => println!("{bytes}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// Holds `n` values from `make` at once; bytes of peak resident-set growth per value.
/// Meaningful only in a fresh process.
pub(crate) fn held_bytes<H>(n: usize, make: impl Fn(usize) -> H) -> Measured {
    // The slots are written (their pages resident) before the baseline.
    let mut held: Vec<Option<H>> = (0..n).map(|_| None).collect();
    let before = status_kb("VmRSS")?;
    for (i, slot) in held.iter_mut().enumerate() {
        *slot = Some(make(i));
    }
    let peak = status_kb("VmHWM")?;
    black_box(&held);
    Ok(peak.saturating_sub(before) as f64 * 1024.0 / n as f64)
}

/// A `kB` line of `/proc/self/status`.
fn status_kb(key: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {key} in /proc/self/status"))
}
