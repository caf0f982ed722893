//! A value whose `Drop` panics never stops a loop of the crate halfway: the
//! loops that cancel, fail, run or drop several user values in a row (queued
//! closures at shutdown or when the pool breaks, done-callbacks and wakers
//! at completion, deferred callbacks, unread `map` results, the futures an
//! `as_completed` owns) finish their work, and each panic is reported as a
//! `tracing` error event, as a panicking done-callback is, instead of
//! unwinding into the caller or killing a worker.

mod helpers;

use std::future::IntoFuture;
use std::panic;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use helpers::support::{Collector, Seen};
use helpers::{Counter, PATIENCE, counting_waker, poll_once, wait_until, without_hanging};
use simple_future::{
    Broken, Exception, Future, Observer, Panicked, ResultError, ResultTimeoutError,
    ShutdownOptions, State, ThreadPoolExecutor, as_completed,
};
use tracing::Level;

/// Panics when dropped, with its label as the message, after counting the
/// drop; unless the thread is already unwinding, so that a failing
/// assertion reports itself instead of aborting the test binary. Each test
/// labels its own, and finds its own reports by the label among all the
/// tests' reports.
#[derive(Debug)]
struct Poisoned {
    drops: Counter,
    label: &'static str,
}

impl Poisoned {
    fn new(drops: &Counter, label: &'static str) -> Poisoned {
        Poisoned {
            drops: drops.clone(),
            label,
        }
    }

    /// Lets a `move` closure capture the whole value.
    fn touch(&self) {}
}

impl Drop for Poisoned {
    fn drop(&mut self) {
        self.drops.bump();
        if !thread::panicking() {
            panic!("{}", self.label);
        }
    }
}

/// The process's collector: workers and completions report on their own
/// threads, so it must be the global subscriber.
fn collector() -> &'static Collector {
    static COLLECTOR: OnceLock<Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = Collector::default();
        tracing::subscriber::set_global_default(collector.clone())
            .expect("the only global subscriber");
        collector
    })
}

/// The error events that report a panic whose message is `label`.
fn reports(label: &str) -> Vec<Seen> {
    collector()
        .seen()
        .into_iter()
        .filter(|e| !e.is_span && e.level == Level::ERROR && e.field("panic") == Some(label))
        .collect()
}

/// Each event's message.
fn messages(events: &[Seen]) -> Vec<&str> {
    events.iter().map(|e| e.message.as_str()).collect()
}

/// Each event's `field`.
fn fields<'a>(events: &'a [Seen], field: &str) -> Vec<Option<&'a str>> {
    events.iter().map(|e| e.field(field)).collect()
}

/// The address error events name a future by.
fn address<T, E>(future: &Observer<T, E>) -> String {
    helpers::repr_address(&future.to_string()).to_owned()
}

/// A latch that tasks wait on until the test opens it; gives up (panics)
/// after [`PATIENCE`], so that a failing test cannot hang a pool's drop.
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

/// A pool named `name` of one worker, busy until `gate` opens, so that what
/// is submitted next stays queued.
fn blocked_pool(name: &str, gate: &Gate) -> (ThreadPoolExecutor, Future<()>) {
    let pool = ThreadPoolExecutor::builder()
        .workers(1)
        .thread_name_prefix(name)
        .build()
        .unwrap();
    let blocker = {
        let gate = gate.clone();
        pool.submit(move || gate.pass()).unwrap()
    };
    assert!(wait_until(PATIENCE, || blocker.running()));
    (pool, blocker)
}

/// Ten queued tasks, of which the 4th and the 8th capture a [`Poisoned`].
fn queue_ten(
    pool: &ThreadPoolExecutor,
    drops: &Counter,
    label: &'static str,
) -> Vec<Future<usize>> {
    (0..10)
        .map(|i| {
            let poison = [3, 7].contains(&i).then(|| Poisoned::new(drops, label));
            pool.submit(move || {
                if let Some(poison) = &poison {
                    poison.touch();
                }
                i
            })
            .unwrap()
        })
        .collect()
}

/// Checks that `label` was reported `count` times, each time as a task's
/// closure whose drop panicked, naming the pool and the task.
fn assert_task_drops_reported(label: &str, pool: &str, count: usize) {
    let reports = reports(label);
    assert_eq!(
        messages(&reports),
        vec!["dropping a task's closure panicked"; count]
    );
    assert_eq!(fields(&reports, "pool"), vec![Some(pool); count]);
    assert!(reports.iter().all(|e| e.field("task").is_some()));
}

// ------------------------------------------------------------- the executor

#[test]
fn cancelling_queued_work_cancels_every_future_when_a_closure_panics_on_drop() {
    collector();
    without_hanging(|| {
        let gate = Gate::default();
        let (pool, blocker) = blocked_pool("cancel-poisoned", &gate);
        let drops = Counter::new();
        let queued = queue_ten(&pool, &drops, "cancelled closure dropped");

        // Neither poisoned closure's panic escapes, and none stops the loop.
        pool.shutdown_with(ShutdownOptions {
            wait: false,
            cancel_futures: true,
        });
        assert!(queued.iter().all(|f| f.cancelled()));
        assert_eq!(drops.get(), 2);
        assert_task_drops_reported("cancelled closure dropped", "cancel-poisoned", 2);

        // The worker lives on: it finishes the task it was running.
        gate.open();
        assert!(blocker.result_timeout(PATIENCE).is_ok());
        pool.shutdown(true);
    });
}

#[test]
fn shutdown_that_cancels_and_waits_returns_when_a_closure_panics_on_drop() {
    collector();
    without_hanging(|| {
        let gate = Gate::default();
        let (pool, blocker) = blocked_pool("cancel-wait-poisoned", &gate);
        let drops = Counter::new();
        let queued = queue_ten(&pool, &drops, "closure dropped before the wait");
        let last = queued[9].observer();
        let opener = {
            let gate = gate.clone();
            // The queue is cancelled before shutdown waits for the worker.
            thread::spawn(move || {
                assert!(wait_until(PATIENCE, || last.cancelled()));
                gate.open();
            })
        };
        pool.shutdown_with(ShutdownOptions {
            wait: true,
            cancel_futures: true,
        });
        opener.join().unwrap();
        assert!(queued.iter().all(|f| f.cancelled()));
        assert!(blocker.try_result().is_ok());
        assert_task_drops_reported("closure dropped before the wait", "cancel-wait-poisoned", 2);
    });
}

#[test]
fn a_task_that_cancels_the_queue_is_not_failed_by_a_closure_panicking_on_drop() {
    collector();
    without_hanging(|| {
        let gate = Gate::default();
        let pool = Arc::new(
            ThreadPoolExecutor::builder()
                .workers(1)
                .thread_name_prefix("cancel-from-task")
                .build()
                .unwrap(),
        );
        let shutting_down = {
            let (gate, own) = (gate.clone(), Arc::clone(&pool));
            pool.submit(move || {
                gate.pass();
                own.shutdown_with(ShutdownOptions {
                    wait: true,
                    cancel_futures: true,
                });
            })
            .unwrap()
        };
        assert!(wait_until(PATIENCE, || shutting_down.running()));
        let drops = Counter::new();
        let queued = queue_ten(&pool, &drops, "closure dropped by a task");
        gate.open();
        // The shutdown ran on the worker, inside the task: it returned.
        assert!(shutting_down.result_timeout(PATIENCE).is_ok());
        assert!(queued.iter().all(|f| f.cancelled()));
        assert_task_drops_reported("closure dropped by a task", "cancel-from-task", 2);
    });
}

#[test]
fn a_broken_pool_fails_every_queued_future_when_a_closure_panics_on_drop() {
    collector();
    without_hanging(|| {
        let gate = Gate::default();
        let pool = {
            let gate = gate.clone();
            ThreadPoolExecutor::builder()
                .workers(1)
                .thread_name_prefix("broken-poisoned")
                .initializer(move || {
                    gate.pass();
                    panic!("initializer fails");
                })
                .build()
                .unwrap()
        };
        let drops = Counter::new();
        // Queued while the only worker is still in its initializer.
        let queued = queue_ten(&pool, &drops, "failed closure dropped");
        gate.open();
        for future in &queued {
            match future.exception_timeout(PATIENCE) {
                Ok(Some(error)) => assert!(error.downcast_ref::<Broken>().is_some()),
                other => panic!("expected a Broken exception, got {other:?}"),
            }
        }
        assert_eq!(drops.get(), 2);
        assert_task_drops_reported("failed closure dropped", "broken-poisoned", 2);
        assert!(pool.is_broken());
    });
}

#[test]
fn a_skipped_tasks_closure_panicking_on_drop_does_not_cost_the_worker() {
    collector();
    without_hanging(|| {
        let gate = Gate::default();
        let (pool, blocker) = blocked_pool("skip-poisoned", &gate);
        let drops = Counter::new();
        let poison = Poisoned::new(&drops, "skipped closure dropped");
        let skipped = pool.submit(move || poison.touch()).unwrap();
        assert!(skipped.cancel());
        let after = pool.submit(|| "still working").unwrap();
        gate.open();
        assert!(blocker.result_timeout(PATIENCE).is_ok());
        assert_eq!(after.result_timeout(PATIENCE).ok(), Some(&"still working"));
        assert_eq!(drops.get(), 1);
        // The one worker, reused.
        assert_eq!(pool.worker_count(), 1);
        assert_task_drops_reported("skipped closure dropped", "skip-poisoned", 1);
    });
}

#[test]
fn a_tasks_panic_whose_payload_panics_on_drop_does_not_cost_the_worker() {
    collector();
    without_hanging(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let drops = Counter::new();
        let payload = Poisoned::new(&drops, "task's payload dropped");
        let failed = pool
            .submit(move || -> u8 { panic::panic_any(payload) })
            .unwrap();
        let error = failed.exception_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(error.downcast_ref::<Panicked>().unwrap().message(), None);
        let after = pool.submit(|| 5).unwrap();
        assert_eq!(after.result_timeout(PATIENCE).ok(), Some(&5));
        assert_eq!(pool.worker_count(), 1);
        assert_eq!(drops.get(), 1);
    });
}

// ---------------------------------------------------------- completing a future

#[test]
fn done_callbacks_whose_captures_panic_on_drop_all_run() {
    collector();
    let future: Future<u32> = Future::new();
    let (ran, drops) = (Counter::new(), Counter::new());
    for i in 0..5 {
        let ran = ran.clone();
        let poison = (i % 2 == 1).then(|| Poisoned::new(&drops, "callback's capture dropped"));
        // Dropped, with the rest of the closure, once it has run.
        future.add_done_callback(move |_| {
            ran.bump();
            if let Some(poison) = &poison {
                poison.touch();
            }
        });
    }
    assert!(future.set_result(1).is_ok());
    assert_eq!((ran.get(), drops.get()), (5, 2));
    let reports = reports("callback's capture dropped");
    assert_eq!(messages(&reports), ["done callback panicked"; 2]);
    let future = address(&future);
    assert_eq!(fields(&reports, "future"), [Some(future.as_str()); 2]);
}

#[test]
fn a_callback_panic_whose_payload_panics_on_drop_does_not_stop_the_others() {
    collector();
    let drops = Counter::new();
    let future: Future<u32> = Future::new();
    let ran = Counter::new();
    {
        let drops = drops.clone();
        future.add_done_callback(move |_| {
            panic::panic_any(Poisoned::new(&drops, "callback's payload dropped"))
        });
    }
    {
        let ran = ran.clone();
        future.add_done_callback(move |_| ran.bump());
    }
    assert!(future.set_result(1).is_ok());
    assert_eq!((ran.get(), drops.get()), (1, 1));
    // The callback's panic is reported. Not the payload's own: its payload
    // is leaked rather than dropped, lest it panic again.
    assert!(reports("callback's payload dropped").is_empty());
    let future = address(&future);
    let reported: Vec<Seen> = reports("<non-string payload>")
        .into_iter()
        .filter(|e| e.field("future") == Some(future.as_str()))
        .collect();
    assert_eq!(messages(&reported), ["done callback panicked"]);

    // This thread's callbacks still run at once.
    let next: Future<u32> = Future::new();
    {
        let ran = ran.clone();
        next.add_done_callback(move |_| ran.bump());
    }
    next.set_result(2).unwrap();
    assert_eq!(ran.get(), 2);
}

/// A waker whose last clone panics when dropped.
struct PoisonedWaker {
    woken: Counter,
    _poison: Poisoned,
}

impl Wake for PoisonedWaker {
    fn wake(self: Arc<Self>) {
        self.woken.bump();
    }
}

#[test]
fn a_waker_panicking_on_drop_does_not_stop_the_other_wakers() {
    collector();
    let future: Future<u32> = Future::new();
    let (woken, drops) = (Counter::new(), Counter::new());
    let mut poisoned = future.observer().into_future();
    let mut healthy = future.observer().into_future();
    {
        let waker = Waker::from(Arc::new(PoisonedWaker {
            woken: woken.clone(),
            _poison: Poisoned::new(&drops, "waker dropped"),
        }));
        assert!(poll_once(&mut poisoned, &waker).is_pending());
        // The future holds the last clone.
    }
    let (counter, waker) = counting_waker();
    assert!(poll_once(&mut healthy, &waker).is_pending());

    assert!(future.set_result(3).is_ok());
    assert_eq!((woken.get(), drops.get(), counter.wakes()), (1, 1, 1));
    let ready = poll_once(&mut healthy, &waker);
    assert!(matches!(ready, Poll::Ready(Ok(3))), "{ready:?}");
    let reports = reports("waker dropped");
    assert_eq!(messages(&reports), ["waker panicked"]);
    let future = address(&future);
    assert_eq!(fields(&reports, "future"), [Some(future.as_str())]);
}

#[test]
fn a_deferred_future_whose_value_panics_on_drop_does_not_stall_the_thread() {
    collector();
    let (ran, drops) = (Counter::new(), Counter::new());
    let outer: Future<u8> = Future::new();
    let (address_tx, address_rx) = mpsc::channel();
    {
        let (ran, drops) = (ran.clone(), drops.clone());
        outer.add_done_callback(move |_| {
            let inner: Future<Poisoned> = Future::new();
            address_tx.send(address(&inner)).unwrap();
            let ran = ran.clone();
            inner.add_done_callback(move |_| ran.bump());
            // Its callbacks wait their turn behind this one, holding the
            // future: once this handle goes, they hold the last one.
            let value = Poisoned::new(&drops, "deferred future dropped");
            inner.set_result(value).unwrap();
        });
    }
    assert!(outer.set_result(1).is_ok());
    assert_eq!((ran.get(), drops.get()), (1, 1));
    let reports = reports("deferred future dropped");
    assert_eq!(messages(&reports), ["dropping a future panicked"]);
    let inner = address_rx.recv().unwrap();
    assert_eq!(fields(&reports, "future"), [Some(inner.as_str())]);

    // Later completions on this thread still run their callbacks at once.
    let next: Future<u8> = Future::new();
    {
        let ran = ran.clone();
        next.add_done_callback(move |_| ran.bump());
    }
    next.set_result(2).unwrap();
    assert_eq!(ran.get(), 2);
}

// --------------------------------------------------------- map and as_completed

#[test]
fn dropping_unread_map_results_drops_each_even_if_they_panic_on_drop() {
    collector();
    without_hanging(|| {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        let drops = Counter::new();
        let results = {
            let drops = drops.clone();
            let make = move |_: u8| Poisoned::new(&drops, "unread result dropped");
            pool.map(make, 0..5, None).unwrap()
        };
        // Every call has run; their values wait, unread, in the results.
        pool.shutdown(true);
        drop(results);
        assert_eq!(drops.get(), 5);
        let reports = reports("unread result dropped");
        assert_eq!(messages(&reports), ["dropping a future panicked"; 5]);
    });
}

#[test]
fn a_map_error_cancels_the_rest_even_if_a_result_panics_on_drop() {
    collector();
    without_hanging(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let gate = Gate::default();
        let drops = Counter::new();
        let started = Arc::new(Mutex::new(Vec::new()));
        let call = {
            let (gate, drops, started) = (gate.clone(), drops.clone(), Arc::clone(&started));
            move |i: usize| {
                started.lock().unwrap().push(i);
                match i {
                    0 => panic!("item zero fails"),
                    2 => gate.pass(),
                    _ => {}
                }
                Poisoned::new(&drops, "result after an error dropped")
            }
        };
        let mut results = pool.map(call, 0..10, None).unwrap();
        // Item 1 is done (its value unread) and item 2 is running.
        let count = || started.lock().unwrap().len();
        assert!(wait_until(PATIENCE, || count() == 3));

        match results.next() {
            Some(Err(ResultTimeoutError::Failed(ResultError::Exception(error)))) => {
                assert!(error.downcast_ref::<Panicked>().is_some());
            }
            other => panic!("expected item zero's panic, got {other:?}"),
        }
        assert!(results.next().is_none());
        // Item 1's value was dropped; items 3 to 9 were cancelled.
        assert_eq!(drops.get(), 1);
        gate.open();
        pool.shutdown(true);
        assert_eq!(*started.lock().unwrap(), [0, 1, 2]);
        // Item 2's value, never read, went with the worker's last handle.
        assert_eq!(drops.get(), 2);
        assert_eq!(
            messages(&reports("result after an error dropped")),
            [
                "dropping a future panicked",
                "a task panicked outside its closure"
            ]
        );
    });
}

#[test]
fn dropping_as_completed_drops_the_futures_it_owns_even_if_they_panic_on_drop() {
    collector();
    let drops = Counter::new();
    let futures: Vec<Observer<Poisoned, Exception>> = (0..4)
        .map(|_| {
            let future = Future::new();
            let value = Poisoned::new(&drops, "owned future dropped");
            future.set_result(value).unwrap();
            future.into_observer()
        })
        .collect();
    let addresses: Vec<String> = futures.iter().map(address).collect();
    let mut completed = as_completed(futures, Some(Duration::ZERO));
    let first = completed.next().unwrap().unwrap();
    assert_eq!(first.state(), State::Finished);
    drop(completed);
    assert_eq!(drops.get(), 3);
    let reports = reports("owned future dropped");
    assert_eq!(messages(&reports), ["dropping a future panicked"; 3]);
    let expected: Vec<_> = addresses[1..].iter().map(|a| Some(a.as_str())).collect();
    assert_eq!(fields(&reports, "future"), expected);
    // The one yielded is the caller's, and panics when the caller drops it.
    assert!(panic::catch_unwind(panic::AssertUnwindSafe(|| drop(first))).is_err());
    assert_eq!(drops.get(), 4);
}
