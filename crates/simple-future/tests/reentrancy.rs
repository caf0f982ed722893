//! Callbacks and wakers may use the future that runs them, and others: read
//! it, add to it, cancel it, complete chains of futures, drop the last
//! handle. None of it may deadlock; every scenario runs under a hang
//! detector.

mod helpers;

use std::sync::Arc;
use std::task::{Wake, Waker};
use std::thread;

use simple_future::{Future, Observer, ResultError, State};

use helpers::{Counter, Log, block_on, ms, poll_once, without_hanging};

#[test]
fn a_callback_reads_its_own_futures_result() {
    let log = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let log = Log::new();
        let recorder = log.clone();
        future.add_done_callback(move |f| {
            recorder.push(*f.result().unwrap());
            recorder.push(*f.result_timeout(ms(10)).unwrap());
            recorder.push(f.exception().unwrap().map_or(0, |_| 1));
            recorder.push(block_on(f).unwrap());
        });
        future.set_result(3).unwrap();
        log.events()
    });
    assert_eq!(log, [3, 3, 0, 3]);
}

#[test]
fn a_callback_adds_a_callback_to_its_own_future_which_runs_at_once() {
    let log = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let log = Log::new();
        let outer = log.clone();
        future.add_done_callback(move |f| {
            outer.push("first starts");
            let inner = outer.clone();
            f.add_done_callback(move |_| inner.push("added inside first"));
            outer.push("first ends");
        });
        let second = log.clone();
        future.add_done_callback(move |_| second.push("second"));
        future.set_result(1).unwrap();
        log.events()
    });
    assert_eq!(
        log,
        ["first starts", "added inside first", "first ends", "second"]
    );
}

#[test]
fn a_callback_completes_another_future_whose_callback_completes_a_third() {
    let (second, third, log) = without_hanging(|| {
        let first: Future<u32> = Future::new();
        let second: Future<u32> = Future::new();
        let third: Future<u32> = Future::new();
        let log = Log::new();

        let completes_third = third.clone();
        let recorder = log.clone();
        second.add_done_callback(move |f| {
            recorder.push("second done");
            completes_third.set_result(f.result().unwrap() + 1).unwrap();
        });
        let completes_second = second.clone();
        let recorder = log.clone();
        first.add_done_callback(move |f| {
            recorder.push("first done");
            completes_second
                .set_result(f.result().unwrap() + 1)
                .unwrap();
            recorder.push("first's callback returns");
        });
        let recorder = log.clone();
        third.add_done_callback(move |_| recorder.push("third done"));

        first.set_result(1).unwrap();
        (
            *second.result().unwrap(),
            *third.result().unwrap(),
            log.events(),
        )
    });
    assert_eq!((second, third), (2, 3));
    // A completion made inside a callback runs its own callbacks after that
    // callback returns (issue 10: no recursion per link of a chain).
    assert_eq!(
        log,
        [
            "first done",
            "first's callback returns",
            "second done",
            "third done"
        ]
    );
}

#[test]
fn a_callback_tries_to_complete_and_cancel_its_own_future() {
    let (refused, cancelled, running, state) = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let this = future.clone();
        future.add_done_callback(move |f| {
            let refused = this.set_result(2).unwrap_err().state();
            let cancelled = f.cancel();
            let running = this.set_running_or_notify_cancel().map_err(|e| e.state());
            tx.send((refused, cancelled, running)).unwrap();
        });
        future.set_result(1).unwrap();
        let (refused, cancelled, running) = rx.recv().unwrap();
        (refused, cancelled, running, future.state())
    });
    assert_eq!(refused, State::Finished);
    assert!(!cancelled);
    assert_eq!(running, Err(State::Finished));
    assert_eq!(state, State::Finished);
}

#[test]
fn a_callback_of_a_cancelled_future_asks_whether_to_run() {
    let answer = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let this = future.clone();
        future.add_done_callback(move |_| {
            tx.send(this.set_running_or_notify_cancel().unwrap())
                .unwrap();
        });
        assert!(future.cancel());
        rx.recv().unwrap()
    });
    assert!(!answer, "a cancelled future says: skip the work");
}

#[test]
fn a_callback_cancels_other_futures_whose_callbacks_cancel_more() {
    let states = without_hanging(|| {
        let futures: Vec<Future<u32>> = (0..5).map(|_| Future::new()).collect();
        for pair in futures.windows(2) {
            let next = pair[1].observer();
            pair[0].add_done_callback(move |_| {
                assert!(next.cancel());
            });
        }
        assert!(futures[0].cancel());
        futures.iter().map(|f| f.state()).collect::<Vec<_>>()
    });
    assert_eq!(states, [State::Cancelled; 5]);
}

#[test]
fn a_callback_drops_the_last_future_handle_of_its_own_future() {
    let (state, log) = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let observer = future.observer();
        let log = Log::new();
        // The first callback owns the only Future handle; cancelling through
        // an observer runs it, and it drops that handle mid-completion. The
        // next callback still runs, and the future stays cancelled.
        let recorder = log.clone();
        observer.add_done_callback(move |_| {
            drop(future);
            recorder.push(None);
        });
        let recorder = log.clone();
        observer.add_done_callback(move |f| recorder.push(Some(f.state())));
        assert!(observer.cancel());
        (observer.state(), log.events())
    });
    assert_eq!(state, State::Cancelled, "the drop did not abandon it too");
    assert_eq!(log, [None, Some(State::Cancelled)]);
}

#[test]
fn a_callback_drops_the_last_handle_of_another_future_which_abandons_it() {
    let log = without_hanging(|| {
        let first: Future<u32> = Future::new();
        let second: Future<u32> = Future::new();
        let second_observer = second.observer();
        let log = Log::new();
        let recorder = log.clone();
        second.add_done_callback(move |f| recorder.push(("second", f.state())));
        let recorder = log.clone();
        first.add_done_callback(move |f| {
            drop(second);
            recorder.push(("first", f.state()));
        });
        first.set_result(1).unwrap();
        assert!(matches!(
            second_observer.result(),
            Err(ResultError::Abandoned)
        ));
        log.events()
    });
    // The abandonment inside first's callback runs second's callbacks after
    // it returns.
    assert_eq!(
        log,
        [("first", State::Finished), ("second", State::Abandoned)]
    );
}

#[test]
fn a_callback_run_by_abandonment_abandons_another_future() {
    let states = without_hanging(|| {
        let first: Future<u32> = Future::new();
        let second: Future<u32> = Future::new();
        let (first_observer, second_observer) = (first.observer(), second.observer());
        first.add_done_callback(move |_| drop(second));
        drop(first);
        (first_observer.state(), second_observer.state())
    });
    assert_eq!(states, (State::Abandoned, State::Abandoned));
}

#[test]
fn a_callback_blocks_on_a_future_that_another_thread_completes() {
    let value = without_hanging(|| {
        let first: Future<u32> = Future::new();
        let second: Future<u32> = Future::new();
        let waits_for = second.observer();
        let (tx, rx) = std::sync::mpsc::channel();
        first.add_done_callback(move |_| tx.send(*waits_for.result().unwrap()).unwrap());
        let completer = thread::spawn(move || {
            thread::sleep(ms(20));
            // Completing `second` must not need anything `first` holds.
            second.set_result(10).unwrap();
        });
        first.set_result(1).unwrap();
        completer.join().unwrap();
        rx.recv().unwrap()
    });
    assert_eq!(value, 10);
}

#[test]
fn a_callback_drops_a_registered_wait_on_its_own_future() {
    let dropped = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let (_, waker) = helpers::counting_waker();
        let mut wait = std::future::IntoFuture::into_future(future.observer());
        assert!(poll_once(&mut wait, &waker).is_pending());
        let dropped = Counter::new();
        let counter = dropped.clone();
        future.add_done_callback(move |_| {
            drop(wait);
            counter.bump();
        });
        future.set_result(1).unwrap();
        dropped.get()
    });
    assert_eq!(dropped, 1);
}

/// A waker that, when woken, uses the future it waits for.
struct Meddler {
    future: Observer<u32>,
    log: Log<&'static str>,
}

impl Wake for Meddler {
    fn wake(self: Arc<Self>) {
        self.log.push("woken");
        assert!(!self.future.cancel(), "it is finished");
        assert_eq!(self.future.result().ok(), Some(&1));
        let log = self.log.clone();
        self.future
            .add_done_callback(move |_| log.push("callback added by the waker"));
        self.log.push("waker returns");
    }
}

#[test]
fn a_waker_that_uses_the_future_when_woken_does_not_deadlock() {
    let log = without_hanging(|| {
        let future: Future<u32> = Future::new();
        let log = Log::new();
        let waker = Waker::from(Arc::new(Meddler {
            future: future.observer(),
            log: log.clone(),
        }));
        let mut wait = std::future::IntoFuture::into_future(future.observer());
        assert!(poll_once(&mut wait, &waker).is_pending());
        drop(waker);
        future.set_result(1).unwrap();
        assert!(poll_once(&mut wait, Waker::noop()).is_ready());
        log.events()
    });
    assert_eq!(
        log,
        ["woken", "callback added by the waker", "waker returns"]
    );
}

#[test]
fn a_callback_on_one_future_completes_it_for_a_waiter_on_another_thread() {
    // Two futures completing each other's successors from both sides at
    // once: no lock order between futures exists to get wrong.
    let rounds = if cfg!(miri) { 3 } else { 100 };
    without_hanging(move || {
        for _ in 0..rounds {
            let a: Future<u32> = Future::new();
            let b: Future<u32> = Future::new();
            let a_next: Future<u32> = Future::new();
            let b_next: Future<u32> = Future::new();
            {
                let b_observer = b.observer();
                let a_next = a_next.clone();
                a.add_done_callback(move |_| {
                    let _ = b_observer.cancel();
                    a_next.set_result(1).unwrap();
                });
            }
            {
                let a_observer = a.observer();
                let b_next = b_next.clone();
                b.add_done_callback(move |_| {
                    let _ = a_observer.cancel();
                    b_next.set_result(2).unwrap();
                });
            }
            let other = {
                let b = b.clone();
                thread::spawn(move || {
                    let _ = b.set_result(20);
                })
            };
            let _ = a.set_result(10);
            other.join().unwrap();
            assert_eq!(a_next.result().ok(), Some(&1));
            assert_eq!(b_next.result().ok(), Some(&2));
        }
    });
}
