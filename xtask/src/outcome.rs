//! What one run of a demo produced: plain data, written by [`run`](crate::run) and judged
//! by [`matcher`](crate::matcher) and [`report`](crate::report).

use std::fmt;
use std::time::Duration;

use crate::usage::{Sample, Usage};

/// An output line and when it arrived, counted from just before the process was spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamped {
    pub(crate) at: Duration,
    /// The line's bytes as printed, without its `\n` or `\r\n`. Not necessarily UTF-8.
    pub(crate) text: Vec<u8>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The process exited with this code.
    Code(i32),
    /// The process ended without a code (on Unix: a signal), described.
    Other(String),
    /// The timeout struck and the process was killed.
    TimedOut,
    /// The output went past its limit and the process was killed.
    TooMuchOutput,
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Other(how) => write!(f, "{how}"),
            Exit::TimedOut => f.write_str("killed at the timeout"),
            Exit::TooMuchOutput => f.write_str("killed for too much output"),
        }
    }
}

/// Which output limit a run went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cap {
    Lines(usize),
    Bytes(usize),
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cap::Lines(n) => write!(f, "more than {n} lines"),
            Cap::Bytes(n) if n % (1 << 20) == 0 => write!(f, "more than {} MiB", n >> 20),
            Cap::Bytes(n) => write!(f, "more than {n} bytes"),
        }
    }
}

/// The CPU time (user plus system) a run used, and its wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CpuUse {
    pub(crate) cpu: Duration,
    pub(crate) wall: Duration,
}

impl CpuUse {
    /// CPU time as a share of wall time (1.0: one core busy all the time).
    pub(crate) fn share(self) -> f64 {
        let wall = self.wall.as_secs_f64();
        if wall > 0.0 {
            self.cpu.as_secs_f64() / wall
        } else {
            0.0
        }
    }
}

/// What became of the processes a demo left running when it ended: its process group (on
/// Windows its job) is killed, and on Linux what left the group too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cleanup {
    /// How many were found running and killed; `None` where they cannot be found (Unixes
    /// other than Linux: the group is killed, uncounted).
    pub(crate) killed: Option<usize>,
    /// What may still run after that.
    pub(crate) survivors: Survivors,
}

/// What may still run of what a demo started, after xtask killed what it could.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Survivors {
    /// Nothing is known to run.
    #[default]
    None,
    /// This many processes the demo started still ran (Linux and Windows, where they can be
    /// found).
    Counted(usize),
    /// Uncounted, but something the demo started still held its stdout: a process that
    /// left the demo's process group, where such processes cannot be found (Unixes other
    /// than Linux), or one that dropped the run's mark from its environment (Linux).
    HoldingStdout,
}

/// Which measures the OS a run ran on can give. What it cannot is reported as "not measured
/// on this OS", and the transcript rules about it as not checked: never passed, never failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measured {
    /// The demo's CPU time over the whole run (`cpu max`, `cpu min`).
    pub(crate) cpu: bool,
    /// Its CPU time read while it runs (the timeline's CPU strip).
    pub(crate) cpu_over_time: bool,
    /// Its thread count while it runs (`threads max`).
    pub(crate) threads: bool,
    /// Its peak resident memory (`rss max`).
    pub(crate) rss: bool,
}

impl Measured {
    /// Every measure (Linux, Windows).
    #[allow(dead_code, reason = "an OS that measures less uses it in tests only")]
    pub(crate) const ALL: Measured = Measured {
        cpu: true,
        cpu_over_time: true,
        threads: true,
        rss: true,
    };

    /// No measure at all, to build others from.
    #[allow(
        dead_code,
        reason = "an OS that measures everything uses it in tests only"
    )]
    pub(crate) const NONE: Measured = Measured {
        cpu: false,
        cpu_over_time: false,
        threads: false,
        rss: false,
    };
}

/// What one run produced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub(crate) lines: Vec<Stamped>,
    /// The end of stderr (at most 64 KiB).
    pub(crate) stderr: Vec<u8>,
    /// How many bytes stderr had in all.
    pub(crate) stderr_total: u64,
    pub(crate) exit: Exit,
    /// From just before the spawn to the reaping of the child.
    pub(crate) wall: Duration,
    /// User plus system CPU time of the child; `None` where it cannot be measured.
    pub(crate) cpu: Option<Duration>,
    /// The output went past this limit; the rest of it was not read.
    pub(crate) overflow: Option<Cap>,
    /// After the demo exited, something it started still held stdout a grace period later,
    /// or printed past the limit. What became of it is in `cleanup`.
    pub(crate) left_behind: bool,
    /// What became of the processes the demo left running when it ended.
    pub(crate) cleanup: Cleanup,
    /// The last line had no newline at its end.
    pub(crate) unterminated: bool,
    /// The most threads and memory the demo's process was seen holding (`None`: not
    /// measured).
    pub(crate) usage: Usage,
    /// The demo's CPU time and threads read every few milliseconds while it ran, in order
    /// (empty where they cannot be read).
    pub(crate) samples: Vec<Sample>,
    /// What the OS it ran on can measure.
    pub(crate) measured: Measured,
}

impl Run {
    /// CPU time and wall time together.
    pub(crate) fn cpu_use(&self) -> Option<CpuUse> {
        let wall = self.wall;
        self.cpu.map(|cpu| CpuUse { cpu, wall })
    }

    /// A made-up run that printed `lines` and ended with `exit`, for tests.
    #[cfg(test)]
    pub(crate) fn made_up(lines: Vec<Stamped>, exit: Exit) -> Self {
        let wall = lines.last().map_or(Duration::ZERO, |l| l.at);
        Self {
            lines,
            stderr: Vec::new(),
            stderr_total: 0,
            exit,
            wall,
            cpu: None,
            overflow: None,
            left_behind: false,
            cleanup: Cleanup::default(),
            unterminated: false,
            usage: Usage::default(),
            samples: Vec::new(),
            measured: Measured::ALL,
        }
    }
}
