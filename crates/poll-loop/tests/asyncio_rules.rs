//! Where poll-loop follows asyncio, checked against CPython's own rules
//! (`Lib/asyncio/base_events.py`, `events.py`, `tasks.py` and their tests).

mod helpers;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use helpers::{Collector, Log, ms, strict, without_hanging};
use poll_loop::{
    EventLoop, JoinError, JoinHandle, LoopHandle, PostAction, Readiness, Source, sleep,
};
use simple_future::Future;

#[test]
fn cancel_returns_false_once_the_task_is_done_or_already_cancelled() {
    let lp = EventLoop::new();
    let pending = lp.spawn(sleep(ms(10_000)));
    assert!(pending.cancel(), "the first cancel cancels");
    assert!(!pending.cancel(), "already cancelled");
    assert!(!pending.clone().cancel(), "through any handle");
    let finished = lp.spawn(async { 1 });
    lp.run_until_idle().unwrap();
    assert!(!finished.cancel(), "done");
    assert!(!finished.cancelled());
    assert_eq!(*finished.result().unwrap(), 1);
}

#[test]
fn sleep_zero_yields_to_the_loop_once() {
    let lp = EventLoop::new();
    let log = Log::new();
    let l = log.clone();
    lp.spawn(async move {
        l.push("task before");
        let h = LoopHandle::current().unwrap();
        h.call_soon(l.recording("queued callback"));
        sleep(Duration::ZERO).await; // asyncio.sleep(0)
        l.push("task after");
    });
    lp.run_until_idle().unwrap();
    assert_eq!(
        log.events(),
        ["task before", "queued callback", "task after"]
    );
}

/// A log both kinds of callback can write to.
type SharedLog = Arc<Mutex<Vec<&'static str>>>;

fn record(log: &SharedLog, what: &'static str) -> impl FnOnce() + Send + 'static {
    let log = Arc::clone(log);
    move || log.lock().unwrap().push(what)
}

#[test]
fn one_fifo_for_call_soon_and_call_soon_threadsafe_on_the_loop_thread() {
    let lp = EventLoop::new();
    let log = SharedLog::default();
    let (l, h) = (log.clone(), lp.handle());
    lp.call_soon(move || {
        let remote = h.threadsafe();
        remote
            .call_soon_threadsafe(record(&l, "threadsafe 1"))
            .unwrap();
        h.call_soon(record(&l, "call_soon 1"));
        remote
            .call_soon_threadsafe(record(&l, "threadsafe 2"))
            .unwrap();
        h.call_soon(record(&l, "call_soon 2"));
    });
    lp.run_until_idle().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["threadsafe 1", "call_soon 1", "threadsafe 2", "call_soon 2"]
    );
}

#[test]
fn one_fifo_for_a_threadsafe_call_that_happened_before_a_call_soon() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = SharedLog::default();
        let remote = lp.threadsafe();
        let (sent_tx, sent_rx) = mpsc::channel();
        let l = log.clone();
        let worker = thread::spawn(move || {
            remote
                .call_soon_threadsafe(record(&l, "threadsafe"))
                .unwrap();
            sent_tx.send(()).unwrap(); // synchronises with the loop's thread
        });
        let (l, h) = (log.clone(), lp.handle());
        lp.call_soon(move || {
            sent_rx.recv().unwrap(); // the thread-safe call happened before…
            h.call_soon(record(&l, "call_soon")); // …this one
        });
        lp.run_until_idle().unwrap();
        worker.join().unwrap();
        assert_eq!(*log.lock().unwrap(), ["threadsafe", "call_soon"]);
    });
}

#[test]
fn run_until_complete_finishes_the_iteration_in_which_the_future_completes() {
    let lp = EventLoop::new();
    let log = Log::new();
    let future: Future<u32> = Future::new();
    // A done-callback (it runs on the completing thread, here the loop's)
    // that queues loop work, as asyncio's done-callbacks are queued.
    let remote = lp.threadsafe();
    future.add_done_callback(move |_| {
        remote
            .call_soon_threadsafe(|| {
                CALLED_FROM_DONE.with(|c| c.set(true));
            })
            .unwrap();
    });
    let (producer, l, h) = (future.clone(), log.clone(), lp.handle());
    lp.call_soon(move || {
        producer.set_result(5).unwrap();
        h.call_soon(l.recording("queued in the completing iteration"));
    });
    assert_eq!(*lp.run_until_complete(&future).unwrap(), 5);
    assert_eq!(log.events(), ["queued in the completing iteration"]);
    assert!(
        CALLED_FROM_DONE.with(Cell::get),
        "the done-callback's work ran"
    );
    // Only that: what those callbacks queue waits for the next run.
}

thread_local! {
    static CALLED_FROM_DONE: Cell<bool> = const { Cell::new(false) };
}

/// Ready while its flag is set; counts its dispatches.
struct Flagged {
    ready: Rc<Cell<bool>>,
    dispatched: Rc<Cell<u32>>,
    clears: Option<Rc<Cell<bool>>>,
}

impl Source for Flagged {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        if self.ready.get() {
            Readiness::Ready
        } else {
            Readiness::Pending
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        assert!(self.ready.get(), "dispatched while not ready");
        self.dispatched.set(self.dispatched.get() + 1);
        self.ready.set(false);
        if let Some(other) = &self.clears {
            other.set(false);
        }
        PostAction::Remove
    }
}

#[test]
fn a_source_cleared_earlier_in_the_same_batch_is_not_dispatched() {
    let lp = EventLoop::new();
    let _strict = strict(&lp);
    let (a_ready, b_ready, c_ready) = (
        Rc::new(Cell::new(true)),
        Rc::new(Cell::new(true)),
        Rc::new(Cell::new(true)),
    );
    let (a_count, b_count, c_count) = (Rc::default(), Rc::default(), Rc::default());
    // A's dispatch clears B; a callback of the same iteration clears C.
    lp.insert_source(Flagged {
        ready: a_ready.clone(),
        dispatched: Rc::clone(&a_count),
        clears: Some(b_ready.clone()),
    });
    let b = lp.insert_source(Flagged {
        ready: b_ready.clone(),
        dispatched: Rc::clone(&b_count),
        clears: None,
    });
    let c = lp.insert_source(Flagged {
        ready: c_ready.clone(),
        dispatched: Rc::clone(&c_count),
        clears: None,
    });
    let clear_c = c_ready.clone();
    lp.call_soon(move || clear_c.set(false));
    let h = lp.handle();
    lp.call_soon(move || h.stop());
    lp.run_forever().unwrap();
    assert_eq!(a_count.get(), 1);
    assert_eq!(
        b_count.get(),
        0,
        "cleared by A's dispatch in the same batch"
    );
    assert_eq!(c_count.get(), 0, "cleared by a callback in the same batch");
    assert!(
        b.is_registered() && c.is_registered(),
        "skipped, not removed"
    );
    b.remove();
    c.remove();
}

#[test]
fn an_unretrieved_task_panic_is_reported_at_error_when_its_last_handle_goes() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        let line = line!() + 1;
        let task = lp.spawn(async {
            if true {
                panic!("nobody looks");
            }
        });
        lp.run_until_idle().unwrap();
        assert!(
            collector.events("never retrieved").is_empty(),
            "a handle lives"
        );
        drop(task);
        let events = collector.events("task exception was never retrieved");
        assert_eq!(events.len(), 1, "{:#?}", collector.seen());
        let event = &events[0];
        assert_eq!(event.level, tracing::Level::ERROR);
        assert_eq!(event.field("panic"), Some("nobody looks"));
        let location = event.field("location").unwrap();
        assert!(
            location.ends_with(&format!("asyncio_rules.rs:{line}:23")),
            "{location}"
        );
    });
}

#[test]
fn a_detached_task_panic_is_reported_when_the_task_ends() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        drop(lp.spawn(async { panic!("detached") }));
        lp.run_until_idle().unwrap();
        assert_eq!(collector.events("never retrieved").len(), 1);
    });
}

#[test]
fn a_retrieved_task_panic_is_not_reported() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        let awaited = lp.spawn(async { panic!("awaited") });
        let read = lp.spawn(async { panic!("read") });
        assert!(matches!(
            lp.block_on(awaited).unwrap(),
            Err(JoinError::Panicked(_))
        ));
        assert!(read.exception().unwrap().is_some());
        drop(read);
        assert!(collector.events("never retrieved").is_empty());
    });
}

#[test]
fn a_panicking_exception_handler_is_reported_with_both_messages_and_the_loop_goes_on() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        lp.set_exception_handler(|_, _| panic!("the handler broke"));
        let log = Log::new();
        lp.call_soon(|| panic!("the callback broke"));
        lp.call_soon(log.recording("after"));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["after"], "the loop went on");
        let events = collector.events("the exception handler panicked");
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.level, tracing::Level::ERROR);
        assert_eq!(event.field("handler_panic"), Some("the handler broke"));
        assert!(
            event
                .field("original")
                .unwrap()
                .contains("the callback broke"),
            "{event:?}"
        );
        assert!(event.message.contains("the handler broke"));
        assert!(event.message.contains("the callback broke"));
    });
}

/// The handle of a task that awaits it.
type OwnHandle = JoinHandle<Result<(), JoinError>>;

#[test]
fn a_task_awaiting_its_own_join_handle_gets_an_error() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let me: Rc<Cell<Option<OwnHandle>>> = Rc::default();
        let slot = me.clone();
        let task = lp.spawn(async move {
            let own = loop {
                match slot.take() {
                    Some(own) => break own,
                    None => poll_loop::yield_now().await,
                }
            };
            let by_reference = (&own).await.map(drop);
            assert_eq!(by_reference, Err(JoinError::AwaitedItself));
            own.await.map(drop)
        });
        me.set(Some(task.clone()));
        lp.run_until_idle().unwrap();
        assert_eq!(*task.result().unwrap(), Err(JoinError::AwaitedItself));
    });
}
