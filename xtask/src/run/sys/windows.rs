//! Windows: a job object holds the demo and everything it starts, so that one call ends
//! them all and counts what is left; the process handle gives its CPU time
//! (`GetProcessTimes`) and peak memory (`K32GetProcessMemoryInfo`), and a Toolhelp snapshot
//! its threads.
//!
//! A process started by a process in a job is in that job too (unless the job allows
//! breaking away, which xtask's does not), so the demo's children and grandchildren are
//! found wherever they go. The demo is started suspended (`CREATE_SUSPENDED`), put in the
//! job, then resumed (`NtResumeProcess`, since std does not give the handle of its first
//! thread): it cannot start anything before it is in the job.

use std::ffi::{OsStr, c_char, c_void};
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::os::windows::process::CommandExt;
use std::process::{Child, Command};
use std::ptr;
use std::sync::OnceLock;
use std::time::Duration;

use crate::outcome::Measured;
use crate::usage::Usage;

/// Windows measures everything the runner asks for; under Wine, not the CPU time (see
/// [`WINE_CPU`]).
pub(crate) fn measured() -> Measured {
    if under_wine() {
        Measured {
            cpu: false,
            cpu_over_time: false,
            ..Measured::ALL
        }
    } else {
        Measured::ALL
    }
}

/// Why Wine cannot give a demo's CPU time. Measured with Wine 8.0: the times it gives for a
/// demo that spins (`busy-loop`, a core busy for 2 s) and for one that sleeps grow together
/// from run to run, as xtask's own CPU time does; and the job's accounting
/// (`JobObjectBasicAccountingInformation`) counts its processes but gives zero times, for a
/// child that spun 1.5 s.
pub(crate) const WINE_CPU: &str = "under Wine, GetProcessTimes on another process's handle \
     answers with the caller's own CPU time, not the demo's";

/// Why something is not measured here, if there is more to say than "this OS".
pub(crate) fn not_measured_because() -> Option<&'static str> {
    under_wine().then_some(WINE_CPU)
}

/// Whether this runs under Wine, whose `ntdll.dll` exports `wine_get_version`.
fn under_wine() -> bool {
    static WINE: OnceLock<bool> = OnceLock::new();
    *WINE.get_or_init(|| {
        let ntdll: Vec<u16> = "ntdll.dll\0".encode_utf16().collect();
        // SAFETY: a NUL-terminated wide string; ntdll is loaded in every process, and the
        // handle GetModuleHandleW returns needs no closing.
        let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
        // SAFETY: a NUL-terminated name; the address is only compared with null.
        !module.is_null()
            && !unsafe { GetProcAddress(module, c"wine_get_version".as_ptr()) }.is_null()
    })
}

type Handle = *mut c_void;
type Bool = i32;

/// `JobObjectBasicAccountingInformation`, a `JOBOBJECTINFOCLASS`.
const JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION: i32 = 1;

/// `CREATE_SUSPENDED`, a process creation flag: its first thread waits to be resumed.
const CREATE_SUSPENDED: u32 = 0x4;

/// `TH32CS_SNAPTHREAD`: a snapshot of every thread of the system.
const TH32CS_SNAPTHREAD: u32 = 0x4;

/// `INVALID_HANDLE_VALUE`, what `CreateToolhelp32Snapshot` returns when it fails.
const INVALID_HANDLE_VALUE: Handle = -1_isize as Handle;

/// `FILETIME`: a count of 100 ns intervals, in two halves.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct FileTime {
    low: u32,
    high: u32,
}

impl FileTime {
    fn duration(self) -> Duration {
        let ticks = (u64::from(self.high) << 32) | u64::from(self.low);
        Duration::from_nanos(ticks.saturating_mul(100))
    }
}

/// `JOBOBJECT_BASIC_ACCOUNTING_INFORMATION`.
#[repr(C)]
#[derive(Debug, Default)]
struct JobAccounting {
    total_user_time: i64,
    total_kernel_time: i64,
    this_period_total_user_time: i64,
    this_period_total_kernel_time: i64,
    total_page_fault_count: u32,
    total_processes: u32,
    active_processes: u32,
    total_terminated_processes: u32,
}

/// `PROCESS_MEMORY_COUNTERS`.
#[repr(C)]
#[derive(Debug, Default)]
struct MemoryCounters {
    cb: u32,
    page_fault_count: u32,
    peak_working_set_size: usize,
    working_set_size: usize,
    quota_peak_paged_pool_usage: usize,
    quota_paged_pool_usage: usize,
    quota_peak_non_paged_pool_usage: usize,
    quota_non_paged_pool_usage: usize,
    pagefile_usage: usize,
    peak_pagefile_usage: usize,
}

/// `THREADENTRY32`.
#[repr(C)]
#[derive(Debug, Default)]
struct ThreadEntry {
    dw_size: u32,
    cnt_usage: u32,
    th32_thread_id: u32,
    th32_owner_process_id: u32,
    tp_base_pri: i32,
    tp_delta_pri: i32,
    dw_flags: u32,
}

// The sizes the Windows SDK gives (x86_64 and aarch64; 40 for the memory counters on 32-bit).
const _: () = assert!(size_of::<FileTime>() == 8);
const _: () = assert!(size_of::<JobAccounting>() == 48);
const _: () = assert!(
    size_of::<MemoryCounters>()
        == if cfg!(target_pointer_width = "64") {
            72
        } else {
            40
        }
);
const _: () = assert!(size_of::<ThreadEntry>() == 28);

#[link(name = "kernel32")]
unsafe extern "system" {
    fn CreateJobObjectW(attributes: *const c_void, name: *const u16) -> Handle;
    fn AssignProcessToJobObject(job: Handle, process: Handle) -> Bool;
    fn TerminateJobObject(job: Handle, exit_code: u32) -> Bool;
    fn QueryInformationJobObject(
        job: Handle,
        class: i32,
        info: *mut c_void,
        length: u32,
        returned: *mut u32,
    ) -> Bool;
    fn GetProcessTimes(
        process: Handle,
        creation: *mut FileTime,
        exit: *mut FileTime,
        kernel: *mut FileTime,
        user: *mut FileTime,
    ) -> Bool;
    fn K32GetProcessMemoryInfo(process: Handle, counters: *mut MemoryCounters, cb: u32) -> Bool;
    fn CreateToolhelp32Snapshot(flags: u32, process_id: u32) -> Handle;
    fn Thread32First(snapshot: Handle, entry: *mut ThreadEntry) -> Bool;
    fn Thread32Next(snapshot: Handle, entry: *mut ThreadEntry) -> Bool;
    fn GetModuleHandleW(name: *const u16) -> Handle;
    fn GetProcAddress(module: Handle, name: *const c_char) -> *const c_void;
}

#[link(name = "ntdll")]
unsafe extern "system" {
    /// Resumes every thread of a process; an `NTSTATUS` (negative: an error).
    fn NtResumeProcess(process: Handle) -> i32;
}

/// No reaped-children total on Windows: the demo's own times are read from its handle
/// ([`process_cpu`]).
pub(crate) fn children_cpu() -> Option<Duration> {
    None
}

/// User plus kernel time of `child` so far (it may have exited: its handle still answers);
/// `None` under Wine, which answers with our own.
pub(crate) fn process_cpu(child: &Child) -> Option<Duration> {
    if under_wine() {
        return None;
    }
    let [mut creation, mut exit, mut kernel, mut user] = [FileTime::default(); 4];
    // SAFETY: the handle is the child's, open while `child` lives; four writable FILETIMEs.
    let ok = unsafe {
        GetProcessTimes(
            child.as_raw_handle(),
            &mut creation,
            &mut exit,
            &mut kernel,
            &mut user,
        )
    };
    (ok != 0).then(|| kernel.duration() + user.duration())
}

/// What the running demo holds (its threads, its peak working set) and its CPU time so far.
pub(crate) fn sample(child: &Child, _program: &OsStr) -> (Usage, Option<Duration>) {
    let usage = Usage {
        threads: threads_of(child.id()),
        rss_peak: peak_working_set(child),
    };
    (usage, process_cpu(child))
}

/// The peak working set of `child`, in bytes.
fn peak_working_set(child: &Child) -> Option<u64> {
    let mut counters = MemoryCounters {
        cb: size_of::<MemoryCounters>() as u32,
        ..MemoryCounters::default()
    };
    // SAFETY: the handle is the child's; `counters` is writable and its size is in `cb`.
    let ok = unsafe { K32GetProcessMemoryInfo(child.as_raw_handle(), &mut counters, counters.cb) };
    (ok != 0 && counters.peak_working_set_size > 0).then_some(counters.peak_working_set_size as u64)
}

/// How many threads process `pid` has now, from a snapshot of the system's threads.
fn threads_of(pid: u32) -> Option<usize> {
    // SAFETY: no pointer arguments; the handle returned is closed by `OwnedHandle`.
    let snapshot = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) };
    if snapshot == INVALID_HANDLE_VALUE || snapshot.is_null() {
        return None;
    }
    // SAFETY: a handle we own, closed once.
    let snapshot = unsafe { OwnedHandle::from_raw_handle(snapshot) };
    let mut entry = ThreadEntry {
        dw_size: size_of::<ThreadEntry>() as u32,
        ..ThreadEntry::default()
    };
    let mut count = 0;
    // SAFETY: `entry` is writable, its size in `dw_size` as the calls require.
    let mut more = unsafe { Thread32First(snapshot.as_raw_handle(), &mut entry) } != 0;
    while more {
        if entry.th32_owner_process_id == pid {
            count += 1;
        }
        // SAFETY: as above.
        more = unsafe { Thread32Next(snapshot.as_raw_handle(), &mut entry) } != 0;
    }
    // A process has at least one thread while it runs: none is no reading.
    (count > 0).then_some(count)
}

/// The demo and everything it starts: a job object.
#[derive(Debug)]
pub(crate) struct Group {
    job: OwnedHandle,
}

impl Group {
    pub(crate) fn new() -> io::Result<Self> {
        // SAFETY: null attributes and name are allowed (default security, unnamed).
        let job = unsafe { CreateJobObjectW(ptr::null(), ptr::null()) };
        if job.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a handle we own, closed once.
        Ok(Self {
            job: unsafe { OwnedHandle::from_raw_handle(job) },
        })
    }

    /// Starts the demo suspended, so that it joins the job before it runs.
    pub(crate) fn prepare(&self, command: &mut Command) {
        command.creation_flags(CREATE_SUSPENDED);
    }

    /// Puts the started (suspended) demo in the job, then lets it run; what it starts joins
    /// the job too.
    pub(crate) fn adopt(&mut self, child: &Child) -> io::Result<()> {
        // SAFETY: both handles are open (the job's by `self`, the child's by `child`).
        let ok =
            unsafe { AssignProcessToJobObject(self.job.as_raw_handle(), child.as_raw_handle()) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the child's handle is open, with every access right.
        let status = unsafe { NtResumeProcess(child.as_raw_handle()) };
        if status < 0 {
            return Err(io::Error::other(format!(
                "cannot resume the demo (NTSTATUS {status:#x})"
            )));
        }
        Ok(())
    }

    /// Ends every process of the job (exit code 1).
    pub(crate) fn kill(&self) {
        // SAFETY: the job's handle is open.
        unsafe { TerminateJobObject(self.job.as_raw_handle(), 1) };
    }

    /// How many processes of the job are still running.
    pub(crate) fn running(&self) -> Option<usize> {
        let mut info = JobAccounting::default();
        // SAFETY: `info` is a writable JOBOBJECT_BASIC_ACCOUNTING_INFORMATION of the length
        // given; the returned length may be null.
        let ok = unsafe {
            QueryInformationJobObject(
                self.job.as_raw_handle(),
                JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION,
                (&raw mut info).cast(),
                size_of::<JobAccounting>() as u32,
                ptr::null_mut(),
            )
        };
        (ok != 0).then_some(info.active_processes as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::env;
    use std::process::Stdio;
    use std::thread;
    use std::time::Instant;

    use super::*;

    /// Set in the processes the tests start: `parent` starts a `sleeper` and sleeps too.
    const ROLE: &str = "XTASK_JOB_TEST_ROLE";

    /// This test binary again, running only [`helper`] in `role`.
    fn helper_command(role: &str) -> Command {
        let mut command = Command::new(env::current_exe().unwrap());
        command
            .args(["--exact", "run::sys::windows::tests::helper", "--nocapture"])
            .env(ROLE, role)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Does nothing in a normal test run; in a process a test started, plays its role.
    #[test]
    fn helper() {
        match env::var(ROLE).as_deref() {
            Ok("parent") => {
                // Killed with the job before it ends; never waited for, as a demo's may not be.
                let mut sleeper = helper_command("sleeper").spawn().unwrap();
                thread::sleep(Duration::from_secs(30));
                let _ = sleeper.wait();
            }
            Ok("sleeper") => thread::sleep(Duration::from_secs(30)),
            _ => {}
        }
    }

    /// Waits until `f` holds, for at most 20 s.
    fn eventually(what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !f() {
            assert!(Instant::now() < deadline, "{what}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_job_holds_kills_and_counts_what_the_demo_started() {
        let mut group = Group::new().unwrap();
        let mut command = helper_command("parent");
        group.prepare(&mut command);
        let mut parent = command.spawn().unwrap();
        // Started suspended: it runs once it is in the job.
        group.adopt(&parent).unwrap();
        // The parent and the sleeper it started, which joined the job with it.
        eventually("the sleeper did not join the job", || {
            group.running() == Some(2)
        });
        let usage = sample(&parent, OsStr::new("")).0;
        assert!(usage.threads.is_some_and(|n| n >= 1), "{usage:?}");
        assert!(usage.rss_peak.is_some_and(|b| b > 0), "{usage:?}");
        group.kill();
        assert_eq!(parent.wait().unwrap().code(), Some(1));
        eventually("the job still runs something", || {
            group.running() == Some(0)
        });
    }

    #[test]
    fn file_times_count_hundreds_of_nanoseconds() {
        let t = FileTime {
            low: 0x0000_0010,
            high: 0x0000_0001,
        };
        assert_eq!(t.duration(), Duration::from_nanos(((1 << 32) + 16) * 100));
    }
}
