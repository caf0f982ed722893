//! CPU time of the calling thread, from `/proc` (Linux only; no libc).

use std::time::Duration;

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
    let (user, system) = benches::thread_times()?;
    Some((user + system, "10 ms (stat ticks)"))
}
