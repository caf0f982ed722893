//! What a running demo holds: its threads and its peak memory, read from `/proc/PID/status`
//! (Linux only).
//!
//! The runner samples the demo's process every few milliseconds while it runs and keeps the
//! largest values. `Threads:` is the number of threads the process has at that moment (the
//! entries of `/proc/PID/task`), so a thread that lives for less than one sampling period
//! may be missed; `VmHWM:` is the kernel's own peak of the resident set, so memory is never
//! missed, only its last few milliseconds. Only the demo's own process is counted, not
//! processes it starts.

/// Whether [`sample`] can measure anything on this platform.
pub(crate) const SUPPORTED: bool = cfg!(target_os = "linux");

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

/// Reads process `pid`, if this platform can and the process is still there.
pub(crate) fn sample(pid: u32) -> Usage {
    if !SUPPORTED {
        return Usage::default();
    }
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => parse_status(&status),
        Err(_) => Usage::default(),
    }
}

/// Reads the `Threads:` and `VmHWM:` lines of a `/proc/PID/status` text.
fn parse_status(status: &str) -> Usage {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
    };
    Usage {
        threads: field("Threads:").and_then(|n| n.parse().ok()),
        rss_peak: field("VmHWM:")
            .and_then(|v| v.strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
            .map(|kib| kib * 1024),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_threads_and_peak_memory() {
        let status = "Name:\tdemo\nVmPeak:\t  10000 kB\nVmHWM:\t    2468 kB\nThreads:\t4\n";
        assert_eq!(
            parse_status(status),
            Usage {
                threads: Some(4),
                rss_peak: Some(2468 * 1024)
            }
        );
        // A zombie has no memory lines.
        assert_eq!(
            parse_status("Name:\tx\nThreads:\t1\n"),
            Usage {
                threads: Some(1),
                rss_peak: None
            }
        );
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

    #[test]
    fn measures_this_process_on_linux() {
        let me = sample(std::process::id());
        assert_eq!(me.threads.is_some_and(|n| n >= 1), SUPPORTED);
        assert_eq!(me.rss_peak.is_some_and(|b| b > 0), SUPPORTED);
    }
}
