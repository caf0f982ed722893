//! Python's `concurrent.futures.Future` as a peer: `peer.py`, run with `python3 -c`.

use std::collections::HashMap;
use std::process::Command;

use crate::Measured;

const SCRIPT: &str = include_str!("peer.py");

/// The row name of Python's peer.
pub(crate) const NAME: &str = "Python concurrent.futures.Future";

/// Runs `peer.py <mode> <args>` and returns the `key value` lines it printed.
pub(crate) fn run(mode: &str, args: &[usize]) -> Result<HashMap<String, f64>, String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(mode)
        .args(args.iter().map(usize::to_string))
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "python3 failed: {}",
            stderr.lines().last().unwrap_or("")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(' ')?;
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect())
}

/// One value of a run's output.
pub(crate) fn value(output: &Result<HashMap<String, f64>, String>, key: &str) -> Measured {
    match output {
        Ok(values) => values
            .get(key)
            .copied()
            .ok_or_else(|| format!("peer.py printed no {key}")),
        Err(e) => Err(e.clone()),
    }
}
