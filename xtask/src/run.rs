//! Runs one demo: stamps each stdout line with its arrival time, enforces the timeout and
//! the output limits, and measures the CPU time the demo used.
//!
//! The demo runs in a process group of its own, and the whole group is killed at the
//! timeout, when the output goes past its limit, and after the demo exits (whatever it left
//! behind). Output is read on threads of their own, so the timeout holds whatever and
//! however much the demo prints.

mod output;

use std::io;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

#[cfg(test)]
use self::output::STDERR_KEEP;
use self::output::{Event, Tail};
pub(crate) use self::output::{MAX_BYTES, MAX_LINES};
use crate::cpu;
use crate::outcome::{Cap, Exit, Run, Stamped};
use crate::usage::{self, Usage};

/// How often the exit of the child is polled, and its threads and memory sampled. Arrival
/// times do not depend on it: the reader thread stamps lines as they come.
const POLL: Duration = Duration::from_millis(5);

/// How long to wait for stdout to close after the demo exited. A process it left behind
/// that inherited stdout keeps it open; after this it is killed with the rest of the group.
pub(crate) const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// Runs `command` with no input, killing its process group at `timeout`.
///
/// Fails only if the demo cannot be started or waited for, or if `timeout` reaches past
/// what the clock can represent.
pub(crate) fn run(mut command: Command, timeout: Duration) -> io::Result<Run> {
    let cpu_before = cpu::children_cpu();
    let start = Instant::now();
    let deadline = start.checked_add(timeout).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a timeout of {timeout:?} reaches past what the clock can represent"),
        )
    })?;
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut out = Collected::new(output::read_stdout(stdout, start));
    let stderr = output::read_stderr(stderr);
    let mut usage = Usage::default();

    let (exit, wall) = loop {
        usage = usage.max(usage::sample(child.id()));
        out.receive_for(POLL);
        if out.overflow.is_some() {
            kill_group(&mut child);
            child.wait()?;
            break (Exit::TooMuchOutput, start.elapsed());
        }
        if let Some(status) = child.try_wait()? {
            break (exit_of(status), start.elapsed());
        }
        if Instant::now() >= deadline {
            kill_group(&mut child);
            child.wait()?;
            break (Exit::TimedOut, start.elapsed());
        }
    };
    let cpu = match (cpu_before, cpu::children_cpu()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };

    // Whatever is still in the pipe, or still being written by what the demo left behind.
    let grace = Instant::now() + DRAIN_GRACE;
    while !out.ended && out.overflow.is_none() {
        let left = grace.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        out.receive_for(left);
    }
    // Still open, or written past the limit, after the demo itself was gone.
    let left_behind = !out.closed && matches!(exit, Exit::Code(_) | Exit::Other(_));
    // The demo is reaped, but its group lives on while any member does.
    kill_group(&mut child);
    let Tail {
        kept: stderr,
        total: stderr_total,
    } = stderr
        .recv_timeout(grace.saturating_duration_since(Instant::now()))
        .unwrap_or_default();

    Ok(Run {
        lines: out.lines,
        stderr,
        stderr_total,
        exit,
        wall,
        cpu,
        overflow: out.overflow,
        left_behind,
        unterminated: out.unterminated,
        usage,
    })
}

/// What the stdout reader reported so far.
struct Collected {
    events: Receiver<Event>,
    lines: Vec<Stamped>,
    overflow: Option<Cap>,
    unterminated: bool,
    /// The reader is done: stdout closed, or a limit reached.
    ended: bool,
    /// Stdout was closed by every process that held it.
    closed: bool,
}

impl Collected {
    fn new(events: Receiver<Event>) -> Self {
        Self {
            events,
            lines: Vec::new(),
            overflow: None,
            unterminated: false,
            ended: false,
            closed: false,
        }
    }

    /// Takes what the reader sends within `wait` (sleeps `wait` once it is done), and
    /// returns after the first event or `wait`. A demo that prints without pause thus never
    /// keeps the caller from checking the clock.
    fn receive_for(&mut self, wait: Duration) {
        if self.ended {
            thread::sleep(wait);
            return;
        }
        match self.events.recv_timeout(wait) {
            Ok(event) => self.take(event),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.ended = true,
        }
        // The reader's limits bound what can be queued.
        while let Ok(event) = self.events.try_recv() {
            self.take(event);
        }
    }

    fn take(&mut self, event: Event) {
        match event {
            Event::Lines(lines) => self.lines.extend(lines),
            Event::Overflow(cap) => {
                self.overflow = Some(cap);
                self.ended = true;
            }
            Event::End { unterminated } => {
                self.unterminated = unterminated;
                self.ended = true;
                self.closed = true;
            }
        }
    }
}

fn exit_of(status: ExitStatus) -> Exit {
    match status.code() {
        Some(code) => Exit::Code(code),
        None => Exit::Other(status.to_string()),
    }
}

/// Kills every process of the child's group with SIGKILL (the group was made with the
/// child's id), or at least the child itself.
///
/// std has no `killpg`, and calling libc's would need `unsafe` here: the shell's `kill`
/// with a negative id does the same, for one short process per run. After the child is
/// reaped its id still names the group while a member lives, and Linux does not reuse an
/// id that names a live group.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let killed = Command::new("sh")
            .args(["-c", "kill -s KILL -- \"-$1\" 2>/dev/null", "sh"])
            .arg(child.id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        drop(killed);
    }
    // In case the shell could not run. std knows whether it reaped the child, so this never
    // signals a reused id; it can only fail if the child already exited.
    let _ = child.kill();
}

#[cfg(all(test, unix))]
mod tests;
