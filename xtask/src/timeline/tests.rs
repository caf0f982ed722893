//! The text timeline on made-up runs.

use std::time::Duration;

use super::*;
use crate::matcher::judge;
use crate::outcome::{Exit, Stamped};
use crate::transcript::parse;

const SYNC_THEN_ASYNC: &str = r#"
"Start"          at 0.0..0.3
"First Call"     at 1.0..1.4
"Second Call"    at 2.0..2.4
origin "Go"
unordered {
    "A"          at 1.0..1.4
    "B"          at 1.0..1.4
}
"#;

fn made_up(lines: &[(f64, &str)], wall: f64) -> Run {
    let lines = lines
        .iter()
        .map(|&(at, text)| Stamped {
            at: Duration::from_secs_f64(at),
            text: text.into(),
        })
        .collect();
    let mut run = Run::made_up(lines, Exit::Code(0));
    run.wall = Duration::from_secs_f64(wall);
    run.cpu = Some(Duration::from_millis(40));
    run.usage.threads = Some(3);
    run.usage.rss_peak = Some(3 << 20);
    run
}

fn timeline(lines: &[(f64, &str)], wall: f64) -> Timeline {
    let run = made_up(lines, wall);
    let judgement = judge(&parse(SYNC_THEN_ASYNC).unwrap(), &run, 1.0);
    Timeline::new("demo", &run, &judgement)
}

#[test]
fn a_good_run_shows_the_staircase_and_the_stack() {
    let t = timeline(
        &[
            (0.0, "Start"),
            (1.0, "First Call"),
            (2.0, "Second Call"),
            (2.0, "Go"),
            (3.0, "B"),
            (3.0, "A"),
        ],
        4.0,
    );
    let text = t.text(false);
    let expected = "  timeline of demo: wall 4.00 s, cpu 1%, threads 3, rss 3.0 MiB
          +---------+---------+--------+---------+  0 to 4.00 s, + every 1 s
    0.000s*==]                                      Start
    1.000s          *===]                           First Call
    2.000s                    *==]                  Second Call
    2.000s                    *                     Go
    3.000s                             *===]       /B
    3.000s                             *===]       \\A
";
    assert_eq!(text, expected);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(!text.contains('\x1b'));
}

#[test]
fn failing_and_extra_lines_are_marked() {
    let t = timeline(
        &[
            (0.0, "Start"),
            (1.6, "First Call"),
            (2.0, "Second Call"),
            (2.0, "Go"),
            (3.0, "A"),
            (3.0, "B"),
            (3.5, "extra"),
        ],
        4.0,
    );
    assert!(t.rows[1].failed, "outside its window");
    assert!(!t.rows[2].failed);
    assert!(t.rows[6].failed, "no rule expects it");
    let text = t.text(false);
    let late = text.lines().nth(3).unwrap();
    assert!(late.contains("[===] X"), "{late}");
    // Colour only when asked: red for a failure.
    assert!(t.text(true).contains("\x1b[1;31mX\x1b[0m"));
}

#[test]
fn long_runs_and_long_lines_stay_within_80_columns() {
    let long = "x".repeat(500);
    let lines: Vec<(f64, &str)> = (0..100)
        .map(|i| (f64::from(i) * 0.1, long.as_str()))
        .collect();
    let t = timeline(&lines, 10.0);
    assert_eq!(t.rows.len(), MAX_ROWS);
    assert_eq!(t.more, 40);
    let text = t.text(false);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.ends_with("  … 40 more lines not drawn\n"));
    assert_eq!(t.tick(), 2.0);
}

#[test]
fn what_was_not_measured_says_so() {
    let mut run = made_up(&[(0.0, "Start")], 0.01);
    run.cpu = None;
    run.usage = crate::usage::Usage::default();
    let judgement = judge(&parse(SYNC_THEN_ASYNC).unwrap(), &run, 1.0);
    let t = Timeline::new("demo", &run, &judgement);
    assert_eq!(
        t.caption,
        "wall 0.01 s, cpu not measured, threads not measured, rss not measured"
    );
    assert!(t.cpu.is_empty() && t.threads.is_empty());

    // On an OS that cannot measure them, the caption says that instead.
    run.measured = crate::outcome::Measured {
        cpu: true,
        ..crate::outcome::Measured::NONE
    };
    run.cpu = Some(Duration::from_millis(20));
    run.wall = Duration::from_secs(2);
    let t = Timeline::new("demo", &run, &judgement);
    assert_eq!(
        t.caption,
        "wall 2.00 s, cpu 1%, threads not measured on this OS, rss not measured on this OS"
    );
}

#[test]
fn samples_become_a_cpu_strip_and_thread_steps() {
    use crate::usage::Sample;
    let mut run = made_up(&[(0.0, "Start"), (2.0, "Second Call")], 2.0);
    // Busy for the first second (10 ms of CPU each 10 ms), idle for the next; three threads
    // from 0.5 s to 1.5 s.
    run.samples = (0..=200)
        .map(|i| Sample {
            at: Duration::from_millis(i * 10),
            cpu: Some(Duration::from_millis(i.min(100) * 10)),
            threads: Some(if (50..150).contains(&i) { 3 } else { 1 }),
        })
        .collect();
    let judgement = judge(&parse(SYNC_THEN_ASYNC).unwrap(), &run, 1.0);
    let t = Timeline::new("demo", &run, &judgement);
    // In a terminal: a busy first half, an idle second; 1, then 3, then 1 thread.
    let text = t.text(false);
    let cpu = text
        .lines()
        .find(|l| l.trim_start().starts_with("cpu"))
        .unwrap();
    let threads = text
        .lines()
        .find(|l| l.trim_start().starts_with("threads"))
        .unwrap();
    assert!(
        cpu.contains(&"#".repeat(15)) && cpu.contains(&"_".repeat(15)),
        "{cpu}"
    );
    let steps: String = threads["  threads ".len()..]
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .collect();
    assert_eq!(steps, "131", "{threads}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert_eq!(t.threads, vec![(0.0, 1), (0.5, 3), (1.5, 1)]);
    assert_eq!(t.sampled_until, 2.0);
    assert!(t.cpu.len() >= 20, "{}", t.cpu.len());
    for s in &t.cpu {
        assert!(s.to - s.from >= 0.049, "{s:?}");
        let expected = if s.to <= 1.0 + 1e-9 {
            1.0
        } else if s.from >= 1.0 - 1e-9 {
            0.0
        } else {
            s.share
        };
        assert!((s.share - expected).abs() < 1e-6, "{s:?}");
    }
}
