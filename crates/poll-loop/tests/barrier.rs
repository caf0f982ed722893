//! `Barrier`, checked against CPython's `BarrierTests`
//! (`Lib/test/test_asyncio/test_locks.py`), each translated into a test
//! named after it. `async with barrier as i` is `barrier.wait().await`;
//! `repr(barrier)`'s state is [`Barrier::state`]; `reset()` and `abort()`
//! need no `await` here. Where asyncio reads the private `_count`, the test
//! counts the tasks that passed itself.
//!
//! Every one of the 22 has a counterpart; `test_barrier`'s "a barrier is
//! not awaitable" holds at compile time (it is not a `Future`), its state
//! check is translated.

mod helpers;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use helpers::{strict, without_hanging};
use poll_loop::{Barrier, BarrierState, EventLoop, gather, spawn, yield_now};

const N: usize = 5;

fn run<F: Future<Output = ()> + 'static>(body: impl FnOnce() -> F + Send + 'static) {
    without_hanging(move || {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        lp.block_on(body()).unwrap();
    });
}

/// Spawns `n` tasks running `coro` and waits for them all; their outputs.
async fn gather_tasks<T: 'static, F: Future<Output = T> + 'static>(
    n: usize,
    coro: impl Fn() -> F,
) -> Vec<T> {
    let tasks: Vec<_> = (0..n).map(|_| spawn(coro())).collect();
    gather(tasks)
        .await
        .into_iter()
        .map(|output| output.unwrap())
        .collect()
}

#[test]
fn barrier_test_barrier() {
    let barrier = Barrier::new(N);
    assert_eq!(barrier.state(), BarrierState::Filling);
    assert_eq!(barrier.parties(), N);
}

#[test]
fn barrier_test_repr() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        assert_eq!(
            format!("{barrier:?}"),
            "Barrier { state: Filling, waiting: 0, parties: 5 }"
        );
        let mut waiters = Vec::new();
        let wait = |barrier: &Rc<Barrier>| {
            let barrier = barrier.clone();
            spawn(async move { barrier.wait().await.is_ok() })
        };
        for _ in 0..2 {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        assert_eq!(
            format!("{barrier:?}"),
            "Barrier { state: Filling, waiting: 2, parties: 5 }"
        );
        // The missing ones.
        for _ in 0..barrier.parties() - barrier.n_waiting() {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        assert_eq!(barrier.state(), BarrierState::Draining);
        assert!(format!("{barrier:?}").contains("Draining"));

        // Some arrive for the next round, then a reset.
        for _ in 0..2 {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        barrier.reset();
        assert_eq!(barrier.state(), BarrierState::Resetting);

        // Some arrive again, then an abort.
        for _ in 0..2 {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        barrier.abort();
        assert_eq!(barrier.state(), BarrierState::Broken);
        assert!(barrier.is_broken());
        let passed: Vec<bool> = gather(waiters)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(passed.iter().filter(|p| **p).count(), N);
    });
}

#[test]
fn barrier_test_barrier_parties() {
    assert!(std::panic::catch_unwind(|| Barrier::new(0)).is_err());
    assert_eq!(Barrier::new(N).parties(), N);
}

#[test]
fn barrier_test_context_manager() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(3));
        let mut results = gather_tasks(3, || {
            let barrier = barrier.clone();
            async move { barrier.wait().await.unwrap() }
        })
        .await;
        results.sort();
        assert_eq!(results, [0, 1, 2]);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_filling_one_task() {
    run(|| async {
        let barrier = Barrier::new(1);
        assert_eq!(barrier.wait().await, Ok(0));
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_filling_one_task_twice() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(1));
        let b = barrier.clone();
        let t1 = spawn(async move { b.wait().await });
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 0);
        let b = barrier.clone();
        let t2 = spawn(async move { b.wait().await });
        yield_now().await;
        assert!(t1.done() && t2.done());
        assert_eq!(t1.await.unwrap(), t2.await.unwrap());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_filling_task_by_task() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(3));
        let mut tasks = Vec::new();
        for arrived in 1..=3 {
            let b = barrier.clone();
            tasks.push(spawn(async move { b.wait().await }));
            yield_now().await;
            if arrived < 3 {
                assert_eq!(barrier.n_waiting(), arrived);
                assert_eq!(barrier.state(), BarrierState::Filling);
            }
        }
        for task in gather(tasks).await {
            assert!(task.unwrap().is_ok());
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_filling_tasks_wait_twice() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results = Rc::new(RefCell::new(Vec::new()));
        gather_tasks(N, || {
            let (barrier, results) = (barrier.clone(), results.clone());
            async move {
                barrier.wait().await.unwrap();
                results.borrow_mut().push(true);
                barrier.wait().await.unwrap();
                results.borrow_mut().push(false);
            }
        })
        .await;
        let results = results.borrow();
        assert_eq!(results.len(), N * 2);
        assert_eq!(results.iter().filter(|r| **r).count(), N);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_filling_tasks_check_return_value() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let mut res = gather_tasks(N, || {
            let (barrier, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
            async move {
                barrier.wait().await.unwrap();
                r1.set(r1.get() + 1);
                let i = barrier.wait().await.unwrap();
                r2.set(r2.get() + 1);
                i
            }
        })
        .await;
        assert_eq!((results1.get(), results2.get()), (N, N));
        res.sort();
        assert_eq!(res, (0..N).collect::<Vec<_>>());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_draining_state() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results = Rc::new(RefCell::new(Vec::new()));
        gather_tasks(N, || {
            let (barrier, results) = (barrier.clone(), results.clone());
            async move {
                barrier.wait().await.unwrap();
                // Filling again once the last one has left.
                results
                    .borrow_mut()
                    .push(barrier.state() == BarrierState::Draining);
            }
        })
        .await;
        let results = results.borrow();
        assert_eq!(results.len(), N);
        assert!(!results[N - 1]);
        assert!(results[..N - 1].iter().all(|r| *r));
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_blocking_tasks_while_draining() {
    run(|| async {
        let rewait = 2;
        let barrier = Rc::new(Barrier::new(N));
        let barrier_nowaiting = Rc::new(Barrier::new(N - rewait));
        let rewait_n = Rc::new(Cell::new(rewait));
        gather_tasks(N, || {
            let (barrier, nowaiting, rewait_n) =
                (barrier.clone(), barrier_nowaiting.clone(), rewait_n.clone());
            async move {
                barrier.wait().await.unwrap();
                if rewait_n.get() > 0 {
                    rewait_n.set(rewait_n.get() - 1);
                    // Waits again, only for the others' second wait.
                    barrier.wait().await.unwrap();
                } else {
                    // Waits for the end of draining.
                    nowaiting.wait().await.unwrap();
                    barrier.wait().await.unwrap();
                }
            }
        })
        .await;
        // Passing means barrier_nowaiting was waited for exactly N - rewait
        // times, and every second wait found its round.
        assert_eq!(barrier.n_waiting(), 0);
        assert_eq!(barrier_nowaiting.n_waiting(), 0);
    });
}

#[test]
fn barrier_test_filling_tasks_cancel_one() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(3));
        let results = Rc::new(Cell::new(0));
        let coro = || {
            let (barrier, results) = (barrier.clone(), results.clone());
            spawn(async move {
                barrier.wait().await.unwrap();
                results.set(results.get() + 1);
            })
        };
        let t1 = coro();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 1);
        let t2 = coro();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);

        t1.cancel();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 1);
        assert!(t1.clone().await.is_err());
        assert!(t1.cancelled());

        let t3 = coro();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        let t4 = coro();
        for task in gather([t2, t3, t4]).await {
            task.unwrap();
        }
        assert_eq!(results.get(), 3);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_reset_barrier() {
    let barrier = Barrier::new(1);
    barrier.reset();
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.is_broken());
    assert_eq!(barrier.state(), BarrierState::Filling);
}

#[test]
fn barrier_test_reset_barrier_while_tasks_waiting() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let tasks: Vec<_> = (0..N - 1)
            .map(|_| {
                let barrier = barrier.clone();
                spawn(async move { barrier.wait().await })
            })
            .collect();
        yield_now().await;
        barrier.reset();
        for task in gather(tasks).await {
            assert!(task.unwrap().is_err(), "broken by the reset");
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert_ne!(barrier.state(), BarrierState::Resetting);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_reset_barrier_when_tasks_half_draining() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let rest_of_tasks = N / 2;
        // asyncio resets when the count left in the barrier is
        // `rest_of_tasks`: here, when that many have not left yet.
        let left = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (barrier, results1, left) = (barrier.clone(), results1.clone(), left.clone());
            async move {
                match barrier.wait().await {
                    Err(_) => results1.set(results1.get() + 1),
                    Ok(_) => {
                        left.set(left.get() + 1);
                        if N - left.get() == rest_of_tasks {
                            barrier.reset();
                        }
                    }
                }
            }
        })
        .await;
        assert_eq!(results1.get(), rest_of_tasks);
        assert_eq!(barrier.n_waiting(), 0);
        assert_ne!(barrier.state(), BarrierState::Resetting);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_reset_barrier_when_tasks_half_draining_half_blocking() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let blocking_tasks = N / 2;
        let count = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (barrier, r1, r2, count) = (
                barrier.clone(),
                results1.clone(),
                results2.clone(),
                count.clone(),
            );
            async move {
                match barrier.wait().await {
                    Err(_) => {
                        // Still waiting when reset: waits again.
                        r1.set(r1.get() + 1);
                        barrier.wait().await.unwrap();
                    }
                    Ok(_) => {
                        count.set(count.get() + 1);
                        if count.get() > blocking_tasks {
                            barrier.reset();
                            barrier.wait().await.unwrap();
                        } else if barrier.wait().await.is_err() {
                            // Blocked while draining: never broken.
                            r2.set(r2.get() + 1);
                        }
                    }
                }
            }
        })
        .await;
        assert_eq!(results1.get(), blocking_tasks);
        assert_eq!(results2.get(), 0);
        assert_eq!(barrier.n_waiting(), 0);
        assert_ne!(barrier.state(), BarrierState::Resetting);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn barrier_test_reset_barrier_while_tasks_waiting_and_waiting_again() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..N - 1)
            .map(|_| {
                let (barrier, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
                spawn(async move {
                    if barrier.wait().await.is_err() {
                        r1.set(r1.get() + 1);
                    }
                    barrier.wait().await.unwrap();
                    r2.set(r2.get() + 1);
                })
            })
            .collect();
        yield_now().await;
        // The N-1 waiting tasks fail, and wait again.
        barrier.reset();
        yield_now().await;
        let (b, r2) = (barrier.clone(), results2.clone());
        spawn(async move {
            b.wait().await.unwrap();
            r2.set(r2.get() + 1);
        });
        for task in gather(tasks).await {
            task.unwrap();
        }
        yield_now().await;
        assert!(!barrier.is_broken());
        assert_eq!(results1.get(), N - 1);
        assert_eq!(results2.get(), N);
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn barrier_test_reset_barrier_while_tasks_draining() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let results3 = Rc::new(Cell::new(0));
        let count = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (barrier, r1, r2, r3, count) = (
                barrier.clone(),
                results1.clone(),
                results2.clone(),
                results3.clone(),
                count.clone(),
            );
            async move {
                barrier.wait().await.unwrap();
                count.set(count.get() + 1);
                if count.get() == N {
                    // The last one out resets, then waits for the others.
                    barrier.reset();
                    barrier.wait().await.unwrap();
                } else {
                    match barrier.wait().await {
                        Ok(_) => r1.set(r1.get() + 1),
                        Err(_) => r2.set(r2.get() + 1),
                    }
                }
                // Through the barrier once more: must complete.
                barrier.wait().await.unwrap();
                r3.set(r3.get() + 1);
            }
        })
        .await;
        assert!(!barrier.is_broken());
        assert_eq!(results1.get(), N - 1);
        assert_eq!(results2.get(), 0);
        assert_eq!(results3.get(), N);
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn barrier_test_abort_barrier() {
    let barrier = Barrier::new(1);
    barrier.abort();
    assert_eq!(barrier.n_waiting(), 0);
    assert!(barrier.is_broken());
}

#[test]
fn barrier_test_abort_barrier_when_tasks_half_draining_half_blocking() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let blocking_tasks = N / 2;
        let count = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (barrier, r1, r2, count) = (
                barrier.clone(),
                results1.clone(),
                results2.clone(),
                count.clone(),
            );
            async move {
                match barrier.wait().await {
                    // Waiting to drain when it was aborted.
                    Err(_) => r1.set(r1.get() + 1),
                    Ok(_) => {
                        count.set(count.get() + 1);
                        if count.get() > blocking_tasks {
                            barrier.abort();
                        } else if barrier.wait().await.is_err() {
                            // Blocked (drained already) when aborted.
                            r2.set(r2.get() + 1);
                        }
                    }
                }
            }
        })
        .await;
        assert!(barrier.is_broken());
        assert_eq!(results1.get(), blocking_tasks);
        assert_eq!(results2.get(), N - blocking_tasks - 1);
        assert_eq!(barrier.n_waiting(), 0);
        assert_ne!(barrier.state(), BarrierState::Resetting);
    });
}

#[test]
fn barrier_test_abort_barrier_when_exception() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (barrier, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
            async move {
                let outcome: Result<(), &str> = async {
                    let i = barrier.wait().await.map_err(|_| "broken")?;
                    if i == N / 2 {
                        return Err("failed");
                    }
                    barrier.wait().await.map_err(|_| "broken")?;
                    r1.set(r1.get() + 1);
                    Ok(())
                }
                .await;
                match outcome {
                    Err("broken") => r2.set(r2.get() + 1),
                    Err(_) => barrier.abort(),
                    Ok(()) => {}
                }
            }
        })
        .await;
        assert!(barrier.is_broken());
        assert_eq!(results1.get(), 0);
        assert_eq!(results2.get(), N - 1);
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn barrier_test_abort_barrier_when_exception_then_resetting() {
    run(|| async {
        let barrier1 = Rc::new(Barrier::new(N));
        let barrier2 = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let results3 = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b1, b2, r1, r2, r3) = (
                barrier1.clone(),
                barrier2.clone(),
                results1.clone(),
                results2.clone(),
                results3.clone(),
            );
            async move {
                let outcome: Result<(), &str> = async {
                    let i = b1.wait().await.map_err(|_| "broken")?;
                    if i == N / 2 {
                        return Err("failed");
                    }
                    b1.wait().await.map_err(|_| "broken")?;
                    r1.set(r1.get() + 1);
                    Ok(())
                }
                .await;
                match outcome {
                    Err("broken") => r2.set(r2.get() + 1),
                    Err(_) => b1.abort(),
                    Ok(()) => {}
                }
                // Synchronize and reset barrier1: everybody has left it when
                // it is reset, and nobody enters it before.
                let i = b2.wait().await.unwrap();
                if i == N / 2 {
                    b1.reset();
                }
                b2.wait().await.unwrap();
                b1.wait().await.unwrap();
                r3.set(r3.get() + 1);
            }
        })
        .await;
        assert!(!barrier1.is_broken());
        assert_eq!(results1.get(), 0);
        assert_eq!(results2.get(), N - 1);
        assert_eq!(results3.get(), N);
        assert_eq!(barrier1.n_waiting(), 0);
    });
}

#[test]
fn a_woken_wait_dropped_before_it_ran_still_leaves_the_round() {
    run(|| async {
        let barrier = Rc::new(Barrier::new(2));
        let b = barrier.clone();
        let first = spawn(async move { b.wait().await });
        yield_now().await;
        assert_eq!(barrier.wait().await, Ok(1), "the last one through");
        assert_eq!(barrier.state(), BarrierState::Draining);
        first.cancel(); // woken, not run yet
        assert!(first.clone().await.is_err());
        yield_now().await;
        assert_eq!(barrier.state(), BarrierState::Filling, "the round ended");
        assert_eq!(barrier.n_waiting(), 0);
    });
}
