//! The demo's threads, peak memory and CPU time, read from `/proc` (Linux).

use std::time::Duration;

use super::Usage;

/// Clock ticks per second of `/proc/PID/stat`'s time fields (USER_HZ; see [`crate::cpu`]).
const TICKS_PER_SECOND: u64 = 100;

/// Reads process `pid`'s CPU time so far, if this platform can and the process is still
/// there.
pub(crate) fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Reads fields 14 and 15 (`utime`, `stime`, 1-based as in proc(5)) of a stat line.
fn parse_stat(stat: &str) -> Option<Duration> {
    // Field 2 is the command name in parentheses and may hold spaces or `)`.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ticks = field(14)? + field(15)?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// Reads process `pid`, if this platform can, the process is still there and it already
/// runs `program` (not still the copy of xtask it was forked from, whose figures would be
/// taken for the demo's).
pub(crate) fn sample(pid: u32, program: &std::ffi::OsStr) -> Usage {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) if runs(&status, program) => parse_status(&status),
        _ => Usage::default(),
    }
}

/// Whether a `/proc/PID/status` text is of a process running `program`: its `Name:` is the
/// program's file name, cut to the kernel's 15 bytes.
fn runs(status: &str, program: &std::ffi::OsStr) -> bool {
    let Some(name) = std::path::Path::new(program).file_name() else {
        return true;
    };
    let name = name.as_encoded_bytes();
    let name = &name[..name.len().min(15)];
    status
        .lines()
        .find_map(|line| line.strip_prefix("Name:"))
        .is_none_or(|n| n.trim().as_bytes() == name)
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
        // A process caught between fork and exec, or exiting, may show no memory yet: a
        // zero is no reading.
        rss_peak: field("VmHWM:")
            .and_then(|v| v.strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
            .filter(|&kib| kib > 0)
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
    fn reads_user_and_system_time() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime ...
        let stat = "4242 (x) y) R 1 2 3 4 5 6 7 8 9 10 250 31 0 0 20 0 3";
        assert_eq!(parse_stat(stat), Some(Duration::from_millis(2810)));
        assert_eq!(parse_stat("4242 (x) R 1"), None);
        assert_eq!(parse_status("VmHWM:\t0 kB\n").rss_peak, None);
        // Before its exec, the child is a copy of xtask.
        let status = "Name:\txtask\nThreads:\t1\n";
        assert!(!runs(status, "target/release/future-repl".as_ref()));
        assert!(runs(status, "/x/xtask".as_ref()));
        assert!(runs(
            "Name:\tasync-socket-re\n",
            "async-socket-request".as_ref()
        ));
    }

    #[test]
    fn measures_this_process_on_linux() {
        assert!(cpu_time(std::process::id()).is_some());
        let me = sample(
            std::process::id(),
            std::env::current_exe().unwrap().as_os_str(),
        );
        assert!(me.threads.is_some_and(|n| n >= 1));
        assert!(me.rss_peak.is_some_and(|b| b > 0));
    }
}
