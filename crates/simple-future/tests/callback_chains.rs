//! Completions made inside a done-callback on the same thread run their own
//! callbacks after that callback returns, in the order they were made: a
//! chain of callbacks, each completing the next future, takes constant
//! stack however long it is.

mod helpers;

use std::thread;

use simple_future::{Future, Observer, ResultError, State};

use helpers::{Log, without_hanging};

/// `n` futures, the callback of each completing the next one with its value
/// plus one; returns the first and the last.
fn chain(n: usize, log: Option<&Log<usize>>) -> (Future<usize>, Observer<usize>) {
    let futures: Vec<Future<usize>> = (0..n).map(|_| Future::new()).collect();
    for (i, pair) in futures.windows(2).enumerate() {
        let next = pair[1].clone();
        let log = log.cloned();
        pair[0].add_done_callback(move |f| {
            if let Some(log) = &log {
                log.push(i);
            }
            next.set_result(f.result().unwrap() + 1).unwrap();
        });
    }
    let last = futures[n - 1].observer();
    (futures.into_iter().next().unwrap(), last)
}

#[test]
fn a_chain_of_100_000_callbacks_completing_the_next_future_does_not_overflow_the_stack() {
    const LINKS: usize = 100_000;
    let last = without_hanging(|| {
        // A small stack, so that recursion per link would surely overflow.
        thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let (first, last) = chain(LINKS, None);
                first.set_result(0).unwrap();
                // Every link has run when the first completion returns.
                *last.try_result().unwrap()
            })
            .unwrap()
            .join()
            .unwrap()
    });
    assert_eq!(last, LINKS - 1);
}

#[test]
fn a_chain_of_callbacks_runs_link_after_link_in_order() {
    let log = Log::new();
    let (first, last) = chain(1_000, Some(&log));
    first.set_result(0).unwrap();
    assert_eq!(*last.result().unwrap(), 999);
    assert_eq!(log.events(), (0..999).collect::<Vec<_>>());
}

#[test]
fn completions_inside_a_callback_run_their_callbacks_after_it_returns_in_order() {
    let log: Log<&str> = Log::new();
    let a: Future<u8> = Future::new();
    let b: Future<u8> = Future::new();
    let c: Future<u8> = Future::new();
    for (future, name) in [(&b, "b's callback"), (&c, "c's callback")] {
        let log = log.clone();
        future.add_done_callback(move |_| log.push(name));
    }
    {
        let (log, b, c) = (log.clone(), b.clone(), c.clone());
        a.add_done_callback(move |_| {
            log.push("a's first callback starts");
            b.set_result(1).unwrap();
            // Completed at once: the value is there, only the callbacks
            // wait their turn.
            assert_eq!(b.state(), State::Finished);
            assert_eq!(b.try_result().ok(), Some(&1));
            assert!(c.cancel());
            log.push("a's first callback returns");
        });
    }
    {
        let log = log.clone();
        a.add_done_callback(move |_| log.push("a's second callback"));
    }
    a.set_result(0).unwrap();
    // Everything ran before the outermost completion returned.
    assert_eq!(
        log.events(),
        [
            "a's first callback starts",
            "a's first callback returns",
            "a's second callback",
            "b's callback",
            "c's callback",
        ]
    );
}

#[test]
fn a_callback_added_inside_a_callback_to_a_done_future_still_runs_at_once() {
    let log: Log<&str> = Log::new();
    let a: Future<u8> = Future::new();
    let done: Future<u8> = Future::new();
    done.set_result(1).unwrap();
    let (recorder, done_observer) = (log.clone(), done.observer());
    a.add_done_callback(move |_| {
        let inner = recorder.clone();
        done_observer.add_done_callback(move |_| inner.push("added to a done future"));
        recorder.push("callback returns");
    });
    a.set_result(0).unwrap();
    assert_eq!(log.events(), ["added to a done future", "callback returns"]);
}

#[test]
fn threads_blocked_on_a_future_completed_inside_a_callback_wake_at_once() {
    let value = without_hanging(|| {
        let a: Future<u8> = Future::new();
        let b: Future<u8> = Future::new();
        let waiter = {
            let b = b.observer();
            thread::spawn(move || *b.result().unwrap())
        };
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let b = b.clone();
            // Completes `b`, then waits for the thread blocked on it: a
            // thread is woken at once, not after this callback.
            a.add_done_callback(move |_| {
                b.set_result(7).unwrap();
                tx.send(waiter.join().unwrap()).unwrap();
            });
        }
        a.set_result(0).unwrap();
        rx.recv().unwrap()
    });
    assert_eq!(value, 7);
}

#[test]
fn a_chain_of_abandonments_does_not_recurse_either() {
    const LINKS: usize = 100_000;
    let states = without_hanging(|| {
        thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let observers: Vec<Observer<u8>> = {
                    let futures: Vec<Future<u8>> = (0..LINKS).map(|_| Future::new()).collect();
                    let observers = futures.iter().map(Future::observer).collect();
                    let mut futures = futures.into_iter();
                    let first = futures.next().unwrap();
                    // Each callback drops the only handle of the next future.
                    let mut previous = first.observer();
                    for next in futures {
                        let observer = next.observer();
                        previous.add_done_callback(move |_| drop(next));
                        previous = observer;
                    }
                    drop(first);
                    observers
                };
                let abandoned = observers.iter().all(|o| o.state() == State::Abandoned);
                let last = observers.last().unwrap().result().map(|_| ()).unwrap_err();
                (abandoned, matches!(last, ResultError::Abandoned))
            })
            .unwrap()
            .join()
            .unwrap()
    });
    assert_eq!(states, (true, true));
}
