//! Waiting in tests without hanging them: a scenario on its own thread with
//! a deadline, and polling a condition until it holds.

use std::panic;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `scenario` on its own thread and returns what it returns; fails the
/// test if it does not finish within `patience` (a deadlock, a loop that
/// never returns), and passes its panic on if it panics.
///
/// # Panics
///
/// If `scenario` panics, or does not finish within `patience`.
pub fn without_hanging<R, F>(patience: Duration, scenario: F) -> R
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let out = scenario();
        let _ = done_tx.send(());
        out
    });
    match done_rx.recv_timeout(patience) {
        // Disconnected: the scenario panicked; `join` hands the panic over.
        Ok(()) | Err(RecvTimeoutError::Disconnected) => worker
            .join()
            .unwrap_or_else(|payload| panic::resume_unwind(payload)),
        Err(RecvTimeoutError::Timeout) => {
            panic!("the scenario did not finish within {patience:?}: a hang or a deadlock?")
        }
    }
}

/// Polls `condition` every millisecond until it holds (true) or `timeout`
/// passes (false).
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
}
