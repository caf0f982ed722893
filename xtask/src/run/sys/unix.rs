//! What every Unix has: `kill`, to end a whole process group.

use std::ffi::c_int;

/// SIGKILL: 9 on every Unix (fixed by POSIX); the tests check it against std's.
pub(super) const SIGKILL: c_int = 9;

unsafe extern "C" {
    // `pid_t` is `i32` on every Unix std supports (checked below).
    pub(super) fn kill(pid: i32, sig: c_int) -> c_int;
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

    #[test]
    fn only_one_group_is_ever_named() {
        assert_eq!(group_target(4242), Some(-4242));
        // `kill(0, …)` is our own group, `kill(-1, …)` every process we may signal.
        assert_eq!(group_target(0), None);
        assert_eq!(group_target(1), None);
        assert_eq!(group_target(u32::MAX), None);
    }
}
