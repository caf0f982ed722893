//! Runs one demo: stamps each stdout line with its arrival time, enforces the timeout and
//! measures the CPU time the demo used.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cpu;
use crate::matcher::{CpuUse, Exit, Stamped};

/// How often the exit of the child is polled. Arrival times do not depend on it: the reader
/// thread stamps lines as they come.
const POLL: Duration = Duration::from_millis(5);

/// How long to wait for the pipes to close after the child is gone. A grandchild that
/// inherited stdout could keep them open forever.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// What one run produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) lines: Vec<Stamped>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) exit: Exit,
    /// From just before the spawn to the reaping of the child.
    pub(crate) wall: Duration,
    /// User plus system CPU time of the child; `None` where it cannot be measured.
    pub(crate) cpu: Option<Duration>,
}

impl Run {
    /// CPU time and wall time together.
    pub(crate) fn cpu_use(&self) -> Option<CpuUse> {
        let wall = self.wall;
        self.cpu.map(|cpu| CpuUse { cpu, wall })
    }
}

/// Runs `command` with no input, killing it at `timeout`.
pub(crate) fn run(mut command: Command, timeout: Duration) -> io::Result<Run> {
    let cpu_before = cpu::children_cpu();
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");

    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let at = start.elapsed();
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                        if buf.last() == Some(&b'\r') {
                            buf.pop();
                        }
                    }
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if send.send(Stamped { at, text }).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let (send_err, stderr_done) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        let _ = send_err.send(buf);
    });

    let deadline = start + timeout;
    let mut observed = Vec::new();
    let (exit, wall) = loop {
        while let Ok(line) = lines.try_recv() {
            observed.push(line);
        }
        if let Some(status) = child.try_wait()? {
            let exit = match status.code() {
                Some(code) => Exit::Code(code),
                None => Exit::Other(status.to_string()),
            };
            break (exit, start.elapsed());
        }
        if Instant::now() >= deadline {
            // Kill can only fail if the child already exited; wait reaps it either way.
            let _ = child.kill();
            child.wait()?;
            break (Exit::TimedOut, start.elapsed());
        }
        thread::sleep(POLL);
    };
    let cpu = match (cpu_before, cpu::children_cpu()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };

    let grace = Instant::now() + DRAIN_GRACE;
    // Ends when the reader finishes (pipe closed) or the grace period is over.
    while let Ok(line) = lines.recv_timeout(grace.saturating_duration_since(Instant::now())) {
        observed.push(line);
    }
    let stderr = stderr_done
        .recv_timeout(grace.saturating_duration_since(Instant::now()))
        .unwrap_or_default();

    Ok(Run {
        lines: observed,
        stderr,
        exit,
        wall,
        cpu,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Run {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        run(command, timeout).unwrap()
    }

    #[test]
    fn stamps_lines_as_they_arrive() {
        let run = sh(
            "echo one; sleep 0.3; printf 'two\\r\\nthree'; echo oops >&2; exit 3",
            Duration::from_secs(10),
        );
        let texts: Vec<&str> = run.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "two", "three"]);
        // Lower bounds only: a loaded machine may run the shell late, never early.
        let gap = run.lines[1].at - run.lines[0].at;
        assert!(gap >= Duration::from_millis(300), "{:?}", run.lines);
        assert_eq!(run.exit, Exit::Code(3));
        assert_eq!(run.stderr, b"oops\n");
        assert!(run.wall >= Duration::from_millis(300));
        assert_eq!(run.cpu.is_some(), cpu::SUPPORTED);
    }

    #[test]
    fn kills_the_child_at_the_timeout() {
        // `exec` so that the shell itself sleeps and no grandchild keeps the pipes open.
        let run = sh("echo before; exec sleep 30", Duration::from_millis(300));
        assert_eq!(run.exit, Exit::TimedOut);
        assert_eq!(run.lines.len(), 1);
        assert!(run.wall >= Duration::from_millis(300));
        assert!(run.wall < Duration::from_secs(10), "{:?}", run.wall);
    }
}
