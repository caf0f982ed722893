//! A panicking callback goes to the exception handler and the loop goes on.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{Log, ms, without_hanging};
use poll_loop::{EventLoop, LoopHandle, PostAction, Readiness, Source};

#[test]
fn the_handler_sees_the_panic_and_the_loop_goes_on() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let l = log.clone();
        lp.set_exception_handler(move |_, context| {
            l.push(format!(
                "{} at line {}: {}",
                context.what(),
                context.location().line(),
                context.message().unwrap()
            ));
        });
        let line = line!() + 1;
        lp.call_soon(|| panic!("soon"));
        lp.call_soon(log.recording("after soon".to_string()));
        lp.call_later(ms(5), || panic!("timer"));
        lp.call_later(ms(10), log.recording("after timer".to_string()));
        lp.run_until_idle().unwrap();
        assert_eq!(
            log.events(),
            [
                format!("callback at line {line}: soon"),
                "after soon".to_string(),
                format!("callback at line {}: timer", line + 2),
                "after timer".to_string(),
            ]
        );
        assert_eq!(lp.stats().panics, 2);
        assert_eq!(lp.stats().callbacks, 4, "panicked callbacks count as run");
    });
}

#[test]
fn the_default_handler_reports_and_the_loop_goes_on() {
    let lp = EventLoop::new();
    let log = Log::new();
    lp.call_soon(|| panic!("nobody handles this"));
    lp.call_soon(|| std::panic::panic_any(42_u32)); // not a string
    lp.call_soon(log.recording("still running"));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["still running"]);
    assert_eq!(lp.stats().panics, 2);
}

#[test]
fn the_payload_comes_with_the_context() {
    let lp = EventLoop::new();
    let log = Log::new();
    let l = log.clone();
    lp.set_exception_handler(move |_, context| {
        assert!(context.message().is_none());
        assert!(context.to_string().contains("<non-string panic>"));
        l.push(*context.into_payload().downcast::<u32>().unwrap());
    });
    lp.call_soon(|| std::panic::panic_any(7_u32));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), [7]);
}

#[test]
fn a_panicking_handler_is_contained() {
    let lp = EventLoop::new();
    let log = Log::new();
    lp.set_exception_handler(|_, _| panic!("the handler itself"));
    lp.call_soon(|| panic!("first"));
    lp.call_soon(log.recording("after"));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["after"]);
    lp.reset_exception_handler();
    lp.call_soon(|| panic!("to the default handler"));
    lp.run_until_idle().unwrap();
}

#[test]
fn the_handler_may_stop_the_loop() {
    let lp = EventLoop::new();
    let log = Log::new();
    lp.set_exception_handler(|lp, _| lp.stop());
    lp.call_soon(|| panic!("fatal"));
    lp.call_soon(log.recording("same batch"));
    let h = lp.handle();
    let l = log.clone();
    lp.call_soon(move || {
        h.call_soon(l.recording("next iteration"));
    });
    lp.run_forever().unwrap();
    assert_eq!(log.events(), ["same batch"]);
}

/// A source that panics in `dispatch` on its first call, then removes
/// itself; or panics in `readiness` if asked to.
struct Faulty {
    dispatches: u32,
    panic_in_readiness: bool,
    log: Log<&'static str>,
}

impl Source for Faulty {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        if self.panic_in_readiness {
            panic!("readiness");
        }
        Readiness::Ready
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        self.dispatches += 1;
        if self.dispatches == 1 {
            panic!("dispatch");
        }
        self.log.push("second dispatch");
        PostAction::Remove
    }
}

#[test]
fn a_source_that_panics_in_dispatch_stays_registered() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let l = log.clone();
        lp.set_exception_handler(move |_, c| {
            l.push(if c.what() == "source dispatch" {
                "caught"
            } else {
                "?"
            })
        });
        let handle = lp.insert_source(Faulty {
            dispatches: 0,
            panic_in_readiness: false,
            log: log.clone(),
        });
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["caught", "second dispatch"]);
        assert!(!handle.is_registered());
    });
}

#[test]
fn a_source_that_panics_in_readiness_is_removed() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let l = log.clone();
        lp.set_exception_handler(move |_, c| l.push(c.what()));
        let handle = lp.insert_source(Faulty {
            dispatches: 0,
            panic_in_readiness: true,
            log: log.clone(),
        });
        lp.call_later(Duration::from_millis(5), log.recording("timer"));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["source readiness", "timer"]);
        assert!(!handle.is_registered());
    });
}
