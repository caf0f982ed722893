//! `ThreadPoolExecutor`: building, submitting, panics, cancellation,
//! shutdown (with and without waiting, cancelling, from its own workers),
//! `map`, tracing, and many threads submitting at once.

use std::collections::HashSet;
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, OnceLock, mpsc};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use simple_future::{
    Broken, BuildError, Exception, Future, Panicked, ResultError, ResultTimeoutError,
    ShutdownOptions, State, ThreadPoolBuilder, ThreadPoolExecutor,
};

// Shared with the other behaviour tests: `ms`, the hang detector and its patience.
mod helpers;

use helpers::{PATIENCE, ms, without_hanging};

/// Polls `condition` until it holds; fails the test after [`PATIENCE`].
fn eventually(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "the condition never held");
        thread::sleep(ms(1));
    }
}

/// A latch that tasks wait on until the test opens it. A task gives up
/// (panics) after [`PATIENCE`], so that a failing test cannot hang the
/// pool's drop.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn pass(&self) {
        let open = self.0.0.lock().unwrap();
        let (open, timeout) = self
            .0
            .1
            .wait_timeout_while(open, PATIENCE, |o| !*o)
            .unwrap();
        assert!(*open && !timeout.timed_out(), "the gate never opened");
    }
}

/// A pool of one worker that is busy until `gate` opens, so that whatever
/// is submitted next stays queued.
fn blocked_pool(gate: &Gate) -> (ThreadPoolExecutor, Future<()>) {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let blocker = {
        let gate = gate.clone();
        pool.submit(move || gate.pass()).unwrap()
    };
    eventually(|| blocker.running());
    (pool, blocker)
}

/// Records that a task ran.
#[derive(Clone, Default)]
struct Ran(Arc<Mutex<Vec<usize>>>);

impl Ran {
    fn push(&self, i: usize) {
        self.0.lock().unwrap().push(i);
    }

    fn get(&self) -> Vec<usize> {
        self.0.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------- building

#[test]
fn submit_runs_the_closure_on_a_worker() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let here = thread::current().id();
    let there = pool.submit(|| thread::current().id()).unwrap();
    assert_ne!(*there.result().unwrap(), here);
    assert_eq!(pool.workers(), 2);
}

#[test]
fn workers_are_named_after_the_prefix() {
    let pool = ThreadPoolExecutor::builder()
        .workers(3)
        .thread_name_prefix("pfx")
        .build()
        .unwrap();
    // Three tasks that wait for each other must run on three workers.
    let barrier = Arc::new(Barrier::new(3));
    let names: Vec<_> = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            pool.submit(move || {
                barrier.wait();
                thread::current().name().unwrap().to_owned()
            })
            .unwrap()
        })
        .collect();
    let mut names = without_hanging(move || {
        names
            .iter()
            .map(|n| n.result().unwrap().clone())
            .collect::<Vec<_>>()
    });
    names.sort();
    assert_eq!(names, ["pfx_0", "pfx_1", "pfx_2"]);
}

#[test]
fn default_names_count_the_pools_as_python_does() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let name = pool
        .submit(|| thread::current().name().unwrap().to_owned())
        .unwrap();
    let name = name.result().unwrap();
    let number = name
        .strip_prefix("ThreadPoolExecutor-")
        .and_then(|rest| rest.strip_suffix("_0"))
        .unwrap_or_else(|| panic!("unexpected name {name}"));
    assert!(number.parse::<u64>().is_ok(), "{name}");
}

#[test]
fn the_default_worker_count_is_pythons() {
    let cpus = thread::available_parallelism().map_or(1, usize::from);
    let pool = ThreadPoolBuilder::default().build().unwrap();
    assert_eq!(pool.workers(), (cpus + 4).min(32));
}

#[test]
fn zero_workers_is_an_error() {
    for error in [
        ThreadPoolExecutor::new(0).unwrap_err(),
        ThreadPoolExecutor::builder()
            .workers(0)
            .build()
            .unwrap_err(),
    ] {
        assert!(matches!(error, BuildError::NoWorkers));
        assert_eq!(error.to_string(), "a thread pool needs at least one worker");
        assert!(error.source().is_none());
    }
}

#[cfg(target_pointer_width = "64")]
#[test]
fn a_worker_that_cannot_start_is_an_error() {
    // No system gives a thread a stack of an exbibyte.
    let error = ThreadPoolExecutor::builder()
        .workers(2)
        .stack_size(1 << 60)
        .build()
        .unwrap_err();
    assert!(matches!(error, BuildError::Spawn(_)));
    assert_eq!(error.to_string(), "failed to spawn a worker thread");
    assert!(error.source().unwrap().is::<std::io::Error>());
}

// ---------------------------------------------------------------- panics and errors

#[test]
fn a_panic_becomes_the_exception_and_the_worker_survives() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let before = pool.submit(|| thread::current().id()).unwrap();
    let boom = pool.submit(|| -> u8 { panic!("boom") }).unwrap();
    let opaque = pool
        .submit(|| -> u8 { std::panic::panic_any(42_i32) })
        .unwrap();
    let after = pool.submit(|| thread::current().id()).unwrap();

    let error = boom.exception().unwrap().unwrap();
    let panicked = error.downcast_ref::<Panicked>().unwrap();
    assert_eq!(panicked.message(), Some("boom"));
    assert!(matches!(boom.result(), Err(ResultError::Exception(_))));
    let error = opaque.exception().unwrap().unwrap();
    assert_eq!(error.downcast_ref::<Panicked>().unwrap().message(), None);
    // The same (only) worker ran before and after the panics.
    assert_eq!(before.result().unwrap(), after.result().unwrap());
}

#[derive(Debug, PartialEq)]
enum TaskError {
    Refused,
    Panicked(Panicked),
    Broken(Broken),
}

impl From<Panicked> for TaskError {
    fn from(panicked: Panicked) -> Self {
        TaskError::Panicked(panicked)
    }
}

impl From<Broken> for TaskError {
    fn from(broken: Broken) -> Self {
        TaskError::Broken(broken)
    }
}

#[test]
fn submit_fallible_turns_err_into_the_exception() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let fine = pool.submit_fallible(|| Ok::<_, TaskError>(1)).unwrap();
    let refused = pool
        .submit_fallible(|| Err::<u8, _>(TaskError::Refused))
        .unwrap();
    let panicked = pool
        .submit_fallible(|| -> Result<u8, TaskError> { panic!("inside") })
        .unwrap();
    let boxed = pool
        .submit_fallible(|| -> Result<u8, Exception> { Err("boxed".into()) })
        .unwrap();

    assert_eq!(*fine.result().unwrap(), 1);
    assert_eq!(*refused.exception().unwrap().unwrap(), TaskError::Refused);
    match &*panicked.exception().unwrap().unwrap() {
        TaskError::Panicked(p) => assert_eq!(p.message(), Some("inside")),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(boxed.exception().unwrap().unwrap().to_string(), "boxed");
}

// ---------------------------------------------------------------- cancellation

#[test]
fn work_cancelled_before_it_runs_never_runs() {
    let gate = Gate::default();
    let (pool, blocker) = blocked_pool(&gate);
    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let ran = Arc::clone(&ran);
        pool.submit(move || ran.store(true, Ordering::SeqCst))
            .unwrap()
    };
    assert!(queued.cancel());
    // A running task cannot be cancelled.
    assert!(!blocker.cancel());
    assert_eq!(blocker.state(), State::Running);
    gate.open();
    pool.shutdown(true);
    assert!(queued.cancelled());
    assert!(!ran.load(Ordering::SeqCst));
    assert!(blocker.result().is_ok());
}

#[test]
fn completing_the_future_yourself_skips_the_work() {
    let gate = Gate::default();
    let (pool, _blocker) = blocked_pool(&gate);
    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let ran = Arc::clone(&ran);
        pool.submit(move || {
            ran.store(true, Ordering::SeqCst);
            1
        })
        .unwrap()
    };
    queued.set_result(2).unwrap();
    gate.open();
    pool.shutdown(true);
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(*queued.result().unwrap(), 2);
}

#[test]
fn the_pools_handle_keeps_the_future_completable() {
    let gate = Gate::default();
    let (pool, _blocker) = blocked_pool(&gate);
    // Give up our `Future` before the work runs: it must not be abandoned.
    let observer = pool.submit(|| "value").unwrap().into_observer();
    assert_eq!(observer.state(), State::Pending);
    gate.open();
    assert_eq!(*observer.result().unwrap(), "value");
    drop(pool);
}

// ---------------------------------------------------------------- shutdown

#[test]
fn shutdown_without_wait_returns_while_work_still_runs() {
    let gate = Gate::default();
    let (pool, blocker) = blocked_pool(&gate);
    let queued = pool.submit(|| "still runs").unwrap();
    pool.shutdown(false);
    // It did not wait: the first task is still blocked.
    assert_eq!(blocker.state(), State::Running);
    assert!(pool.submit(|| "refused").is_err());
    gate.open();
    assert_eq!(*queued.result().unwrap(), "still runs");
}

#[test]
fn shutdown_with_wait_waits_for_the_queued_work() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let futures: Vec<_> = (0..5)
        .map(|i| {
            pool.submit(move || {
                thread::sleep(ms(10));
                i
            })
            .unwrap()
        })
        .collect();
    pool.shutdown(true);
    // Waiting means every queued task is done when it returns.
    for (i, future) in futures.iter().enumerate() {
        assert_eq!(*future.try_result().unwrap(), i);
    }
}

#[test]
fn submitting_after_shutdown_hands_the_closure_back() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    pool.shutdown(true);
    let error = pool.submit(|| 5).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot submit work after the pool has shut down"
    );
    assert_eq!(format!("{error:?}"), "SubmitError(..)");
    assert_eq!((error.into_inner())(), 5);

    let error = pool.submit_fallible(|| Ok::<_, Exception>(6)).unwrap_err();
    assert_eq!((error.into_inner())().unwrap(), 6);

    let error = pool.map(|x: u8| x + 1, [1, 2], None).unwrap_err();
    assert_eq!((error.into_inner())(1), 2);
}

#[test]
fn cancel_futures_cancels_only_the_queued_work() {
    let gate = Gate::default();
    let (pool, blocker) = blocked_pool(&gate);
    let ran = Ran::default();
    let callback_threads = Arc::new(Mutex::new(Vec::new()));
    let queued: Vec<_> = (0..3)
        .map(|i| {
            let ran = ran.clone();
            let future = pool.submit(move || ran.push(i)).unwrap();
            let threads = Arc::clone(&callback_threads);
            future.add_done_callback(move |_| threads.lock().unwrap().push(thread::current().id()));
            future
        })
        .collect();

    pool.shutdown_with(ShutdownOptions {
        wait: false,
        cancel_futures: true,
    });
    assert!(queued.iter().all(|f| f.cancelled()));
    // Their callbacks ran here, during shutdown.
    assert_eq!(
        *callback_threads.lock().unwrap(),
        [thread::current().id(); 3]
    );
    assert_eq!(blocker.state(), State::Running);
    gate.open();
    assert!(blocker.result().is_ok());
    pool.shutdown(true);
    assert!(ran.get().is_empty());
}

#[test]
fn cancel_futures_and_wait() {
    let gate = Gate::default();
    let (pool, blocker) = blocked_pool(&gate);
    let queued = pool.submit(|| ()).unwrap();
    // Open the gate only once the queued work is cancelled, so that the
    // blocked worker cannot take it first on a slow machine.
    let opener = {
        let gate = gate.clone();
        let queued = queued.observer();
        thread::spawn(move || {
            eventually(|| queued.cancelled());
            gate.open();
        })
    };
    pool.shutdown_with(ShutdownOptions {
        wait: true,
        cancel_futures: true,
    });
    // It waited for the running task.
    assert!(blocker.try_result().is_ok());
    assert!(queued.cancelled());
    opener.join().unwrap();
}

#[test]
fn shutdown_options_default_to_pythons() {
    assert_eq!(
        ShutdownOptions::default(),
        ShutdownOptions {
            wait: true,
            cancel_futures: false
        }
    );
}

#[test]
fn dropping_the_pool_waits_for_the_queued_work() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let count = Arc::clone(&count);
        pool.submit(move || {
            thread::sleep(ms(5));
            count.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    drop(pool);
    assert_eq!(count.load(Ordering::SeqCst), 10);
}

#[test]
fn shutdown_twice_and_concurrent_waiting_shutdowns() {
    let gate = Gate::default();
    let (pool, blocker) = blocked_pool(&gate);
    pool.shutdown(false);
    pool.shutdown(false);
    let pool = Arc::new(pool);
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let pool = Arc::clone(&pool);
            let blocker = blocker.observer();
            thread::spawn(move || {
                pool.shutdown(true);
                // Waiting means the work is done when it returns.
                blocker.done()
            })
        })
        .collect();
    thread::sleep(ms(20));
    gate.open();
    for waiter in waiters {
        assert!(waiter.join().unwrap());
    }
}

#[test]
fn shutdown_from_a_task_does_not_deadlock() {
    without_hanging(|| {
        let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let inner = Arc::clone(&pool);
        let task = pool
            .submit(move || {
                inner.shutdown(true);
                "shut down from inside"
            })
            .unwrap();
        assert_eq!(*task.result().unwrap(), "shut down from inside");
        assert!(pool.submit(|| ()).is_err());
    });
}

#[test]
fn two_tasks_shutting_down_at_once_do_not_deadlock() {
    without_hanging(|| {
        let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (inner, barrier) = (Arc::clone(&pool), Arc::clone(&barrier));
                pool.submit(move || {
                    barrier.wait();
                    inner.shutdown(true);
                })
                .unwrap()
            })
            .collect();
        for task in tasks {
            assert!(task.result().is_ok());
        }
    });
}

#[test]
fn dropping_the_last_handle_on_a_worker_does_not_deadlock() {
    without_hanging(|| {
        let gate = Gate::default();
        let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let task = {
            let (inner, gate) = (Arc::clone(&pool), gate.clone());
            pool.submit(move || {
                gate.pass();
                drop(inner); // the last handle: the pool drops on its worker
                "dropped"
            })
            .unwrap()
        };
        drop(pool);
        gate.open();
        assert_eq!(*task.result().unwrap(), "dropped");
    });
}

#[test]
fn shutdown_from_a_done_callback_on_a_worker_does_not_deadlock() {
    without_hanging(|| {
        let gate = Gate::default();
        let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let task = {
            let gate = gate.clone();
            pool.submit(move || gate.pass()).unwrap()
        };
        let (tx, rx) = mpsc::channel();
        let inner = Arc::clone(&pool);
        task.add_done_callback(move |_| {
            inner.shutdown(true);
            tx.send(thread::current().name().map(str::to_owned))
                .unwrap();
        });
        gate.open();
        let name = rx.recv().unwrap().unwrap();
        assert!(name.starts_with("ThreadPoolExecutor-"), "{name}");
    });
}

// ---------------------------------------------------------------- running

#[test]
fn work_starts_in_submission_order() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let ran = Ran::default();
    for i in 0..100 {
        let ran = ran.clone();
        pool.submit(move || ran.push(i)).unwrap();
    }
    pool.shutdown(true);
    assert_eq!(ran.get(), (0..100).collect::<Vec<_>>());
}

#[test]
fn done_callbacks_run_on_the_worker() {
    let gate = Gate::default();
    let pool = ThreadPoolExecutor::builder()
        .workers(1)
        .thread_name_prefix("callbacks")
        .build()
        .unwrap();
    let task = {
        let gate = gate.clone();
        pool.submit(move || gate.pass()).unwrap()
    };
    let (tx, rx) = mpsc::channel();
    task.add_done_callback(move |_| {
        tx.send(thread::current().name().map(str::to_owned))
            .unwrap();
    });
    gate.open();
    let name = rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(name.as_deref(), Some("callbacks_0"));
}

#[test]
fn tasks_can_submit_more_work() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let outer = pool
        .submit(move || inner.submit(|| "nested").unwrap())
        .unwrap();
    let nested = outer.result().unwrap();
    assert_eq!(*nested.result().unwrap(), "nested");
}

// ---------------------------------------------------------------- map

#[test]
fn map_returns_results_in_input_order() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    let results = pool
        .map(
            |i: u64| {
                // Later items finish first, often.
                thread::sleep(ms((50 - i) % 7));
                i * 2
            },
            0..50,
            Some(PATIENCE),
        )
        .unwrap();
    assert_eq!(results.size_hint(), (1, Some(50)));
    let results: Vec<u64> = results.map(Result::unwrap).collect();
    assert_eq!(results, (0..50).map(|i| i * 2).collect::<Vec<_>>());
}

#[test]
fn map_needs_no_clone_or_sync_results() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    // `Cell` is `Send` but not `Sync`; `Box` is not `Clone`-free of cost.
    let cells: Vec<std::cell::Cell<u8>> = pool
        .map(std::cell::Cell::new, [1, 2, 3], None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(cells.iter().map(|c| c.get()).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn a_map_timeout_ends_the_iteration_and_cancels_the_rest() {
    let gate = Gate::default();
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let ran = Ran::default();
    let timeout = Duration::from_secs(1);
    let start = Instant::now();
    let mut results = {
        let (ran, gate) = (ran.clone(), gate.clone());
        pool.map(
            move |i: usize| {
                if i == 1 {
                    gate.pass(); // holds the only worker
                }
                ran.push(i);
                i
            },
            0..4,
            Some(timeout),
        )
        .unwrap()
    };
    assert_eq!(results.next().unwrap().unwrap(), 0);
    // Returns with item 1 still held at the gate: no waiting past the
    // deadline.
    assert!(matches!(
        results.next(),
        Some(Err(ResultTimeoutError::Timeout))
    ));
    assert!(start.elapsed() >= timeout);
    assert!(results.next().is_none());
    gate.open();
    drop(pool); // lets item 1 finish, skips the cancelled ones
    let ran = ran.get();
    assert!(!ran.contains(&2) && !ran.contains(&3), "{ran:?}");
}

#[test]
fn map_stops_at_the_first_exception_and_cancels_the_rest() {
    let gate = Gate::default();
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let ran = Ran::default();
    let mut results = {
        let (ran, gate) = (ran.clone(), gate.clone());
        pool.map(
            move |i: usize| {
                match i {
                    2 => panic!("item two"),
                    3 => gate.pass(), // holds the only worker
                    _ => {}
                }
                ran.push(i);
                i
            },
            0..5,
            None,
        )
        .unwrap()
    };
    assert_eq!(results.next().unwrap().unwrap(), 0);
    assert_eq!(results.next().unwrap().unwrap(), 1);
    match results.next() {
        Some(Err(ResultTimeoutError::Failed(ResultError::Exception(e)))) => {
            assert_eq!(
                e.downcast_ref::<Panicked>().unwrap().message(),
                Some("item two")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(results.next().is_none());
    gate.open();
    drop(pool);
    assert!(!ran.get().contains(&4), "a cancelled item ran");
}

#[test]
fn dropping_map_results_cancels_the_work_not_started() {
    // Once the iteration has started (Python's generator: its `finally`);
    // an iterator dropped unread cancels nothing (see `map_semantics.rs`).
    let gate = Gate::default();
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let ran = Ran::default();
    let mut results = {
        let (ran, gate) = (ran.clone(), gate.clone());
        pool.map(
            move |i: usize| {
                ran.push(i);
                if i == 1 {
                    gate.pass(); // holds the only worker
                }
            },
            0..5,
            None,
        )
        .unwrap()
    };
    assert!(format!("{results:?}").starts_with("MapResults { left: 5"));
    assert!(results.next().unwrap().is_ok());
    eventually(|| ran.get() == [0, 1]);
    drop(results);
    gate.open();
    drop(pool);
    assert_eq!(ran.get(), [0, 1]);
}

#[test]
fn map_results_are_cancelled_by_cancel_futures() {
    let gate = Gate::default();
    let (pool, _blocker) = blocked_pool(&gate);
    let mut results = pool.map(|i: u8| i, [1, 2], None).unwrap();
    pool.shutdown_with(ShutdownOptions {
        wait: false,
        cancel_futures: true,
    });
    gate.open();
    assert!(matches!(
        results.next(),
        Some(Err(ResultTimeoutError::Failed(ResultError::Cancelled)))
    ));
    assert!(results.next().is_none());
}

// ---------------------------------------------------------------- stress

#[test]
fn many_threads_submitting_lose_nothing_and_run_nothing_twice() {
    const THREADS: usize = 8;
    const TASKS: usize = 1000;
    let pool = ThreadPoolExecutor::new(4).unwrap();
    let runs: Arc<Vec<AtomicU32>> =
        Arc::new((0..THREADS * TASKS).map(|_| AtomicU32::new(0)).collect());
    let futures = without_hanging({
        let runs = Arc::clone(&runs);
        move || {
            let futures: Vec<Vec<Future<usize>>> = thread::scope(|scope| {
                let submitters: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (pool, runs) = (&pool, &runs);
                        scope.spawn(move || {
                            (0..TASKS)
                                .map(|i| {
                                    let id = t * TASKS + i;
                                    let runs = Arc::clone(runs);
                                    pool.submit(move || {
                                        runs[id].fetch_add(1, Ordering::SeqCst);
                                        id
                                    })
                                    .unwrap()
                                })
                                .collect()
                        })
                    })
                    .collect();
                submitters.into_iter().map(|s| s.join().unwrap()).collect()
            });
            drop(pool);
            futures
        }
    });
    for (t, futures) in futures.iter().enumerate() {
        for (i, future) in futures.iter().enumerate() {
            assert_eq!(*future.try_result().unwrap(), t * TASKS + i);
        }
    }
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1));
}

#[test]
fn submits_racing_a_shutdown_either_run_once_or_come_back() {
    const THREADS: usize = 8;
    const TASKS: usize = 1000;
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let runs: Arc<Vec<AtomicU32>> =
        Arc::new((0..THREADS * TASKS).map(|_| AtomicU32::new(0)).collect());
    let (accepted, refused) = without_hanging({
        let runs = Arc::clone(&runs);
        move || {
            let outcomes: Vec<(usize, usize)> = thread::scope(|scope| {
                let submitters: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (pool, runs) = (&pool, &runs);
                        scope.spawn(move || {
                            let (mut accepted, mut refused) = (0, 0);
                            for i in 0..TASKS {
                                let id = t * TASKS + i;
                                let runs = Arc::clone(runs);
                                let task = move || {
                                    runs[id].fetch_add(1, Ordering::SeqCst);
                                };
                                match pool.submit(task) {
                                    Ok(_) => accepted += 1,
                                    Err(error) => {
                                        refused += 1;
                                        drop(error.into_inner()); // unrun
                                    }
                                }
                            }
                            (accepted, refused)
                        })
                    })
                    .collect();
                thread::sleep(ms(2));
                pool.shutdown(true);
                submitters.into_iter().map(|s| s.join().unwrap()).collect()
            });
            outcomes
                .into_iter()
                .fold((0, 0), |(a, r), (a2, r2)| (a + a2, r + r2))
        }
    });
    assert_eq!(accepted + refused, THREADS * TASKS);
    let ran: u32 = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
    assert_eq!(
        ran as usize, accepted,
        "accepted work was lost or run twice"
    );
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) <= 1));
}

// ---------------------------------------------------------------- tracing

/// One event as the test subscriber saw it.
#[derive(Clone, Debug)]
struct Seen {
    level: tracing::Level,
    message: String,
    pool: Option<String>,
}

/// Records events that carry a `pool` field starting with `traced`, so
/// that the other tests of this process (which share the global
/// subscriber once it is set) add nothing.
#[derive(Default)]
struct Collector {
    events: Mutex<Vec<Seen>>,
    next_span: AtomicU64,
}

struct Fields<'a>(&'a mut Seen);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.0.message = format!("{value:?}"),
            "pool" => self.0.pool = Some(format!("{value:?}")),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

impl tracing::Subscriber for &'static Collector {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut seen = Seen {
            level: *event.metadata().level(),
            message: String::new(),
            pool: None,
        };
        event.record(&mut Fields(&mut seen));
        if seen
            .pool
            .as_deref()
            .is_some_and(|p| p.starts_with("traced"))
        {
            self.events.lock().unwrap().push(seen);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn tracing_reports_the_pool_and_each_task() {
    static COLLECTOR: OnceLock<Collector> = OnceLock::new();
    let collector = COLLECTOR.get_or_init(Collector::default);
    // Workers are other threads, so the subscriber must be the global one.
    tracing::subscriber::set_global_default(collector).expect("the only global subscriber");

    let pool = ThreadPoolExecutor::builder()
        .workers(1)
        .thread_name_prefix("traced")
        .build()
        .unwrap();
    pool.submit(|| ()).unwrap().result().unwrap();
    let _ = pool.submit(|| panic!("traced panic")).unwrap().exception();
    drop(pool);

    let events = collector.events.lock().unwrap().clone();
    let find = |message: &str| {
        events
            .iter()
            .filter(|e| e.message == message)
            .map(|e| e.level)
            .collect::<Vec<_>>()
    };
    use tracing::Level;
    assert_eq!(find("thread pool started"), [Level::DEBUG]);
    assert_eq!(find("task submitted"), [Level::TRACE; 2]);
    assert_eq!(find("task started"), [Level::TRACE; 2]);
    assert_eq!(find("task panicked"), [Level::TRACE]);
    assert_eq!(find("task finished"), [Level::TRACE; 2]);
    assert_eq!(find("thread pool shutting down"), [Level::DEBUG]);
    assert_eq!(find("worker exited"), [Level::DEBUG]);
    assert!(events.iter().all(|e| e.pool.as_deref() == Some("traced")));
}

// ---------------------------------------------------------------- types

#[test]
fn types_are_send_sync_and_debug() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ThreadPoolExecutor>();
    send_sync::<ThreadPoolBuilder>();
    fn send<T: Send>() {}
    send::<simple_future::MapResults<u8>>();
    send::<simple_future::SubmitError<fn()>>();

    let builder = ThreadPoolExecutor::builder()
        .workers(2)
        .thread_name_prefix("dbg");
    assert!(format!("{builder:?}").starts_with("ThreadPoolBuilder { workers: Some(2)"));
    let pool = builder.build().unwrap();
    assert_eq!(
        format!("{pool:?}"),
        r#"ThreadPoolExecutor { name: "dbg", workers: 2, shut_down: false }"#
    );
    pool.shutdown(false);
    assert_eq!(
        format!("{pool:?}"),
        r#"ThreadPoolExecutor { name: "dbg", workers: 2, shut_down: true }"#
    );
}

#[test]
fn worker_ids_are_distinct_threads() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let barrier = Arc::new(Barrier::new(3));
    let ids: Vec<Future<ThreadId>> = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            pool.submit(move || {
                barrier.wait();
                thread::current().id()
            })
            .unwrap()
        })
        .collect();
    let ids: HashSet<ThreadId> =
        without_hanging(move || ids.iter().map(|f| *f.result().unwrap()).collect());
    assert_eq!(ids.len(), 3);
}
