//! What a running demo holds and uses: its threads and its peak memory, read from
//! `/proc/PID/status`, and its CPU time so far, from `/proc/PID/stat` (on Linux:
//! `usage/procfs.rs`; other OSes read them their own way, in `run/sys/`).
//!
//! The runner samples the demo's process every few milliseconds while it runs and keeps the
//! largest values. `Threads:` is the number of threads the process has at that moment (the
//! entries of `/proc/PID/task`), so a thread that lives for less than one sampling period
//! may be missed; `VmHWM:` is the kernel's own peak of the resident set, so memory is never
//! missed, only its last few milliseconds. Only the demo's own process is counted, not
//! processes it starts.
//!
//! Each reading is also kept with its time as a [`Sample`], so a timeline can draw the CPU
//! share and the thread count over the run, not only their totals.

use std::time::Duration;

#[cfg(target_os = "linux")]
mod procfs;

#[cfg(target_os = "linux")]
pub(crate) use procfs::{cpu_time, sample};

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) threads: Option<usize>,
    /// Peak resident set size so far, in bytes.
    pub(crate) rss_peak: Option<u64>,
}

impl Usage {
    /// The larger of each value.
    pub(crate) fn max(self, other: Usage) -> Usage {
        Usage {
            threads: self.threads.max(other.threads),
            rss_peak: self.rss_peak.max(other.rss_peak),
        }
    }
}

/// One reading of a running demo, at a time counted like its lines' arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) at: Duration,
    /// User plus system CPU time of all the process's threads so far (10 ms resolution).
    pub(crate) cpu: Option<Duration>,
    pub(crate) threads: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_larger_of_each_value() {
        let a = Usage {
            threads: Some(3),
            rss_peak: None,
        };
        let b = Usage {
            threads: Some(1),
            rss_peak: Some(7),
        };
        assert_eq!(
            a.max(b),
            Usage {
                threads: Some(3),
                rss_peak: Some(7)
            }
        );
    }
}
