//! The few system calls std does not wrap, for killing what a demo left running: on Unix
//! `kill` (`sys/unix.rs`), and on Linux `prctl` and `waitpid` (`sys/linux.rs`). Each is
//! declared once and wrapped in a safe function; this is the only module of xtask that
//! uses `unsafe`.
//
// Why not the `libc` crate: xtask builds from std alone, and three declarations and three
// constants are all it needs. `SIGKILL` is 9 on every Unix (fixed by POSIX), `WNOHANG` 1
// and `PR_SET_CHILD_SUBREAPER` 36 on every Linux architecture, and `pid_t` is `i32` on
// every Unix std supports; each file checks its own against std's definitions (`pid_t`
// at compile time, per target) or, where std has none, against the kernel's behaviour in
// its tests.
#![allow(
    unsafe_code,
    reason = "xtask takes no libc crate: the system calls std lacks are declared here"
)]

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(super) use unix::kill_group;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(super) use linux::{become_subreaper, kill_child, try_reap};

/// No child subreaper off Linux: what leaves the demo's group is not adopted.
#[cfg(not(target_os = "linux"))]
pub(super) fn become_subreaper() -> bool {
    false
}

/// Without process groups, the demo itself is all that can be killed (`Child::kill`).
#[cfg(not(unix))]
pub(super) fn kill_group(_group: u32) {}
