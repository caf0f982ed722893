//! The process table as `/proc` shows it (Linux): each process's parent, group and whether
//! it is a zombie, and whether its environment carries a run's mark.

use std::collections::HashMap;
use std::fs;

/// One process, from `/proc/PID/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Proc {
    pub(super) pid: u32,
    /// The parent's process id (a thread group's, even when a thread of it adopted this one).
    pub(super) ppid: u32,
    pub(super) pgrp: u32,
    /// It has ended and waits to be reaped: it runs no more, and its environment cannot be
    /// read.
    pub(super) zombie: bool,
}

/// Every process visible now. A process that ends while the table is read is left out.
pub(super) fn table() -> Vec<Proc> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(pid, &stat)
    })
    .collect()
}

/// Reads fields 3 to 5 (state, ppid, pgrp; 1-based as in proc(5)) of a stat line.
fn parse_stat(pid: u32, stat: &str) -> Option<Proc> {
    // Field 2 is the command name in parentheses and may hold spaces or `)`.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(Proc {
        pid,
        ppid,
        pgrp,
        zombie: matches!(state, "Z" | "X" | "x"),
    })
}

/// The descendants of `root` in `table`, `root` left out.
pub(super) fn descendants(table: &[Proc], root: u32) -> Vec<Proc> {
    let mut children: HashMap<u32, Vec<Proc>> = HashMap::new();
    for p in table {
        children.entry(p.ppid).or_default().push(*p);
    }
    let mut found = Vec::new();
    let mut next = vec![root];
    while let Some(parent) = next.pop() {
        // `remove`: each process is visited once, even if the table (read over time) is not
        // a tree.
        for child in children.remove(&parent).unwrap_or_default() {
            next.push(child.pid);
            found.push(child);
        }
    }
    found
}

/// Whether the environment `pid` started its program with holds the entry `entry`
/// (`KEY=VALUE`). False if it cannot be read: a zombie's, or another user's.
pub(super) fn carries(pid: u32, entry: &str) -> bool {
    fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(|e| e == entry.as_bytes()))
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn reads_state_parent_and_group() {
        let stat = "4242 (a) b (c)) Z 7 8 9 10 11";
        assert_eq!(
            parse_stat(4242, stat),
            Some(Proc {
                pid: 4242,
                ppid: 7,
                pgrp: 8,
                zombie: true
            })
        );
        assert_eq!(parse_stat(1, "1 (init) S 0"), None);
        assert_eq!(parse_stat(1, "garbage"), None);
    }

    #[test]
    fn finds_descendants_only() {
        let p = |pid, ppid| Proc {
            pid,
            ppid,
            pgrp: 0,
            zombie: false,
        };
        let table = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 10), p(20, 1)];
        let mut pids: Vec<u32> = descendants(&table, 10).iter().map(|p| p.pid).collect();
        pids.sort_unstable();
        assert_eq!(pids, [11, 12, 13]);
        // A loop (a table read while pids were reused) ends.
        assert_eq!(descendants(&[p(5, 6), p(6, 5)], 5).len(), 2);
    }

    #[test]
    fn sees_a_child_and_its_environment() {
        let mut child = Command::new("sleep")
            .arg("30")
            .env("XTASK_PROCFS_TEST", "yes")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        // `spawn` returns once the child exists, maybe before its `execve`:
        // until then /proc shows our own command line and environment.
        let exec_done =
            || std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !exec_done() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let me = std::process::id();
        let table = table();
        let seen = descendants(&table, me).into_iter().find(|p| p.pid == pid);
        assert!(seen.is_some_and(|p| p.ppid == me && !p.zombie), "{seen:?}");
        assert!(carries(pid, "XTASK_PROCFS_TEST=yes"));
        assert!(!carries(pid, "XTASK_PROCFS_TEST=ye"));
        assert!(!carries(pid, "XTASK_PROCFS_TEST"));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!carries(pid, "XTASK_PROCFS_TEST=yes"));
    }
}
