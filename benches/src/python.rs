//! A Python peer: the benchmark's own `peer.py`, run with `python3 -c`.
//!
//! The script takes a mode and numbers as its arguments and prints its measurements as
//! `key value` lines on stdout. Without `python3` on the `PATH`, or when the script
//! fails, every value reads n/a with the reason.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};

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
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// The `key value` lines of `stdout`; other lines are skipped. (The net benchmark's
/// load generator reports this way too.)
pub fn parse(stdout: &str) -> HashMap<String, f64> {
    stdout
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(' ')?;
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// A run of `peer.py` in the background: a server that prints a first `key value` line
/// (its port) while it starts, serves while something else measures it, then prints its
/// own measurements when it stops.
#[derive(Debug)]
pub struct Background {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Background {
    /// Starts `peer.py <mode> <args>`, given the script's text.
    pub fn start(peer_py: &str, mode: &str, args: &[impl ToString]) -> Result<Background, String> {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(peer_py)
            .arg(mode)
            .args(args.iter().map(ToString::to_string))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("python3: {e}"))?;
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Background { child, stdout })
    }

    /// Waits for the next line, which must be `key value`; if the script ends first,
    /// why (the last line of its stderr).
    pub fn first_value(&mut self, key: &str) -> Measured {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        match line.trim_end().split_once(' ') {
            Some((k, value)) if k == key => value
                .parse()
                .map_err(|_| format!("peer.py printed {line:?}")),
            _ => Err(self.failure()),
        }
    }

    /// Waits for the script to end, and returns the `key value` lines it printed since
    /// [`first_value`](Background::first_value).
    pub fn finish(mut self) -> Output {
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        match self.child.wait() {
            Ok(status) if status.success() => Ok(parse(&rest)),
            _ => Err(self.failure()),
        }
    }

    /// Kills the script (if it still runs) and returns why it failed.
    fn failure(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        format!(
            "python3 failed: {}",
            stderr.lines().last().unwrap_or("no output")
        )
    }
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

    #[test]
    fn lines_that_are_not_key_value_are_skipped() {
        let values = parse("port 8080\nhello\nrate 1.5e3\nbad x\n");
        assert_eq!(values.len(), 2);
        assert_eq!(values["rate"], 1500.0);
    }
}
