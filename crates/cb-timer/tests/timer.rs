//! `Timer`, one thread per timer: Python's `threading.Timer` life cycle and
//! its errors.

mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{JoinError, StartError, Timer, TimerState};
use helpers::{Flag, PATIENCE, ms, secs, wait_until};

#[test]
fn the_life_of_a_timer() {
    let ran = Flag::new();
    let timer = Timer::new(ms(20), {
        let ran = ran.clone();
        move || ran.set()
    });
    assert_eq!(timer.delay(), ms(20));
    assert!(!timer.is_alive(), "not alive before start");
    assert_eq!(timer.state(), TimerState::Pending);

    let started = Instant::now();
    timer.start().unwrap();
    assert!(timer.is_alive());
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert!(
        started.elapsed() >= ms(20),
        "join returned before the delay"
    );
    assert!(ran.is_set());
    assert!(!timer.is_alive());
    assert_eq!(timer.state(), TimerState::Fired);
    assert_eq!(timer.join(), Ok(()), "joining again returns at once");
}

#[test]
fn a_timer_never_fires_early() {
    let (tx, rx) = mpsc::channel();
    let timer = Timer::new(ms(30), move || tx.send(Instant::now()).unwrap());
    let started = Instant::now();
    timer.start().unwrap();
    let fired = rx.recv_timeout(PATIENCE).expect("timer fired");
    assert!(fired.duration_since(started) >= ms(30));
}

#[test]
fn starting_twice_is_an_error() {
    let timer = Timer::new(ms(1), || {});
    timer.start().unwrap();
    assert!(matches!(timer.start(), Err(StartError::AlreadyStarted)));
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    assert!(
        matches!(timer.start(), Err(StartError::AlreadyStarted)),
        "also after it ran"
    );
    assert_eq!(
        StartError::AlreadyStarted.to_string(),
        "timer was already started"
    );
}

#[test]
fn joining_before_start_is_an_error() {
    let timer = Timer::new(ms(1), || {});
    assert_eq!(timer.join(), Err(JoinError::NotStarted));
    assert_eq!(timer.join_timeout(ms(1)), Err(JoinError::NotStarted));
}

#[test]
fn joining_from_its_own_callback_is_an_error() {
    let (timer_tx, timer_rx) = mpsc::channel::<Arc<Timer>>();
    let (result_tx, result_rx) = mpsc::channel();
    let timer = Arc::new(Timer::new(Duration::ZERO, move || {
        let me = timer_rx.recv_timeout(PATIENCE).unwrap();
        result_tx
            .send((me.join(), me.join_timeout(secs(1))))
            .unwrap();
    }));
    timer.start().unwrap();
    timer_tx.send(timer.clone()).unwrap();
    let (join, join_timeout) = result_rx.recv_timeout(PATIENCE).expect("no deadlock");
    assert_eq!(join, Err(JoinError::OwnThread));
    assert_eq!(join_timeout, Err(JoinError::OwnThread));
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Ok(()),
        "another thread may join it"
    );
}

#[test]
fn join_timeout_gives_up_on_a_long_timer() {
    let ran = Flag::new();
    let timer = Timer::new(secs(60), {
        let ran = ran.clone();
        move || ran.set()
    });
    timer.start().unwrap();
    let before = Instant::now();
    assert_eq!(timer.join_timeout(ms(30)), Err(JoinError::Timeout));
    assert!(before.elapsed() >= ms(30), "gave up early");
    assert!(timer.is_alive());
    assert!(!ran.is_set());
    timer.cancel();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
}

#[test]
fn timers_with_the_same_delay_all_fire_roughly_together_on_their_own_threads() {
    const N: usize = 4;
    let (tx, rx) = mpsc::channel();
    // Every callback waits (with a time limit) for all the others to have
    // started: only possible if they really run at the same time.
    let arrived = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let timers: Vec<Timer> = (0..N)
        .map(|i| {
            let tx = tx.clone();
            let arrived = arrived.clone();
            Timer::new(ms(30), move || {
                let fired = Instant::now();
                let me = thread::current();
                arrived.fetch_add(1, Ordering::SeqCst);
                let together = wait_until(PATIENCE, || arrived.load(Ordering::SeqCst) == N);
                tx.send((i, fired, me.id(), me.name().map(String::from), together))
                    .unwrap();
            })
        })
        .collect();
    for timer in &timers {
        timer.start().unwrap();
    }
    let mut seen: Vec<_> = (0..N)
        .map(|_| rx.recv_timeout(PATIENCE).expect("all fire"))
        .collect();
    for timer in &timers {
        assert_eq!(timer.join_timeout(PATIENCE), Ok(()));
    }
    seen.sort_by_key(|(i, ..)| *i);
    assert_eq!(
        seen.iter().map(|(i, ..)| *i).collect::<Vec<_>>(),
        (0..N).collect::<Vec<_>>()
    );
    let first = seen.iter().map(|(_, fired, ..)| *fired).min().unwrap();
    let last = seen.iter().map(|(_, fired, ..)| *fired).max().unwrap();
    assert!(first.duration_since(started) >= ms(30), "fired early");
    assert!(
        last - first < secs(2),
        "not even roughly together: {:?}",
        last - first
    );
    let mut threads: Vec<_> = seen.iter().map(|(_, _, id, ..)| *id).collect();
    threads.sort_by_key(|id| format!("{id:?}"));
    threads.dedup();
    assert_eq!(threads.len(), N, "one thread per timer");
    for (_, _, _, name, together) in &seen {
        assert!(together, "callbacks did not overlap");
        assert!(
            name.as_deref().is_some_and(|n| n.starts_with("cb-timer")),
            "{name:?}"
        );
    }
}
