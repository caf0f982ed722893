//! The ways a run can differ from its transcript, and their messages.

use std::fmt;
use std::time::Duration;

use crate::outcome::{Cap, Exit, Survivors};
use crate::transcript::{Expect, Window};

/// One way a run differs from its transcript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// 1-based transcript line of the rule that failed; `None` for a default rule or for
    /// output that no rule expects.
    pub(crate) rule: Option<usize>,
    /// Index of the observed line the failure is about, if any.
    pub(crate) observed: Option<usize>,
    pub(crate) kind: Kind,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// The line's text does not match the pattern expected at its place.
    Text { expected: String, actual: String },
    /// The line arrived outside its window (already scaled); `after` is the time since the
    /// origin, `origin` the transcript line of that origin (`None`: the process start).
    Window {
        window: Window,
        after: f64,
        origin: Option<usize>,
    },
    /// No pattern left in the group takes this line; the first patterns left are listed,
    /// and how many more there are.
    Group { open: Vec<String>, more: usize },
    /// The line is not UTF-8, so no pattern matches it.
    NotUtf8,
    /// The group's last line came more than `limit` (scaled) seconds after its first.
    Spread { limit: f64, actual: f64 },
    /// The output ended before this expected line.
    Missing { expected: String },
    /// A line that no rule expects.
    Extra,
    /// The process did not exit as expected.
    Exit { expected: i32, actual: Exit },
    /// The process used more CPU than allowed; both in percent of its wall time.
    Cpu { max: f64, actual: f64 },
    /// The process used less CPU than required (`cpu min`); in percent.
    CpuBelow { min: f64, actual: f64 },
    /// The demo's process had more threads at once than allowed.
    Threads { max: usize, actual: usize },
    /// The demo's process held more memory (peak resident set, bytes) than allowed.
    Rss { max: u64, actual: u64 },
    /// The process was killed at the (scaled) timeout.
    Timeout { limit: Duration },
    /// The output went past its limit; the rest was not read.
    TooMuchOutput { cap: Cap },
    /// The demo exited, but something it started still held stdout, or printed past the
    /// limit, a grace period later. `killed`: how many processes it left running were then
    /// killed (`None`: not counted, its process group was killed).
    LeftBehind {
        grace: Duration,
        killed: Option<usize>,
    },
    /// Something the demo started may still run after xtask killed what it could.
    StillRunning { survivors: Survivors },
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Text { expected, actual } => {
                write!(f, "text mismatch: expected {expected}, got {actual:?}")
            }
            Kind::Window {
                window,
                after,
                origin,
            } => {
                write!(f, "outside its window: arrived {} after ", Seconds(*after))?;
                match origin {
                    Some(line) => write!(f, "the origin (line {line})")?,
                    None => f.write_str("the start")?,
                }
                write!(f, ", window {window}")
            }
            Kind::Group { open, more } => {
                write!(
                    f,
                    "no pattern left in the group takes this line (left: {}",
                    open.join(", ")
                )?;
                match more {
                    0 => f.write_str(")"),
                    n => write!(f, ", and {n} more)"),
                }
            }
            Kind::NotUtf8 => f.write_str(
                "not UTF-8: the line holds bytes that are not UTF-8 (shown as \\xNN), \
                 and no pattern matches those",
            ),
            Kind::Spread { limit, actual } => write!(
                f,
                "group spread exceeded: its lines arrived over {}, at most {limit:.3} s allowed",
                Seconds(*actual)
            ),
            Kind::Missing { expected } => {
                write!(f, "missing line: expected {expected}, but the output ended")
            }
            Kind::Extra => f.write_str("extra line: no rule expects it"),
            Kind::Exit { expected, actual } => {
                write!(f, "wrong exit: expected exit code {expected}, got {actual}")
            }
            Kind::Cpu { max, actual } => write!(
                f,
                "cpu over budget: used {actual:.1}% of the wall time, at most {max}% allowed"
            ),
            Kind::CpuBelow { min, actual } => write!(
                f,
                "cpu under its minimum: used {actual:.1}% of the wall time, at least {min}% required"
            ),
            Kind::Threads { max, actual } => write!(
                f,
                "too many threads: the demo's process had {actual} at once, at most {max} allowed"
            ),
            Kind::Rss { max, actual } => write!(
                f,
                "too much memory: the demo's process held {:.1} MiB at its peak, at most {:.1} MiB allowed",
                *actual as f64 / (1 << 20) as f64,
                *max as f64 / (1 << 20) as f64
            ),
            Kind::Timeout { limit } => write!(
                f,
                "timeout: killed after {:.2} s (output may be cut short)",
                limit.as_secs_f64()
            ),
            Kind::TooMuchOutput { cap } => write!(
                f,
                "too much output: {cap}, the limit; the rest was not read and the demo was \
                 killed"
            ),
            Kind::LeftBehind { grace, killed } => {
                write!(
                    f,
                    "left behind: the demo exited, but a process it started still held stdout \
                     {:.1} s later; ",
                    grace.as_secs_f64()
                )?;
                match killed {
                    None => f.write_str("its process group was killed"),
                    Some(0) => f.write_str("xtask found no process it had left running"),
                    Some(1) => f.write_str("xtask killed 1 process it had left running"),
                    Some(n) => write!(f, "xtask killed {n} processes it had left running"),
                }
            }
            Kind::StillRunning { survivors } => match survivors {
                Survivors::None => f.write_str("still running: nothing"),
                Survivors::Counted(1) => f.write_str(
                    "still running: 1 process the demo started was still running after \
                     xtask killed it",
                ),
                Survivors::Counted(n) => write!(
                    f,
                    "still running: {n} processes the demo started were still running after \
                     xtask killed them"
                ),
                Survivors::HoldingStdout => f.write_str(
                    "still running: something the demo started still held its stdout after \
                     xtask killed what it found, and may still be running (a process that \
                     left the demo's process group, which xtask finds on Linux and Windows \
                     only, or one that cleared its environment)",
                ),
            },
        }
    }
}

/// The pattern with its window, as written in a transcript.
pub(super) fn describe(expect: &Expect) -> String {
    match expect.window {
        Some(w) => format!("{} at {}..{}", expect.pattern, secs(w.lo), secs(w.hi)),
        None => expect.pattern.to_string(),
    }
}

/// Seconds for a message: milliseconds shown, or microseconds when that would read `0.000 s`.
struct Seconds(f64);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 0.0005 {
            write!(f, "{:.3} s", self.0)
        } else {
            write!(f, "{:.0} µs", self.0 * 1e6)
        }
    }
}

/// Seconds as a transcript would write them: `1.0`, `1.4`, `0.25`.
fn secs(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        x.to_string()
    }
}
