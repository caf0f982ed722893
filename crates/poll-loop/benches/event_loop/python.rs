//! asyncio as a peer: `peer.py`, run with `python3 -c`.

use std::collections::HashMap;
use std::process::Command;

use crate::Measured;

const SCRIPT: &str = include_str!("peer.py");

/// The output of one run of `peer.py`: its `key value` lines, or why there are none.
pub(crate) type Output = Result<HashMap<String, f64>, String>;

/// Runs `peer.py <mode> <args>`, if `enabled`.
pub(crate) fn run(enabled: bool, mode: &str, args: &[u64]) -> Output {
    if !enabled {
        return Err("not run in this mode".to_string());
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(mode)
        .args(args.iter().map(u64::to_string))
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
pub(crate) fn value(output: &Output, key: &str) -> Measured {
    match output {
        Ok(values) => values
            .get(key)
            .copied()
            .ok_or_else(|| format!("peer.py printed no {key}")),
        Err(e) => Err(e.clone()),
    }
}
