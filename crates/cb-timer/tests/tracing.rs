//! What a `tracing` subscriber sees: timers armed, fired (and how late),
//! cancelled, and callbacks that panicked.
//!
//! The scheduler's events come from its own thread, so the subscriber must
//! be the global one; this file therefore holds a single test, and nothing
//! else in this process emits events.

mod helpers;

use std::sync::mpsc;
use std::time::Duration;

use cb_timer::{CancelOutcome, JoinError, Scheduler, Timer};
use helpers::support::{Collector, Seen};
use tracing::Level;

/// The questions this test asks of the collector.
trait TimerEvents {
    /// Waits (a bounded time) until an event with this message and timer id
    /// has been seen, and returns it.
    fn expect(&self, message: &str, timer: u64) -> Seen;
    fn find(&self, message: &str, timer: u64) -> Option<Seen>;
}

impl TimerEvents for Collector {
    fn expect(&self, message: &str, timer: u64) -> Seen {
        for _ in 0..500 {
            if let Some(seen) = self.find(message, timer) {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "no {message:?} event for timer {timer}; saw {:#?}",
            self.seen()
        );
    }

    fn find(&self, message: &str, timer: u64) -> Option<Seen> {
        let timer = timer.to_string();
        self.events(message)
            .into_iter()
            .find(|e| e.message == message && e.field("timer") == Some(timer.as_str()))
    }
}

fn timer_id(handle: &cb_timer::TimerHandle) -> u64 {
    // `TimerId` displays as `timer#N`; events carry the bare number.
    handle.id().to_string()["timer#".len()..].parse().unwrap()
}

#[test]
fn a_subscriber_sees_what_happens_to_each_timer() {
    let collector = Collector::default();
    tracing::subscriber::set_global_default(collector.clone()).unwrap();

    let scheduler = Scheduler::builder()
        .name("traced")
        .on_panic(|_| {})
        .build()
        .unwrap();

    // Armed, then fired with its lateness.
    let (tx, rx) = mpsc::channel();
    let fired = scheduler.after(Duration::from_millis(5), move || tx.send(()).unwrap());
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let armed = collector.expect("timer armed", timer_id(&fired));
    assert_eq!(armed.level, Level::TRACE);
    assert!(armed.field("deadline_ns").is_some(), "{armed:?}");
    let event = collector.expect("timer fired", timer_id(&fired));
    assert_eq!(event.level, Level::TRACE);
    let late: u64 = event.field("late_us").unwrap().parse().unwrap();
    assert!(late < 60_000_000, "lateness is in microseconds: {late}");

    // Cancelled: a debug event, and no "fired".
    let cancelled = scheduler.after(Duration::from_secs(3600), || {});
    assert_eq!(cancelled.cancel(), CancelOutcome::Cancelled);
    let event = collector.expect("timer cancelled", timer_id(&cancelled));
    assert_eq!(event.level, Level::DEBUG);
    assert!(
        collector
            .find("timer fired", timer_id(&cancelled))
            .is_none()
    );

    // A panicking callback: an error event naming the timer and the panic.
    let panicked = scheduler.after(Duration::ZERO, || panic!("boom in a callback"));
    let event = collector.expect("timer callback panicked", timer_id(&panicked));
    assert_eq!(event.level, Level::ERROR);
    assert_eq!(event.field("panic"), Some("boom in a callback"));

    // The scheduler's lifetime.
    drop(scheduler);
    let stopped = collector
        .seen()
        .iter()
        .any(|e| e.message == "scheduler stopped" && e.field("scheduler") == Some("traced"));
    assert!(stopped, "no 'scheduler stopped' event");

    // The thread-per-timer `Timer` reports the same story.
    let timer = Timer::new(Duration::from_millis(1), || panic!("boom on a thread"));
    timer.start().unwrap();
    assert_eq!(
        timer.join(),
        Err(JoinError::Panicked("boom on a thread".into()))
    );
    let events = collector.seen();
    for message in ["timer thread armed", "timer thread fired"] {
        assert!(
            events.iter().any(|e| e.message == message),
            "no {message:?} event"
        );
    }
    assert!(
        events.iter().any(|e| e.level == Level::ERROR
            && e.message == "timer callback panicked"
            && e.field("panic") == Some("boom on a thread")),
        "no panic event from the timer thread"
    );
}
