//! A Python peer: the benchmark's own `peer.py`, run with `python3 -c`.
//!
//! The script takes a mode and numbers as its arguments and prints its measurements as
//! `key value` lines on stdout. Without `python3` on the `PATH`, or when the script
//! fails, every value reads n/a with the reason.

use std::collections::HashMap;
use std::process::Command;

use super::Measured;

/// The output of one run of `peer.py`: its `key value` lines, or why there are none.
pub type Output = Result<HashMap<String, f64>, String>;

/// Runs `peer.py <mode> <args>`, given the script's text (`include_str!("peer.py")`), and
/// returns the `key value` lines it printed.
pub fn run(peer_py: &str, mode: &str, args: &[impl ToString]) -> Output {
    let out = Command::new("python3")
        .arg("-c")
        .arg(peer_py)
        .arg(mode)
        .args(args.iter().map(ToString::to_string))
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
pub fn value(output: &Output, key: &str) -> Measured {
    match output {
        Ok(values) => values
            .get(key)
            .copied()
            .ok_or_else(|| format!("peer.py printed no {key}")),
        Err(e) => Err(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_key_value_lines() {
        let output: Output = Ok([("ns".to_string(), 1.5)].into());
        assert_eq!(value(&output, "ns"), Ok(1.5));
        assert_eq!(
            value(&output, "bytes"),
            Err("peer.py printed no bytes".into())
        );
        let failed: Output = Err("python3: not found".into());
        assert_eq!(value(&failed, "ns"), Err("python3: not found".into()));
    }
}
