//! The newer primitives' waits that are ready at once — a `wait_for` whose
//! predicate holds, a barrier of one, a LIFO or priority queue that always
//! has an item or room — spend the task's budget, so a task looping on them
//! still gives the loop back (as `starvation.rs` checks for the others).

mod helpers;

use std::cell::Cell;
use std::rc::Rc;

use helpers::{ms, without_hanging};
use poll_loop::{Barrier, Condition, EventLoop, LifoQueue, PriorityQueue, sleep};

/// Runs `spin` as a task until a timer of the loop's has stopped it: the
/// timer fires only if the task yields.
fn gives_the_loop_back<F>(spin: impl FnOnce(Rc<Cell<bool>>) -> F)
where
    F: std::future::Future<Output = ()> + 'static,
{
    let lp = EventLoop::new();
    let stop = Rc::new(Cell::new(false));
    let spinner = lp.spawn(spin(stop.clone()));
    lp.block_on(async move {
        sleep(ms(20)).await;
        stop.set(true);
        spinner.await.unwrap();
    })
    .unwrap();
}

#[test]
fn a_condition_wait_for_that_holds_at_once_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let condition = Condition::new(0_u64);
            let mut guard = condition.lock().await;
            while !stop.get() {
                guard = condition.wait_for(guard, |_| true).await;
                *guard += 1;
            }
        });
    });
}

#[test]
fn a_barrier_of_one_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let barrier = Barrier::new(1);
            while !stop.get() {
                barrier.wait().await.unwrap();
            }
        });
    });
}

#[test]
fn a_lifo_and_a_priority_queue_that_always_have_an_item_give_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let (lifo, priority) = (LifoQueue::new(), PriorityQueue::new());
            while !stop.get() {
                lifo.put(1).await.unwrap();
                lifo.get().await.unwrap();
                priority.put(1).await.unwrap();
                priority.get().await.unwrap();
                lifo.task_done();
                lifo.join().await;
            }
        });
    });
}
