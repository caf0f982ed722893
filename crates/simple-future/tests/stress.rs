//! Many threads at once on many futures: completing, cancelling, waiting,
//! awaiting, adding callbacks and dropping handles. Every callback runs
//! exactly once, every waiter returns, exactly one completion wins.

mod helpers;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::Poll;
use std::thread;

use simple_future::{Future, Observer, ResultError, ResultTimeoutError, State};

use helpers::{block_on, counting_waker, ms, poll_once, registered_clones, without_hanging};

/// Sizes small enough for Miri, which runs threads a hundred times slower.
const FUTURES: usize = if cfg!(miri) { 16 } else { 500 };
const THREADS: usize = if cfg!(miri) { 3 } else { 4 };
/// Fresh futures each round, so the racers meet at many starting lines.
const ROUNDS: usize = if cfg!(miri) { 1 } else { 50 };

/// What the racers did to one future.
#[derive(Default)]
struct Tally {
    wins: AtomicUsize,
    /// The racer whose completion won, plus one (0: none).
    won_by: AtomicUsize,
    callbacks_added: AtomicUsize,
    callbacks_run: AtomicUsize,
    waits_returned: AtomicUsize,
}

/// A fixed shuffle of `0..n` for racer `seed`, so that racers meet the
/// futures in different orders.
fn order(n: usize, seed: usize) -> Vec<usize> {
    let mut state = (seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut items: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
    items
}

#[test]
fn racing_completers_cancellers_waiters_and_callbacks_agree() {
    without_hanging(|| {
        for _ in 0..ROUNDS {
            race_completers_cancellers_waiters_and_callbacks();
        }
    });
}

fn race_completers_cancellers_waiters_and_callbacks() {
    let futures: Vec<Future<usize>> = (0..FUTURES).map(|_| Future::new()).collect();
    let tallies: Arc<Vec<Tally>> = Arc::new((0..FUTURES).map(|_| Tally::default()).collect());
    let start = Barrier::new(THREADS * 3);

    thread::scope(|scope| {
        for racer in 0..THREADS {
            let (futures, tallies, start) = (&futures, &tallies, &start);
            // A completer: set_result or set_exception, some after
            // set_running; some futures it cancels instead.
            scope.spawn(move || {
                start.wait();
                for i in order(FUTURES, racer) {
                    let (future, tally) = (&futures[i], &tallies[i]);
                    // Whatever a call answers, the future already shows:
                    // a loser returns only once the winner is visible.
                    if (i + racer) % 7 == 0 {
                        if future.cancel() {
                            assert!(future.cancelled(), "future {i}");
                        } else {
                            assert!(future.running() || future.done(), "future {i}");
                        }
                        continue;
                    }
                    if i % 5 == 0 {
                        match future.set_running_or_notify_cancel() {
                            Ok(true) => {}
                            Ok(false) => assert!(future.cancelled(), "future {i}"),
                            Err(refused) => assert!(
                                refused.state() == State::Running || future.done(),
                                "future {i}"
                            ),
                        }
                    }
                    let won = if racer % 2 == 0 {
                        future.set_result(racer).is_ok()
                    } else {
                        future.set_exception(racer.to_string().into()).is_ok()
                    };
                    assert!(future.done(), "future {i}: a completion returned first");
                    assert!(future.try_exception().is_ok() || future.cancelled());
                    if won {
                        tally.wins.fetch_add(1, Ordering::SeqCst);
                        tally.won_by.store(racer + 1, Ordering::SeqCst);
                    }
                }
            });
            // A callback adder.
            scope.spawn(move || {
                start.wait();
                for i in order(FUTURES, racer + 100) {
                    let tally = Arc::clone(tallies);
                    tallies[i].callbacks_added.fetch_add(1, Ordering::SeqCst);
                    futures[i].add_done_callback(move |f: &Observer<usize>| {
                        assert!(f.done());
                        tally[i].callbacks_run.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
            // A waiter: blocking, with a timeout, or by `.await`.
            scope.spawn(move || {
                let observers: Vec<Observer<usize>> =
                    futures.iter().map(|f| f.observer()).collect();
                start.wait();
                for i in order(FUTURES, racer + 200) {
                    let observer = &observers[i];
                    match (i + racer) % 3 {
                        0 => {
                            let _ = observer.result();
                        }
                        1 => {
                            while matches!(
                                observer.result_timeout(ms(1)),
                                Err(ResultTimeoutError::Timeout)
                            ) {}
                        }
                        _ => {
                            let _ = block_on(observer);
                        }
                    }
                    assert!(observer.done());
                    tallies[i].waits_returned.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });

    for (i, (future, tally)) in futures.iter().zip(tallies.iter()).enumerate() {
        let wins = tally.wins.load(Ordering::SeqCst);
        match future.state() {
            State::Finished => {
                assert_eq!(wins, 1, "future {i}: exactly one completion wins");
                let winner = tally.won_by.load(Ordering::SeqCst) - 1;
                match future.result() {
                    Ok(&value) => assert_eq!(value, winner, "future {i}"),
                    Err(ResultError::Exception(e)) => {
                        assert_eq!(e.to_string(), winner.to_string(), "future {i}")
                    }
                    Err(other) => panic!("future {i}: {other:?}"),
                }
            }
            State::Cancelled => assert_eq!(wins, 0, "future {i}: cancelled, yet completed"),
            other => panic!("future {i} ended {other:?}"),
        }
        assert_eq!(
            tally.callbacks_run.load(Ordering::SeqCst),
            tally.callbacks_added.load(Ordering::SeqCst),
            "future {i}: every callback runs exactly once"
        );
        assert_eq!(tally.waits_returned.load(Ordering::SeqCst), THREADS);
    }
}

#[test]
fn racing_handle_drops_abandon_each_future_once_and_wake_every_waiter() {
    without_hanging(|| {
        for _ in 0..ROUNDS {
            race_handle_drops();
        }
    });
}

fn race_handle_drops() {
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..FUTURES).map(|_| AtomicUsize::new(0)).collect());
    // Every thread holds one handle of every future.
    let mut handles: Vec<Vec<Future<u32>>> = (0..THREADS).map(|_| Vec::new()).collect();
    let mut observers = Vec::new();
    for i in 0..FUTURES {
        let future: Future<u32> = Future::new();
        let runs = Arc::clone(&runs);
        future.add_done_callback(move |_| {
            runs[i].fetch_add(1, Ordering::SeqCst);
        });
        observers.push(future.observer());
        for held in handles.iter_mut().skip(1) {
            held.push(future.clone());
        }
        handles[0].push(future);
    }
    let start = Barrier::new(THREADS * 2);

    thread::scope(|scope| {
        for (racer, held) in handles.into_iter().enumerate() {
            let (observers, start) = (&observers, &start);
            scope.spawn(move || {
                let mut held: Vec<Option<Future<u32>>> = held.into_iter().map(Some).collect();
                start.wait();
                for i in order(held.len(), racer) {
                    drop(held[i].take());
                }
            });
            scope.spawn(move || {
                start.wait();
                for i in order(observers.len(), racer + 50) {
                    assert!(matches!(observers[i].result(), Err(ResultError::Abandoned)));
                }
            });
        }
    });

    for (i, run) in runs.iter().enumerate() {
        assert_eq!(observers[i].state(), State::Abandoned);
        assert_eq!(run.load(Ordering::SeqCst), 1, "future {i}: abandoned once");
    }
}

#[test]
fn racing_polls_drops_and_completions_of_waits_leak_no_waker() {
    without_hanging(|| {
        for _ in 0..ROUNDS {
            race_waits();
        }
    });
}

fn race_waits() {
    let futures: Vec<Future<u32>> = (0..FUTURES).map(|_| Future::new()).collect();
    let (counter, waker) = counting_waker();
    let ready = AtomicUsize::new(0);
    let start = Barrier::new(THREADS + 1);

    thread::scope(|scope| {
        for racer in 0..THREADS {
            let (futures, waker, ready, start) = (&futures, &waker, &ready, &start);
            // A task per future: poll, poll again, then keep it (to poll
            // after completion) or drop it.
            scope.spawn(move || {
                start.wait();
                let mut kept = Vec::new();
                for i in order(FUTURES, racer) {
                    let mut wait = futures[i].observer().into_future();
                    let first = poll_once(&mut wait, waker);
                    let second = poll_once(&mut wait, waker);
                    if first.is_ready() || second.is_ready() || (i + racer) % 2 == 0 {
                        kept.push(wait);
                    }
                }
                for mut wait in kept {
                    while poll_once(&mut wait, waker).is_pending() {
                        thread::yield_now();
                    }
                    ready.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        start.wait();
        for i in order(FUTURES, 999) {
            if i % 3 == 0 {
                futures[i].cancel();
            } else {
                futures[i].set_result(1).unwrap();
            }
        }
    });

    assert!(ready.load(Ordering::SeqCst) >= FUTURES * THREADS / 2);
    assert_eq!(
        registered_clones(&counter),
        0,
        "every registered waker was woken or unregistered"
    );
    for future in &futures {
        let (_, fresh) = counting_waker();
        let mut wait = future.observer().into_future();
        assert!(matches!(
            poll_once(&mut wait, &fresh),
            Poll::Ready(Ok(1) | Err(ResultError::Cancelled))
        ));
    }
}
