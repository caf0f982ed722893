//! `Mutex`: FIFO-fair, guard-based; a dropped guard wakes the next waiter,
//! and a cancelled `lock()` — waiting or already handed the lock — leaves
//! no trace and loses no wake-up.

mod by_hand;

use std::cell::RefCell;
use std::rc::Rc;

use by_hand::{Counter, Probe, on_next_wake, poll_with, reentrant_waker};
use poll_loop::{EventLoop, Mutex, yield_now};

#[test]
fn tasks_get_the_lock_in_the_order_they_asked() {
    let lp = EventLoop::new();
    let mutex = Rc::new(Mutex::new(Vec::new()));
    for n in 0..5 {
        let mutex = mutex.clone();
        lp.spawn(async move {
            let mut guard = mutex.lock().await;
            guard.push(n);
            yield_now().await; // everybody else queues up meanwhile
            guard.push(n);
        });
    }
    lp.run_until_idle().unwrap();
    let log = Rc::try_unwrap(mutex).unwrap().into_inner();
    assert_eq!(log, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
}

#[test]
fn a_dropped_guard_wakes_the_next_waiter() {
    let mutex = Mutex::new(0);
    let mut guard = mutex.try_lock().unwrap();
    *guard += 1;
    let mut waiter = Probe::new(mutex.lock());
    waiter.pending();
    assert!(mutex.try_lock().is_err());
    drop(guard);
    assert_eq!(waiter.woken(), 1);
    assert!(
        !mutex.is_locked(),
        "asyncio's locked(): handed to the waiter, held once it runs"
    );
    assert!(mutex.try_lock().is_err(), "nobody jumps the queue");
    let mut guard = waiter.ready();
    assert!(mutex.is_locked());
    *guard += 1;
    drop(guard);
    assert!(!mutex.is_locked());
    assert_eq!(*mutex.try_lock().unwrap(), 2);
}

#[test]
fn a_lock_cancelled_while_waiting_leaves_no_trace() {
    let mutex = Mutex::new(());
    let guard = mutex.try_lock().unwrap();
    let mut cancelled = Probe::new(mutex.lock());
    let mut next = Probe::new(mutex.lock());
    cancelled.pending();
    next.pending();
    drop(cancelled);
    drop(guard);
    assert_eq!(next.woken(), 1);
    drop(next.ready());
    assert!(!mutex.is_locked());
}

#[test]
fn a_lock_cancelled_after_it_was_handed_the_lock_passes_it_on() {
    let mutex = Mutex::new(());
    let guard = mutex.try_lock().unwrap();
    let mut handed = Probe::new(mutex.lock());
    let mut next = Probe::new(mutex.lock());
    handed.pending();
    next.pending();
    drop(guard);
    drop(handed);
    assert_eq!(next.woken(), 1);
    drop(next.ready());
    assert!(!mutex.is_locked());

    let guard = mutex.try_lock().unwrap();
    let mut handed = Probe::new(mutex.lock());
    handed.pending();
    drop(guard);
    drop(handed);
    assert!(!mutex.is_locked(), "nobody behind: unlocked");
}

#[test]
fn a_guard_dropped_from_inside_a_wake_up_unlocks_for_the_next() {
    let mutex: &'static Mutex<u32> = Box::leak(Box::new(Mutex::new(0)));
    let guard = mutex.try_lock().unwrap();
    let first = Counter::new();
    let mut woken = Box::pin(mutex.lock());
    assert!(poll_with(woken.as_mut(), &reentrant_waker(&first)).is_pending());
    let mut last = Probe::new(mutex.lock());
    last.pending();
    // Woken, the first waiter takes its guard, uses it and drops it, all
    // inside the wake-up.
    let slot = Rc::new(RefCell::new(Some(woken)));
    let s = slot.clone();
    on_next_wake(move || {
        let mut future = s.borrow_mut().take().unwrap();
        let waker = std::task::Waker::noop();
        match poll_with(future.as_mut(), waker) {
            std::task::Poll::Ready(mut guard) => *guard += 1,
            std::task::Poll::Pending => panic!("handed the lock, yet pending"),
        }
    });
    drop(guard);
    assert_eq!(first.count(), 1);
    assert_eq!(last.woken(), 1);
    assert_eq!(*last.ready(), 1);
}

#[test]
fn debug_never_blocks() {
    let mutex = Mutex::new(5);
    assert_eq!(format!("{mutex:?}"), "Mutex { value: 5, waiting: 0 }");
    let guard = mutex.try_lock().unwrap();
    assert_eq!(
        format!("{mutex:?}"),
        "Mutex { value: <locked>, waiting: 0 }"
    );
    assert_eq!(format!("{guard:?}"), "5");
}
