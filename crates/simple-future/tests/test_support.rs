//! The shared test helpers' own tests (the workspace's `test-support/`,
//! linked into each crate's `tests/helpers/support/`), run once, here,
//! rather than in every test binary that includes the helpers.

mod helpers;

use std::thread;
use std::time::Duration;

use helpers::support::{Counter, drop_guard, wait_until, without_hanging};

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

#[test]
fn the_flag_is_set_by_the_drop() {
    let (guard, flag) = drop_guard();
    guard.touch();
    assert!(!flag.dropped());
    drop(guard);
    assert!(flag.dropped());
}

#[test]
fn clones_share_one_count() {
    let counter = Counter::new();
    counter.clone().bump();
    counter.bump();
    assert_eq!(counter.get(), 2);
}
