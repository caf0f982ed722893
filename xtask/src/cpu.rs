//! CPU time used by reaped child processes, from `/proc/self/stat` (Linux; other Unixes
//! ask `getrusage`, Windows the process handle: `run/sys/`).

use std::time::Duration;

/// Clock ticks per second of the `/proc` time fields. The kernel reports them in USER_HZ,
/// which Linux fixes at 100 for every architecture's user-space ABI (whatever the kernel's
/// internal HZ); reading it through `sysconf(_SC_CLK_TCK)` would need libc and `unsafe`.
const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time of all the children this process has waited for, so far.
///
/// Take it before spawning a child and again after reaping it: when children run one at a
/// time, the difference is that child's CPU time (with a resolution of 10 ms).
pub(crate) fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat(&stat)
}

/// Reads fields 16 and 17 (`cutime`, `cstime`, 1-based as in proc(5)) of a stat line.
fn parse_stat(stat: &str) -> Option<Duration> {
    // Field 2 is the command name in parentheses and may hold spaces or `)`: split after
    // the last `)`. What follows starts at field 3.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ticks = field(16)? + field(17)?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_children_user_and_system_time() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime cutime cstime ...
        let stat = "4242 (x) y) S 1 2 3 4 5 6 7 8 9 10 11 12 250 31 20 0 1 0 99 0 0";
        assert_eq!(parse_stat(stat), Some(Duration::from_millis(2810)));
        assert_eq!(parse_stat("4242 (x) S 1 2"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn measures_this_process_on_linux() {
        assert!(children_cpu().is_some());
    }
}
