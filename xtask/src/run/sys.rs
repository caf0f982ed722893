//! What the runner needs from each OS, behind one small interface: the group of processes a
//! demo makes ([`Group`]: a process group on Unix, a job object on Windows), the CPU time it
//! used, what it holds while it runs ([`sample`]), which of those this OS can measure
//! (`measured`), and Linux's child subreaper. The calls std does not wrap are declared by
//! hand in `sys/unix.rs` (`kill`, `getrusage`), `sys/linux.rs` (`prctl`, `waitpid`) and
//! `sys/windows.rs` (job objects, `NtResumeProcess`, `GetProcessTimes`,
//! `K32GetProcessMemoryInfo`, the Toolhelp snapshot, and `GetProcAddress` to tell Wine);
//! each is wrapped in a safe function. This is the only module of xtask
//! that uses `unsafe`.
//
// Why not the `libc` or `windows-sys` crates: xtask builds from std alone, and a dozen
// declarations are all it needs. Each file checks its constants and layouts against std's
// definitions where std has one (`pid_t`, at compile time, per target), against the sizes
// the OS documents (const assertions, per target), and against the OS's behaviour in its
// tests (on Linux, `getrusage` against `/proc`).
#![allow(
    unsafe_code,
    reason = "xtask takes no libc or windows-sys crate: the system calls std lacks are declared here"
)]

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{Group, not_measured_because};
#[cfg(all(unix, not(target_os = "linux")))]
pub(super) use unix::{children_cpu, measured, sample};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(super) use linux::{become_subreaper, children_cpu, kill_child, measured, sample, try_reap};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::Group;
#[cfg(windows)]
pub(super) use windows::{children_cpu, measured, not_measured_because, process_cpu, sample};

#[cfg(not(any(unix, windows)))]
compile_error!("xtask runs demos on Unix and Windows only");

/// The CPU time of a reaped child is counted in [`children_cpu`] off Windows.
#[cfg(not(windows))]
pub(super) fn process_cpu(_child: &std::process::Child) -> Option<std::time::Duration> {
    None
}

/// No child subreaper off Linux: what leaves the demo's group is not adopted.
#[cfg(not(target_os = "linux"))]
pub(super) fn become_subreaper() -> bool {
    false
}
