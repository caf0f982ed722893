//! What a demo measures of its own process: how many threads it has, and its peak memory.
//!
//! Both are read from `/proc/self`, so they work on Linux only; elsewhere they fail, and so
//! does the demo that asked, rather than print a number it did not measure.

use std::error::Error;
use std::fmt;
use std::fs;
use std::io;

/// A file of `/proc/self` could not be read, or did not say what was asked.
#[derive(Debug)]
pub struct ProcError {
    path: &'static str,
    source: io::Error,
}

impl fmt::Display for ProcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}", self.path)
    }
}

impl Error for ProcError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// The number of threads the process has now, the calling one included: the entries of
/// `/proc/self/task`, one per thread.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::thread;
///
/// let before = demos::thread_count()?;
/// let (stop, stopped) = mpsc::channel::<()>();
/// let waiting = thread::spawn(move || stopped.recv());
/// assert_eq!(demos::thread_count()?, before + 1);
/// drop(stop);
/// waiting.join().unwrap().unwrap_err();
/// # Ok::<(), demos::ProcError>(())
/// ```
///
/// # Errors
///
/// [`ProcError`] if `/proc/self/task` cannot be read: not Linux, or no `/proc`.
pub fn thread_count() -> Result<usize, ProcError> {
    const PATH: &str = "/proc/self/task";
    let error = |source| ProcError { path: PATH, source };
    let mut threads = 0;
    for entry in fs::read_dir(PATH).map_err(error)? {
        entry.map_err(error)?;
        threads += 1;
    }
    Ok(threads)
}

/// The most memory the process has held in RAM so far (its peak resident set size, `VmHWM` in
/// `/proc/self/status`), in bytes.
///
/// # Errors
///
/// [`ProcError`] if `/proc/self/status` cannot be read or has no `VmHWM` line.
pub fn peak_memory() -> Result<u64, ProcError> {
    const PATH: &str = "/proc/self/status";
    let error = |source| ProcError { path: PATH, source };
    let status = fs::read_to_string(PATH).map_err(error)?;
    // The line reads `VmHWM:	    2468 kB`.
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix(" kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| error(io::Error::new(io::ErrorKind::InvalidData, "no VmHWM line")))
}
