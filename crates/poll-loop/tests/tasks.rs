//! Spawned tasks: their join handles, order, panics, cancellation, wakers
//! from any thread, and what closing the loop does to unfinished ones.

mod helpers;

use std::cell::Cell;
use std::future::{Future as StdFuture, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;

use helpers::{Log, drop_guard, ms, strict, without_hanging};
use poll_loop::{BlockOnError, EventLoop, JoinHandle, LoopHandle, RunError, sleep, yield_now};
use simple_future::{Future, Panicked, ResultError, State};

/// A future that is pending forever and counts its polls; it hands out
/// its latest waker.
struct Pending {
    polls: Rc<Cell<usize>>,
    waker: WakerSlot,
}

impl StdFuture for Pending {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        self.waker.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}

/// The latest waker a [`Pending`] was polled with.
type WakerSlot = Rc<Cell<Option<Waker>>>;

fn pending() -> (Pending, Rc<Cell<usize>>, WakerSlot) {
    let polls = Rc::new(Cell::new(0));
    let waker = Rc::new(Cell::new(None));
    let future = Pending {
        polls: polls.clone(),
        waker: waker.clone(),
    };
    (future, polls, waker)
}

fn waker_of(cell: &Cell<Option<Waker>>) -> Waker {
    let waker = cell.take().expect("the task was polled");
    cell.set(Some(waker.clone()));
    waker
}

#[test]
fn the_join_handle_holds_the_output() {
    let lp = EventLoop::new();
    let task = lp.spawn(async { 40 + 2 });
    assert_eq!(task.state(), State::Pending, "nothing runs before the loop");
    lp.run_until_idle().unwrap();
    assert_eq!(*task.result().unwrap(), 42);
}

#[test]
fn tasks_need_not_be_send() {
    let lp = EventLoop::new();
    let shared = Rc::new(Cell::new(0));
    let seen = shared.clone();
    lp.spawn(async move {
        sleep(ms(1)).await;
        seen.set(7);
    });
    lp.run_until_idle().unwrap();
    assert_eq!(shared.get(), 7);
}

#[test]
fn first_polls_run_in_spawn_order_among_callbacks() {
    let lp = EventLoop::new();
    let log = Log::new();
    let l = log.clone();
    lp.spawn(async move { l.push("task 1") });
    lp.call_soon(log.recording("callback"));
    let l = log.clone();
    lp.spawn(async move { l.push("task 2") });
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["task 1", "callback", "task 2"]);
}

#[test]
fn a_task_awaits_another_tasks_join_handle() {
    let lp = EventLoop::new();
    let inner = lp.spawn(async {
        sleep(ms(5)).await;
        "inner"
    });
    let outer = lp.spawn(async move { format!("outer saw {}", inner.await.unwrap()) });
    lp.run_until_idle().unwrap();
    assert_eq!(outer.result().unwrap(), "outer saw inner");
}

#[test]
fn tasks_spawn_tasks_through_the_current_loop() {
    let lp = EventLoop::new();
    let task = lp.spawn(async {
        let lp = LoopHandle::current().unwrap();
        let children: Vec<_> = (0..3).map(|n| lp.spawn(async move { n * 10 })).collect();
        let mut sum = 0;
        for child in children {
            sum += child.await.unwrap();
        }
        sum
    });
    lp.run_until_idle().unwrap();
    assert_eq!(*task.result().unwrap(), 30);
}

#[test]
fn a_panicking_task_completes_its_handle_with_the_panic_and_the_loop_goes_on() {
    let lp = EventLoop::new();
    let handled = Rc::new(Cell::new(0));
    let h = handled.clone();
    lp.set_exception_handler(move |_, _| h.set(h.get() + 1));
    let bad = lp.spawn(async {
        sleep(ms(1)).await;
        if true {
            panic!("task went wrong");
        }
        1
    });
    let good = lp.spawn(async {
        sleep(ms(5)).await;
        2
    });
    let (guard, dropped) = drop_guard();
    let _guarded = lp.spawn(async move {
        let _guard = guard;
        yield_now().await;
        panic!("with a guard");
    });

    lp.run_until_idle().unwrap();
    let error = bad.exception().unwrap().expect("an exception");
    let panicked = error.downcast_ref::<Panicked>().expect("a Panicked");
    assert_eq!(panicked.message(), Some("task went wrong"));
    assert!(matches!(bad.result(), Err(ResultError::Exception(_))));
    assert_eq!(*good.result().unwrap(), 2);
    assert!(dropped.dropped(), "the panicking task's future was dropped");
    assert_eq!(handled.get(), 0, "the join handle carries the panic");
    assert!(!lp.is_closed() && !lp.is_running());
}

#[test]
fn cancelling_the_join_handle_drops_the_task_without_polling_it_again() {
    let lp = EventLoop::new();
    let _strict = strict(&lp);
    let (future, polls, _) = pending();
    let (guard, dropped) = drop_guard();
    let task = lp.spawn(async move {
        let _guard = guard;
        future.await;
    });
    lp.call_soon({
        let task = task.clone();
        move || assert!(task.cancel())
    });
    lp.run_until_idle().unwrap();
    assert_eq!(polls.get(), 1, "polled once before the cancel, never after");
    assert!(dropped.dropped());
    assert!(task.cancelled());
    assert!(matches!(task.result(), Err(ResultError::Cancelled)));
}

#[test]
fn cancelling_through_a_plain_observer_drops_the_task_when_next_woken() {
    let lp = EventLoop::new();
    let (future, polls, waker) = pending();
    let (guard, dropped) = drop_guard();
    let task = lp.spawn(async move {
        let _guard = guard;
        future.await;
    });
    let observer = task.observer();
    lp.call_soon(move || {
        observer.cancel();
    });
    lp.run_until_idle_or_stop();
    assert!(task.observer().cancelled(), "the view is cancelled at once");
    assert!(!dropped.dropped(), "nothing woke the task yet");
    assert!(
        !task.cancelled(),
        "the task is cancelled only once its future is dropped"
    );
    waker_of(&waker).wake();
    lp.run_until_idle().unwrap();
    assert!(dropped.dropped());
    assert!(task.cancelled());
    assert_eq!(
        polls.get(),
        1,
        "the wake-up found it cancelled: no second poll"
    );
}

/// Runs what is queued now, then stops (the pending task would keep
/// `run_until_idle` waiting forever).
trait RunQueued {
    fn run_until_idle_or_stop(&self);
}

impl RunQueued for EventLoop {
    fn run_until_idle_or_stop(&self) {
        let lp = self.handle();
        self.call_soon(move || lp.stop());
        self.run_forever().unwrap();
    }
}

#[test]
fn a_task_cancelled_before_its_first_poll_never_runs() {
    let lp = EventLoop::new();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let task = lp.spawn(async move { r.set(true) });
    assert!(task.cancel());
    lp.run_until_idle().unwrap();
    assert!(!ran.get());
    assert!(task.cancelled());
}

#[test]
fn a_task_may_cancel_itself() {
    let lp = EventLoop::new();
    let handle: Rc<Cell<Option<JoinHandle<()>>>> = Rc::new(Cell::new(None));
    let h = handle.clone();
    let reached = Rc::new(Cell::new(0));
    let r = reached.clone();
    let task = lp.spawn(async move {
        r.set(1);
        let me = h.take().unwrap();
        assert!(me.cancel());
        yield_now().await;
        r.set(2); // never: the next poll finds the handle cancelled
    });
    handle.set(Some(task.clone()));
    lp.run_until_idle().unwrap();
    assert_eq!(reached.get(), 1);
    assert!(task.cancelled());
}

#[test]
fn a_wake_from_another_thread_wakes_a_parked_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let answer: Future<u32> = Future::new();
        let producer = answer.clone();
        let task = lp.spawn(async move { answer.await.unwrap() + 1 });
        let worker = thread::spawn(move || {
            thread::sleep(ms(30));
            producer.set_result(41).unwrap();
        });
        lp.run_until_idle().unwrap();
        worker.join().unwrap();
        assert_eq!(*task.result().unwrap(), 42);
        assert!(lp.stats().sleeps >= 1, "the loop slept while it waited");
    });
}

#[test]
fn many_wake_ups_of_an_idle_task_queue_one_poll() {
    let lp = EventLoop::new();
    let (future, polls, waker) = pending();
    lp.spawn(future);
    lp.call_soon(move || {
        let waker = waker_of(&waker);
        for _ in 0..100 {
            waker.wake_by_ref();
        }
        LoopHandle::current().unwrap().stop();
    });
    lp.run_forever().unwrap();
    lp.call_soon({
        let lp = lp.handle();
        move || lp.stop()
    });
    lp.run_forever().unwrap();
    assert_eq!(polls.get(), 2, "the first poll, then one for 100 wake-ups");
}

/// Wakes itself `times` times within one poll, then is done.
struct WakesItselfWhileRunning {
    polls: Rc<Cell<usize>>,
    wakes_per_poll: usize,
    rounds: usize,
}

impl StdFuture for WakesItselfWhileRunning {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let polls = self.polls.get() + 1;
        self.polls.set(polls);
        if polls > self.rounds {
            return Poll::Ready(polls);
        }
        for _ in 0..self.wakes_per_poll {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

#[test]
fn a_task_woken_while_running_is_polled_again_once() {
    let lp = EventLoop::new();
    let polls = Rc::new(Cell::new(0));
    let task = lp.spawn(WakesItselfWhileRunning {
        polls: polls.clone(),
        wakes_per_poll: 5,
        rounds: 3,
    });
    lp.run_until_idle().unwrap();
    assert_eq!(
        *task.result().unwrap(),
        4,
        "one poll per round, plus the last"
    );
}

#[test]
fn wake_ups_racing_from_many_threads_are_never_lost() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let remaining = Arc::new(AtomicUsize::new(8 * 500));
        let seen = remaining.clone();
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        let (waker_tx, waker_rx) = std::sync::mpsc::channel::<Waker>();
        let task = lp.spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                for _ in 0..8 {
                    waker_tx.send(cx.waker().clone()).unwrap();
                }
            }
            if seen.load(Ordering::SeqCst) == 0 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        // The first poll hands out the wakers.
        lp.call_soon({
            let lp = lp.handle();
            move || lp.stop()
        });
        lp.run_forever().unwrap();
        let wakers: Vec<_> = waker_rx
            .iter()
            .take(8)
            .map(|waker| {
                let remaining = remaining.clone();
                thread::spawn(move || {
                    for _ in 0..500 {
                        remaining.fetch_sub(1, Ordering::SeqCst);
                        waker.wake_by_ref();
                    }
                })
            })
            .collect();
        lp.run_until_complete(&task).unwrap();
        for waker in wakers {
            waker.join().unwrap();
        }
        assert!(task.done());
        assert!(polls.get() >= 2);
        assert!(polls.get() <= 1 + 8 * 500, "{} polls", polls.get());
    });
}

#[test]
fn an_unfinished_task_keeps_run_until_idle_running() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let done: Future<()> = Future::new();
        let producer = done.clone();
        let finished = Rc::new(Cell::new(false));
        let f = finished.clone();
        lp.spawn(async move {
            done.await.unwrap();
            f.set(true);
        });
        let worker = thread::spawn(move || {
            thread::sleep(ms(20));
            producer.set_result(()).unwrap();
        });
        lp.run_until_idle().unwrap();
        worker.join().unwrap();
        assert!(finished.get());
    });
}

#[test]
fn closing_the_loop_drops_unfinished_tasks_and_abandons_their_handles() {
    let lp = EventLoop::new();
    let (future, _, waker) = pending();
    let (guard, dropped) = drop_guard();
    let task = lp.spawn(async move {
        let _guard = guard;
        future.await;
    });
    lp.call_soon({
        let lp = lp.handle();
        move || lp.stop()
    });
    lp.run_forever().unwrap();
    let waker = waker_of(&waker);
    lp.close().unwrap();
    assert!(dropped.dropped());
    assert_eq!(task.state(), State::Abandoned);
    waker.wake(); // harmless once the loop is closed
}

#[test]
fn spawning_from_another_thread_runs_on_the_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let remote = lp.threadsafe();
        let loop_thread = thread::current().id();
        let worker = thread::spawn(move || {
            remote
                .spawn(async move {
                    sleep(ms(1)).await;
                    thread::current().id() == loop_thread
                })
                .unwrap()
        });
        let task = worker.join().unwrap();
        assert!(
            *lp.run_until_complete(&task).unwrap(),
            "ran on the loop's thread"
        );
    });
}

#[test]
fn spawning_into_a_closed_loop_hands_the_future_back() {
    let lp = EventLoop::new();
    let remote = lp.threadsafe();
    drop(lp);
    let error = remote.spawn(async { 5 }).unwrap_err();
    let future = error.into_inner();
    assert_eq!(EventLoop::new().block_on(future).unwrap(), 5);
}

#[test]
#[should_panic(expected = "closed")]
fn spawning_on_a_closed_loop_panics() {
    let lp = EventLoop::new();
    lp.close().unwrap();
    lp.spawn(async {});
}

#[test]
fn a_task_cannot_block_on_its_own_loop() {
    let lp = EventLoop::new();
    let task = lp.spawn(async {
        let lp = LoopHandle::current().unwrap();
        lp.block_on(async { 1 })
    });
    lp.run_until_idle().unwrap();
    assert_eq!(
        *task.result().unwrap(),
        Err(BlockOnError::Run(RunError::AlreadyRunning))
    );
}

#[test]
fn the_join_handle_can_be_waited_on_from_another_thread() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let task = lp.spawn(async {
            sleep(ms(20)).await;
            "done"
        });
        let observer = task.clone();
        let waiter = thread::spawn(move || *observer.result().unwrap());
        lp.run_until_idle().unwrap();
        assert_eq!(waiter.join().unwrap(), "done");
    });
}

/// Runs its closure when dropped.
struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

#[test]
fn a_finished_task_may_spawn_and_schedule_from_its_drop() {
    let lp = EventLoop::new();
    let log = Log::new();
    let (l, h) = (log.clone(), lp.handle());
    lp.spawn(async move {
        let _on_drop = OnDrop(Some(move || {
            let l2 = l.clone();
            h.spawn(async move { l2.push("spawned from a drop") });
            h.call_soon(move || l.push("scheduled from a drop"));
        }));
        yield_now().await;
    });
    lp.run_until_idle().unwrap();
    assert_eq!(
        log.events(),
        ["spawned from a drop", "scheduled from a drop"]
    );
}

#[test]
fn closing_drops_tasks_whose_drop_spawns_more() {
    let lp = EventLoop::new();
    let (guard, dropped) = drop_guard();
    let h = lp.handle();
    let (future, _, _) = pending();
    lp.spawn(async move {
        let _on_drop = OnDrop(Some(move || {
            // Spawned while the loop closes: dropped with the rest.
            h.spawn(async move {
                guard.touch();
                std::future::pending::<()>().await;
            });
        }));
        future.await;
    });
    lp.run_until_idle_or_stop();
    lp.close().unwrap();
    assert!(dropped.dropped());
    assert!(lp.is_closed());
}
