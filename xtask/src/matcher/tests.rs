//! Made-up runs against the matcher: passes and each kind of failure.

use super::*;
use crate::outcome::CpuUse;
use crate::transcript::parse;

/// [`super::check`] on a made-up run with these lines, exit and CPU use.
fn check(
    transcript: &Transcript,
    lines: &[Stamped],
    exit: &Exit,
    cpu: Option<CpuUse>,
    scale: f64,
) -> Result<(), Vec<Failure>> {
    let mut run = Run::made_up(lines.to_vec(), exit.clone());
    if let Some(cpu) = cpu {
        run.cpu = Some(cpu.cpu);
        run.wall = cpu.wall;
    }
    super::check(transcript, &run, scale)
}

const WAIT_AND_PRINT: &str = r#"exit 0
timeout 15s
cpu max 20%
"Start Sync"          at 0.0..0.3
"First Call"          at 1.0..1.4
"Second Call"         at 2.0..2.4
"Third Call"          at 3.0..3.4
"End Sync"
origin "Start Async"
"End Async"           at 0.0..0.2
unordered spread 0.5 {
"First Call"      at 1.0..1.4
"Second Call"     at 1.0..1.4
"Third Call"      at 1.0..1.4
}
"#;

fn stamped(lines: &[(f64, &str)]) -> Vec<Stamped> {
    lines
        .iter()
        .map(|&(at, text)| Stamped {
            at: Duration::from_secs_f64(at),
            text: text.into(),
        })
        .collect()
}

/// What a correct wait-and-print run prints, with the async calls ending at `a`, `b`
/// and `c` seconds after `Start Async`.
fn wait_and_print(a: f64, b: f64, c: f64) -> Vec<Stamped> {
    stamped(&[
        (0.001, "Start Sync"),
        (1.002, "First Call"),
        (2.003, "Second Call"),
        (3.004, "Third Call"),
        (3.005, "End Sync"),
        (3.006, "Start Async"),
        (3.007, "End Async"),
        (3.006 + a, "First Call"),
        (3.006 + b, "Second Call"),
        (3.006 + c, "Third Call"),
    ])
}

/// A run of `wall` seconds that used `share` of it on the CPU.
fn cpu(share: f64, wall: f64) -> Option<CpuUse> {
    Some(CpuUse {
        cpu: Duration::from_secs_f64(share * wall),
        wall: Duration::from_secs_f64(wall),
    })
}

fn run(source: &str, lines: &[Stamped]) -> Result<(), Vec<Failure>> {
    let transcript = parse(source).unwrap();
    check(&transcript, lines, &Exit::Code(0), cpu(0.01, 4.0), 1.0)
}

/// The failures, as (rule line, observed index, kind) for compact assertions.
fn failures(result: Result<(), Vec<Failure>>) -> Vec<(Option<usize>, Option<usize>, Kind)> {
    result
        .expect_err("should fail")
        .into_iter()
        .map(|f| (f.rule, f.observed, f.kind))
        .collect()
}

#[test]
fn a_good_run_passes() {
    assert_eq!(
        run(WAIT_AND_PRINT, &wait_and_print(1.001, 1.001, 1.002)),
        Ok(())
    );
}

#[test]
fn group_lines_may_come_in_any_order() {
    let mut lines = wait_and_print(1.001, 1.001, 1.002);
    lines[7..].reverse();
    for (line, at) in lines[7..].iter_mut().zip([4.007, 4.008, 4.009]) {
        line.at = Duration::from_secs_f64(at);
    }
    assert_eq!(run(WAIT_AND_PRINT, &lines), Ok(()));
}

#[test]
fn wrong_text_fails_naming_the_rule() {
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines[1].text = "Fist Call".into();
    assert_eq!(
        failures(run(WAIT_AND_PRINT, &lines)),
        vec![(
            Some(5),
            Some(1),
            Kind::Text {
                expected: "\"First Call\"".into(),
                actual: "Fist Call".into()
            }
        )]
    );
    // Text is compared exactly: a trailing space is a difference.
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines[4].text = "End Sync ".into();
    assert_eq!(failures(run(WAIT_AND_PRINT, &lines)).len(), 1);
}

#[test]
fn wrong_order_of_fixed_lines_fails() {
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines.swap(4, 5);
    let got = failures(run(WAIT_AND_PRINT, &lines));
    let rules: Vec<_> = got.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(rules, vec![(Some(8), Some(4)), (Some(9), Some(5))]);
    assert!(got.iter().all(|f| matches!(f.2, Kind::Text { .. })));
}

#[test]
fn a_line_outside_its_window_fails() {
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines[2].at = Duration::from_secs_f64(2.5);
    assert_eq!(
        failures(run(WAIT_AND_PRINT, &lines)),
        vec![(
            Some(6),
            Some(2),
            Kind::Window {
                window: Window { lo: 2.0, hi: 2.4 },
                after: 2.5,
                origin: None
            }
        )]
    );
    // Windows after an origin count from it.
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines[6].at = Duration::from_secs_f64(3.306);
    let got = failures(run(WAIT_AND_PRINT, &lines));
    assert_eq!(got.len(), 1);
    let (rule, observed, Kind::Window { after, origin, .. }) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!((*rule, *observed, *origin), (Some(10), Some(6), Some(9)));
    assert!((after - 0.3).abs() < 1e-6);
}

#[test]
fn sequential_async_results_fail_window_and_spread() {
    // The "async" calls ran one after another: results at 1, 2 and 3 s.
    let got = failures(run(WAIT_AND_PRINT, &wait_and_print(1.001, 2.001, 3.001)));
    let window_rules: Vec<_> = got
        .iter()
        .filter(|f| matches!(f.2, Kind::Window { .. }))
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(window_rules, vec![(Some(13), Some(8)), (Some(14), Some(9))]);
    let spread = got
        .iter()
        .find(|f| matches!(f.2, Kind::Spread { .. }))
        .unwrap();
    assert_eq!(spread.0, Some(11));
    let Kind::Spread { limit, actual } = spread.2 else {
        unreachable!()
    };
    assert_eq!(limit, 0.5);
    assert!((actual - 2.0).abs() < 1e-6);
    assert_eq!(got.len(), 3);
}

#[test]
fn results_that_did_not_wait_fail() {
    // The demo forgot to wait: everything at once.
    let lines: Vec<_> = wait_and_print(0.0, 0.0, 0.0)
        .into_iter()
        .map(|mut l| {
            l.at = Duration::from_millis(2);
            l
        })
        .collect();
    let got = failures(run(WAIT_AND_PRINT, &lines));
    let windows: Vec<_> = got
        .iter()
        .filter(|f| matches!(f.2, Kind::Window { .. }))
        .map(|f| f.0.unwrap())
        .collect();
    assert_eq!(windows, vec![5, 6, 7, 12, 13, 14]);
    assert_eq!(got.len(), 6);
}

#[test]
fn overlapping_wildcards_in_a_group_are_matched_as_a_whole() {
    let source = "unordered {\n\"{*}\"\n\"{*}: 9}\"\n}\n";
    // A first fit would give the 9-line to "{*}" and leave "{*}: 9}" without a line.
    let lines = stamped(&[
        (0.1, "{'Value': 3, 'Result': 9}"),
        (0.1, "{'Value': 4, 'Result': 16}"),
    ]);
    assert_eq!(run(source, &lines), Ok(()));
    let mut swapped = lines.clone();
    swapped.reverse();
    assert_eq!(run(source, &swapped), Ok(()));
    // Neither line fits "{*}: 9}": one line is left over.
    let lines = stamped(&[(0.1, "x"), (0.1, "y")]);
    let got = failures(run(source, &lines));
    assert_eq!(got.len(), 1);
    assert!(
        matches!(&got[0], (Some(1), Some(_), Kind::Group { open, more: 0 }) if open == &["\"{*}: 9}\" (line 3)"])
    );
}

#[test]
fn windows_decide_which_member_takes_a_line() {
    // Same text, different windows: the late line must go to the late member.
    let source = "unordered {\n\"x\" at 0..10\n\"x\" at 0..1\n}\n";
    let lines = stamped(&[(0.5, "x"), (5.0, "x")]);
    assert_eq!(run(source, &lines), Ok(()));
    let lines = stamped(&[(5.0, "x"), (6.0, "x")]);
    let got = failures(run(source, &lines));
    assert!(
        matches!(got[..], [(Some(3), Some(_), Kind::Window { .. })]),
        "{got:?}"
    );
}

#[test]
fn a_foreign_line_in_a_group_fails() {
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines[8].text = "Second Cal".into();
    let got = failures(run(WAIT_AND_PRINT, &lines));
    assert_eq!(got.len(), 1);
    let (rule, observed, Kind::Group { open, more: 0 }) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!((*rule, *observed), (Some(11), Some(8)));
    assert_eq!(open, &["\"Second Call\" at 1.0..1.4 (line 13)"]);
}

#[test]
fn missing_lines_fail() {
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines.truncate(8);
    let got = failures(run(WAIT_AND_PRINT, &lines));
    let missing: Vec<_> = got
        .iter()
        .map(|f| (f.0, f.1, matches!(f.2, Kind::Missing { .. })))
        .collect();
    assert_eq!(
        missing,
        vec![(Some(13), None, true), (Some(14), None, true)]
    );

    let got = failures(run(WAIT_AND_PRINT, &lines[..3]));
    let rules: Vec<_> = got.iter().map(|f| f.0.unwrap()).collect();
    assert_eq!(rules, vec![7, 8, 9, 10, 12, 13, 14]);
    assert!(got.iter().all(|f| matches!(f.2, Kind::Missing { .. })));
}

#[test]
fn extra_lines_fail() {
    let mut lines = wait_and_print(1.001, 1.001, 1.001);
    lines.push(Stamped {
        at: Duration::from_secs(5),
        text: "Done".into(),
    });
    assert_eq!(
        failures(run(WAIT_AND_PRINT, &lines)),
        vec![(None, Some(10), Kind::Extra)]
    );
    assert_eq!(
        failures(run("", &lines[..1])),
        vec![(None, Some(0), Kind::Extra)]
    );
}

#[test]
fn exit_code_and_timeout_fail() {
    let transcript = parse(WAIT_AND_PRINT).unwrap();
    let lines = wait_and_print(1.001, 1.001, 1.001);
    let got = check(&transcript, &lines, &Exit::Code(101), None, 1.0).unwrap_err();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule, Some(1));
    assert_eq!(
        got[0].kind,
        Kind::Exit {
            expected: 0,
            actual: Exit::Code(101)
        }
    );

    let killed = Exit::Other("signal: 9 (SIGKILL)".into());
    let got = check(&transcript, &lines, &killed, None, 1.0).unwrap_err();
    assert!(matches!(got[0].kind, Kind::Exit { .. }));

    // Without a header line the default (exit 0) applies and no line is named.
    let bare = parse("\"a\"").unwrap();
    let a = stamped(&[(0.1, "a")]);
    let got = check(&bare, &a, &Exit::Code(1), None, 1.0).unwrap_err();
    assert_eq!(got[0].rule, None);
    assert_eq!(
        check(&parse("exit 3").unwrap(), &[], &Exit::Code(3), None, 1.0),
        Ok(())
    );

    let got = check(&transcript, &lines[..2], &Exit::TimedOut, None, 2.0).unwrap_err();
    let timeout = got
        .iter()
        .find(|f| matches!(f.kind, Kind::Timeout { .. }))
        .unwrap();
    assert_eq!(timeout.rule, Some(2));
    assert_eq!(
        timeout.kind,
        Kind::Timeout {
            limit: Duration::from_secs(30)
        }
    );
    assert!(got.iter().any(|f| matches!(f.kind, Kind::Missing { .. })));
}

#[test]
fn cpu_over_budget_fails() {
    let transcript = parse(WAIT_AND_PRINT).unwrap();
    let lines = wait_and_print(1.001, 1.001, 1.001);
    let got = check(&transcript, &lines, &Exit::Code(0), cpu(0.97, 4.0), 1.0).unwrap_err();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule, Some(3));
    assert!(
        matches!(got[0].kind, Kind::Cpu { max, actual } if max == 20.0 && (actual - 97.0).abs() < 1e-9)
    );
    assert_eq!(
        check(&transcript, &lines, &Exit::Code(0), cpu(0.2, 4.0), 1.0),
        Ok(())
    );
    // A run that ends at once may use up to CPU_ALLOWANCE, whatever its share.
    let quick = parse("cpu max 20%").unwrap();
    assert_eq!(
        check(&quick, &[], &Exit::Code(0), cpu(5.0, 0.02), 1.0),
        Ok(())
    );
    assert!(check(&quick, &[], &Exit::Code(0), cpu(1.0, 0.2), 1.0).is_err());
    // Not measured: the rule is skipped.
    assert_eq!(
        check(&transcript, &lines, &Exit::Code(0), None, 1.0),
        Ok(())
    );
    // No `cpu max`: no limit.
    let free = parse("\"Start Sync\"").unwrap();
    assert_eq!(
        check(&free, &lines[..1], &Exit::Code(0), cpu(1.9, 4.0), 1.0),
        Ok(())
    );
}

#[test]
fn time_scale_widens_upper_bounds_only() {
    let transcript = parse(WAIT_AND_PRINT).unwrap();
    // Slow machine: everything 60% late.
    let late: Vec<_> = wait_and_print(1.6, 1.6, 1.7)
        .into_iter()
        .map(|mut l| {
            l.at = l.at.mul_f64(1.5);
            l
        })
        .collect();
    assert!(check(&transcript, &late, &Exit::Code(0), None, 1.0).is_err());
    assert_eq!(check(&transcript, &late, &Exit::Code(0), None, 2.0), Ok(()));
    // Sequential results spread over 2 s: a scale of 2 does not excuse them.
    let sequential = wait_and_print(1.001, 2.001, 3.001);
    let got = check(&transcript, &sequential, &Exit::Code(0), None, 2.0).unwrap_err();
    assert!(
        got.iter()
            .any(|f| matches!(f.kind, Kind::Spread { limit, .. } if limit == 1.0))
    );
    assert!(got.iter().any(
        |f| matches!(f.kind, Kind::Window { window, .. } if window == Window { lo: 1.0, hi: 2.8 })
    ));
    // Early lines stay early however large the scale.
    let early = wait_and_print(0.0, 0.0, 0.0);
    let got = check(&transcript, &early, &Exit::Code(0), None, 100.0).unwrap_err();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|f| matches!(f.kind, Kind::Window { .. })));
}

#[test]
fn messages_name_what_went_wrong() {
    let k = Kind::Window {
        window: Window { lo: 1.0, hi: 2.8 },
        after: 0.0015,
        origin: Some(9),
    };
    assert_eq!(
        k.to_string(),
        "outside its window: arrived 0.002 s after the origin (line 9), window 1.000..2.800 s"
    );
    let k = Kind::Spread {
        limit: 0.0,
        actual: 0.000_012,
    };
    assert!(k.to_string().contains("over 12 µs, at most 0.000 s"), "{k}");
    let k = Kind::Spread {
        limit: 0.5,
        actual: 2.0,
    };
    assert!(k.to_string().contains("over 2.000 s, at most 0.500 s"));
    let k = Kind::Exit {
        expected: 0,
        actual: Exit::Code(101),
    };
    assert_eq!(
        k.to_string(),
        "wrong exit: expected exit code 0, got exit code 101"
    );
}

#[test]
fn lower_bounds_allow_for_a_late_origin_stamp() {
    // The origin was stamped 30 ms after the demo's timers started: their lines look early.
    let lines = wait_and_print(0.97, 0.97, 0.98);
    assert_eq!(run(WAIT_AND_PRINT, &lines), Ok(()));
    // Beyond the tolerance a line is early.
    let lines = wait_and_print(0.9, 1.001, 1.001);
    let got = failures(run(WAIT_AND_PRINT, &lines));
    assert!(
        matches!(got[..], [(Some(12), Some(7), Kind::Window { .. })]),
        "{got:?}"
    );
}

#[test]
fn cpu_under_its_minimum_fails() {
    let spinner = parse("cpu min 30%\n").unwrap();
    // Spinning: a core busy for the whole run.
    assert_eq!(
        check(&spinner, &[], &Exit::Code(0), cpu(0.99, 2.0), 1.0),
        Ok(())
    );
    // Sleeping instead: the rule fails, naming its line.
    let got = check(&spinner, &[], &Exit::Code(0), cpu(0.01, 2.0), 1.0).unwrap_err();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule, Some(1));
    assert!(
        matches!(got[0].kind, Kind::CpuBelow { min, actual } if min == 30.0 && (actual - 1.0).abs() < 1e-9)
    );
    // Not measured: skipped.
    assert_eq!(check(&spinner, &[], &Exit::Code(0), None, 1.0), Ok(()));
}

/// A deterministic shuffle (a linear congruential generator), so big tests need no crate.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.swap(i, (seed >> 33) as usize % (i + 1));
    }
}

/// A group of `members` (transcript strings) and lines of `texts`, all at 0.1 s.
fn big_group(members: &[String], texts: &[String]) -> Result<(), Vec<Failure>> {
    let mut source = String::from("unordered {\n");
    for m in members {
        source.push_str(m);
        source.push('\n');
    }
    source.push_str("}\n");
    let lines: Vec<Stamped> = texts
        .iter()
        .map(|t| Stamped {
            at: Duration::from_millis(100),
            text: t.clone().into_bytes(),
        })
        .collect();
    run(&source, &lines)
}

#[test]
fn a_group_of_twenty_thousand_wildcards_matches_fast() {
    // Took over two minutes with the old matching, which tried every member on every line.
    let members = vec!["\"{*}\"".to_owned(); 20_000];
    let texts: Vec<String> = (0..20_000).map(|i| format!("line {i}")).collect();
    assert_eq!(big_group(&members, &texts), Ok(()));
}

#[test]
fn a_group_of_exact_lines_and_wildcards_is_matched_as_a_whole() {
    // 5,000 exact lines, 5,000 "item {*}" and 5,000 "{*}", in shuffled order: a line that
    // a wildcard took first must sometimes move to make room.
    let mut members: Vec<String> = (0..5_000).map(|i| format!("\"exact {i}\"")).collect();
    members.extend(std::iter::repeat_n("\"{*}\"".to_owned(), 5_000));
    members.extend(std::iter::repeat_n("\"item {*}\"".to_owned(), 5_000));
    shuffle(&mut members, 1);
    let mut texts: Vec<String> = (0..5_000).map(|i| format!("exact {i}")).collect();
    texts.extend((0..5_000).map(|i| format!("item {i}")));
    texts.extend((0..5_000).map(|i| format!("other {i}")));
    shuffle(&mut texts, 2);
    assert_eq!(big_group(&members, &texts), Ok(()));

    // An "item" line replaced by one that only "{*}" takes: "{*}" has a line too many, and
    // the one open pattern is named.
    texts.retain(|t| t != "item 7");
    texts.push("nothing takes this".into());
    let got = failures(big_group(&members, &texts));
    assert_eq!(got.len(), 1, "{got:?}");
    let (Some(1), Some(_), Kind::Group { open, more: 0 }) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(open.len(), 1);
    assert!(open[0].starts_with("\"item {*}\" (line "), "{open:?}");
}

#[test]
fn a_foreign_group_of_thousands_of_lines_fails_in_bounded_form() {
    let members: Vec<String> = (0..10_000).map(|i| format!("\"want {i}\"")).collect();
    let texts: Vec<String> = (0..10_000).map(|i| format!("got {i}")).collect();
    let got = failures(big_group(&members, &texts));
    assert_eq!(got.len(), 10_000);
    let (_, _, Kind::Group { open, more }) = &got[9_999] else {
        panic!("{:?}", got[9_999])
    };
    assert_eq!((open.len(), *more), (OPEN_SHOWN, 10_000 - OPEN_SHOWN));
}

#[test]
fn output_that_is_not_utf8_never_passes() {
    // `a\xff` used to be decoded lossily to "a\u{fffd}" and pass both of these.
    let lines = vec![Stamped {
        at: Duration::from_millis(100),
        text: b"a\xff".to_vec(),
    }];
    for source in ["\"a\u{fffd}\"", "\"{*}\"", "unordered {\n\"{*}\"\n}"] {
        let got = failures(run(source, &lines));
        assert!(
            matches!(got[..], [(Some(1), Some(0), Kind::NotUtf8)]),
            "{source}: {got:?}"
        );
    }
}

#[test]
fn too_much_output_and_left_behind_processes_fail() {
    let transcript = parse("\"a\"").unwrap();
    let mut run = Run::made_up(stamped(&[(0.1, "a")]), Exit::TooMuchOutput);
    run.overflow = Some(crate::outcome::Cap::Lines(7));
    let got = super::check(&transcript, &run, 1.0).unwrap_err();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].to_owned().kind.to_string().split(':').next(),
        Some("too much output")
    );
    assert!(got[0].kind.to_string().contains("more than 7 lines"));

    let mut run = Run::made_up(stamped(&[(0.1, "a")]), Exit::Code(0));
    run.left_behind = true;
    let got = super::check(&transcript, &run, 1.0).unwrap_err();
    assert!(
        matches!(
            got[..],
            [Failure {
                kind: Kind::LeftBehind { .. },
                ..
            }]
        ),
        "{got:?}"
    );
}

#[test]
fn what_may_still_run_fails_and_is_said_plainly() {
    use crate::outcome::{Cleanup, Survivors};

    let transcript = parse("\"a\"").unwrap();
    let mut run = Run::made_up(stamped(&[(0.1, "a")]), Exit::Code(0));
    // Killed what it left, none of which held stdout: the run passes.
    run.cleanup.killed = Some(3);
    assert!(super::check(&transcript, &run, 1.0).is_ok());

    run.left_behind = true;
    run.cleanup = Cleanup {
        killed: Some(1),
        survivors: Survivors::Counted(2),
    };
    let got = super::check(&transcript, &run, 1.0).unwrap_err();
    let got: Vec<String> = got.iter().map(|f| f.kind.to_string()).collect();
    assert_eq!(
        got,
        [
            "left behind: the demo exited, but a process it started still held stdout 1.0 s \
             later; xtask killed 1 process it had left running",
            "still running: 2 processes the demo started were still running after xtask \
             killed them",
        ]
    );

    // Where nothing can be counted, the group is named, and nothing is claimed killed.
    run.cleanup = Cleanup {
        killed: None,
        survivors: Survivors::HoldingStdout,
    };
    let got = super::check(&transcript, &run, 1.0).unwrap_err();
    let got: Vec<String> = got.iter().map(|f| f.kind.to_string()).collect();
    assert!(
        got[0].ends_with("1.0 s later; its process group was killed"),
        "{got:?}"
    );
    assert!(got[1].contains("may still be running"), "{got:?}");
}

#[test]
fn long_lines_are_clipped_in_messages() {
    let long = "x".repeat(100_000);
    let got = failures(run("\"a\"", &stamped(&[(0.1, &long)])));
    let (_, _, Kind::Text { actual, .. }) = &got[0] else {
        panic!()
    };
    assert!(actual.len() < 300, "{}", actual.len());
    assert!(actual.ends_with("(99800 more bytes)"), "{actual}");
}

/// Whether some assignment of `lines` to distinct `members` matches every line: by trying
/// every order, for small groups.
fn perfect_matching_exists(members: &[&str], lines: &[&str]) -> bool {
    use crate::pattern::Pattern;
    fn go(members: &[Pattern], used: &mut Vec<bool>, lines: &[&str]) -> bool {
        let Some((first, rest)) = lines.split_first() else {
            return true;
        };
        for i in 0..members.len() {
            if !used[i] && members[i].matches(first) {
                used[i] = true;
                let ok = go(members, used, rest);
                used[i] = false;
                if ok {
                    return true;
                }
            }
        }
        false
    }
    let patterns: Vec<Pattern> = members.iter().map(|m| Pattern::parse(m).unwrap()).collect();
    members.len() == lines.len() && go(&patterns, &mut vec![false; members.len()], lines)
}

#[test]
fn group_matching_agrees_with_trying_every_order() {
    const PATTERNS: [&str; 6] = ["{*}", "a{*}", "{*}b", "ab", "a", "{*}a{*}"];
    const TEXTS: [&str; 6] = ["a", "ab", "b", "aab", "ba", "x"];
    let mut seed = 7u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for _ in 0..3_000 {
        let k = 1 + next(6);
        let members: Vec<&str> = (0..k).map(|_| PATTERNS[next(PATTERNS.len())]).collect();
        let lines: Vec<&str> = (0..k).map(|_| TEXTS[next(TEXTS.len())]).collect();
        let quoted: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
        let texts: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            big_group(&quoted, &texts).is_ok(),
            perfect_matching_exists(&members, &lines),
            "{members:?} against {lines:?}"
        );
    }
}

#[test]
fn a_demo_with_a_thread_per_request_fails_threads_max() {
    let transcript = parse("threads max 1\nrss max 16MiB\n\"a\"").unwrap();
    let mut run = Run::made_up(stamped(&[(0.1, "a")]), Exit::Code(0));
    run.usage.threads = Some(1);
    run.usage.rss_peak = Some(9 << 20);
    assert_eq!(super::check(&transcript, &run, 1.0), Ok(()));

    run.usage.threads = Some(4);
    let got = super::check(&transcript, &run, 1.0).unwrap_err();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule, Some(1));
    assert_eq!(got[0].kind, Kind::Threads { max: 1, actual: 4 });
    assert_eq!(
        got[0].kind.to_string(),
        "too many threads: the demo's process had 4 at once, at most 1 allowed"
    );

    run.usage.threads = Some(1);
    run.usage.rss_peak = Some(17 << 20);
    let got = super::check(&transcript, &run, 1.0).unwrap_err();
    assert_eq!(
        (got[0].rule, &got[0].kind),
        (
            Some(2),
            &Kind::Rss {
                max: 16 << 20,
                actual: 17 << 20
            }
        )
    );

    // Not measured: skipped, like the CPU rules.
    run.usage = crate::usage::Usage::default();
    assert_eq!(super::check(&transcript, &run, 1.0), Ok(()));
}

#[test]
fn each_line_is_placed_against_its_expectation_and_window() {
    let transcript = parse(WAIT_AND_PRINT).unwrap();
    let mut lines = wait_and_print(1.001, 1.001, 1.002);
    lines.push(Stamped {
        at: Duration::from_secs(5),
        text: "Done".into(),
    });
    let run = Run::made_up(lines, Exit::Code(0));
    let placements = judge(&transcript, &run, 2.0).placements;
    let first = placements[1].unwrap();
    assert_eq!((first.rule, first.group), (5, None));
    assert_eq!(first.window, Some((1.0, 2.8)));
    // After the origin (3.006 s), windows are counted from it.
    let end_async = placements[6].unwrap();
    let (lo, hi) = end_async.window.unwrap();
    assert!((lo - 3.006).abs() < 1e-9 && (hi - 3.406).abs() < 1e-9);
    let in_group = placements[8].unwrap();
    assert_eq!(in_group.group, Some(11));
    assert!((12..=14).contains(&in_group.rule));
    assert_eq!(placements[10], None);
}
