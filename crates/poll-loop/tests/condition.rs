//! `Condition`, checked against CPython's `ConditionTests`
//! (`Lib/test/test_asyncio/test_locks.py`), each translated into a test
//! named after it. asyncio's `cond.acquire()` / `cond.release()` are
//! `cond.lock().await` and dropping the guard; tasks that hold the lock past
//! their wait take orders from a queue, since a Rust guard is released by
//! the task that holds it.
//!
//! Not translated, with the reason:
//! - `test_notify_unacquired`, `test_notify_all_unacquired`: `notify` and
//!   `notify_all` are methods of the guard, so notifying without the lock
//!   does not compile.
//! - `test_repr`'s regular expression: `Debug` is Rust's repr; what it
//!   shows (the waiters) is checked in `condition_test_repr`.
//! - `test_explicit_lock`: a `Condition` owns its `Mutex`; asyncio's
//!   `Condition(lock)` sharing a lock with other code has no counterpart
//!   (share the `Condition` itself).
//! - `test_ambiguous_loops`: primitives are not bound to a loop here.
//!
//! Kept differences (front page, "Differences from asyncio"): a cancelled
//! wait does not take the lock again (cancelling drops the future and the
//! guard it held; `Drop` cannot await), so `test_wait_cancel` and friends
//! check that the lock is free afterwards, where asyncio's is held.

mod helpers;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use helpers::{ms, strict, without_hanging};
use poll_loop::{Condition, EventLoop, Queue, spawn, timeout, yield_now};

/// Lets every task that is ready run (asyncio's `await asyncio.sleep(0)`,
/// a few times over: the tests below check states that more turns do not
/// change).
async fn settle() {
    for _ in 0..3 {
        yield_now().await;
    }
}

fn run<F: std::future::Future<Output = ()> + 'static>(body: impl FnOnce() -> F + Send + 'static) {
    without_hanging(move || {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        lp.block_on(body()).unwrap();
    });
}

/// What a task holding the condition's lock is told to do next.
enum Order {
    Notify(usize),
    Release,
}

/// A task that waits on the condition once, records `n`, then holds the
/// lock and follows orders until told to release it.
fn holder(
    cond: &Rc<Condition<()>>,
    orders: &Rc<Queue<Order>>,
    result: &Rc<RefCell<Vec<u32>>>,
    n: u32,
) {
    let (cond, orders, result) = (cond.clone(), orders.clone(), result.clone());
    spawn(async move {
        let guard = cond.lock().await;
        let guard = cond.wait(guard).await;
        result.borrow_mut().push(n);
        while let Ok(Order::Notify(k)) = orders.get().await {
            guard.notify(k);
        }
    });
}

#[test]
fn condition_test_wait() {
    run(|| async {
        let cond = Rc::new(Condition::new(()));
        let orders = Rc::new(Queue::new());
        let result = Rc::new(RefCell::new(Vec::new()));
        for n in 1..=3 {
            holder(&cond, &orders, &result, n);
        }
        settle().await;
        assert!(result.borrow().is_empty());
        assert!(!cond.is_locked());

        let guard = cond.lock().await;
        guard.notify(1);
        settle().await;
        assert!(result.borrow().is_empty());
        assert!(cond.is_locked());

        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [1]);
        assert!(cond.is_locked());

        orders.try_put(Order::Notify(2)).unwrap();
        settle().await;
        assert_eq!(*result.borrow(), [1]);
        assert!(cond.is_locked());

        orders.try_put(Order::Release).unwrap();
        settle().await;
        assert_eq!(*result.borrow(), [1, 2]);
        assert!(cond.is_locked());

        orders.try_put(Order::Release).unwrap();
        settle().await;
        assert_eq!(*result.borrow(), [1, 2, 3]);
        assert!(cond.is_locked());

        orders.try_put(Order::Release).unwrap();
        settle().await;
        assert!(!cond.is_locked());
        assert_eq!(cond.waiting(), 0);
    });
}

#[test]
fn condition_test_wait_cancel() {
    run(|| async {
        let cond = Rc::new(Condition::new(()));
        let c = cond.clone();
        let wait = spawn(async move {
            let guard = c.lock().await;
            drop(c.wait(guard).await);
        });
        settle().await;
        assert_eq!(cond.waiting(), 1);
        wait.cancel();
        settle().await;
        assert!(wait.cancelled());
        assert_eq!(cond.waiting(), 0);
        // Difference kept: the cancelled wait's guard is gone with it.
        assert!(!cond.is_locked());
    });
}

#[test]
fn condition_test_wait_cancel_contested() {
    run(|| async {
        let cond = Rc::new(Condition::new(0));
        let c = cond.clone();
        let wait_task = spawn(async move {
            let guard = c.lock().await;
            let mut guard = c.wait(guard).await;
            *guard += 1;
        });
        settle().await;
        assert!(!cond.is_locked(), "unlocked while it waits");

        // Notify, but contest the lock before cancelling.
        let guard = cond.lock().await;
        assert!(cond.is_locked());
        guard.notify(1);
        wait_task.cancel();
        drop(guard);
        let _ = wait_task.clone().await;
        settle().await;
        assert!(wait_task.cancelled());
        assert_eq!(*cond.try_lock().unwrap(), 0, "cancelled before it ran");
        assert_eq!(cond.waiting(), 0);
    });
}

#[test]
fn condition_test_wait_cancel_after_notify() {
    run(|| async {
        let waited = Rc::new(Cell::new(false));
        let cond = Rc::new(Condition::new(()));
        let (c, w) = (cond.clone(), waited.clone());
        let waiter = spawn(async move {
            let guard = c.lock().await;
            w.set(true);
            drop(c.wait(guard).await);
        });
        yield_now().await; // start waiting

        let guard = cond.lock().await;
        guard.notify(1);
        yield_now().await; // it gets to locking again
        waiter.cancel();
        yield_now().await;
        drop(guard);
        settle().await;
        assert!(waiter.cancelled());
        assert!(waited.get());
        assert!(!cond.is_locked());
    });
}

#[test]
fn condition_test_wait_unacquired() {
    // Rust cannot wait without a guard; the one misuse left is another
    // condition's guard, and that panics, as asyncio raises RuntimeError.
    let lp = EventLoop::new();
    let (cond, other) = (Condition::new(()), Condition::new(()));
    let guard = other.try_lock().unwrap();
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(cond.wait(guard));
    }));
    assert!(attempt.is_err());
    assert!(!other.is_locked(), "the guard was dropped with the panic");
    drop(lp);
}

#[test]
fn condition_test_wait_for() {
    run(|| async {
        let cond = Rc::new(Condition::new(false));
        let result = Rc::new(RefCell::new(Vec::new()));
        let (c, r) = (cond.clone(), result.clone());
        let t = spawn(async move {
            let guard = c.lock().await;
            let guard = c.wait_for(guard, |presult| *presult).await;
            r.borrow_mut().push(1);
            drop(guard);
            true
        });
        settle().await;
        assert!(result.borrow().is_empty());

        let guard = cond.lock().await;
        guard.notify(1);
        drop(guard);
        settle().await;
        assert!(result.borrow().is_empty(), "the predicate is still false");

        let mut guard = cond.lock().await;
        *guard = true;
        guard.notify(1);
        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [1]);
        assert!(t.done());
        assert!(t.await.unwrap());
    });
}

#[test]
fn condition_test_wait_for_unacquired() {
    // A predicate that holds at once: ready on the first poll, no wait.
    let cond = Condition::new(vec![1, 2, 3]);
    let guard = cond.try_lock().unwrap();
    let std::task::Poll::Ready(guard) = helpers_poll_once(cond.wait_for(guard, |v| !v.is_empty()))
    else {
        panic!("a predicate that holds does not wait");
    };
    assert_eq!(*guard, [1, 2, 3]);
    drop(guard);
    // Another condition's guard: a panic (asyncio's RuntimeError).
    let other = Condition::new(vec![]);
    let foreign = other.try_lock().unwrap();
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        helpers_poll_once(cond.wait_for(foreign, |_| false)).is_pending()
    }));
    assert!(attempt.is_err());
}

fn helpers_poll_once<F: std::future::Future>(future: F) -> std::task::Poll<F::Output> {
    let mut future = std::pin::pin!(future);
    future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

/// A task that waits once, records `n` and releases.
fn waiter(
    cond: &Rc<Condition<()>>,
    result: &Rc<RefCell<Vec<u32>>>,
    n: u32,
) -> poll_loop::JoinHandle<bool> {
    let (cond, result) = (cond.clone(), result.clone());
    spawn(async move {
        let guard = cond.lock().await;
        let guard = cond.wait(guard).await;
        result.borrow_mut().push(n);
        drop(guard);
        true
    })
}

#[test]
fn condition_test_notify() {
    run(|| async {
        let cond = Rc::new(Condition::new(()));
        let result = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (1..=3).map(|n| waiter(&cond, &result, n)).collect();
        settle().await;
        assert!(result.borrow().is_empty());

        let guard = cond.lock().await;
        assert_eq!(guard.notify(1), 1);
        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [1]);

        let guard = cond.lock().await;
        assert_eq!(guard.notify(1), 1);
        assert_eq!(guard.notify(2048), 1, "only one was left");
        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [1, 2, 3]);
        for t in tasks {
            assert!(t.done());
            assert!(t.await.unwrap());
        }
    });
}

#[test]
fn condition_test_notify_all() {
    run(|| async {
        let cond = Rc::new(Condition::new(()));
        let result = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (1..=2).map(|n| waiter(&cond, &result, n)).collect();
        settle().await;
        assert!(result.borrow().is_empty());

        let guard = cond.lock().await;
        assert_eq!(guard.notify_all(), 2);
        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [1, 2]);
        for t in tasks {
            assert!(t.await.unwrap());
        }
    });
}

#[test]
fn condition_test_repr() {
    run(|| async {
        let cond = Rc::new(Condition::new(7));
        let repr = format!("{cond:?}");
        assert!(repr.starts_with("Condition {"), "{repr}");
        assert!(
            repr.contains("value: 7") && repr.contains("waiting: 0"),
            "{repr}"
        );
        let result = Rc::new(RefCell::new(Vec::new()));
        for _ in 0..2 {
            let (c, r) = (cond.clone(), result.clone());
            spawn(async move {
                let guard = c.wait(c.lock().await).await;
                r.borrow_mut().push(*guard);
            });
        }
        settle().await;
        let guard = cond.lock().await;
        let repr = format!("{cond:?}");
        assert!(repr.contains("waiting: 2"), "{repr}");
        assert!(
            !repr.contains("value: 7"),
            "locked: the value is not shown: {repr}"
        );
        assert_eq!(format!("{guard:?}"), "7");
        guard.notify_all();
        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [7, 7]);
    });
}

#[test]
fn condition_test_context_manager() {
    run(|| async {
        let cond = Condition::new(());
        assert!(!cond.is_locked());
        {
            let _guard = cond.lock().await;
            assert!(cond.is_locked());
        }
        assert!(!cond.is_locked());
    });
}

#[test]
fn condition_test_timeout_in_block() {
    run(|| async {
        let cond = Condition::new(());
        let guard = cond.lock().await;
        assert!(timeout(ms(20), cond.wait(guard)).await.is_err());
        assert_eq!(cond.waiting(), 0);
        assert!(!cond.is_locked());
    });
}

/// A task inside `wait_for(|woken| *woken)`, cancelled while it waits for
/// the notification (`relock`: once notified, while it waits for the lock).
fn cancelled_in_wait_for(relock: bool) {
    run(move || async move {
        let cond = Rc::new(Condition::new(false));
        let c = cond.clone();
        let task = spawn(async move {
            let guard = c.lock().await;
            drop(c.wait_for(guard, |woken| *woken).await);
            "not cancelled"
        });
        settle().await;
        if relock {
            let mut guard = cond.lock().await;
            *guard = true;
            guard.notify(1);
            settle().await; // it waits for the lock now
            task.cancel();
            drop(guard);
        } else {
            task.cancel();
        }
        assert!(task.clone().await.is_err());
        settle().await;
        assert!(task.cancelled());
        assert_eq!(cond.waiting(), 0);
        assert!(cond.try_lock().is_ok(), "the lock is free again");
    });
}

#[test]
fn condition_test_cancelled_error_wakeup() {
    // asyncio checks the very CancelledError comes out; here cancelling is
    // a drop, and what is checked is that it left nothing behind.
    cancelled_in_wait_for(false);
}

#[test]
fn condition_test_cancelled_error_re_aquire() {
    cancelled_in_wait_for(true);
}

/// Two consumers of a counter; one is notified and cancelled before
/// (`relock`: after) it ran: the notification must reach the other.
fn cancelled_wakeup(relock: bool) {
    run(move || async move {
        let condition = Rc::new(Condition::new(0_i32));
        let consumer = |condition: Rc<Condition<i32>>| async move {
            let mut state = condition.lock().await;
            loop {
                state = condition.wait_for(state, |s| *s != 0).await;
                if *state < 0 {
                    return;
                }
                *state -= 1;
            }
        };
        let c: Vec<_> = (0..2).map(|_| spawn(consumer(condition.clone()))).collect();
        settle().await;

        let mut state = condition.lock().await;
        *state += 1;
        state.notify(1);
        if relock {
            settle().await; // the first consumer waits for the lock now
        }
        c[0].cancel();
        // Wait for the item to be consumed; if it is not, the
        // notification was lost with the cancelled consumer.
        let waited = timeout(ms(20), condition.wait_for(state, |s| *s == 0)).await;
        let mut state = match waited {
            Ok(state) => state,
            // Nobody notifies this waiter; what counts is the count.
            Err(_) => condition.lock().await,
        };
        assert_eq!(*state, 0, "the notification reached the other consumer");
        assert!(c[0].cancelled());

        *state = -1;
        state.notify_all();
        drop(state);
        c[1].clone().await.unwrap();
    });
}

#[test]
fn condition_test_cancelled_wakeup() {
    cancelled_wakeup(false);
}

#[test]
fn condition_test_cancelled_wakeup_relock() {
    cancelled_wakeup(true);
}

#[test]
fn a_wait_dropped_before_it_was_notified_passes_nothing_on() {
    run(|| async {
        let cond = Rc::new(Condition::new(()));
        let result = Rc::new(RefCell::new(Vec::new()));
        let first = waiter(&cond, &result, 1);
        let _second = waiter(&cond, &result, 2);
        settle().await;
        first.cancel();
        settle().await;
        assert_eq!(cond.waiting(), 1);
        let guard = cond.lock().await;
        guard.notify(1);
        drop(guard);
        settle().await;
        assert_eq!(*result.borrow(), [2]);
        assert_eq!(cond.waiting(), 0);
    });
}
