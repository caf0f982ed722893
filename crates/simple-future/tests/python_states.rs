//! Python's rules for misuse: `set_running_or_notify_cancel` on a future
//! already told it was cancelled is an error; `InvalidState` names the state
//! and carries the future's repr; the repr names the exception's own type,
//! for the default boxed exception type too.

mod helpers;

use std::error::Error;
use std::fmt;

use simple_future::{Exception, Future, Panicked, State};

use helpers::{TestError, is_repr};

#[test]
fn set_running_or_notify_cancel_a_second_time_on_a_cancelled_future_is_an_error() {
    let future: Future<u32> = Future::new();
    assert!(future.cancel());
    assert_eq!(future.set_running_or_notify_cancel().ok(), Some(false));
    for _ in 0..2 {
        let again = future.set_running_or_notify_cancel().unwrap_err();
        assert_eq!(again.state(), State::Cancelled);
        assert!(
            again.to_string().starts_with("CANCELLED: <Future at 0x"),
            "{again}"
        );
    }
    assert_eq!(future.state(), State::Cancelled);
    assert!(future.cancel(), "still cancelled");
}

#[test]
fn invalid_state_names_the_state_and_carries_the_repr() {
    let future: Future<i32> = Future::new();
    future.set_result(1).unwrap();
    let refused = future.set_result(2).unwrap_err();
    let text = refused.to_string();
    let repr = text.strip_prefix("FINISHED: ").unwrap();
    assert!(is_repr(repr, "state=finished returned i32>"), "{text}");
    assert_eq!(repr, future.to_string());

    let running: Future<i32> = Future::new();
    running.set_running_or_notify_cancel().unwrap();
    let refused = running.set_running_or_notify_cancel().unwrap_err();
    assert_eq!(refused.to_string(), format!("RUNNING: {running}"));

    let raised: Future<i32, TestError> = Future::with_exception_type();
    raised.set_exception(TestError("a")).unwrap();
    let refused = raised.set_exception(TestError("b")).unwrap_err();
    assert!(
        refused
            .to_string()
            .ends_with("state=finished raised TestError>")
    );
    assert_eq!(refused.into_inner(), TestError("b"));
}

#[derive(Debug)]
struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out")
    }
}

impl Error for TimeoutError {}

#[derive(Debug)]
#[allow(dead_code)]
struct WithFields {
    code: u16,
}

impl fmt::Display for WithFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("with fields")
    }
}

impl Error for WithFields {}

fn raised(error: Exception) -> String {
    let future: Future<u8> = Future::new();
    future.set_exception(error).unwrap();
    let text = future.to_string();
    assert_eq!(
        format!("{future:?}"),
        format!(
            "Future {{ state: Finished, raised: {} }}",
            text.split_once(" raised ")
                .unwrap()
                .1
                .strip_suffix('>')
                .unwrap()
        )
    );
    text
}

#[test]
fn the_repr_names_a_boxed_exceptions_own_type() {
    let text = raised(Box::new(TimeoutError));
    assert!(
        is_repr(&text, "state=finished raised TimeoutError>"),
        "{text}"
    );
    let text = raised(Box::new(WithFields { code: 7 }));
    assert!(
        is_repr(&text, "state=finished raised WithFields>"),
        "{text}"
    );
    let text = raised(Box::new("x".parse::<u8>().unwrap_err()));
    assert!(
        is_repr(&text, "state=finished raised ParseIntError>"),
        "{text}"
    );
    let text = raised(Box::new(Panicked::from_payload(&"boom")));
    assert!(is_repr(&text, "state=finished raised Panicked>"), "{text}");
    let text = raised(Box::new(std::io::Error::other("disk")));
    assert!(is_repr(&text, "state=finished raised io::Error>"), "{text}");
    // A string error has no type of its own to name.
    let text = raised("plain".into());
    assert!(
        is_repr(&text, "state=finished raised Box<dyn Error + Send + Sync>>"),
        "{text}"
    );
}
