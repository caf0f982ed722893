//! Formats what a run printed and why it failed.

use std::fmt::Write;

use crate::matcher::Failure;
use crate::run::Run;

/// How many stderr lines a failure report shows.
const STDERR_TAIL: usize = 20;

/// The `(4.02 s, cpu 1%)` part of a status line.
pub(crate) fn stats(run: &Run) -> String {
    let cpu = match run.cpu_use() {
        Some(cpu) => format!("cpu {:.0}%", cpu.share() * 100.0),
        None => "cpu not measured".into(),
    };
    format!("({:.2} s, {cpu})", run.wall.as_secs_f64())
}

/// The observed output, each line with its arrival time and the failures about it, then
/// the failures about no line, then the tail of stderr. `transcript` names the file for
/// `file:line` references.
pub(crate) fn failure_report(transcript: &str, run: &Run, failures: &[Failure]) -> String {
    let mut out = String::new();
    let rule = |f: &Failure| match f.rule {
        Some(line) => format!("{transcript}:{line}: {}", f.kind),
        None => format!("{transcript}: {}", f.kind),
    };
    if run.lines.is_empty() {
        out.push_str("  (no output on stdout)\n");
    } else {
        out.push_str("  output (seconds since start):\n");
    }
    for (index, line) in run.lines.iter().enumerate() {
        let _ = writeln!(out, "  {:>8.3}s  {}", line.at.as_secs_f64(), line.text);
        for f in failures.iter().filter(|f| f.observed == Some(index)) {
            let _ = writeln!(out, "             ^ {}", rule(f));
        }
    }
    let general: Vec<&Failure> = failures.iter().filter(|f| f.observed.is_none()).collect();
    if !general.is_empty() {
        out.push_str("  after the output:\n");
        for f in general {
            let _ = writeln!(out, "    {}", rule(f));
        }
    }
    let stderr = String::from_utf8_lossy(&run.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    if lines.is_empty() {
        out.push_str("  (nothing on stderr)\n");
    } else {
        let tail = &lines[lines.len().saturating_sub(STDERR_TAIL)..];
        let _ = writeln!(
            out,
            "  stderr (last {} of {} lines):",
            tail.len(),
            lines.len()
        );
        for line in tail {
            let _ = writeln!(out, "    | {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::matcher::{Exit, Kind, Stamped};

    #[test]
    fn annotates_failing_lines_with_their_rule() {
        let run = Run {
            lines: vec![
                Stamped {
                    at: Duration::from_millis(1),
                    text: "Start Sync".into(),
                },
                Stamped {
                    at: Duration::from_millis(1003),
                    text: "Fist Call".into(),
                },
            ],
            stderr: b"warning: something\n".to_vec(),
            exit: Exit::Code(0),
            wall: Duration::from_millis(4020),
            cpu: Some(Duration::from_millis(40)),
        };
        let failures = [
            Failure {
                rule: Some(7),
                observed: Some(1),
                kind: Kind::Text {
                    expected: "\"First Call\"".into(),
                    actual: "Fist Call".into(),
                },
            },
            Failure {
                rule: Some(8),
                observed: None,
                kind: Kind::Missing {
                    expected: "\"Second Call\"".into(),
                },
            },
        ];
        let report = failure_report("demo.transcript", &run, &failures);
        let expected = "  output (seconds since start):
     0.001s  Start Sync
     1.003s  Fist Call
             ^ demo.transcript:7: text mismatch: expected \"First Call\", got \"Fist Call\"
  after the output:
    demo.transcript:8: missing line: expected \"Second Call\", but the output ended
  stderr (last 1 of 1 lines):
    | warning: something
";
        assert_eq!(report, expected);
        assert_eq!(stats(&run), "(4.02 s, cpu 1%)");
    }
}
