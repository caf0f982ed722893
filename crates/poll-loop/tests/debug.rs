//! Debug mode's slow-callback warnings, and what a `tracing` subscriber
//! sees: one span per iteration, events for timers and panics.
//!
//! `tracing` caches per call site whether anyone is interested, and test
//! threads running side by side with and without a subscriber race on that
//! cache; so this file holds a single test that runs the scenarios one after
//! another, each under its own thread-local subscriber. (Every other test
//! binary runs without a subscriber, which shows the loop is silent then.)

mod helpers;

use std::thread;
use std::time::Duration;

use helpers::{Collector, ms};
use poll_loop::EventLoop;

fn debug_mode_warns_about_slow_callbacks_naming_the_line() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        assert!(!lp.get_debug());
        assert_eq!(lp.slow_callback_duration(), ms(100), "the default");
        lp.set_debug(true);
        lp.set_slow_callback_duration(ms(20));
        let line = line!() + 1;
        lp.call_soon(|| thread::sleep(ms(30)));
        lp.call_soon(|| {}); // quick: no warning
        lp.run_until_idle().unwrap();

        let warnings = collector.events("slow callback");
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        let warning = &warnings[0];
        assert_eq!(warning.level, tracing::Level::WARN);
        let location = warning.field("location").unwrap();
        assert!(
            location.ends_with(&format!("debug.rs:{line}:12")),
            "{location}"
        );
    });
}

fn debug_mode_names_the_spawn_of_a_task_whose_poll_blocks() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        lp.set_debug(true);
        lp.set_slow_callback_duration(ms(20));
        let line = line!() + 1;
        lp.spawn(async {
            poll_loop::yield_now().await; // a quick first poll
            thread::sleep(ms(30)); // blocks the loop in the second
        });
        lp.run_until_idle().unwrap();

        let warnings = collector.events("slow task poll");
        assert_eq!(warnings.len(), 1, "{:#?}", collector.seen());
        let location = warnings[0].field("location").unwrap();
        assert!(
            location.ends_with(&format!("debug.rs:{line}:12")),
            "{location}"
        );
        assert!(collector.events("slow callback").is_empty());
    });
}

fn tasks_are_traced_from_spawn_to_done() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        lp.spawn(async {});
        let cancelled = lp.spawn(poll_loop::sleep(ms(10_000)));
        lp.call_soon(move || {
            cancelled.cancel();
        });
        lp.run_until_idle().unwrap();
        assert_eq!(collector.events("task spawned").len(), 2);
        assert_eq!(collector.events("task done").len(), 2);
        assert_eq!(collector.events("task cancelled").len(), 1);
    });
}

fn without_debug_mode_slow_callbacks_are_not_timed() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        lp.set_slow_callback_duration(Duration::ZERO);
        lp.call_soon(|| {});
        lp.run_until_idle().unwrap();
        assert!(collector.events("slow").is_empty());
    });
}

fn one_trace_span_per_iteration() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        lp.call_soon(|| {});
        lp.call_later(ms(5), || {});
        lp.run_until_idle().unwrap();
        let spans = collector.spans("iteration");
        assert_eq!(spans.len() as u64, lp.stats().iterations);
        assert!(spans.iter().all(|s| s.level == tracing::Level::TRACE));
    });
}

fn timers_and_panics_are_events() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        let cancelled = lp.call_later(ms(50), || {});
        lp.call_later(ms(1), || panic!("boom"));
        assert!(cancelled.cancel());
        lp.run_until_idle().unwrap();
    });
    assert_eq!(collector.events("timer scheduled").len(), 2);
    assert_eq!(collector.events("timer cancelled").len(), 1);
    assert_eq!(collector.events("timer fired").len(), 1);
    let panics = collector.events("callback panicked");
    assert_eq!(panics.len(), 1);
    assert_eq!(panics[0].level, tracing::Level::ERROR);
    assert_eq!(panics[0].field("panic"), Some("boom"));
}

#[test]
fn what_a_subscriber_sees() {
    debug_mode_warns_about_slow_callbacks_naming_the_line();
    debug_mode_names_the_spawn_of_a_task_whose_poll_blocks();
    tasks_are_traced_from_spawn_to_done();
    without_debug_mode_slow_callbacks_are_not_timed();
    one_trace_span_per_iteration();
    timers_and_panics_are_events();
}
