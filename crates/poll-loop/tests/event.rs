//! `Event`: `set` wakes every waiter, once; waits after it are ready at
//! once until `clear`; a cancelled wait leaves no trace.

mod by_hand;

use std::cell::Cell;
use std::rc::Rc;

use by_hand::{Counter, Probe, on_next_wake, poll_with, reentrant_waker};
use poll_loop::{Event, EventLoop, yield_now};

#[test]
fn set_wakes_every_waiter_and_later_waits_are_ready() {
    let event = Event::new();
    let mut waiters: Vec<_> = (0..3).map(|_| Probe::new(event.wait())).collect();
    waiters.iter_mut().for_each(Probe::pending);
    event.set();
    event.set(); // a second set wakes nobody twice
    assert!(waiters.iter().all(|w| w.woken() == 1));
    waiters.iter_mut().for_each(|w| w.ready());
    let mut late = Probe::new(event.wait());
    late.ready();
}

#[test]
fn a_woken_waiter_returns_even_if_the_flag_was_cleared() {
    let event = Event::new();
    let mut waiter = Probe::new(event.wait());
    waiter.pending();
    event.set();
    event.clear();
    waiter.ready();
    let mut next = Probe::new(event.wait());
    next.pending();
}

#[test]
fn a_cancelled_wait_leaves_no_trace() {
    let event = Event::new();
    let mut cancelled = Probe::new(event.wait());
    let mut kept = Probe::new(event.wait());
    cancelled.pending();
    kept.pending();
    assert!(format!("{event:?}").contains("waiting: 2"));
    drop(cancelled);
    assert!(format!("{event:?}").contains("waiting: 1"));
    event.set();
    kept.ready();
    // Cancelled after being woken: nothing to hand on, nothing left.
    event.clear();
    let mut woken = Probe::new(event.wait());
    woken.pending();
    event.set();
    drop(woken);
    assert!(format!("{event:?}").contains("waiting: 0"));
}

#[test]
fn a_wake_up_may_clear_and_wait_again_without_being_woken_by_the_same_set() {
    let event: &'static Event = Box::leak(Box::new(Event::new()));
    let first = Counter::new();
    let mut waiter = Box::pin(event.wait());
    assert!(poll_with(waiter.as_mut(), &reentrant_waker(&first)).is_pending());
    let again = Rc::new(Cell::new(None));
    let a = again.clone();
    on_next_wake(move || {
        event.clear();
        let mut fresh = Probe::new(event.wait());
        fresh.pending();
        a.set(Some(fresh));
    });
    event.set();
    let mut fresh = again.take().unwrap();
    assert_eq!(
        fresh.woken(),
        0,
        "waits begun after the set wait for the next"
    );
    fresh.pending();
    event.set();
    fresh.ready();
}

#[test]
fn tasks_wait_on_the_loop() {
    let lp = EventLoop::new();
    let event = Rc::new(Event::new());
    let woken = Rc::new(Cell::new(0));
    for _ in 0..10 {
        let (event, woken) = (event.clone(), woken.clone());
        lp.spawn(async move {
            event.wait().await;
            woken.set(woken.get() + 1);
        });
    }
    let setter = event.clone();
    lp.spawn(async move {
        yield_now().await;
        setter.set();
    });
    lp.run_until_idle().unwrap();
    assert_eq!(woken.get(), 10);
}
