//! `Queue`: FIFO order, puts wait while full and gets while empty (each in
//! the order they came), `task_done`/`join` as asyncio's, `close` fails
//! puts and drains gets, and a cancelled put or get — waiting or already
//! woken — puts or takes nothing, loses nothing and delivers nothing twice.
//! A woken waiter takes its room or item when it runs, as in asyncio (a
//! `try_` call may take it first). CPython's own queue tests are translated
//! in `queue_asyncio.rs`.

mod by_hand;

use std::cell::RefCell;
use std::rc::Rc;

use by_hand::{Counter, Probe, on_next_wake, poll_with, reentrant_waker};
use poll_loop::{EventLoop, Queue, TryGetError, TryPutError, yield_now};

#[test]
fn items_come_out_in_the_order_they_went_in() {
    let queue = Queue::new();
    for n in 0..100 {
        queue.try_put(n).unwrap();
    }
    assert_eq!(queue.len(), 100);
    let out: Vec<_> = (0..100).map(|_| queue.try_get().unwrap()).collect();
    assert_eq!(out, (0..100).collect::<Vec<_>>());
    assert_eq!(queue.try_get(), Err(TryGetError::Empty));
}

#[test]
fn a_put_waits_while_the_queue_is_full_and_goes_in_when_a_get_makes_room() {
    let queue = Queue::bounded(2);
    queue.try_put(0).unwrap();
    queue.try_put(1).unwrap();
    assert!(queue.is_full());
    assert!(matches!(queue.try_put(9), Err(TryPutError::Full(9))));
    let mut first = Probe::new(queue.put(2));
    let mut second = Probe::new(queue.put(3));
    first.pending();
    second.pending();
    assert_eq!(queue.try_get(), Ok(0));
    // Only the first waiting put was woken; it goes in when it runs.
    assert_eq!((first.woken(), second.woken()), (1, 0));
    assert_eq!(
        queue.len(),
        1,
        "asyncio's rule: nothing moves before it runs"
    );
    first.ready().unwrap();
    assert!(queue.is_full());
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(second.woken(), 1);
    second.ready().unwrap();
    let rest: Vec<_> = std::iter::from_fn(|| queue.try_get().ok()).collect();
    assert_eq!(rest, [2, 3]);
}

#[test]
fn a_try_put_may_take_the_room_a_put_was_woken_for_which_then_waits_again_at_the_back() {
    let queue = Queue::bounded(1);
    queue.try_put(0).unwrap();
    let mut woken = Probe::new(queue.put(1));
    woken.pending();
    assert_eq!(queue.try_get(), Ok(0));
    assert_eq!(woken.woken(), 1);
    // asyncio's put_nowait takes a place freed for a woken put, too.
    queue.try_put(9).unwrap();
    let mut later = Probe::new(queue.put(2));
    later.pending();
    woken.pending(); // full again: back in line, behind `later`
    assert_eq!(queue.try_get(), Ok(9));
    assert_eq!((later.woken(), woken.woken()), (1, 1));
    later.ready().unwrap();
    assert_eq!(queue.try_get(), Ok(2));
    assert_eq!(woken.woken(), 2);
    woken.ready().unwrap();
    assert_eq!(queue.try_get(), Ok(1));
}

#[test]
fn gets_wait_while_empty_and_are_served_in_the_order_they_came() {
    let queue = Queue::new();
    let mut first = Probe::new(queue.get());
    let mut second = Probe::new(queue.get());
    first.pending();
    second.pending();
    queue.try_put("a").unwrap();
    assert_eq!((first.woken(), second.woken()), (1, 0));
    queue.try_put("b").unwrap();
    assert_eq!(second.woken(), 1);
    // Woken getters take an item when they run, in the queue's order.
    assert_eq!(second.ready(), Ok("a"));
    assert_eq!(first.ready(), Ok("b"));
}

#[test]
fn a_try_get_may_take_the_item_a_get_was_woken_for_which_then_waits_again_at_the_back() {
    let queue = Queue::new();
    let mut first = Probe::new(queue.get());
    let mut second = Probe::new(queue.get());
    first.pending();
    second.pending();
    queue.try_put("a").unwrap();
    assert_eq!(first.woken(), 1);
    // asyncio's get_nowait takes an item a woken get was woken for, too.
    assert_eq!(queue.try_get(), Ok("a"));
    first.pending(); // empty again: back in line, behind `second`
    queue.try_put("b").unwrap();
    assert_eq!((second.woken(), first.woken()), (1, 1));
    assert_eq!(second.ready(), Ok("b"));
    queue.try_put("c").unwrap();
    assert_eq!(first.woken(), 2);
    assert_eq!(first.ready(), Ok("c"));
}

#[test]
fn a_get_cancelled_after_it_was_handed_an_item_hands_it_on() {
    let queue = Queue::new();
    let mut handed = Probe::new(queue.get());
    let mut next = Probe::new(queue.get());
    handed.pending();
    next.pending();
    queue.try_put(1).unwrap();
    drop(handed);
    assert_eq!(next.woken(), 1);
    assert_eq!(next.ready(), Ok(1));

    // With nobody behind, it goes back to the front.
    let mut handed = Probe::new(queue.get());
    handed.pending();
    queue.try_put(2).unwrap();
    queue.try_put(3).unwrap();
    drop(handed);
    assert_eq!(queue.try_get(), Ok(2));
    assert_eq!(queue.try_get(), Ok(3));
}

#[test]
fn a_get_cancelled_while_waiting_leaves_no_trace() {
    let queue = Queue::new();
    let mut cancelled = Probe::new(queue.get());
    let mut next = Probe::new(queue.get());
    cancelled.pending();
    next.pending();
    drop(cancelled);
    queue.try_put(7).unwrap();
    assert_eq!(next.ready(), Ok(7));
}

#[test]
fn a_put_cancelled_while_waiting_drops_its_item_and_leaves_no_trace() {
    let queue = Queue::bounded(1);
    queue.try_put(Rc::new(0)).unwrap();
    let item = Rc::new(1);
    let mut cancelled = Probe::new(queue.put(item.clone()));
    let mut next = Probe::new(queue.put(Rc::new(2)));
    cancelled.pending();
    next.pending();
    drop(cancelled);
    assert_eq!(Rc::strong_count(&item), 1, "the item went with the put");
    assert_eq!(*queue.try_get().unwrap(), 0);
    assert_eq!(next.woken(), 1);
    next.ready().unwrap();
    assert_eq!(*queue.try_get().unwrap(), 2);
}

#[test]
fn a_put_cancelled_after_it_was_woken_puts_nothing_and_wakes_the_next_put() {
    let queue = Queue::bounded(1);
    queue.try_put(Rc::new(0)).unwrap();
    let item = Rc::new(1);
    let mut woken = Probe::new(queue.put(item.clone()));
    let mut next = Probe::new(queue.put(Rc::new(2)));
    woken.pending();
    next.pending();
    assert_eq!(*queue.try_get().unwrap(), 0);
    assert_eq!((woken.woken(), next.woken()), (1, 0));
    drop(woken);
    assert_eq!(Rc::strong_count(&item), 1, "the item went with the put");
    assert_eq!(queue.try_get(), Err(TryGetError::Empty), "nothing was put");
    assert_eq!(next.woken(), 1, "the place went to the next put");
    next.ready().unwrap();
    assert_eq!(*queue.try_get().unwrap(), 2);
}

#[test]
fn close_fails_puts_wakes_everybody_and_lets_gets_drain() {
    let queue = Queue::bounded(1);
    queue.try_put(0).unwrap();
    let mut waiting_put = Probe::new(queue.put(1));
    waiting_put.pending();
    queue.close();
    assert_eq!(waiting_put.woken(), 1);
    assert_eq!(waiting_put.ready().map_err(|e| e.into_inner()), Err(1));
    assert!(matches!(queue.try_put(2), Err(TryPutError::Closed(2))));
    assert_eq!(
        Probe::new(queue.put(3)).ready().map_err(|e| e.into_inner()),
        Err(3)
    );
    // What is left can still be taken, then gets fail.
    assert_eq!(Probe::new(queue.get()).ready(), Ok(0));
    assert!(Probe::new(queue.get()).ready().is_err());
    assert_eq!(queue.try_get(), Err(TryGetError::Closed));

    let empty: Queue<u8> = Queue::new();
    let mut waiting_get = Probe::new(empty.get());
    waiting_get.pending();
    empty.close();
    empty.close(); // twice is fine
    assert_eq!(waiting_get.woken(), 1);
    assert!(waiting_get.ready().is_err());
    assert!(empty.is_closed());
}

#[test]
fn join_waits_until_every_item_is_marked_done() {
    let queue = Queue::new();
    Probe::new(queue.join()).ready(); // nothing put: at once
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    let mut join = Probe::new(queue.join());
    join.pending();
    queue.try_get().unwrap();
    queue.task_done();
    join.pending();
    assert_eq!(join.woken(), 0);
    queue.try_get().unwrap();
    queue.task_done();
    assert_eq!(join.woken(), 1);
    join.ready();
}

#[test]
fn items_handed_over_count_for_join_too() {
    let queue = Queue::bounded(1);
    let mut get = Probe::new(queue.get());
    get.pending();
    queue.try_put(1).unwrap(); // reserved for the get, and takes the room
    assert!(matches!(queue.try_put(9), Err(TryPutError::Full(9))));
    let mut put = Probe::new(queue.put(2)); // waits, goes in on the get
    put.pending();
    let mut join = Probe::new(queue.join());
    join.pending();
    assert_eq!(get.ready(), Ok(1));
    put.ready().unwrap();
    assert_eq!(queue.try_get(), Ok(2));
    for _ in 0..2 {
        join.pending();
        queue.task_done();
    }
    join.ready();
}

#[test]
#[should_panic(expected = "task_done called more times")]
fn task_done_more_often_than_put_panics() {
    let queue: Queue<()> = Queue::new();
    queue.task_done();
}

#[test]
#[should_panic(expected = "needs room")]
fn a_bound_of_zero_panics() {
    let _ = Queue::<()>::bounded(0);
}

#[test]
fn a_get_dropped_from_inside_a_wake_up_hands_its_item_on() {
    let queue: &'static Queue<u32> = Box::leak(Box::new(Queue::new()));
    let first = Counter::new();
    let mut woken = Box::pin(queue.get());
    assert!(poll_with(woken.as_mut(), &reentrant_waker(&first)).is_pending());
    let mut next = Probe::new(queue.get());
    next.pending();
    let slot = Rc::new(RefCell::new(Some(woken)));
    let s = slot.clone();
    on_next_wake(move || {
        // Handed the item, the first get is dropped, and puts again.
        drop(s.borrow_mut().take());
        queue.try_put(2).unwrap();
    });
    queue.try_put(1).unwrap();
    assert_eq!(next.ready(), Ok(1));
    assert_eq!(queue.try_get(), Ok(2));
}

#[test]
fn a_producer_and_two_consumers_on_a_loop() {
    let lp = EventLoop::new();
    let queue = Rc::new(Queue::bounded(3));
    let got = Rc::new(RefCell::new(Vec::new()));
    let producer = queue.clone();
    lp.spawn(async move {
        for n in 0..100 {
            producer.put(n).await.unwrap();
        }
        producer.join().await;
        producer.close();
    });
    for id in 0..2 {
        let (queue, got) = (queue.clone(), got.clone());
        lp.spawn(async move {
            while let Ok(n) = queue.get().await {
                got.borrow_mut().push((id, n));
                if n % 7 == id {
                    yield_now().await;
                }
                queue.task_done();
            }
        });
    }
    lp.run_until_idle().unwrap();
    let got = got.borrow();
    let taken: Vec<_> = got.iter().map(|&(_, n)| n).collect();
    assert_eq!(taken, (0..100).collect::<Vec<_>>(), "taken in order");
    // Each consumer sees its items in order; together, each item once.
    for id in 0..2 {
        let mine: Vec<_> = got
            .iter()
            .filter(|&&(c, _)| c == id)
            .map(|&(_, n)| n)
            .collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "consumer {id}: {mine:?}"
        );
        assert!(!mine.is_empty());
    }
    let mut items: Vec<_> = got.iter().map(|&(_, n)| n).collect();
    items.sort_unstable();
    assert_eq!(items, (0..100).collect::<Vec<_>>());
}
