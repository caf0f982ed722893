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
    let expected = "  timeline of demo: wall 4.00 s, cpu 1%, threads 3
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
