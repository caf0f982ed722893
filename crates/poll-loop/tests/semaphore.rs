//! `Semaphore`: permits go to waiters in the order they came, a dropped
//! permit wakes the next, and a cancelled waiter — at any await point —
//! leaves no trace and loses no wake-up.

mod by_hand;

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;

use by_hand::{Counter, Probe, on_next_wake, poll_with, reentrant_waker};
use poll_loop::{EventLoop, Semaphore, yield_now};

#[test]
fn permits_go_to_waiters_in_the_order_they_came() {
    let lp = EventLoop::new();
    let semaphore = Rc::new(Semaphore::new(1));
    let order = Rc::new(RefCell::new(Vec::new()));
    for n in 0..5 {
        let (semaphore, order) = (semaphore.clone(), order.clone());
        lp.spawn(async move {
            let _permit = semaphore.acquire().await;
            order.borrow_mut().push(n);
            yield_now().await;
            yield_now().await;
        });
    }
    lp.run_until_idle().unwrap();
    assert_eq!(*order.borrow(), [0, 1, 2, 3, 4]);
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn a_dropped_permit_wakes_the_first_waiter_only() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut first = Probe::new(semaphore.acquire());
    let mut second = Probe::new(semaphore.acquire());
    first.pending();
    second.pending();
    drop(held);
    assert_eq!((first.woken(), second.woken()), (1, 0));
    let permit = first.ready();
    second.pending();
    drop(permit);
    assert_eq!(second.woken(), 1);
    let _permit = second.ready();
    assert_eq!(semaphore.available_permits(), 0);
}

#[test]
fn nobody_jumps_the_queue() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut waiter = Probe::new(semaphore.acquire());
    waiter.pending();
    drop(held);
    // The permit belongs to the waiter now, though it has not run yet.
    assert!(semaphore.try_acquire().is_err());
    assert!(semaphore.is_locked());
    let mut newcomer = Probe::new(semaphore.acquire());
    newcomer.pending();
    drop(waiter.ready());
    let _permit = newcomer.ready();
}

#[test]
fn a_waiter_cancelled_while_waiting_leaves_no_trace() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut cancelled = Probe::new(semaphore.acquire());
    let mut next = Probe::new(semaphore.acquire());
    cancelled.pending();
    next.pending();
    drop(cancelled);
    drop(held);
    assert_eq!(next.woken(), 1);
    drop(next.ready());
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn a_waiter_cancelled_after_it_was_handed_a_permit_passes_it_on() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut handed = Probe::new(semaphore.acquire());
    let mut next = Probe::new(semaphore.acquire());
    handed.pending();
    next.pending();
    drop(held);
    assert_eq!(handed.woken(), 1);
    drop(handed); // woken, never looked
    assert_eq!(next.woken(), 1, "the turn was handed on");
    drop(next.ready());
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn a_waiter_cancelled_after_it_was_handed_a_permit_with_nobody_behind_returns_it() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut handed = Probe::new(semaphore.acquire());
    handed.pending();
    drop(held);
    drop(handed);
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn a_waiter_polled_with_a_new_waker_is_woken_through_it() {
    let semaphore = Semaphore::new(0);
    let mut waiter = Probe::new(semaphore.acquire());
    waiter.pending();
    let other = Counter::new();
    assert!(poll_with(waiter.future.as_mut(), &other.waker()).is_pending());
    semaphore.add_permits(1);
    assert_eq!((waiter.woken(), other.count()), (0, 1));
}

#[test]
fn a_waiter_dropped_from_inside_the_wake_up_hands_its_turn_on() {
    // Leaked: the wake-up action outlives the test's borrows.
    let semaphore: &'static Semaphore = Box::leak(Box::new(Semaphore::new(1)));
    let held = semaphore.try_acquire().unwrap();
    let first = Counter::new();
    let mut woken_first: Pin<Box<_>> = Box::pin(semaphore.acquire());
    assert!(poll_with(woken_first.as_mut(), &reentrant_waker(&first)).is_pending());
    let mut victim = Probe::new(semaphore.acquire());
    let mut last = Probe::new(semaphore.acquire());
    victim.pending();
    last.pending();

    // When `first` is woken it drops the victim (still waiting) and then
    // itself (handed a permit, never looked): the permit goes to `last`.
    let victim = RefCell::new(Some(victim));
    let first_slot = RefCell::new(Some(woken_first));
    let (victim, first_slot) = (Rc::new(victim), Rc::new(first_slot));
    let (v, f) = (victim.clone(), first_slot.clone());
    on_next_wake(move || {
        drop(v.borrow_mut().take());
        drop(f.borrow_mut().take());
    });
    drop(held);
    assert_eq!(first.count(), 1);
    assert!(victim.borrow().is_none() && first_slot.borrow().is_none());
    assert_eq!(last.woken(), 1);
    drop(last.ready());
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn add_permits_wakes_that_many_waiters() {
    let semaphore = Semaphore::new(0);
    let mut waiters: Vec<_> = (0..3).map(|_| Probe::new(semaphore.acquire())).collect();
    waiters.iter_mut().for_each(Probe::pending);
    semaphore.add_permits(2);
    let woken: Vec<_> = waiters.iter().map(Probe::woken).collect();
    assert_eq!(woken, [1, 1, 0]);
    semaphore.add_permits(2);
    assert_eq!(waiters[2].woken(), 1);
    let permits: Vec<_> = waiters.iter_mut().map(Probe::ready).collect();
    drop(permits);
    assert_eq!(semaphore.available_permits(), 4);
}

#[test]
fn a_forgotten_permit_stays_out() {
    let semaphore = Semaphore::new(2);
    semaphore.try_acquire().unwrap().forget();
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn never_more_holders_than_permits_on_a_loop() {
    let lp = EventLoop::new();
    let semaphore = Rc::new(Semaphore::new(3));
    let (inside, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    for n in 0..50_u32 {
        let (semaphore, inside, most) = (semaphore.clone(), inside.clone(), most.clone());
        lp.spawn(async move {
            for _ in 0..n % 4 {
                let _permit = semaphore.acquire().await;
                inside.set(inside.get() + 1);
                most.set(most.get().max(inside.get()));
                for _ in 0..n % 3 {
                    yield_now().await;
                }
                inside.set(inside.get() - 1);
            }
        });
    }
    lp.run_until_idle().unwrap();
    assert_eq!(most.get(), 3);
    assert_eq!(semaphore.available_permits(), 3);
}
