//! `gather`, `try_gather`, `select`, `select_all`, `wait` and
//! `as_completed`: outputs in the order given, losers dropped, each future
//! polled only when woken.

mod by_hand;
mod helpers;

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::time::{Duration, Instant};

use by_hand::Probe;
use helpers::{drop_guard, ms, without_hanging};
use poll_loop::{
    Either, EventLoop, Queue, as_completed, gather, join_all, select, select_all, sleep,
    try_gather, wait, yield_now,
};
use simple_future::{Future, ReturnWhen};

#[test]
fn gather_gives_outputs_in_the_order_given_not_the_order_done() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let done = Rc::new(RefCell::new(Vec::new()));
        let futures = [30, 10, 20].map(|delay| {
            let done = done.clone();
            async move {
                sleep(ms(delay)).await;
                done.borrow_mut().push(delay);
                delay
            }
        });
        assert_eq!(lp.block_on(gather(futures)).unwrap(), [30, 10, 20]);
        assert_eq!(*done.borrow(), [10, 20, 30]);
        assert_eq!(
            lp.block_on(join_all(Vec::<std::future::Ready<u8>>::new()))
                .unwrap(),
            []
        );
    });
}

#[test]
fn gather_waits_for_tasks() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let tasks: Vec<_> = (0..100_u64)
            .map(|n| {
                lp.spawn(async move {
                    sleep(ms(n % 7)).await;
                    n * 2
                })
            })
            .collect();
        let results = lp.block_on(gather(tasks)).unwrap();
        let values: Vec<u64> = results.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(values, (0..100).map(|n| n * 2).collect::<Vec<_>>());
    });
}

#[test]
fn gather_polls_a_future_only_when_its_own_waker_is_woken() {
    let queues: Vec<Queue<u32>> = (0..50).map(|_| Queue::new()).collect();
    let polls = Rc::new(Cell::new(0));
    let futures: Vec<_> = queues
        .iter()
        .map(|queue| {
            let polls = polls.clone();
            let mut get = Box::pin(queue.get());
            poll_fn(move |cx| {
                polls.set(polls.get() + 1);
                get.as_mut().poll(cx)
            })
        })
        .collect();
    let mut all = Probe::new(gather(futures));
    all.pending();
    assert_eq!(polls.get(), 50);
    for (n, queue) in queues.iter().enumerate() {
        queue.try_put(n as u32).unwrap();
        assert_eq!(all.woken(), n + 1);
        if n < 49 {
            all.pending();
        }
    }
    // Each future was polled once more, after its own wake-up.
    assert_eq!(all.ready(), (0..50).map(Ok).collect::<Vec<_>>());
    assert_eq!(polls.get(), 100);
}

type Fallible = std::pin::Pin<Box<dyn std::future::Future<Output = Result<u32, &'static str>>>>;

#[test]
fn try_gather_stops_at_the_first_error_and_drops_the_rest() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (guard, dropped) = drop_guard();
        let slow = async move {
            let _guard = guard;
            sleep(Duration::from_secs(60)).await;
            Ok::<u32, &str>(1)
        };
        let start = Instant::now();
        let futures: Vec<Fallible> = vec![
            Box::pin(slow),
            Box::pin(async {
                sleep(ms(10)).await;
                Err("second failed")
            }),
            Box::pin(async {
                sleep(ms(20)).await;
                Err("third failed")
            }),
        ];
        assert_eq!(
            lp.block_on(try_gather(futures)).unwrap(),
            Err("second failed")
        );
        assert!(dropped.dropped(), "the slow future was dropped");
        assert!(start.elapsed() < Duration::from_secs(30));
        let ok = lp.block_on(try_gather(
            [1, 2].map(|n| std::future::ready(Ok::<_, ()>(n))),
        ));
        assert_eq!(ok.unwrap(), Ok(vec![1, 2]));
    });
}

#[test]
fn select_gives_the_first_and_drops_the_other() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (guard, dropped) = drop_guard();
        let first = lp
            .block_on(select(
                async move {
                    let _guard = guard;
                    sleep(Duration::from_secs(60)).await;
                },
                async {
                    sleep(ms(5)).await;
                    "fast"
                },
            ))
            .unwrap();
        assert_eq!(first, Either::Right("fast"));
        assert!(dropped.dropped());
        // Both ready: the first given wins.
        let both = lp.block_on(select(async { 1 }, async { 2 })).unwrap();
        assert_eq!(both, Either::Left(1));
        // The dropped sleep left no timer behind: the loop is idle at once.
        let start = Instant::now();
        lp.run_until_idle().unwrap();
        assert!(start.elapsed() < Duration::from_secs(30));
    });
}

#[test]
fn select_all_gives_the_first_with_its_position_and_drops_the_others() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let queue = Rc::new(Queue::new());
        let gets: Vec<_> = (0..3)
            .map(|_| {
                let queue = queue.clone();
                async move { queue.get().await }
            })
            .collect();
        let putter = queue.clone();
        lp.spawn(async move {
            yield_now().await;
            putter.try_put("only one").unwrap();
        });
        let (index, item) = lp.block_on(select_all(gets)).unwrap();
        assert_eq!((index, item), (0, Ok("only one")));
        // The losing gets left the queue: a later put stays in it.
        queue.try_put("kept").unwrap();
        assert_eq!(queue.len(), 1);
    });
}

#[test]
#[should_panic(expected = "select_all of no futures")]
fn select_all_of_nothing_panics_at_once() {
    drop(select_all(Vec::<std::future::Ready<()>>::new()));
}

#[test]
fn wait_returns_when_the_condition_holds() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let fast = lp.spawn(async { 1 });
        // Held back until the test lets it go: no race with the clock.
        let gate = Rc::new(poll_loop::Event::new());
        let open = gate.clone();
        let slow = lp.spawn(async move {
            gate.wait().await;
            2
        });
        let failing = lp.spawn(async {
            sleep(ms(10)).await;
            panic!("boom");
        });
        let all = [fast.observer(), slow.observer(), failing.observer()];

        let split = lp
            .block_on(wait(all.clone(), None, ReturnWhen::FirstCompleted))
            .unwrap()
            .unwrap();
        assert_eq!((split.done.len(), split.not_done.len()), (1, 2));
        assert!(split.done[0].same_future(&fast.observer()));

        let split = lp
            .block_on(wait(all.clone(), None, ReturnWhen::FirstException))
            .unwrap()
            .unwrap();
        assert_eq!(split.done.len(), 2, "fast and the failure");
        assert!(split.not_done[0].same_future(&slow.observer()));

        let split = lp
            .block_on(wait(all.clone(), Some(ms(1)), ReturnWhen::AllCompleted))
            .unwrap()
            .unwrap();
        assert_eq!(split.not_done.len(), 1, "the timeout ended the wait");
        open.set();

        let split = lp
            .block_on(wait(all, None, ReturnWhen::AllCompleted))
            .unwrap()
            .unwrap();
        assert_eq!((split.done.len(), split.not_done.len()), (3, 0));
    });
}

#[test]
fn wait_sees_futures_completed_on_other_threads() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let futures: Vec<Future<u32>> = (0..4).map(|_| Future::new()).collect();
        let producers = futures.clone();
        let worker = std::thread::spawn(move || {
            for (n, future) in producers.into_iter().enumerate() {
                std::thread::sleep(ms(2));
                future.set_result(n as u32).unwrap();
            }
        });
        let split = lp
            .block_on(wait(&futures, None, ReturnWhen::AllCompleted))
            .unwrap()
            .unwrap();
        assert_eq!(split.done.len(), 4);
        worker.join().unwrap();
    });
}

#[test]
fn as_completed_yields_in_completion_order_done_ones_first() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let done: Future<u64> = Future::new();
        done.set_result(0).unwrap();
        let tasks: Vec<_> = [30, 10, 20]
            .map(|delay| {
                lp.spawn(async move {
                    sleep(ms(delay)).await;
                    delay
                })
                .observer()
            })
            .into_iter()
            .collect();
        let order = lp
            .block_on(async {
                let mut all = tasks.clone();
                all.push(done.observer());
                let mut completed = as_completed(&all);
                assert_eq!(completed.len(), 4);
                let mut order = Vec::new();
                while let Some(future) = completed.next().await {
                    order.push(*future.try_result().unwrap());
                }
                assert!(completed.is_empty());
                order
            })
            .unwrap();
        assert_eq!(order, [0, 10, 20, 30]);
    });
}
