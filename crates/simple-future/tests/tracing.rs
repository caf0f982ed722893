//! What a `tracing` subscriber sees: every state change of a future, named
//! by the address its repr prints, and an error for a panicking callback.
//!
//! Completion may happen on any thread, so the subscriber must be the global
//! one; this file therefore holds a single test, and nothing else in this
//! process emits events.

mod helpers;

use std::thread;

use helpers::support::{Collector, Seen};
use simple_future::Future;
use tracing::Level;

use helpers::repr_address;

/// Every event about the future whose repr is `repr`, in order.
fn about(collector: &Collector, repr: &str) -> Vec<Seen> {
    let address = repr_address(repr);
    collector
        .seen()
        .into_iter()
        .filter(|e| !e.is_span && e.field("future") == Some(address))
        .collect()
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
        story(&about(&collector, &finished.to_string())),
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
        story(&about(&collector, &raised.to_string())),
        [(Level::TRACE, "future done", Some("finished"))]
    );

    // Cancelled: once, however often cancel is called.
    let cancelled: Future<u32> = Future::new();
    assert!(cancelled.cancel());
    assert!(cancelled.cancel());
    assert_eq!(
        story(&about(&collector, &cancelled.to_string())),
        [(Level::TRACE, "future done", Some("cancelled"))]
    );

    // Abandoned: the state change, then a debug event saying why.
    let abandoned: Future<u32> = Future::new();
    let observer = abandoned.observer();
    drop(abandoned);
    assert_eq!(
        story(&about(&collector, &observer.to_string())),
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
    let errors: Vec<_> = about(&collector, &panics.to_string())
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
