//! Linux's child subreaper and the calls to kill and reap one adopted process.
//!
//! A child subreaper (prctl(2), `PR_SET_CHILD_SUBREAPER`) adopts the orphans among its
//! descendants instead of init: a process a demo started that outlives its parent becomes a
//! child of xtask, even after it left the demo's process group and session (`setsid`), so
//! xtask can find it (its parent id is xtask's), kill it and reap it. The kernel reparents
//! a dying process's children before its parent can reap it.

use std::ffi::{OsStr, c_int, c_ulong};
use std::process::Child;
use std::time::Duration;
use std::{io, ptr};

use super::unix::{SIGKILL, kill};
pub(crate) use crate::cpu::children_cpu;
use crate::outcome::Measured;
use crate::usage::{self, Usage};

/// Linux measures everything, from `/proc`.
pub(crate) fn measured() -> Measured {
    Measured::ALL
}

/// What the running demo holds, and its CPU time so far, from `/proc/PID/status` and
/// `/proc/PID/stat` ([`usage`]); nothing while the child is still the copy of xtask it was
/// forked from (not yet running `program`).
pub(crate) fn sample(child: &Child, program: &OsStr) -> (Usage, Option<Duration>) {
    let now = usage::sample(child.id(), program);
    let cpu = now.threads.and(usage::cpu_time(child.id()));
    (now, cpu)
}

/// `PR_SET_CHILD_SUBREAPER`, from `<linux/prctl.h>` (the same on every architecture); the
/// tests check its effect.
const PR_SET_CHILD_SUBREAPER: c_int = 36;

/// `WNOHANG`: 1 on Linux (every architecture); the tests check that it does not block.
const WNOHANG: c_int = 1;

unsafe extern "C" {
    fn prctl(option: c_int, ...) -> c_int;
    fn waitpid(pid: i32, status: *mut c_int, options: c_int) -> i32;
}

/// Makes this process a child subreaper (for good: it is never turned off). `false` if the
/// kernel refused (older than 3.4, or a filter forbids it).
pub(crate) fn become_subreaper() -> bool {
    let on: c_ulong = 1;
    // SAFETY: PR_SET_CHILD_SUBREAPER reads one integer argument and no pointer.
    unsafe { prctl(PR_SET_CHILD_SUBREAPER, on) == 0 }
}

/// Kills `pid`, which must be a child of this process, with SIGKILL.
///
/// A child's id cannot be reused before this process reaps it, so this never signals a
/// stranger, as long as the caller is the only one that reaps it (a process `std` spawned
/// is reaped by its `Child`, and xtask only reaps what it adopted).
pub(crate) fn kill_child(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    // SAFETY: no pointer arguments; `pid` names one process.
    unsafe { kill(pid, SIGKILL) };
}

/// Reaps the child `pid` if it has ended, without waiting: `Ok(true)` if it was reaped,
/// `Ok(false)` if it still runs, an error if it is not a child of this process (`ECHILD`).
pub(crate) fn try_reap(pid: u32) -> io::Result<bool> {
    let pid = match i32::try_from(pid) {
        // 0 and -1 would reap any child: one `std` waits for, too.
        Ok(pid) if pid > 0 => pid,
        _ => return Err(io::ErrorKind::InvalidInput.into()),
    };
    loop {
        // SAFETY: a null status pointer is allowed (the status is not stored).
        let reaped = unsafe { waitpid(pid, ptr::null_mut(), WNOHANG) };
        if reaped == pid {
            return Ok(true);
        }
        if reaped == 0 {
            return Ok(false);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    use super::*;

    /// The parent id of `pid`, from `/proc`.
    fn ppid(pid: u32) -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    #[test]
    fn a_subreaper_adopts_orphans_and_reaps_them() {
        assert!(become_subreaper());
        // The shell exits at once, leaving its background `sleep` an orphan.
        let out = Command::new("sh")
            .args(["-c", "sleep 30 >/dev/null & echo $!"])
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let orphan: u32 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(ppid(orphan), Some(std::process::id()), "not adopted");

        // WNOHANG: a running child is not waited for. Checked on another thread, so that a
        // wrong flag fails the test instead of hanging it.
        let (send, answer) = mpsc::channel();
        thread::spawn(move || {
            let _ = send.send(try_reap(orphan).unwrap());
        });
        let still_running = answer.recv_timeout(Duration::from_secs(10));
        kill_child(orphan);
        assert_eq!(
            still_running,
            Ok(false),
            "waitpid blocked or reaped a live child"
        );

        let deadline = Instant::now() + Duration::from_secs(10);
        while !try_reap(orphan).unwrap() {
            assert!(
                Instant::now() < deadline,
                "{orphan} not reaped after SIGKILL"
            );
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(ppid(orphan), None, "{orphan} is still in /proc");
        // Not a child (any more): an error, not a hang or a reap of another child.
        assert!(try_reap(orphan).is_err());
        assert!(try_reap(0).is_err());
    }
}
