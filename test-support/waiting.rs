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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quick_scenario_returns_its_value() {
        assert_eq!(without_hanging(Duration::from_secs(5), || 7), 7);
    }

    #[test]
    #[should_panic(expected = "did not finish")]
    fn a_hanging_scenario_fails() {
        without_hanging(Duration::from_millis(10), || {
            thread::sleep(Duration::from_secs(1));
        });
    }

    #[test]
    fn wait_until_says_whether_the_condition_came() {
        assert!(wait_until(Duration::from_secs(1), || true));
        assert!(!wait_until(Duration::from_millis(5), || false));
    }
}
