//! What a `tracing` subscriber sees: every state change of a future, named
//! by the address its repr prints, and an error for a panicking callback.
//!
//! Completion may happen on any thread, so the subscriber must be the global
//! one; this file therefore holds a single test, and nothing else in this
//! process emits events.

mod helpers;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use simple_future::Future;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

use helpers::repr_address;

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
    /// Every event about the future whose repr is `repr`, in order.
    fn about(&self, repr: &str) -> Vec<Seen> {
        let address = repr_address(repr);
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.field("future") == Some(address))
            .cloned()
            .collect()
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

/// `(level, message, state field)` of each event.
fn story(events: &[Seen]) -> Vec<(Level, &str, Option<&str>)> {
    events
        .iter()
        .map(|e| (e.level, e.message.as_str(), e.field("state")))
        .collect()
}

#[test]
fn a_subscriber_sees_each_state_change_and_each_panicking_callback() {
    let collector = Collector::default();
    tracing::subscriber::set_global_default(collector.clone()).unwrap();

    // Pending → Running → Finished; a refused second completion is silent.
    let finished: Future<u32> = Future::new();
    finished.set_running_or_notify_cancel().unwrap();
    finished.set_result(1).unwrap();
    assert!(finished.set_result(2).is_err());
    assert_eq!(
        story(&collector.about(&finished.to_string())),
        [
            (Level::TRACE, "future running", None),
            (Level::TRACE, "future done", Some("finished")),
        ]
    );

    // Raised, on another thread: the same story, from that thread.
    let raised: Future<u32> = Future::new();
    let producer = raised.clone();
    thread::spawn(move || producer.set_exception("boom".into()).unwrap())
        .join()
        .unwrap();
    assert_eq!(
        story(&collector.about(&raised.to_string())),
        [(Level::TRACE, "future done", Some("finished"))]
    );

    // Cancelled: once, however often cancel is called.
    let cancelled: Future<u32> = Future::new();
    assert!(cancelled.cancel());
    assert!(cancelled.cancel());
    assert_eq!(
        story(&collector.about(&cancelled.to_string())),
        [(Level::TRACE, "future done", Some("cancelled"))]
    );

    // Abandoned: the state change, then a debug event saying why.
    let abandoned: Future<u32> = Future::new();
    let observer = abandoned.observer();
    drop(abandoned);
    assert_eq!(
        story(&collector.about(&observer.to_string())),
        [
            (Level::TRACE, "future done", Some("abandoned")),
            (Level::DEBUG, "future abandoned", None),
        ]
    );

    // A panicking callback: an error event naming the future and the panic.
    let panics: Future<u32> = Future::new();
    panics.add_done_callback(|_| panic!("boom in a callback"));
    panics.add_done_callback(|_| std::panic::panic_any(7_u8));
    panics.set_result(1).unwrap();
    panics.add_done_callback(|_| panic!("boom after done"));
    let errors: Vec<_> = collector
        .about(&panics.to_string())
        .into_iter()
        .filter(|e| e.level == Level::ERROR)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors.iter().all(|e| e.message == "done callback panicked"));
    let messages: Vec<_> = errors.iter().map(|e| e.field("panic")).collect();
    assert_eq!(
        messages,
        [
            Some("boom in a callback"),
            Some("<non-string payload>"),
            Some("boom after done")
        ]
    );
}
