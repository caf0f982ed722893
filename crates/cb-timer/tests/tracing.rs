//! What a `tracing` subscriber sees: timers armed, fired (and how late),
//! cancelled, and callbacks that panicked.
//!
//! The scheduler's events come from its own thread, so the subscriber must
//! be the global one; this file therefore holds a single test, and nothing
//! else in this process emits events.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use cb_timer::{CancelOutcome, JoinError, Scheduler, Timer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event as the subscriber saw it.
#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    message: String,
    /// Every other field, as `name=value`.
    fields: Vec<String>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
    }
}

#[derive(Clone, Default)]
struct Collector {
    events: Arc<Mutex<Vec<Seen>>>,
    next_span: Arc<AtomicU64>,
}

impl Collector {
    /// Waits (a bounded time) until an event with this message and timer id
    /// has been seen, and returns it.
    fn expect(&self, message: &str, timer: u64) -> Seen {
        for _ in 0..500 {
            if let Some(seen) = self.find(message, timer) {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "no {message:?} event for timer {timer}; saw {:#?}",
            self.events.lock().unwrap()
        );
    }

    fn find(&self, message: &str, timer: u64) -> Option<Seen> {
        let timer = timer.to_string();
        self.events
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.message == message && e.field("timer") == Some(timer.as_str()))
            .cloned()
    }
}

struct Fields<'a>(&'a mut Seen);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0.message = format!("{value:?}");
        } else {
            self.0.fields.push(format!("{}={value:?}", field.name()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

impl Subscriber for Collector {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut seen = Seen {
            level: *event.metadata().level(),
            message: String::new(),
            fields: Vec::new(),
        };
        event.record(&mut Fields(&mut seen));
        self.events.lock().unwrap().push(seen);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
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
        .events
        .lock()
        .unwrap()
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
    let events = collector.events.lock().unwrap().clone();
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
