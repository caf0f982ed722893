//! The clean-up on Linux, where xtask adopts what a demo leaves and can find all of it.
//!
//! xtask is a child subreaper (`sys/linux.rs`): a process the demo started that outlives its
//! parent becomes a child of xtask, whatever group or session it moved to. Once the demo is
//! reaped, everything it left running is therefore a descendant of xtask. The clean-up
//! counts those that carry the run's mark, kills the demo's group, then kills and reaps
//! every child of xtask that carries the mark, round after round (a killed process's own
//! children are adopted before it can be reaped, and are found in the next round), and
//! finally counts what still carries it.

use std::collections::HashSet;
use std::thread;
use std::time::{Duration, Instant};

use super::procfs;
use super::{Mark, SWEEP_LIMIT, Swept};
use crate::run::sys::{self, Group};

/// Kills what the demo left running: its process `group` (named by the demo's pid `demo`:
/// call this after the demo was reaped), and every process that carries `mark`.
pub(in crate::run) fn clean_up(group: &Group, demo: u32, mark: &Mark) -> Swept {
    let me = std::process::id();
    let running = || -> HashSet<u32> {
        procfs::descendants(&procfs::table(), me)
            .into_iter()
            .filter(|p| !p.zombie && procfs::carries(p.pid, &mark.entry))
            .map(|p| p.pid)
            .collect()
    };
    let found = running();
    group.kill();
    let deadline = Instant::now() + SWEEP_LIMIT;
    loop {
        let mut acted = false;
        for p in procfs::table().into_iter().filter(|p| p.ppid == me) {
            // A zombie shows no environment: one of the demo's group (killed with it, or
            // adopted dead) is the run's. Not the group's leader, though: that would be
            // another run's demo, which reused the pid once this demo's group was gone, and
            // which its `Child` reaps. Zombies of other groups stay until xtask exits; they
            // run no more.
            let ours = if p.zombie {
                p.pgrp == demo && p.pid != demo
            } else {
                procfs::carries(p.pid, &mark.entry)
            };
            if !ours {
                continue;
            }
            if !p.zombie {
                // Ours to reap, so its pid cannot be reused before `reap`.
                sys::kill_child(p.pid);
            }
            reap(p.pid, deadline);
            acted = true;
        }
        if !acted || Instant::now() >= deadline {
            break;
        }
    }
    let left = running();
    Swept {
        killed: Some(found.difference(&left).count()),
        running: Some(left.len()),
    }
}

/// Waits for the killed child `pid` to end and reaps it, until `deadline` (a process in
/// uninterruptible sleep dies only when its I/O ends).
fn reap(pid: u32, deadline: Instant) {
    while let Ok(false) = sys::try_reap(pid) {
        if Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
}
