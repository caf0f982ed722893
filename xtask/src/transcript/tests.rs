//! The parser on good transcripts and on each kind of mistake, with its line.

use super::*;

const WAIT_AND_PRINT: &str = r#"# Example 1a: sync calls queue up, async calls overlap.
exit 0
timeout 15s
cpu max 20%

"Start Sync"          at 0.0..0.3
"First Call"          at 1.0..1.4
"Second Call"         at 2.0..2.4
"Third Call"          at 3.0..3.4
"End Sync"
origin "Start Async"  # times below count from this line
"End Async"           at 0.0..0.2
unordered spread 0.5 {
"First Call"      at 1.0..1.4
"Second Call"     at 1.0..1.4
"Third Call"      at 1.0..1.4
}
"#;

fn error(source: &str) -> (usize, String) {
    let e = parse(source).expect_err("should not parse");
    (e.line, e.message)
}

fn assert_error(source: &str, line: usize, needle: &str) {
    let (got_line, message) = error(source);
    assert_eq!(got_line, line, "wrong line for {message:?}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[test]
fn parses_the_wait_and_print_transcript() {
    let t = parse(WAIT_AND_PRINT).unwrap();
    assert_eq!(
        t.exit,
        Directive {
            value: 0,
            line: Some(2)
        }
    );
    assert_eq!(t.timeout.value, Duration::from_secs(15));
    assert_eq!(t.timeout.line, Some(3));
    assert_eq!(
        t.cpu_max,
        Some(Directive {
            value: 20.0,
            line: Some(4)
        })
    );
    assert_eq!(t.items.len(), 8);
    let Item::Line(first) = &t.items[0] else {
        panic!()
    };
    assert_eq!(first.line, 6);
    assert_eq!(first.window, Some(Window { lo: 0.0, hi: 0.3 }));
    let Item::Line(end_sync) = &t.items[4] else {
        panic!()
    };
    assert_eq!(end_sync.window, None);
    let Item::Line(origin) = &t.items[5] else {
        panic!()
    };
    assert!(origin.origin);
    assert!(origin.pattern.matches("Start Async"));
    let Item::Group(group) = &t.items[7] else {
        panic!()
    };
    assert_eq!(group.line, 13);
    assert_eq!(group.spread, Some(0.5));
    assert_eq!(group.members.len(), 3);
    assert_eq!(group.members[2].line, 16);
}

#[test]
fn defaults_apply_without_a_header() {
    let t = parse("\"only\"\n").unwrap();
    assert_eq!(
        t.exit,
        Directive {
            value: 0,
            line: None
        }
    );
    assert_eq!(
        t.timeout,
        Directive {
            value: DEFAULT_TIMEOUT,
            line: None
        }
    );
    assert_eq!(t.cpu_max, None);
    assert_eq!(parse("").unwrap().items, vec![]);
}

#[test]
fn comments_stop_at_hash_outside_quotes_only() {
    let t = parse("  \"a # b\\\" \\\\\"  # a comment \"x\"\n# \"y\"\n").unwrap();
    let Item::Line(e) = &t.items[0] else { panic!() };
    assert!(e.pattern.matches("a # b\" \\"));
    assert_eq!(t.items.len(), 1);
}

#[test]
fn durations_and_percentages() {
    let t = parse("timeout 500ms\ncpu max 2.5%\nexit 3\n").unwrap();
    assert_eq!(t.timeout.value, Duration::from_millis(500));
    assert_eq!(t.cpu_max.unwrap().value, 2.5);
    assert_eq!(t.exit.value, 3);
    assert_eq!(
        parse("timeout 1.5s").unwrap().timeout.value,
        Duration::from_millis(1500)
    );
}

#[test]
fn header_errors_name_their_line() {
    assert_error(
        "exit 0\n\ntimeout 1s\nexit 1\n",
        4,
        "duplicate `exit` (first set at line 1)",
    );
    assert_error("cpu max 1%\ncpu max 2%", 2, "duplicate `cpu max`");
    assert_error("cpu min 1%\ncpu min 2%", 2, "duplicate `cpu min`");
    assert_error("\"a\"\ntimeout 5s\n", 2, "before the first expectation");
    assert_error("timeout 15\n", 1, "not a duration");
    assert_error("timeout 0s\n", 1, "longer than zero");
    assert_error("timeout\n", 1, "followed by a duration");
    assert_error("exit zero\n", 1, "not an exit code");
    assert_error("cpu 20%\n", 1, "followed by `max` or `min`");
    assert_error("cpu max 20\n", 1, "not a percentage");
    assert_error("exit 0 1\n", 1, "unexpected `1` after `exit`");
}

#[test]
fn expectation_errors_name_their_line() {
    assert_error("\n\"a\" at 1..\n", 2, "not a window");
    assert_error("\"a\" at inf..1\n", 1, "not a window");
    assert_error("\"a\" at 2..1\n", 1, "is empty");
    assert_error("\"a\" at\n", 1, "followed by a window");
    assert_error("\"a\" 1.0..2.0\n", 1, "unexpected `1.0..2.0`");
    assert_error("\"a\" at 1..2 x\n", 1, "unexpected `x` after the window");
    assert_error("\"a\"\n\"b\n", 2, "unterminated string");
    assert_error("\"a\\n\"\n", 1, "unknown escape `\\n`");
    assert_error("\"{'Value': 3}\"\n", 1, "write `{{`");
    assert_error("Start Sync\n", 1, "unexpected `Start`");
    assert_error("origin\n", 1, "followed by a quoted line");
}

#[test]
fn group_errors_name_their_line() {
    assert_error(
        "unordered {\n  origin \"a\"\n}\n",
        2,
        "inside an `unordered` group",
    );
    assert_error(
        "unordered {\n\"a\"\nunordered {\n",
        3,
        "do not nest (the group opened at line 1",
    );
    assert_error("\"x\"\n\nunordered {\n\"a\"\n", 3, "never closed");
    assert_error("\"a\"\n}\n", 2, "without an open");
    assert_error("unordered {\n}\n", 2, "is empty");
    assert_error(
        "unordered {\n\"a\" }\n",
        2,
        "unexpected `}` after the quoted line",
    );
    assert_error("unordered\n", 1, "expected `{`");
    assert_error("unordered spread {\n", 1, "followed by seconds");
    assert_error("unordered spread 1 { \"a\"\n", 1, "unexpected the string");
    assert_error("unordered {\n\"a\"\n} x\n", 3, "its own line");
    assert_error(
        "unordered {\n\"a\"\nexit 1\n}\n",
        3,
        "before the first expectation",
    );
}

#[test]
fn cpu_min_and_max_are_two_directives() {
    let t = parse("cpu max 105%\ncpu min 30%\n").unwrap();
    assert_eq!(t.cpu_max.unwrap().value, 105.0);
    assert_eq!(
        t.cpu_min,
        Some(Directive {
            value: 30.0,
            line: Some(2)
        })
    );
}

#[test]
fn unrepresentable_timeouts_are_line_errors_not_panics() {
    // Too large for a `Duration`: `Duration::from_secs_f64` used to panic here.
    assert_error("timeout 100000000000000000000s\n", 1, "too long");
    // Fits a `Duration`, but no `Instant` lies that far ahead.
    assert_error("exit 0\ntimeout 10000000000000000000s\n", 2, "too long");
    assert_error("timeout 86401s\n", 1, "at most 86400s");
    assert_eq!(parse("timeout 86400s").unwrap().timeout.value, MAX_TIMEOUT);
    // Rounds to zero nanoseconds.
    assert_error("timeout 0.0000000001s\n", 1, "longer than zero");
    // 400 digits parse to infinity as an `f64`.
    let huge = "9".repeat(400);
    assert_error(&format!("\"a\" at 0..{huge}\n"), 1, "not a window");
    assert_error(&format!("cpu max {huge}%\n"), 1, "not a percentage");
    assert_error(&format!("timeout {huge}s\n"), 1, "not a duration");
}

#[test]
fn exit_codes_a_process_cannot_return_are_rejected() {
    assert_error("exit -1\n", 1, "from 0 to 255");
    assert_error("exit 256\n", 1, "from 0 to 255");
    assert_error("exit 99999999999\n", 1, "not an exit code");
    assert_eq!(parse("exit 255").unwrap().exit.value, 255);
}

#[test]
fn cpu_min_above_cpu_max_is_rejected() {
    assert_error(
        "cpu max 20%\ncpu min 50%\n",
        2,
        "`cpu min 50%` (line 2) is above `cpu max 20%` (line 1)",
    );
    assert_error("cpu min 50%\n\ncpu max 20%\n", 3, "no run can pass");
    assert!(parse("cpu min 20%\ncpu max 20%\n").is_ok());
}

#[test]
fn a_byte_order_mark_is_skipped_at_the_start_and_named_elsewhere() {
    let t = parse("\u{feff}exit 3\n\"a\"\n").unwrap();
    assert_eq!(t.exit.value, 3);
    assert_eq!(t.items.len(), 1);
    assert_error("exit 0\n\u{feff}timeout 1s\n", 2, "byte-order mark, U+FEFF");
    assert_error("\"a\"\n\u{feff}\"b\"\n", 2, "`\\u{feff}`");
}

#[test]
fn threads_max_and_rss_max_are_parsed() {
    let t = parse("threads max 1\nrss max 64MiB\n\"a\"\n").unwrap();
    assert_eq!(
        t.threads_max,
        Some(Directive {
            value: 1,
            line: Some(1)
        })
    );
    assert_eq!(
        t.rss_max,
        Some(Directive {
            value: 64 << 20,
            line: Some(2)
        })
    );
    assert_eq!(
        parse("rss max 512KiB").unwrap().rss_max.unwrap().value,
        512 << 10
    );
    assert_eq!(
        parse("rss max 2GiB").unwrap().rss_max.unwrap().value,
        2 << 30
    );
    assert_eq!(parse("").unwrap().threads_max, None);
}

#[test]
fn threads_max_and_rss_max_errors_name_their_line() {
    assert_error("threads 1\n", 1, "followed by `max`, as in `threads max 1`");
    assert_error("threads max\n", 1, "followed by a number of threads");
    assert_error("threads max 0\n", 1, "can never pass");
    assert_error("threads max -1\n", 1, "not a number of threads");
    assert_error(
        "threads max 1\nthreads max 2\n",
        2,
        "duplicate `threads max`",
    );
    assert_error("\"a\"\nthreads max 1\n", 2, "before the first expectation");
    assert_error("threads max 1 2\n", 1, "unexpected `2` after `threads max`");
    assert_error(
        "rss min 1MiB\n",
        1,
        "followed by `max`, as in `rss max 64MiB`",
    );
    assert_error("rss max 64\n", 1, "not a size like `64MiB`");
    assert_error("rss max 1.5MiB\n", 1, "not a size");
    assert_error("rss max 0MiB\n", 1, "can never pass");
    assert_error("rss max 99999999999999GiB\n", 1, "too large");
}
