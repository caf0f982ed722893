//! The builder's `initializer` runs once on each worker as it starts; if it
//! panics, the pool is broken (Python's `BrokenThreadPool`): queued work
//! fails with `Broken`, later submissions are refused.

mod helpers;

use std::cell::Cell;
use std::sync::{Arc, Barrier, Mutex};

use simple_future::{Broken, Exception, Panicked, ResultError, ThreadPoolExecutor};

use helpers::{PATIENCE, wait_until, without_hanging};

thread_local! {
    static INITIALIZED: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn the_initializer_runs_once_on_each_worker_before_its_work() {
    let names = Arc::new(Mutex::new(Vec::new()));
    let pool = {
        let names = Arc::clone(&names);
        ThreadPoolExecutor::builder()
            .workers(4)
            .thread_name_prefix("init")
            .initializer(move || {
                assert!(!INITIALIZED.get(), "twice on one worker");
                INITIALIZED.set(true);
                let name = std::thread::current().name().unwrap().to_owned();
                names.lock().unwrap().push(name);
            })
            .build()
            .unwrap()
    };
    let barrier = Arc::new(Barrier::new(3));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            pool.submit(move || {
                barrier.wait();
                INITIALIZED.get()
            })
            .unwrap()
        })
        .collect();
    let initialized = without_hanging(move || tasks.iter().all(|t| *t.result().unwrap()));
    assert!(initialized, "a task ran on a worker before its initializer");
    // More work on the same workers runs no initializer again.
    for _ in 0..10 {
        assert!(*pool.submit(|| INITIALIZED.get()).unwrap().result().unwrap());
    }
    pool.shutdown(true);
    let mut names = names.lock().unwrap().clone();
    names.sort();
    assert_eq!(names, ["init_0", "init_1", "init_2"]);
    assert_eq!(pool.worker_count(), 3);
}

#[test]
fn a_panicking_initializer_breaks_the_pool() {
    let pool = ThreadPoolExecutor::builder()
        .workers(2)
        .initializer(|| panic!("no database"))
        .build()
        .unwrap();
    // Work queued before the pool broke fails with `Broken`; work submitted
    // after is refused with it.
    let outcome = match pool.submit(|| 1) {
        Ok(future) => {
            let error = without_hanging(move || future.exception().unwrap().unwrap());
            error.downcast_ref::<Broken>().cloned().unwrap()
        }
        Err(refused) => refused.broken().cloned().unwrap(),
    };
    assert_eq!(outcome.message(), Some("no database"));
    assert_eq!(
        outcome.to_string(),
        "a thread initializer panicked, the thread pool is not usable anymore: no database"
    );
    assert!(wait_until(PATIENCE, || pool.is_broken()));

    let refused = pool.submit(|| 2).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "cannot submit work to a broken thread pool"
    );
    let source = std::error::Error::source(&refused).unwrap();
    assert!(source.is::<Broken>());
    assert_eq!(format!("{refused:?}"), "SubmitError(Broken, ..)");
    assert_eq!(refused.into_inner()(), 2, "the closure comes back unrun");
    assert!(pool.map(|n: u8| n, [1], None).is_err());
    // Shutting a broken pool down still works.
    pool.shutdown(true);
}

#[test]
fn work_queued_on_a_broken_pool_fails_with_e_from_broken() {
    #[derive(Debug)]
    enum TaskError {
        Panicked,
        Broken(Broken),
    }
    impl From<Panicked> for TaskError {
        fn from(_: Panicked) -> Self {
            TaskError::Panicked
        }
    }
    impl From<Broken> for TaskError {
        fn from(broken: Broken) -> Self {
            TaskError::Broken(broken)
        }
    }
    let gate = Arc::new(Barrier::new(2));
    let pool = {
        let gate = Arc::clone(&gate);
        ThreadPoolExecutor::builder()
            .workers(1)
            .initializer(move || {
                gate.wait(); // until the work below is queued
                panic!("late")
            })
            .build()
            .unwrap()
    };
    let queued = pool.submit_fallible(|| Ok::<u8, TaskError>(1)).unwrap();
    gate.wait();
    let late = without_hanging(move || match queued.result() {
        Err(ResultError::Exception(error)) => match &*error {
            TaskError::Broken(broken) => broken.message().map(str::to_owned),
            TaskError::Panicked => panic!("a panic, not Broken"),
        },
        other => panic!("unexpected {other:?}"),
    });
    assert_eq!(late.as_deref(), Some("late"));
    let refused = pool.submit(|| ()).unwrap_err();
    let boxed: Exception = refused.broken().unwrap().clone().into();
    assert!(boxed.is::<Broken>());
}
