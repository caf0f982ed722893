//! Kills what a demo left running when it ended, and counts what is left.
//!
//! Every run sets a mark unique to it in the demo's environment ([`Mark`]), which whatever
//! the demo starts inherits. When the demo has ended (and been reaped), [`clean_up`] kills
//! its process group, which holds everything it started that did not move to a group of
//! its own. A process that did (`setsid`, `setpgid`) escapes that; on Linux it is found
//! anyway (`cleanup/linux.rs`): xtask is a child subreaper, so everything the demo left
//! running is a descendant of xtask, and is killed and reaped by its mark. On Windows the
//! group is a job object, which no process started in it can leave: ending the job ends
//! everything, and the job counts what ran before and what still runs. On other Unixes only
//! the group is killed, and nothing is counted.
//!
//! Only processes that carry this run's mark are killed, so runs on other threads (the
//! tests) keep theirs. A process that dropped the mark from its environment (`env -i`) is
//! not found; if it still holds stdout, the runner reports it all the same.

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long killing (and on Linux reaping) may take at most: many rounds of a deep process
/// tree, and a bound on one that keeps forking.
const SWEEP_LIMIT: Duration = Duration::from_secs(2);

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod procfs;

#[cfg(target_os = "linux")]
pub(super) use linux::clean_up;

/// The environment variable that carries a run's mark.
pub(crate) const MARK_VAR: &str = "XTASK_RUN";

/// A mark unique to one run of this process: `XTASK_RUN=<xtask's pid>.<run number>`.
#[derive(Debug)]
pub(super) struct Mark {
    /// `XTASK_RUN=…`, as `/proc/PID/environ` holds it.
    entry: String,
}

impl Mark {
    pub(super) fn new() -> Self {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        Self {
            entry: format!("{MARK_VAR}={}.{run}", std::process::id()),
        }
    }

    /// Sets the mark in the environment `command` will run with.
    pub(super) fn set(&self, command: &mut Command) {
        command.env(MARK_VAR, &self.entry[MARK_VAR.len() + 1..]);
    }
}

/// What the clean-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Swept {
    /// Processes the demo left that ran before the clean-up and not after; `None` where
    /// they cannot be found.
    pub(super) killed: Option<usize>,
    /// Processes the demo left that still run; `None` where they cannot be found.
    pub(super) running: Option<usize>,
}

/// Kills what the demo left running: its `group` (on Unix its process group, on Windows its
/// job, which counts what ran before and what still runs); call this after the demo was
/// reaped.
#[cfg(not(target_os = "linux"))]
pub(super) fn clean_up(group: &super::sys::Group, _demo: u32, _mark: &Mark) -> Swept {
    let found = group.running();
    group.kill();
    // Killing is asynchronous on Windows: the job counts a process until it has ended.
    let deadline = std::time::Instant::now() + SWEEP_LIMIT;
    let mut left = group.running();
    while left.is_some_and(|n| n > 0) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
        left = group.running();
    }
    Swept {
        killed: found
            .zip(left)
            .map(|(found, left)| found.saturating_sub(left)),
        running: left,
    }
}
