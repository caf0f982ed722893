//! A waker that panics when it is dropped (after it woke its task) does
//! not stop the loops that wake several waiters or hand several things out:
//! every other waiter is still woken, every permit still goes somewhere,
//! the primitive is left in a sound state (a `Barrier` ends its round, a
//! queue shut down at once is empty), and the panic reaches the exception
//! handler.

mod helpers;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use helpers::without_hanging;
use poll_loop::{
    Barrier, BarrierState, Condition, Event, EventLoop, LifoQueue, LoopHandle, PriorityQueue,
    Queue, Semaphore,
};

/// A waker that wakes the task it wraps, and panics when its last copy is
/// dropped (unless disarmed).
struct Bomb {
    task: Waker,
    armed: AtomicBool,
}

impl Wake for Bomb {
    fn wake(self: Arc<Self>) {
        self.task.wake_by_ref();
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst) && !std::thread::panicking() {
            panic!("waker bomb");
        }
    }
}

/// Polls `F` with a [`Bomb`] around the task's waker: the copy `F` stores
/// is the only one, so it panics when whoever wakes it drops it. A copy
/// replaced by a later poll is disarmed first.
struct WithBomb<F> {
    future: Pin<Box<F>>,
    last: Weak<Bomb>,
}

fn with_bomb<F: Future>(future: F) -> WithBomb<F> {
    WithBomb {
        future: Box::pin(future),
        last: Weak::new(),
    }
}

impl<F: Future> Future for WithBomb<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Some(last) = self.last.upgrade() {
            last.armed.store(false, Ordering::SeqCst);
        }
        let bomb = Arc::new(Bomb {
            task: cx.waker().clone(),
            armed: AtomicBool::new(true),
        });
        self.last = Arc::downgrade(&bomb);
        let waker = Waker::from(Arc::clone(&bomb));
        let poll = self.future.as_mut().poll(&mut Context::from_waker(&waker));
        drop(waker);
        if Arc::strong_count(&bomb) == 1 {
            bomb.armed.store(false, Ordering::SeqCst); // nobody kept a copy
        }
        poll
    }
}

fn recording_handler(lp: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    lp.set_exception_handler(move |_, context| sink.borrow_mut().push(context.to_string()));
    seen
}

/// Spawns a task that runs `future` and then sets a flag, returned.
fn finishes(lp: &LoopHandle, future: impl Future<Output = ()> + 'static) -> Rc<Cell<bool>> {
    let done = Rc::new(Cell::new(false));
    let flag = done.clone();
    lp.spawn(async move {
        future.await;
        flag.set(true);
    });
    done
}

fn assert_one_bomb(seen: &Rc<RefCell<Vec<String>>>) {
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert!(seen[0].contains("waker bomb"), "{seen:#?}");
}

#[test]
fn event_set_wakes_every_waiter_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let event = Rc::new(Event::new());
        let e = event.clone();
        let first = finishes(&lp, with_bomb(async move { e.wait().await }));
        let rest: Vec<_> = (0..3)
            .map(|_| {
                let e = event.clone();
                finishes(&lp, async move { e.wait().await })
            })
            .collect();
        lp.call_soon(move || event.set());
        lp.run_until_idle().unwrap();
        assert!(first.get());
        assert!(
            rest.iter().all(|done| done.get()),
            "a waiter was never woken"
        );
        assert_one_bomb(&seen);
    });
}

#[test]
fn add_permits_hands_out_every_permit_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let semaphore = Rc::new(Semaphore::new(0));
        let s = semaphore.clone();
        let first = finishes(&lp, with_bomb(async move { s.acquire().await.forget() }));
        let s = semaphore.clone();
        let second = finishes(&lp, async move { s.acquire().await.forget() });
        let s = semaphore.clone();
        // Three permits: one a waiter, one the other, one left available.
        lp.call_soon(move || s.add_permits(3));
        lp.run_until_idle().unwrap();
        assert!(
            first.get() && second.get(),
            "a waiter was never handed its permit"
        );
        assert_eq!(semaphore.available_permits(), 1, "a permit was lost");
        assert_one_bomb(&seen);
    });
}

#[test]
fn a_lone_waiter_s_panicking_waker_loses_no_permit() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let semaphore = Rc::new(Semaphore::new(0));
        let s = semaphore.clone();
        let first = finishes(&lp, with_bomb(async move { s.acquire().await.forget() }));
        let s = semaphore.clone();
        lp.call_soon(move || s.add_permits(2));
        lp.run_until_idle().unwrap();
        assert!(first.get());
        assert_eq!(semaphore.available_permits(), 1, "a permit was lost");
        assert_one_bomb(&seen);
    });
}

#[test]
fn queue_close_wakes_every_waiting_get_and_put_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let empty = Rc::new(Queue::<u32>::new());
        let full = Rc::new(Queue::bounded(1));
        full.try_put(0).unwrap();
        let q = empty.clone();
        let first = finishes(
            &lp,
            with_bomb(async move { assert!(q.get().await.is_err()) }),
        );
        let q = empty.clone();
        let getter = finishes(&lp, async move { assert!(q.get().await.is_err()) });
        let q = full.clone();
        let putter = finishes(&lp, async move { assert!(q.put(1).await.is_err()) });
        lp.call_soon(move || {
            full.close();
            empty.close();
        });
        lp.run_until_idle().unwrap();
        assert!(
            first.get() && getter.get() && putter.get(),
            "a waiter was never woken"
        );
        assert_one_bomb(&seen);
    });
}

#[test]
fn queue_task_done_wakes_every_joiner_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let queue = Rc::new(Queue::new());
        queue.try_put(1).unwrap();
        let q = queue.clone();
        let first = finishes(&lp, with_bomb(async move { q.join().await }));
        let q = queue.clone();
        let second = finishes(&lp, async move { q.join().await });
        lp.call_soon(move || {
            queue.try_get().unwrap();
            queue.task_done();
        });
        lp.run_until_idle().unwrap();
        assert!(first.get() && second.get(), "a joiner was never woken");
        assert_one_bomb(&seen);
    });
}

#[test]
fn a_finished_task_wakes_every_awaiter_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let gate = Rc::new(Event::new());
        let g = gate.clone();
        let task = Rc::new(lp.spawn(async move { g.wait().await }));
        let t = task.clone();
        let first = finishes(&lp, with_bomb(async move { (&*t).await.unwrap() }));
        let t = task.clone();
        let second = finishes(&lp, async move { (&*t).await.unwrap() });
        lp.call_soon(move || gate.set());
        lp.run_until_idle().unwrap();
        assert!(first.get() && second.get(), "an awaiter was never woken");
        assert_one_bomb(&seen);
    });
}

#[test]
fn condition_notify_all_wakes_every_waiter_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let cond = Rc::new(Condition::new(0));
        let c = cond.clone();
        let first = finishes(
            &lp,
            with_bomb(async move {
                let guard = c.lock().await;
                drop(c.wait(guard).await);
            }),
        );
        let rest: Vec<_> = (0..3)
            .map(|_| {
                let c = cond.clone();
                finishes(&lp, async move {
                    let guard = c.lock().await;
                    drop(c.wait(guard).await);
                })
            })
            .collect();
        let c = cond.clone();
        lp.call_soon(move || {
            // The four wait, unlocked; the bomb's panic comes out of
            // notify_all once all are woken.
            c.try_lock().unwrap().notify_all();
        });
        lp.run_until_idle().unwrap();
        assert!(first.get());
        assert!(
            rest.iter().all(|done| done.get()),
            "a waiter was never woken"
        );
        assert_eq!(cond.waiting(), 0);
        assert!(!cond.is_locked());
        assert_one_bomb(&seen);
    });
}

#[test]
fn a_barrier_releases_every_waiter_and_ends_its_round_when_one_waker_panics() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let seen = recording_handler(&lp);
        let barrier = Rc::new(Barrier::new(4));
        let b = barrier.clone();
        let first = finishes(
            &lp,
            with_bomb(async move { assert!(b.wait().await.is_ok()) }),
        );
        let rest: Vec<_> = (0..2)
            .map(|_| {
                let b = barrier.clone();
                finishes(&lp, async move { assert!(b.wait().await.is_ok()) })
            })
            .collect();
        let b = barrier.clone();
        // The last to arrive releases the others; the bomb's panic comes
        // out of its wait (polled by hand in a callback, where the loop
        // reports a panic to its handler).
        lp.call_soon(move || {
            let mut last = std::pin::pin!(b.wait());
            let _ = last.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        });
        lp.run_until_idle().unwrap();
        assert!(first.get());
        assert!(
            rest.iter().all(|done| done.get()),
            "a waiter was never released"
        );
        assert_eq!(barrier.state(), BarrierState::Filling, "the round ended");
        assert_eq!(barrier.n_waiting(), 0);
        assert_one_bomb(&seen);
    });
}

/// An immediate shutdown of `$queue` wakes every get, put and join when
/// one waker panics.
macro_rules! shutdown_test {
    ($name:ident, $queue:ident) => {
        #[test]
        fn $name() {
            without_hanging(|| {
                let lp = EventLoop::new();
                let seen = recording_handler(&lp);
                let empty = Rc::new($queue::<u32>::new());
                let full = Rc::new($queue::bounded(1));
                full.try_put(0).unwrap();
                let q = empty.clone();
                let first = finishes(
                    &lp,
                    with_bomb(async move { assert!(q.get().await.is_err()) }),
                );
                let q = empty.clone();
                let getter = finishes(&lp, async move { assert!(q.get().await.is_err()) });
                let q = full.clone();
                let putter = finishes(&lp, async move { assert!(q.put(1).await.is_err()) });
                let q = full.clone();
                let joiner = finishes(&lp, async move { q.join().await });
                let f = full.clone();
                lp.call_soon(move || {
                    f.shutdown(true);
                    empty.shutdown(true); // the bomb's panic comes out here
                });
                lp.run_until_idle().unwrap();
                assert!(
                    first.get() && getter.get() && putter.get() && joiner.get(),
                    "a waiter was never woken"
                );
                assert!(full.is_empty(), "the queued item was dropped");
                assert_one_bomb(&seen);
            });
        }
    };
}

shutdown_test!(
    queue_shutdown_wakes_every_waiter_when_one_waker_panics,
    Queue
);
shutdown_test!(
    lifo_queue_shutdown_wakes_every_waiter_when_one_waker_panics,
    LifoQueue
);
shutdown_test!(
    priority_queue_shutdown_wakes_every_waiter_when_one_waker_panics,
    PriorityQueue
);
