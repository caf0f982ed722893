//! What every Unix has: process groups and `kill`, to end a demo with what it started, and
//! `getrusage(RUSAGE_CHILDREN)`, the CPU time of the children this process has reaped.

use std::ffi::c_int;
#[cfg(any(test, not(target_os = "linux")))]
use std::ffi::c_long;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
#[cfg(any(test, not(target_os = "linux")))]
use std::time::Duration;

#[cfg(not(target_os = "linux"))]
use crate::outcome::Measured;
#[cfg(not(target_os = "linux"))]
use crate::usage::Usage;

/// SIGKILL: 9 on every Unix (fixed by POSIX); the tests check it against std's.
pub(super) const SIGKILL: c_int = 9;

unsafe extern "C" {
    // `pid_t` is `i32` on every Unix std supports (checked below).
    pub(super) fn kill(pid: i32, sig: c_int) -> c_int;
    #[cfg(any(test, not(target_os = "linux")))]
    fn getrusage(who: c_int, usage: *mut Rusage) -> c_int;
}

/// What a Unix without `/proc` measures: the CPU time of the reaped demo (`getrusage`), not
/// what it holds while it runs (that would need each OS's own process-information call:
/// `proc_pidinfo` on macOS, `kvm_getprocs` or `sysctl` on the BSDs).
#[cfg(not(target_os = "linux"))]
pub(crate) fn measured() -> Measured {
    Measured {
        cpu: true,
        ..Measured::NONE
    }
}

/// Nothing to add to "not measured on this OS" on a Unix.
pub(crate) fn not_measured_because() -> Option<&'static str> {
    None
}

/// `RUSAGE_CHILDREN`: -1 on every Unix (Linux, macOS, the BSDs, illumos); the tests check
/// it against `/proc` on Linux.
#[cfg(any(test, not(target_os = "linux")))]
const RUSAGE_CHILDREN: c_int = -1;

/// `struct timeval`: `time_t` is a `long` on every Unix xtask builds for (64-bit: 8 bytes);
/// `suseconds_t` a `long` too, but an `int` on Apple's OSes (then padded to 16 bytes).
#[cfg(any(test, not(target_os = "linux")))]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Timeval {
    tv_sec: c_long,
    #[cfg(target_vendor = "apple")]
    tv_usec: i32,
    #[cfg(not(target_vendor = "apple"))]
    tv_usec: c_long,
}

/// `struct rusage`: two `timeval`s, then fourteen `long`s (maxrss … nivcsw) on every Unix.
#[cfg(any(test, not(target_os = "linux")))]
#[repr(C)]
#[derive(Debug, Default)]
struct Rusage {
    ru_utime: Timeval,
    ru_stime: Timeval,
    _rest: [c_long; 14],
}

// The sizes each OS's headers give, on 64-bit targets: 16 and 144 bytes.
#[cfg(all(any(test, not(target_os = "linux")), target_pointer_width = "64"))]
const _: () = assert!(size_of::<Timeval>() == 16 && size_of::<Rusage>() == 144);

#[cfg(any(test, not(target_os = "linux")))]
impl Timeval {
    fn duration(self) -> Option<Duration> {
        let secs = u64::try_from(self.tv_sec).ok()?;
        let micros = u64::try_from(self.tv_usec).ok()?;
        Some(Duration::from_secs(secs) + Duration::from_micros(micros))
    }
}

/// User plus system CPU time of all the children this process has waited for, so far
/// (`getrusage(RUSAGE_CHILDREN)`, microseconds).
#[cfg(any(test, not(target_os = "linux")))]
pub(crate) fn children_cpu() -> Option<Duration> {
    let mut usage = Rusage::default();
    // SAFETY: `usage` is a writable `struct rusage` of this target's layout (checked above).
    if unsafe { getrusage(RUSAGE_CHILDREN, &mut usage) } != 0 {
        return None;
    }
    Some(usage.ru_utime.duration()? + usage.ru_stime.duration()?)
}

/// What a running demo holds: not measured here (see [`measured`]).
#[cfg(not(target_os = "linux"))]
pub(crate) fn sample(_child: &Child, _program: &std::ffi::OsStr) -> (Usage, Option<Duration>) {
    (Usage::default(), None)
}

/// The demo's process group: it is made the leader of a group of its own, which whatever it
/// starts joins unless it moves out (`setsid`, `setpgid`).
#[derive(Debug)]
pub(crate) struct Group {
    leader: Option<u32>,
}

impl Group {
    pub(crate) fn new() -> std::io::Result<Self> {
        Ok(Self { leader: None })
    }

    /// Makes the process `command` starts the leader of a new group.
    pub(crate) fn prepare(&self, command: &mut Command) {
        command.process_group(0);
    }

    /// Takes the started demo as the group's leader.
    pub(crate) fn adopt(&mut self, child: &Child) -> std::io::Result<()> {
        self.leader = Some(child.id());
        Ok(())
    }

    /// Kills every process of the group with SIGKILL.
    pub(crate) fn kill(&self) {
        if let Some(leader) = self.leader {
            kill_group(leader);
        }
    }

    /// How many processes of the group run: not counted on Unix (the group's members
    /// cannot be listed without `/proc`; Linux finds them by their mark instead).
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn running(&self) -> Option<usize> {
        None
    }
}

// `pid_t` is std's `i32`, on this target: a type check, compiled per target.
#[allow(
    deprecated,
    reason = "std's `pid_t` is deprecated for libc's, which xtask does not take"
)]
const _: fn(std::os::unix::raw::pid_t) -> i32 = |pid| pid;

/// Kills every process of the process group `group` with SIGKILL. A group with no process
/// left is no error: there is nothing to kill.
///
/// Ids that do not name one group (0: our own group; 1, which would make the call
/// `kill(-1, …)`, every process we may signal) are ignored; a demo's group is its pid,
/// never either.
pub(crate) fn kill_group(group: u32) {
    if let Some(target) = group_target(group) {
        // SAFETY: no pointer arguments; `target` names exactly one process group.
        unsafe { kill(target, SIGKILL) };
    }
}

/// The `kill` argument that names the group `group` alone, if one does.
fn group_target(group: u32) -> Option<i32> {
    match i32::try_from(group) {
        Ok(group) if group > 1 => Some(-group),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Command;

    use super::*;

    #[test]
    fn sigkill_is_std_s() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        child.kill().unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(SIGKILL));
    }

    #[test]
    fn kill_group_kills_the_group() {
        // Its other members: see the runner's tests.
        let mut leader = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        kill_group(leader.id());
        assert_eq!(leader.wait().unwrap().signal(), Some(SIGKILL));
    }

    /// The layout of `struct rusage` and `RUSAGE_CHILDREN`, checked against `/proc` (Linux's
    /// `cutime` and `cstime`, in 10 ms ticks).
    #[cfg(target_os = "linux")]
    #[test]
    fn getrusage_agrees_with_proc() {
        let before = children_cpu().unwrap();
        let status = Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let after = children_cpu().unwrap();
        let proc = crate::cpu::children_cpu().unwrap();
        assert!(after > before, "{before:?} then {after:?}");
        let gap = after.abs_diff(proc);
        assert!(
            gap <= Duration::from_millis(50),
            "getrusage {after:?}, /proc {proc:?}"
        );
    }

    #[test]
    fn only_one_group_is_ever_named() {
        assert_eq!(group_target(4242), Some(-4242));
        // `kill(0, …)` is our own group, `kill(-1, …)` every process we may signal.
        assert_eq!(group_target(0), None);
        assert_eq!(group_target(1), None);
        assert_eq!(group_target(u32::MAX), None);
    }
}
