//! Many threads at once: every timer runs exactly once or is cancelled, never
//! both, never twice, none lost.

mod helpers;

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{CancelOutcome, Scheduler, TimerHandle, TimerState};
use helpers::{PATIENCE, XorShift, ms, secs, wait_until};

#[test]
fn every_timer_runs_exactly_once_or_is_cancelled() {
    const SCHEDULING_THREADS: usize = 4;
    const PER_THREAD: usize = 3000;
    const TOTAL: usize = SCHEDULING_THREADS * PER_THREAD;

    let started = Instant::now();
    let scheduler = Scheduler::new().unwrap();
    let runs: Arc<Vec<AtomicU32>> = Arc::new((0..TOTAL).map(|_| AtomicU32::new(0)).collect());

    // Each scheduling thread hands its timers to a cancelling thread, which
    // cancels a pseudo-random half of them, racing the scheduler.
    let timers: Vec<(usize, TimerHandle, Option<CancelOutcome>)> = thread::scope(|s| {
        let mut cancellers = Vec::new();
        for t in 0..SCHEDULING_THREADS {
            let (tx, rx) = mpsc::channel::<(usize, TimerHandle)>();
            let scheduler = &scheduler;
            let runs = &runs;
            s.spawn(move || {
                let mut rng = XorShift::new(t as u64 + 1);
                for i in 0..PER_THREAD {
                    let id = t * PER_THREAD + i;
                    let delay = Duration::from_micros(rng.below(3000));
                    let runs = Arc::clone(runs);
                    let handle = scheduler.after(delay, move || {
                        runs[id].fetch_add(1, Ordering::SeqCst);
                    });
                    tx.send((id, handle)).unwrap();
                }
            });
            cancellers.push(s.spawn(move || {
                let mut rng = XorShift::new(100 + t as u64);
                let mut seen = Vec::with_capacity(PER_THREAD);
                for (id, handle) in rx {
                    let outcome = (rng.next_u64() & 1 == 1).then(|| handle.cancel());
                    seen.push((id, handle, outcome));
                }
                seen
            }));
        }
        cancellers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    assert_eq!(timers.len(), TOTAL);

    let settled = wait_until(PATIENCE, || {
        timers
            .iter()
            .all(|(_, h, _)| matches!(h.state(), TimerState::Fired | TimerState::Cancelled))
    });
    assert!(settled, "some timers neither fired nor were cancelled");

    let mut ids: Vec<usize> = timers.iter().map(|(id, ..)| *id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..TOTAL).collect::<Vec<_>>(),
        "every id scheduled once"
    );

    let (mut cancelled, mut fired) = (0, 0);
    for (id, handle, outcome) in &timers {
        let ran = runs[*id].load(Ordering::SeqCst);
        match outcome {
            Some(CancelOutcome::Cancelled) => {
                assert_eq!(ran, 0, "timer {id} was cancelled yet ran");
                assert_eq!(handle.state(), TimerState::Cancelled);
                cancelled += 1;
            }
            Some(CancelOutcome::Running | CancelOutcome::AlreadyFired) | None => {
                assert_eq!(ran, 1, "timer {id} ran {ran} times ({outcome:?})");
                assert_eq!(handle.state(), TimerState::Fired);
                fired += 1;
            }
            Some(CancelOutcome::AlreadyCancelled) => panic!("timer {id}: nobody else cancelled it"),
        }
    }
    assert_eq!(cancelled + fired, TOTAL);
    // Cancelling a timer just scheduled for up to 3 ms usually wins the race.
    assert!(cancelled > 0, "no cancel ever won");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "hang detector only"
    );
}

#[test]
fn after_cancel_and_wait_a_repeating_timer_never_ticks_again() {
    const TIMERS: usize = 32;
    const CANCELLERS: usize = 4;
    let scheduler = Scheduler::new().unwrap();
    let ticks: Arc<Vec<AtomicUsize>> = Arc::new((0..TIMERS).map(|_| AtomicUsize::new(0)).collect());
    let handles: Vec<TimerHandle> = (0..TIMERS)
        .map(|i| {
            let ticks = ticks.clone();
            let period = Duration::from_micros(200 + 50 * i as u64);
            scheduler.every(period, move || {
                ticks[i].fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();

    let snapshots: Vec<(usize, usize, CancelOutcome)> = thread::scope(|s| {
        let workers: Vec<_> = (0..CANCELLERS)
            .map(|c| {
                let handles = &handles;
                let ticks = &ticks;
                s.spawn(move || {
                    let mut rng = XorShift::new(c as u64 + 7);
                    (c..TIMERS)
                        .step_by(CANCELLERS)
                        .map(|i| {
                            thread::sleep(Duration::from_micros(rng.below(3000)));
                            let outcome = handles[i].cancel_and_wait();
                            (i, ticks[i].load(Ordering::SeqCst), outcome)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(snapshots.len(), TIMERS);

    // Give a wrongly surviving timer time to tick (periods are < 2 ms).
    thread::sleep(ms(20));
    for (i, at_cancel, outcome) in snapshots {
        assert!(
            matches!(outcome, CancelOutcome::Cancelled | CancelOutcome::Running),
            "timer {i}: {outcome:?}"
        );
        assert_eq!(
            ticks[i].load(Ordering::SeqCst),
            at_cancel,
            "timer {i} ticked after cancel_and_wait"
        );
        assert_eq!(handles[i].state(), TimerState::Cancelled);
    }
    assert_eq!(scheduler.pending(), 0);
}

/// Threads keep scheduling through `SchedulerHandle`s while the scheduler is
/// dropped. Each timer the handle accepted must then be discarded like any
/// other pending timer (state `Cancelled`), not left pending forever.
#[test]
fn dropping_a_scheduler_while_others_schedule_on_it_loses_no_timer() {
    const ROUNDS: usize = 30;
    const THREADS: usize = 3;
    for round in 0..ROUNDS {
        let scheduler = Scheduler::new().unwrap();
        let handle = scheduler.handle();
        let accepted = AtomicUsize::new(0);
        let timers: Vec<TimerHandle> = thread::scope(|s| {
            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    let handle = handle.clone();
                    let accepted = &accepted;
                    s.spawn(move || {
                        let mut mine = Vec::new();
                        while let Ok(timer) = handle.after(Duration::from_secs(3600), || {}) {
                            accepted.fetch_add(1, Ordering::SeqCst);
                            mine.push(timer);
                        }
                        mine
                    })
                })
                .collect();
            // Drop only once every thread is scheduling.
            assert!(wait_until(PATIENCE, || accepted.load(Ordering::SeqCst)
                >= 100 * THREADS));
            drop(scheduler);
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let lost = timers
            .iter()
            .filter(|t| t.state() != TimerState::Cancelled)
            .count();
        assert_eq!(
            lost,
            0,
            "round {round}: {lost} of {} accepted timers were never discarded",
            timers.len()
        );
    }
}

/// Threads cancel timers while the scheduler fires batches in which
/// callbacks cancel others: once everything due has run, `pending()` is the
/// number of handles still pending, exactly (no underflow, no drift).
#[test]
fn pending_stays_exact_while_threads_and_callbacks_cancel_concurrently() {
    const THREADS: u64 = 4;
    const PER_THREAD: usize = 1500;
    let scheduler = Scheduler::new().unwrap();
    // (handle, whether it is due within milliseconds)
    let all: Vec<(TimerHandle, bool)> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let scheduler = &scheduler;
                s.spawn(move || {
                    let mut rng = XorShift::new(100 + t);
                    let mut mine: Vec<(TimerHandle, bool)> = Vec::new();
                    for _ in 0..PER_THREAD {
                        let soon = Duration::from_micros(rng.below(2000));
                        let timer = match rng.below(3) {
                            // Stays queued unless cancelled.
                            0 => (scheduler.after(secs(3600), || {}), false),
                            // Cancels an earlier timer of this thread when it runs.
                            1 if !mine.is_empty() => {
                                let victim = mine[rng.below(mine.len() as u64) as usize].0.clone();
                                (
                                    scheduler.after(soon, move || {
                                        victim.cancel();
                                    }),
                                    true,
                                )
                            }
                            _ => (scheduler.after(soon, || {}), true),
                        };
                        mine.push(timer);
                        if rng.below(3) == 0 {
                            mine[rng.below(mine.len() as u64) as usize].0.cancel();
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let settled = |(h, _): &(TimerHandle, bool)| {
        matches!(h.state(), TimerState::Fired | TimerState::Cancelled)
    };
    assert!(
        wait_until(PATIENCE, || all.iter().filter(|t| t.1).all(settled)),
        "the timers due within milliseconds ran or were cancelled"
    );
    let pending_handles = all
        .iter()
        .filter(|(h, _)| h.state() == TimerState::Pending)
        .count();
    assert!(pending_handles > 0);
    assert_eq!(scheduler.pending(), pending_handles);
}
