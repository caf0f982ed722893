//! Formats what a run printed and why it failed.
//!
//! A report is bounded whatever the run printed: the first [`HEAD_LINES`] lines, then only
//! the lines that the first [`FAILURES_SHOWN`] failures are about, the rest counted.

use std::fmt::Write;

use crate::matcher::{Failure, Kind};
use crate::outcome::Run;
use crate::transcript::Transcript;

/// How many stderr lines a failure report shows.
const STDERR_TAIL: usize = 20;

/// How many lines from the start of the output a report shows.
pub(crate) const HEAD_LINES: usize = 50;

/// How many failures about lines, and how many about no line, a report shows in full.
pub(crate) const FAILURES_SHOWN: usize = 20;

/// Most characters of one line a report shows.
const LINE_CLIP: usize = 300;

/// What a caption or status line says of a measure that has no value: the OS cannot give
/// it, or it was not taken (a demo that ended before its first reading).
pub(crate) fn not_measured(on_this_os: bool) -> &'static str {
    if on_this_os {
        "not measured"
    } else {
        "not measured on this OS"
    }
}

/// The `(4.02 s, cpu 1%)` part of a status line; where this OS cannot measure what a rule
/// of `transcript` is about, it says so and names the rules not checked:
/// `(4.02 s, cpu not measured on this OS; not checked: `cpu max 5%`)`.
pub(crate) fn stats(run: &Run, transcript: &Transcript) -> String {
    let cpu = match run.cpu_use() {
        Some(cpu) => format!("cpu {:.0}%", cpu.share() * 100.0),
        None => format!("cpu {}", not_measured(run.measured.cpu)),
    };
    let unchecked = unchecked(run, transcript);
    let unchecked = if unchecked.is_empty() {
        String::new()
    } else {
        format!("; not checked: {}", unchecked.join(", "))
    };
    format!("({:.2} s, {cpu}{unchecked})", run.wall.as_secs_f64())
}

/// The rules of `transcript` about what the OS `run` ran on cannot measure, as written
/// (`` `threads max 1` ``): neither passed nor failed.
pub(crate) fn unchecked(run: &Run, transcript: &Transcript) -> Vec<String> {
    let m = run.measured;
    let mut out = Vec::new();
    if !m.cpu {
        if let Some(max) = transcript.cpu_max {
            out.push(format!("`cpu max {}%`", max.value));
        }
        if let Some(min) = transcript.cpu_min {
            out.push(format!("`cpu min {}%`", min.value));
        }
    }
    if let (false, Some(max)) = (m.threads, transcript.threads_max) {
        out.push(format!("`threads max {}`", max.value));
    }
    if let (false, Some(max)) = (m.rss, transcript.rss_max) {
        out.push(format!("`rss max {}`", bytes(max.value)));
    }
    out
}

/// A byte count as a transcript writes it: `64MiB`, `512KiB`, `100`.
fn bytes(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

/// The observed output, each line with its arrival time and the failures about it, then
/// the failures about no line, then the tail of stderr. `transcript` names the file for
/// `file:line` references. Bytes that are not UTF-8 show as `\xNN`, control characters
/// escaped.
pub(crate) fn failure_report(transcript: &str, run: &Run, failures: &[Failure]) -> String {
    let mut out = String::new();
    let rule = |f: &Failure| match f.rule {
        Some(line) => format!("{transcript}:{line}: {}", f.kind),
        None => format!("{transcript}: {}", f.kind),
    };

    let mut about_lines: Vec<&Failure> = failures.iter().filter(|f| f.observed.is_some()).collect();
    let hidden = about_lines.len().saturating_sub(FAILURES_SHOWN);
    about_lines.truncate(FAILURES_SHOWN);
    about_lines.sort_by_key(|f| f.observed);
    let count = run.lines.len();
    let mut shown: Vec<usize> = (0..count.min(HEAD_LINES)).collect();
    shown.extend(about_lines.iter().filter_map(|f| f.observed));
    shown.sort_unstable();
    shown.dedup();

    if run.lines.is_empty() {
        out.push_str("  (no output on stdout)\n");
    } else {
        out.push_str("  output (seconds since start):\n");
    }
    let mut marks = about_lines.iter().peekable();
    let mut next = 0;
    for &index in &shown {
        if index > next {
            let _ = writeln!(out, "           … {} lines not shown", index - next);
        }
        next = index + 1;
        let line = &run.lines[index];
        let _ = write!(
            out,
            "  {:>8.3}s  {}",
            line.at.as_secs_f64(),
            printable(&line.text)
        );
        if index + 1 == count && run.unterminated {
            out.push_str("  (no newline at the end)");
        }
        out.push('\n');
        while let Some(f) = marks.next_if(|f| f.observed == Some(index)) {
            let _ = writeln!(out, "             ^ {}", rule(f));
        }
    }
    if count > next {
        let _ = writeln!(
            out,
            "           … {} more lines ({count} in all)",
            count - next
        );
    }
    if hidden > 0 {
        let _ = writeln!(out, "  … and {hidden} more failures about lines, not shown");
    }

    // Failures about no line: the run's own (timeout, exit, cpu, …) before missing lines,
    // which can be many.
    let mut general: Vec<&Failure> = failures.iter().filter(|f| f.observed.is_none()).collect();
    general.sort_by_key(|f| matches!(f.kind, Kind::Missing { .. }));
    if !general.is_empty() {
        out.push_str("  after the output:\n");
        for f in general.iter().take(FAILURES_SHOWN) {
            let _ = writeln!(out, "    {}", rule(f));
        }
        if general.len() > FAILURES_SHOWN {
            let _ = writeln!(
                out,
                "    … and {} more, not shown",
                general.len() - FAILURES_SHOWN
            );
        }
    }

    let stderr = String::from_utf8_lossy(&run.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    if lines.is_empty() {
        out.push_str("  (nothing on stderr)\n");
    } else {
        let tail = &lines[lines.len().saturating_sub(STDERR_TAIL)..];
        if run.stderr_total > run.stderr.len() as u64 {
            let _ = writeln!(
                out,
                "  stderr (last {} lines; {} bytes in all, the last {} kept):",
                tail.len(),
                run.stderr_total,
                run.stderr.len()
            );
        } else {
            let _ = writeln!(
                out,
                "  stderr (last {} of {} lines):",
                tail.len(),
                lines.len()
            );
        }
        for line in tail {
            let _ = writeln!(out, "    | {}", printable(line.as_bytes()));
        }
    }
    out
}

/// `bytes` for a terminal: UTF-8 as it is, other bytes as `\xNN`, control characters
/// escaped (`\u{1b}`), at most [`LINE_CLIP`] characters.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if chars == LINE_CLIP {
                let _ = write!(out, "… ({} bytes in all)", bytes.len());
                return out;
            }
            chars += 1;
            if c.is_control() && c != '\t' {
                let _ = write!(out, "{}", c.escape_debug());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            chars += 1;
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::outcome::{Exit, Stamped};

    #[test]
    fn annotates_failing_lines_with_their_rule() {
        let mut run = Run::made_up(
            vec![
                Stamped {
                    at: Duration::from_millis(1),
                    text: "Start Sync".into(),
                },
                Stamped {
                    at: Duration::from_millis(1003),
                    text: "Fist Call".into(),
                },
            ],
            Exit::Code(0),
        );
        run.stderr = b"warning: something\n".to_vec();
        run.stderr_total = run.stderr.len() as u64;
        run.wall = Duration::from_millis(4020);
        run.cpu = Some(Duration::from_millis(40));
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
        let transcript = crate::transcript::parse("cpu max 5%\nthreads max 1\n\"a\"").unwrap();
        assert_eq!(stats(&run, &transcript), "(4.02 s, cpu 1%)");
    }

    #[test]
    fn what_this_os_cannot_measure_is_neither_passed_nor_failed() {
        use crate::outcome::Measured;
        let transcript =
            crate::transcript::parse("cpu max 5%\ncpu min 1%\nthreads max 1\nrss max 64MiB\n\"a\"")
                .unwrap();
        let mut run = Run::made_up(Vec::new(), Exit::Code(0));
        run.wall = Duration::from_millis(1500);
        run.measured = Measured::NONE;
        assert_eq!(
            stats(&run, &transcript),
            "(1.50 s, cpu not measured on this OS; not checked: `cpu max 5%`, \
             `cpu min 1%`, `threads max 1`, `rss max 64MiB`)"
        );
        // A macOS or BSD run: the CPU time is measured, the rest not.
        run.measured = Measured {
            cpu: true,
            ..Measured::NONE
        };
        run.cpu = Some(Duration::from_millis(15));
        assert_eq!(
            stats(&run, &transcript),
            "(1.50 s, cpu 1%; not checked: `threads max 1`, `rss max 64MiB`)"
        );
        // Measured everywhere, but missing (a demo that ended before its first reading).
        run.measured = Measured::ALL;
        run.cpu = None;
        assert_eq!(stats(&run, &transcript), "(1.50 s, cpu not measured)");
        assert!(unchecked(&run, &transcript).is_empty());
        assert_eq!(bytes(512 << 10), "512KiB");
        assert_eq!(bytes(3 << 30), "3GiB");
        assert_eq!(bytes(1000), "1000");
    }

    #[test]
    fn a_hundred_thousand_lines_where_one_is_expected_give_a_bounded_report() {
        // Used to take ~75 s and write 11 MB: every line was checked against every failure.
        let lines: Vec<Stamped> = (0..100_000)
            .map(|i| Stamped {
                at: Duration::from_micros(i),
                text: format!("line {i}").into_bytes(),
            })
            .collect();
        let transcript = crate::transcript::parse("\"line 0\"").unwrap();
        let run = Run::made_up(lines, Exit::Code(0));
        let started = std::time::Instant::now();
        let failures = crate::matcher::check(&transcript, &run, 1.0).unwrap_err();
        assert_eq!(failures.len(), 99_999);
        let report = failure_report("t.transcript", &run, &failures);
        // A generous bound: the old report took over a minute.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert!(report.len() < 20_000, "{} bytes", report.len());
        assert!(
            report.contains("… 99950 more lines (100000 in all)"),
            "{report}"
        );
        assert!(report.contains("… and 99979 more failures about lines, not shown"));
        assert_eq!(report.matches("extra line").count(), FAILURES_SHOWN);
    }

    #[test]
    fn lines_past_the_head_are_shown_only_where_a_failure_is() {
        let lines: Vec<Stamped> = (0..1000)
            .map(|i| Stamped {
                at: Duration::from_millis(i),
                text: format!("{i}").into_bytes(),
            })
            .collect();
        let run = Run::made_up(lines, Exit::Code(0));
        let failures = [Failure {
            rule: Some(3),
            observed: Some(700),
            kind: Kind::Extra,
        }];
        let report = failure_report("t", &run, &failures);
        assert!(
            report.contains(
                "           … 650 lines not shown\n     0.700s  700\n             ^ t:3: extra line"
            ),
            "{report}"
        );
        assert!(report.contains("… 299 more lines (1000 in all)"));
    }

    #[test]
    fn bytes_that_are_not_utf8_and_a_missing_last_newline_are_shown() {
        let mut run = Run::made_up(
            vec![Stamped {
                at: Duration::from_millis(5),
                text: b"a\xff\x1b[31m\tb".to_vec(),
            }],
            Exit::Code(0),
        );
        run.unterminated = true;
        let failures = [Failure {
            rule: Some(1),
            observed: Some(0),
            kind: Kind::NotUtf8,
        }];
        let report = failure_report("t", &run, &failures);
        assert!(
            report.contains("     0.005s  a\\xff\\u{1b}[31m\tb  (no newline at the end)\n"),
            "{report}"
        );
        assert_eq!(
            printable(&[b'x'; 1000]).chars().count(),
            LINE_CLIP + "… (1000 bytes in all)".chars().count()
        );
    }

    #[test]
    fn a_cut_stderr_says_how_much_it_had() {
        let mut run = Run::made_up(Vec::new(), Exit::Code(1));
        run.stderr = b"end\n".to_vec();
        run.stderr_total = 70_000;
        let report = failure_report("t", &run, &[]);
        assert!(
            report.contains("stderr (last 1 lines; 70000 bytes in all, the last 4 kept):"),
            "{report}"
        );
    }
}
