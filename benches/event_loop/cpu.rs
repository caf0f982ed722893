//! CPU time of the calling thread, from `/proc` (Linux only; no libc).

use std::time::Duration;

/// Clock ticks per second of `/proc`'s `stat` time fields: USER_HZ, which Linux fixes at
/// 100 for user space (reading `sysconf(_SC_CLK_TCK)` would need libc).
const TICKS_PER_SECOND: u64 = 100;

/// CPU time (user + system) of the calling thread so far, and its resolution.
///
/// `/proc/thread-self/sched`'s `se.sum_exec_runtime` (ms with six decimals) when the
/// kernel has it; otherwise `utime + stime` of `/proc/thread-self/stat`, in 10 ms ticks.
pub(crate) fn thread_cpu() -> Option<(Duration, &'static str)> {
    if let Some(ms) = std::fs::read_to_string("/proc/thread-self/sched")
        .ok()
        .and_then(|sched| {
            let line = sched
                .lines()
                .find(|l| l.starts_with("se.sum_exec_runtime"))?;
            line.rsplit(':').next()?.trim().parse::<f64>().ok()
        })
    {
        return Some((Duration::from_secs_f64(ms / 1e3), "1 us (sched)"));
    }
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Field 2 is the command name in parentheses and may hold spaces: split after the
    // last `)`. What follows starts at field 3; utime and stime are fields 14 and 15.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ticks = field(14)? + field(15)?;
    Some((
        Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND),
        "10 ms (stat ticks)",
    ))
}
