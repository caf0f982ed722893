//! Runs one demo: stamps each stdout line with its arrival time, enforces the timeout and
//! the output limits, and measures what the demo used, as far as the OS can tell
//! ([`sys`]).
//!
//! The demo runs in a process group of its own (on Windows, a job object), and the whole
//! group is killed at the timeout and when the output goes past its limit. When the demo
//! has ended, what it left running is killed ([`cleanup`]: on Linux also what left its
//! group; on Windows the job holds all of it), and the run says what may still be running.
//! Output is read on threads of their own, so the timeout holds whatever and however much
//! the demo prints.

mod cleanup;
mod output;
mod sys;

use std::io;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

#[cfg(all(test, unix))]
use self::output::STDERR_KEEP;
use self::output::{Event, Tail};
pub(crate) use self::output::{MAX_BYTES, MAX_LINES};
use self::sys::Group;
use crate::outcome::{Cap, Cleanup, Exit, Measured, Run, Stamped, Survivors};
use crate::usage::{Sample, Usage};

/// What this OS can measure of a running demo; the rest is reported as not measured here.
pub(crate) fn measured() -> Measured {
    sys::measured()
}

/// Why, where there is more to say than "this OS" (Wine).
pub(crate) fn not_measured_because() -> Option<&'static str> {
    sys::not_measured_because()
}

/// How often the exit of the child is polled, and its threads and memory sampled. Arrival
/// times do not depend on it: the reader thread stamps lines as they come.
const POLL: Duration = Duration::from_millis(5);

/// How long to wait for stdout to close after the demo exited. A process it left behind
/// that inherited stdout keeps it open; after this it is killed with the rest of what the
/// demo left running.
pub(crate) const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// How long stdout and stderr may take to close once what held them was killed. Still open
/// after this, something the demo started still holds them: it may still be running.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// Runs `command` with no input, killing its process group at `timeout`, and what it left
/// running when it has ended.
///
/// Fails only if the demo cannot be started or waited for, or if `timeout` reaches past
/// what the clock can represent.
pub(crate) fn run(mut command: Command, timeout: Duration) -> io::Result<Run> {
    let cpu_before = sys::children_cpu();
    let start = Instant::now();
    let deadline = start.checked_add(timeout).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a timeout of {timeout:?} reaches past what the clock can represent"),
        )
    })?;
    let mut group = Group::new()?;
    group.prepare(&mut command);
    // Where this works, whatever the demo leaves behind is adopted by us, and found.
    sys::become_subreaper();
    let mark = cleanup::Mark::new();
    mark.set(&mut command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Err(e) = group.adopt(&child) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut out = Collected::new(output::read_stdout(stdout, start));
    let stderr = output::read_stderr(stderr);
    let mut usage = Usage::default();
    let mut samples = Vec::new();
    let program = command.get_program().to_owned();
    let measured = sys::measured();
    let sampled = measured.cpu_over_time || measured.threads;

    let (exit, wall) = loop {
        let (now, cpu) = sys::sample(&child, &program);
        usage = usage.max(now);
        if sampled {
            samples.push(Sample {
                at: start.elapsed(),
                cpu,
                threads: now.threads,
            });
        }
        out.receive_for(POLL);
        if out.overflow.is_some() {
            kill(&mut child, &group);
            child.wait()?;
            break (Exit::TooMuchOutput, start.elapsed());
        }
        if let Some(status) = child.try_wait()? {
            break (exit_of(status), start.elapsed());
        }
        if Instant::now() >= deadline {
            kill(&mut child, &group);
            child.wait()?;
            break (Exit::TimedOut, start.elapsed());
        }
    };
    let cpu = match (cpu_before, sys::children_cpu()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => sys::process_cpu(&child),
    };

    // A demo that exited may have left something that still prints: give it a grace.
    let exited = matches!(exit, Exit::Code(_) | Exit::Other(_));
    if exited {
        out.receive_until(Instant::now() + DRAIN_GRACE);
    }
    // Still open, or written past the limit, after the demo itself was gone.
    let left_behind = exited && !out.closed;
    // The demo is reaped, but its group lives on while any member does, and on Linux what
    // left the group is found too.
    let swept = cleanup::clean_up(&group, child.id(), &mark);
    // What is still in the pipe; and whether something we did not find still holds it.
    let closing = Instant::now() + CLOSE_WAIT;
    out.receive_until(closing);
    let survivors = match swept.running {
        Some(n) if n > 0 => Survivors::Counted(n),
        // (Past the output limit the reader closed it itself: that cannot be told then.)
        _ if !out.ended => Survivors::HoldingStdout,
        _ => Survivors::None,
    };
    let Tail {
        kept: stderr,
        total: stderr_total,
    } = stderr
        .recv_timeout(closing.saturating_duration_since(Instant::now()))
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
        cleanup: Cleanup {
            killed: swept.killed,
            survivors,
        },
        unterminated: out.unterminated,
        usage,
        samples,
        measured,
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

    /// Takes what the reader sends until it is done or `deadline` passes.
    fn receive_until(&mut self, deadline: Instant) {
        while !self.ended {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.receive_for(left);
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

/// Kills the demo and every process of its group (on Unix with SIGKILL, its process group
/// made with the demo's id; on Windows its job).
///
/// `Child::kill` too; std knows whether it reaped the child, so this never signals a
/// reused id.
fn kill(child: &mut Child, group: &Group) {
    group.kill();
    let _ = child.kill();
}

#[cfg(all(test, unix))]
mod tests;
