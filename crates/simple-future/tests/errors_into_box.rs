//! Every public error type converts with `?` into
//! `Box<dyn std::error::Error + Send + Sync>` (what `anyhow` needs), keeping
//! its message.

mod helpers;

use std::cell::Cell;
use std::error::Error;
use std::time::Duration;

use simple_future::{Future, ThreadPoolExecutor, as_completed};

type BoxError = Box<dyn Error + Send + Sync>;

fn message(result: Result<(), BoxError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn every_error_converts_with_question_mark_into_a_boxed_error() {
    let invalid_state = || -> Result<(), BoxError> {
        let future = Future::new();
        future.set_result(1_u8)?;
        future.set_result(2)?;
        Ok(())
    };
    assert!(message(invalid_state()).starts_with("FINISHED: <Future at"));

    let result_error = || -> Result<(), BoxError> {
        let future: Future<u8> = Future::new();
        future.cancel();
        future.result()?;
        Ok(())
    };
    assert_eq!(message(result_error()), "the future was cancelled");

    let try_result_error = || -> Result<(), BoxError> {
        let future: Future<u8> = Future::new();
        future.try_result()?;
        Ok(())
    };
    assert_eq!(message(try_result_error()), "the future is not done yet");

    let timeout_error = || -> Result<(), BoxError> {
        let future: Future<u8> = Future::new();
        future.result_timeout(Duration::ZERO)?;
        Ok(())
    };
    assert_eq!(message(timeout_error()), "timed out waiting for the future");

    let as_completed_timeout = || -> Result<(), BoxError> {
        let future: Future<u8> = Future::new();
        for done in as_completed([&future], Some(Duration::ZERO)) {
            done?;
        }
        Ok(())
    };
    assert_eq!(
        message(as_completed_timeout()),
        "timed out with 1 (of 1) futures unfinished"
    );

    let build_error = || -> Result<(), BoxError> {
        ThreadPoolExecutor::new(0)?;
        Ok(())
    };
    assert_eq!(
        message(build_error()),
        "a thread pool needs at least one worker"
    );

    let submit_error = || -> Result<(), BoxError> {
        let pool = ThreadPoolExecutor::new(1)?;
        pool.shutdown(true);
        // `Send` but not `Sync`: the error is `Sync` all the same.
        let not_sync = Cell::new(1_u8);
        pool.submit(move || not_sync.get())?;
        Ok(())
    };
    assert_eq!(
        message(submit_error()),
        "cannot submit work after the pool has shut down"
    );

    let map_submit_error = || -> Result<(), BoxError> {
        let pool = ThreadPoolExecutor::new(1)?;
        pool.shutdown(true);
        pool.map(|n: u8| n, [1], None)?;
        Ok(())
    };
    assert_eq!(
        message(map_submit_error()),
        "cannot submit work after the pool has shut down"
    );

    let map_item_error = || -> Result<(), BoxError> {
        let pool = ThreadPoolExecutor::new(1)?;
        for item in pool.map(|_: u8| -> u8 { panic!("item") }, [1], None)? {
            item?;
        }
        Ok(())
    };
    assert_eq!(
        message(map_item_error()),
        "the future raised an exception: the task panicked: item"
    );

    let broken = || -> Result<(), BoxError> {
        let pool = ThreadPoolExecutor::builder()
            .initializer(|| panic!("init"))
            .build()?;
        while !pool.is_broken() {
            std::thread::yield_now();
        }
        pool.submit(|| ())?;
        Ok(())
    };
    assert_eq!(
        message(broken()),
        "cannot submit work to a broken thread pool"
    );
}
