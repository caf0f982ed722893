//! The runner on small shell scripts standing in for demos.

use std::sync::mpsc;

use super::output::Splitter;
use super::*;

fn sh(script: &str, timeout: Duration) -> Run {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    run(command, timeout).unwrap()
}

/// Runs `script` on another thread and fails the test if the runner has not returned
/// after `limit`, instead of hanging the test run.
fn sh_within(limit: Duration, script: &str, timeout: Duration) -> Run {
    let script = script.to_owned();
    let (send, done) = mpsc::channel();
    thread::spawn(move || {
        let _ = send.send(sh(&script, timeout));
    });
    done.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the runner did not return within {limit:?}"))
}

/// The process `pid` is gone (or a zombie nobody reaped yet, which runs no more).
#[cfg(target_os = "linux")]
fn is_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// The process `pid` is gone and reaped: not even a zombie is left.
#[cfg(target_os = "linux")]
fn is_reaped(pid: &str) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The failures of a run that printed one line, against a transcript that takes any line,
/// as messages.
#[cfg(target_os = "linux")]
fn failures(run: &Run) -> Vec<String> {
    let transcript = crate::transcript::parse("\"{*}\"").unwrap();
    match crate::matcher::check(&transcript, run, 1.0) {
        Ok(_) => Vec::new(),
        Err(failures) => failures.iter().map(|f| f.kind.to_string()).collect(),
    }
}

fn texts(run: &Run) -> Vec<String> {
    run.lines
        .iter()
        .map(|l| String::from_utf8_lossy(&l.text).into_owned())
        .collect()
}

#[test]
fn stamps_lines_as_they_arrive() {
    let run = sh(
        "echo one; sleep 0.3; printf 'two\\r\\nthree'; echo oops >&2; exit 3",
        Duration::from_secs(10),
    );
    assert_eq!(texts(&run), ["one", "two", "three"]);
    // Lower bounds only: a loaded machine may run the shell late, never early.
    let gap = run.lines[1].at - run.lines[0].at;
    assert!(gap >= Duration::from_millis(300), "{:?}", run.lines);
    assert_eq!(run.exit, Exit::Code(3));
    assert_eq!(run.stderr, b"oops\n");
    assert!(run.wall >= Duration::from_millis(300));
    assert_eq!(run.cpu.is_some(), measured().cpu);
    assert!(run.unterminated);
    assert!(!run.left_behind);
    assert_eq!(run.overflow, None);
    // Counted where processes that left the demo's group can be found.
    assert_eq!(run.cleanup.killed, cfg!(target_os = "linux").then_some(0));
    assert_eq!(run.cleanup.survivors, Survivors::None);
}

#[test]
fn kills_the_child_at_the_timeout() {
    // `exec` so that the shell itself sleeps and no grandchild keeps the pipes open.
    let run = sh("echo before; exec sleep 30", Duration::from_millis(300));
    assert_eq!(run.exit, Exit::TimedOut);
    assert_eq!(run.lines.len(), 1);
    assert!(!run.unterminated);
    assert!(run.wall >= Duration::from_millis(300));
    assert!(run.wall < Duration::from_secs(10), "{:?}", run.wall);
}

#[cfg(target_os = "linux")]
#[test]
fn threads_and_memory_of_the_demo_are_sampled() {
    let run = sh("sleep 0.2", Duration::from_secs(10));
    // `sh` runs `sleep` as a child: the demo's own process has one thread.
    assert_eq!(run.usage.threads, Some(1));
    assert!(run.usage.rss_peak.is_some_and(|b| b > 0));
}

#[cfg(target_os = "linux")]
#[test]
fn the_whole_process_group_is_killed_at_the_timeout() {
    // The grandchild holds stdout too; it used to outlive the run (and xtask).
    let run = sh_within(
        Duration::from_secs(20),
        "sleep 30 & echo $!; sleep 30",
        Duration::from_millis(300),
    );
    assert_eq!(run.exit, Exit::TimedOut);
    let grandchild = &texts(&run)[0];
    assert!(is_gone(grandchild), "sleep {grandchild} outlived the run");
    assert!(run.wall < Duration::from_secs(10), "{:?}", run.wall);
}

#[test]
fn a_demo_that_prints_without_end_is_stopped_at_the_line_limit() {
    // Used to be read for ever, past its timeout, with memory growing without bound.
    let run = sh_within(Duration::from_secs(60), "exec yes", Duration::from_secs(30));
    assert_eq!(run.exit, Exit::TooMuchOutput);
    assert_eq!(run.overflow, Some(Cap::Lines(MAX_LINES)));
    assert_eq!(run.lines.len(), MAX_LINES);
    assert!(run.lines.iter().all(|l| l.text == b"y"));
    assert!(run.wall < Duration::from_secs(30), "{:?}", run.wall);
}

#[test]
fn one_endless_line_is_stopped_at_the_byte_limit() {
    let run = sh_within(
        Duration::from_secs(60),
        "exec cat /dev/zero",
        Duration::from_secs(30),
    );
    assert_eq!(run.exit, Exit::TooMuchOutput);
    assert_eq!(run.overflow, Some(Cap::Bytes(MAX_BYTES)));
    // The cut-off line is kept, so that the report can show its start.
    assert_eq!(run.lines.len(), 1);
    assert_eq!(run.lines[0].text.len(), MAX_BYTES);
}

#[test]
fn a_child_left_behind_that_keeps_printing_does_not_hang_the_run() {
    // The demo exits at once; what it started prints without end. The drain after the exit
    // used to read for as long as lines kept coming.
    let run = sh_within(
        Duration::from_secs(60),
        "yes & echo started",
        Duration::from_secs(30),
    );
    assert_eq!(run.exit, Exit::Code(0));
    assert!(run.left_behind);
    assert_eq!(run.overflow, Some(Cap::Lines(MAX_LINES)));
}

#[cfg(target_os = "linux")]
#[test]
fn a_child_left_behind_holding_stdout_is_killed_after_the_grace() {
    let run = sh_within(
        Duration::from_secs(20),
        "(while :; do echo tick; sleep 0.05; done) & echo $!",
        Duration::from_secs(30),
    );
    assert_eq!(run.exit, Exit::Code(0));
    assert!(run.left_behind);
    assert_eq!(run.overflow, None);
    assert_eq!(run.cleanup.survivors, Survivors::None);
    let printer = &texts(&run)[0];
    assert!(is_gone(printer), "{printer} outlived the run");
}

// The issue: `setsid` takes a process out of the demo's group (and session), so killing the
// group missed it, and the report said "it was killed" while it ran on, holding stdout.
#[cfg(target_os = "linux")]
#[test]
fn a_child_that_left_the_group_is_killed_and_reaped_with_its_own_child() {
    // The escaped shell prints its child's pid, its own and its session, then waits.
    let run = sh_within(
        Duration::from_secs(20),
        "setsid sh -c 'sleep 30 & echo $! $$ $(cut -d\" \" -f6 /proc/$$/stat); wait' &",
        Duration::from_secs(30),
    );
    let line = &texts(&run)[0];
    let [sleep, escaped, session] = line.split(' ').collect::<Vec<_>>()[..] else {
        panic!("{line:?}");
    };
    assert_eq!(
        session, escaped,
        "the shell did not leave the demo's session"
    );
    assert_eq!(run.exit, Exit::Code(0));
    assert!(run.left_behind);
    for pid in [sleep, escaped] {
        assert!(is_reaped(pid), "{pid} outlived the run (or was not reaped)");
    }
    assert_eq!(
        run.cleanup,
        Cleanup {
            killed: Some(2),
            survivors: Survivors::None
        }
    );
    assert_eq!(
        failures(&run),
        [
            "left behind: the demo exited, but a process it started still held stdout 1.0 s \
          later; xtask killed 2 processes it had left running"
        ]
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_child_that_left_the_group_is_killed_at_the_timeout() {
    let run = sh_within(
        Duration::from_secs(20),
        "setsid sh -c 'echo $$; exec sleep 30' & exec sleep 30",
        Duration::from_millis(300),
    );
    assert_eq!(run.exit, Exit::TimedOut);
    let escaped = &texts(&run)[0];
    assert!(is_reaped(escaped), "{escaped} outlived the run");
    assert_eq!(run.cleanup.killed, Some(1));
    assert_eq!(run.cleanup.survivors, Survivors::None);
    // The stdout it held closed when it was killed: no wait for it.
    assert!(run.wall < Duration::from_secs(10), "{:?}", run.wall);
}

#[cfg(target_os = "linux")]
#[test]
fn a_quiet_child_that_left_the_group_is_killed_too() {
    // It lets go of stdout, so the run passes; it used to outlive the run, and xtask.
    let run = sh_within(
        Duration::from_secs(20),
        "setsid sh -c 'echo $$; exec sleep 30 >/dev/null 2>&1' &",
        Duration::from_secs(30),
    );
    assert_eq!(run.exit, Exit::Code(0));
    assert!(!run.left_behind);
    let escaped = &texts(&run)[0];
    assert!(is_reaped(escaped), "{escaped} outlived the run");
    assert_eq!(run.cleanup.killed, Some(1));
    assert_eq!(failures(&run), Vec::<String>::new());
}

#[cfg(target_os = "linux")]
#[test]
fn what_cannot_be_found_is_reported_as_maybe_running() {
    // Without the run's mark in its environment, the escaped process is not found: the
    // run must not claim it was killed. It is still adopted by this process (a subreaper),
    // so the test can end it.
    let run = sh_within(
        Duration::from_secs(20),
        "env -i setsid sh -c 'echo $$; exec sleep 30' &",
        Duration::from_secs(30),
    );
    let escaped: u32 = texts(&run)[0].parse().unwrap();
    super::sys::kill_child(escaped);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !super::sys::try_reap(escaped).unwrap() {
        assert!(
            Instant::now() < deadline,
            "{escaped} not reaped after SIGKILL"
        );
        thread::sleep(Duration::from_millis(1));
    }
    assert!(run.left_behind);
    assert_eq!(
        run.cleanup,
        Cleanup {
            killed: Some(0),
            survivors: Survivors::HoldingStdout
        }
    );
    let got = failures(&run);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].ends_with("xtask found no process it had left running"));
    assert!(got[1].starts_with("still running: something the demo started still held its stdout"));
}

#[test]
fn output_is_kept_as_bytes() {
    let run = sh("printf 'a\\377\\n'", Duration::from_secs(10));
    assert_eq!(run.lines[0].text, b"a\xff");
    assert!(!run.unterminated);
}

#[test]
fn only_the_end_of_stderr_is_kept() {
    let run = sh(
        "head -c 1000000 /dev/zero >&2; echo last >&2",
        Duration::from_secs(30),
    );
    assert_eq!(run.stderr_total, 1_000_005);
    assert_eq!(run.stderr.len(), STDERR_KEEP);
    assert!(run.stderr.ends_with(b"\0last\n"));
}

#[test]
fn timeouts_past_the_clock_are_an_error_not_a_panic() {
    let e = run(Command::new("true"), Duration::MAX).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}

fn feed_all(splitter: &mut Splitter, chunks: &[&[u8]]) -> (Vec<Stamped>, Option<Cap>) {
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if let Err(cap) = splitter.feed(chunk, Duration::from_secs(i as u64), &mut out) {
            return (out, Some(cap));
        }
    }
    out.extend(splitter.finish());
    (out, None)
}

#[test]
fn the_splitter_stamps_a_line_when_its_end_arrives() {
    let (lines, cap) = feed_all(&mut Splitter::new(10, 100), &[b"a\nb", b"c\r\n", b"d"]);
    assert_eq!(cap, None);
    let got: Vec<_> = lines
        .iter()
        .map(|l| (l.at.as_secs(), &l.text[..]))
        .collect();
    assert_eq!(got, [(0, &b"a"[..]), (1, b"bc"), (2, b"d")]);
}

#[test]
fn the_splitter_stops_past_its_limits() {
    let (lines, cap) = feed_all(&mut Splitter::new(2, 100), &[b"a\nb\n", b"c\nd\n"]);
    assert_eq!((lines.len(), cap), (2, Some(Cap::Lines(2))));
    // Exactly at the limit is fine.
    let (lines, cap) = feed_all(&mut Splitter::new(2, 4), &[b"a\nb\n"]);
    assert_eq!((lines.len(), cap), (2, None));
    let (lines, cap) = feed_all(&mut Splitter::new(10, 5), &[b"ab\ncd", b"ef\n"]);
    assert_eq!(cap, Some(Cap::Bytes(5)));
    let got: Vec<_> = lines.iter().map(|l| &l.text[..]).collect();
    assert_eq!(got, [&b"ab"[..], b"cd"]);
    assert_eq!(Cap::Bytes(8 << 20).to_string(), "more than 8 MiB");
    assert_eq!(Cap::Lines(3).to_string(), "more than 3 lines");
}
