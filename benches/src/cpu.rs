//! Which cores a benchmark runs on, and the CPU time a thread or a process spent: the
//! system calls std lacks (`sched_setaffinity`, `getrusage`), through libc, on Linux.
//!
//! A server benchmark pins the server's loop thread to one core and its load generator
//! (another process) to another, as users measure servers, so that neither takes the
//! other's CPU; elsewhere nothing is pinned and the functions say so.

use std::time::Duration;

/// User and system CPU time, and how often another task took the CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Times {
    /// Time spent in user space.
    pub user: Duration,
    /// Time spent in the kernel.
    pub system: Duration,
    /// Involuntary context switches (`ru_nivcsw`): how often the scheduler took the CPU
    /// away while there was work to do, a sign of other processes on the same core.
    pub preempted: u64,
}

impl std::ops::Sub for Times {
    type Output = Times;

    fn sub(self, earlier: Times) -> Times {
        Times {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
            preempted: self.preempted.saturating_sub(earlier.preempted),
        }
    }
}

/// Whose CPU time [`times`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The calling thread only (`RUSAGE_THREAD`).
    Thread,
    /// Every thread of this process (`RUSAGE_SELF`).
    Process,
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // Three libc calls, each on memory owned here; see each `SAFETY`.
mod linux {
    use super::{Times, Who};
    use std::time::Duration;

    pub(super) fn allowed_cpus() -> Vec<usize> {
        // SAFETY: `cpu_set_t` is plain bits, valid when zeroed.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the size passed is the set's own, and `set` outlives the call.
        let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
        if rc != 0 {
            return Vec::new();
        }
        let bits = 8 * size_of::<libc::cpu_set_t>();
        // SAFETY: `cpu` is below the set's size in bits.
        (0..bits)
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    pub(super) fn pin(cpu: usize) -> std::io::Result<()> {
        if cpu >= 8 * size_of::<libc::cpu_set_t>() {
            return Err(std::io::Error::other(format!(
                "no CPU {cpu} in a cpu_set_t"
            )));
        }
        // SAFETY: as in `allowed_cpus`; `cpu` is below the set's size in bits (checked).
        let rc = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            // Pid 0: the calling thread; threads it starts later inherit the mask.
            libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set)
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    pub(super) fn times(who: Who) -> Option<Times> {
        let who = match who {
            Who::Thread => libc::RUSAGE_THREAD,
            Who::Process => libc::RUSAGE_SELF,
        };
        // SAFETY: `rusage` is plain integers, valid when zeroed, and outlives the call.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return None;
        }
        let duration = |tv: libc::timeval| {
            Duration::from_secs(u64::try_from(tv.tv_sec).ok()?)
                .checked_add(Duration::from_micros(u64::try_from(tv.tv_usec).ok()?))
        };
        Some(Times {
            user: duration(usage.ru_utime)?,
            system: duration(usage.ru_stime)?,
            preempted: u64::try_from(usage.ru_nivcsw).ok()?,
        })
    }
}

/// The cores this process may run on, in order; empty where that is not known.
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    return linux::allowed_cpus();
    #[cfg(not(target_os = "linux"))]
    return Vec::new();
}

/// Pins the calling thread to core `cpu`; threads it starts later inherit that.
pub fn pin_current_thread(cpu: usize) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    return linux::pin(cpu);
    #[cfg(not(target_os = "linux"))]
    return Err(std::io::Error::other(format!(
        "pinning to CPU {cpu}: not on this OS"
    )));
}

/// The CPU time the calling thread, or this process, has spent so far (`getrusage`:
/// microseconds, the total exact, the split between user and system sampled by the
/// kernel's tick); `None` off Linux.
pub fn times(who: Who) -> Option<Times> {
    #[cfg(target_os = "linux")]
    return linux::times(who);
    #[cfg(not(target_os = "linux"))]
    return {
        let _ = who;
        None
    };
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_pinned_to_an_allowed_core_runs_there_only() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let last = *cpus.last().unwrap();
        let seen = std::thread::spawn(move || {
            pin_current_thread(last).unwrap();
            allowed_cpus()
        })
        .join()
        .unwrap();
        assert_eq!(seen, [last]);
        assert!(pin_current_thread(1 << 20).is_err());
    }

    #[test]
    fn a_busy_thread_counts_its_time_and_the_process_counts_it_too() {
        let total = |t: Times| t.user + t.system;
        let (thread, process) = std::thread::spawn(move || {
            let (t0, p0) = (times(Who::Thread).unwrap(), times(Who::Process).unwrap());
            // Spins until the thread's own clock shows 20 ms (or a generous wall-clock
            // limit, so that a clock that never moves fails instead of hanging).
            let start = std::time::Instant::now();
            let mut x = 0u64;
            while total(times(Who::Thread).unwrap() - t0) < Duration::from_millis(20)
                && start.elapsed() < Duration::from_secs(10)
            {
                for _ in 0..10_000 {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            (
                times(Who::Thread).unwrap() - t0,
                times(Who::Process).unwrap() - p0,
            )
        })
        .join()
        .unwrap();
        assert!(total(thread) >= Duration::from_millis(20), "{thread:?}");
        assert!(total(process) >= total(thread), "{process:?} < {thread:?}");
    }
}
