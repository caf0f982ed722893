//! How a future prints: `Display` is Python's repr, `<Future at 0x…
//! state=…>`, for every state; `Debug` is the same story without the
//! address, so it is deterministic.

mod helpers;

use std::future::IntoFuture;

use simple_future::{Exception, Future, State};

use helpers::{TestError, is_repr, repr_address};

/// A value type with no `Debug` or `Display`: printing a future needs
/// neither.
struct Opaque;

#[test]
fn a_pending_future_prints_like_pythons_repr() {
    let future: Future<u32> = Future::new();
    let text = future.to_string();
    assert!(is_repr(&text, "state=pending>"), "{text}");
}

#[test]
fn a_running_future_prints_state_running() {
    let future: Future<u32> = Future::new();
    future.set_running_or_notify_cancel().unwrap();
    let text = future.to_string();
    assert!(is_repr(&text, "state=running>"), "{text}");
}

#[test]
fn a_cancelled_future_prints_state_cancelled() {
    let future: Future<u32> = Future::new();
    future.cancel();
    let text = future.to_string();
    assert!(is_repr(&text, "state=cancelled>"), "{text}");
}

#[test]
fn an_abandoned_future_prints_state_abandoned() {
    let future: Future<u32> = Future::new();
    let observer = future.observer();
    drop(future);
    let text = observer.to_string();
    assert!(is_repr(&text, "state=abandoned>"), "{text}");
}

#[test]
fn a_finished_future_names_the_type_it_returned() {
    let str_future: Future<&'static str> = Future::new();
    str_future.set_result("Hello World").unwrap();
    let text = str_future.to_string();
    assert!(is_repr(&text, "state=finished returned str>"), "{text}");

    let string_future: Future<String> = Future::new();
    string_future.set_result("Hello World".into()).unwrap();
    let text = string_future.to_string();
    assert!(is_repr(&text, "state=finished returned String>"), "{text}");

    let int_future: Future<i32> = Future::new();
    int_future.set_result(1).unwrap();
    let text = int_future.to_string();
    assert!(is_repr(&text, "state=finished returned i32>"), "{text}");

    let nested: Future<Vec<Option<String>>> = Future::new();
    nested.set_result(Vec::new()).unwrap();
    let text = nested.to_string();
    assert!(
        is_repr(&text, "state=finished returned Vec<Option<String>>>"),
        "{text}"
    );

    let opaque: Future<Opaque> = Future::new();
    opaque.set_result(Opaque).unwrap();
    let text = opaque.to_string();
    assert!(is_repr(&text, "state=finished returned Opaque>"), "{text}");
}

#[test]
fn a_raised_future_names_the_exception_type() {
    let custom: Future<u32, TestError> = Future::with_exception_type();
    custom.set_exception(TestError("x")).unwrap();
    let text = custom.to_string();
    assert!(is_repr(&text, "state=finished raised TestError>"), "{text}");

    let boxed: Future<u32> = Future::new();
    let error: Exception = "x".into();
    boxed.set_exception(error).unwrap();
    let text = boxed.to_string();
    assert!(
        is_repr(&text, "state=finished raised Box<dyn Error + Send + Sync>>"),
        "{text}"
    );

    let io: Future<u32, std::io::Error> = Future::with_exception_type();
    io.set_exception(std::io::Error::other("x")).unwrap();
    let text = io.to_string();
    assert!(is_repr(&text, "state=finished raised Error>"), "{text}");
}

#[test]
fn every_handle_of_one_future_prints_the_same_address() {
    let future: Future<u32> = Future::new();
    let clone = future.clone();
    let observer = future.observer();
    assert_eq!(future.to_string(), clone.to_string());
    assert_eq!(future.to_string(), observer.to_string());

    let other: Future<u32> = Future::new();
    assert_ne!(
        repr_address(&future.to_string()),
        repr_address(&other.to_string()),
        "two futures, two addresses"
    );
}

#[test]
fn debug_names_the_state_without_an_address() {
    let future: Future<Opaque, TestError> = Future::with_exception_type();
    assert_eq!(format!("{future:?}"), "Future { state: Pending }");
    assert_eq!(
        format!("{:?}", future.observer()),
        "Observer { state: Pending }"
    );
    future.set_running_or_notify_cancel().unwrap();
    assert_eq!(format!("{future:?}"), "Future { state: Running }");
    future.set_result(Opaque).unwrap();
    assert_eq!(
        format!("{future:?}"),
        "Future { state: Finished, returned: Opaque }"
    );

    let raised: Future<u32, TestError> = Future::with_exception_type();
    raised.set_exception(TestError("x")).unwrap();
    assert_eq!(
        format!("{:?}", raised.observer()),
        "Observer { state: Finished, raised: TestError }"
    );

    let cancelled: Future<u32> = Future::new();
    cancelled.cancel();
    assert_eq!(format!("{cancelled:?}"), "Future { state: Cancelled }");

    let abandoned: Future<u32> = Future::new();
    let observer = abandoned.observer();
    drop(abandoned);
    assert_eq!(format!("{observer:?}"), "Observer { state: Abandoned }");
}

#[test]
fn debug_is_the_same_for_two_futures_in_the_same_state() {
    let a: Future<&str> = Future::new();
    let b: Future<&str> = Future::new();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(format!("{a:#?}"), format!("{b:#?}"));
    a.set_result("one").unwrap();
    b.set_result("two").unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(
        format!("{a:?}"),
        "Future { state: Finished, returned: str }"
    );
}

#[test]
fn a_wait_debugs_as_the_future_it_waits_for() {
    let future: Future<u32> = Future::new();
    let wait = (&future).into_future();
    assert_eq!(
        format!("{wait:?}"),
        // `Wait` is now the `Observer` itself (it is a std future).
        "Observer { state: Pending }"
    );
}

#[test]
fn states_print_their_python_names() {
    let names: Vec<_> = [
        State::Pending,
        State::Running,
        State::Cancelled,
        State::Finished,
        State::Abandoned,
    ]
    .iter()
    .map(|s| (s.name(), s.to_string(), s.is_done()))
    .collect();
    assert_eq!(
        names,
        [
            ("pending", "pending".to_string(), false),
            ("running", "running".to_string(), false),
            ("cancelled", "cancelled".to_string(), true),
            ("finished", "finished".to_string(), true),
            ("abandoned", "abandoned".to_string(), true),
        ]
    );
}

#[test]
fn printing_a_future_inside_its_own_callback_works() {
    let future: Future<u32> = Future::new();
    let (tx, rx) = std::sync::mpsc::channel();
    future.add_done_callback(move |f| tx.send((f.to_string(), format!("{f:?}"))).unwrap());
    future.set_result(1).unwrap();
    let (display, debug) = rx.recv().unwrap();
    assert!(
        is_repr(&display, "state=finished returned u32>"),
        "{display}"
    );
    assert_eq!(debug, "Observer { state: Finished, returned: u32 }");
}

#[test]
fn a_future_printed_while_it_completes_shows_one_consistent_state() {
    let rounds = if cfg!(miri) { 20 } else { 10_000 };
    let valid_display = ["state=running>", "state=finished returned u32>"];
    let valid_debug = [
        "Observer { state: Running }",
        "Observer { state: Finished, returned: u32 }",
    ];
    for _ in 0..rounds {
        let future: Future<u32> = Future::new();
        future.set_running_or_notify_cancel().unwrap();
        let observer = future.observer();
        let printer = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !observer.done() {
                seen.push((observer.to_string(), format!("{observer:?}")));
            }
            seen
        });
        future.set_result(1).unwrap();
        for (display, debug) in printer.join().unwrap() {
            assert!(
                valid_display.iter().any(|rest| is_repr(&display, rest)),
                "an inconsistent repr: {display}"
            );
            assert!(
                valid_debug.contains(&debug.as_str()),
                "an inconsistent Debug: {debug}"
            );
        }
    }
}
