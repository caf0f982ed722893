//! The queues, checked against CPython's `Lib/test/test_asyncio/test_queues.py`:
//! its tests of `Queue` whose outcome depends on the hand-off rule and on
//! cancellation, `LifoQueueTests` and
//! `PriorityQueueTests`, and the join and shutdown mixins, each translated
//! into a test named after it (one module per CPython test class). asyncio's
//! `put_nowait`/`get_nowait` are `try_put`/`try_get`, `QueueShutDown` is
//! `PutError`/`GetError` (`TryPutError::Closed`/`TryGetError::Closed`),
//! `qsize()` is `len()`, `_format()` is `Debug`.
//!
//! Not translated, with the reason:
//! - `test_format`'s exact text: `Debug` is Rust's repr; what it shows
//!   (the bound, the unfinished count, the shutdown) is checked instead.
//! - `test_task_done_underflow`'s `ValueError` is a documented panic here
//!   (translated as a `should_panic` test).
//! - The checks of the private `_putters`/`_getters` lists are made through
//!   what is observable: a cancelled waiter no longer takes a place or an
//!   item, and nothing waits after it.

mod helpers;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use helpers::{ms, strict, without_hanging};
use poll_loop::{EventLoop, Queue, TryGetError, TryPutError, gather, spawn, timeout, yield_now};

fn run<F: Future<Output = ()> + 'static>(body: impl FnOnce() -> F + Send + 'static) {
    without_hanging(move || {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        lp.block_on(body()).unwrap();
    });
}

/// `QueueGetTests` and `QueuePutTests`: the ones about cancellation.
mod queue_get_put_tests {
    use super::*;

    #[test]
    fn test_get_cancelled_race() {
        run(|| async {
            let q = Rc::new(Queue::new());
            let (a, b) = (q.clone(), q.clone());
            let t1 = spawn(async move { a.get().await });
            let t2 = spawn(async move { b.get().await });
            yield_now().await;
            t1.cancel();
            yield_now().await;
            assert!(t1.done());
            q.put("a").await.unwrap();
            yield_now().await;
            assert_eq!(t2.await.unwrap(), Ok("a"));
        });
    }

    #[test]
    fn test_get_cancel_drop_one_pending_reader() {
        run(|| async {
            let q = Rc::new(Queue::new());
            let r = q.clone();
            let mut reader = spawn(async move { r.get().await });
            yield_now().await;
            q.try_put(1).unwrap();
            q.try_put(2).unwrap();
            reader.cancel();
            let result = match reader.clone().await {
                Ok(got) => got,
                Err(_) => {
                    // Try again.
                    let r = q.clone();
                    reader = spawn(async move { r.get().await });
                    reader.await.unwrap()
                }
            };
            // 2 would mean 1 was dropped.
            assert_eq!(result, Ok(1));
        });
    }

    #[test]
    fn test_get_cancel_drop_many_pending_readers() {
        run(|| async {
            let q = Rc::new(Queue::new());
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    let q = q.clone();
                    spawn(async move { q.get().await })
                })
                .collect();
            yield_now().await;
            q.try_put(1).unwrap();
            q.try_put(2).unwrap();
            readers[0].cancel();
            assert!(readers[0].clone().await.is_err());
            let mut got: Vec<_> = gather(readers[1..].to_vec())
                .await
                .into_iter()
                .map(|r| r.unwrap().unwrap())
                .collect();
            // Which reader gets which is not set.
            got.sort_unstable();
            assert_eq!(got, [1, 2]);
        });
    }

    #[test]
    fn test_put_cancel_drop() {
        run(|| async {
            let q = Rc::new(Queue::bounded(1));
            q.try_put(1).unwrap();
            // A second put has to wait.
            let w = q.clone();
            let mut writer = spawn(async move { w.put(2).await });
            yield_now().await;
            assert_eq!(q.try_get(), Ok(1));
            writer.cancel();
            if writer.clone().await.is_err() {
                // Cancelled: it put nothing, so try again.
                let w = q.clone();
                writer = spawn(async move { w.put(2).await });
                writer.await.unwrap().unwrap();
            }
            assert_eq!(q.try_get(), Ok(2));
            assert_eq!(q.len(), 0);
        });
    }

    #[test]
    fn test_put_cancelled_race() {
        run(|| async {
            let q = Rc::new(Queue::bounded(1));
            let put = |item| {
                let q = q.clone();
                spawn(async move { q.put(item).await })
            };
            let put_a = put("a");
            let put_b = put("b");
            let put_c = put("X");
            yield_now().await;
            assert!(put_a.done());
            assert!(!put_b.done());

            put_c.cancel();
            yield_now().await;
            assert!(put_c.done());
            assert_eq!(q.try_get(), Ok("a"));
            yield_now().await;
            assert_eq!(q.try_get(), Ok("b"));
            put_b.await.unwrap().unwrap();
            assert_eq!(q.try_get(), Err(TryGetError::Empty), "X was not put");
        });
    }

    #[test]
    fn test_cancelled_puts_not_being_held_in_self_putters() {
        run(|| async {
            let queue = Rc::new(Queue::bounded(1));
            queue.try_put(1).unwrap();
            let q = queue.clone();
            let put_task = spawn(async move { q.put(2).await });
            yield_now().await;
            put_task.cancel();
            assert!(put_task.clone().await.is_err());
            // Gone from the line: the room goes to the next put, at once.
            let q = queue.clone();
            let next = spawn(async move { q.put(3).await });
            yield_now().await;
            assert_eq!(queue.try_get(), Ok(1));
            yield_now().await;
            assert!(next.done());
            assert_eq!(queue.try_get(), Ok(3));
        });
    }

    #[test]
    fn test_cancelled_put_silence_value_error_exception() {
        run(|| async {
            let queue = Rc::new(Queue::bounded(1));
            queue.try_put(1).unwrap();
            let q = queue.clone();
            let put_task = spawn(async move { q.put(1).await });
            yield_now().await;
            // The get wakes the put; cancelled before it ran, it just ends
            // cancelled (and puts nothing).
            queue.try_get().unwrap();
            put_task.cancel();
            assert!(put_task.clone().await.is_err());
            assert!(put_task.cancelled());
            assert!(queue.is_empty());
        });
    }

    #[test]
    fn test_cancelled_getters_not_being_held_in_self_getters() {
        run(|| async {
            let queue = Rc::new(Queue::<u32>::bounded(5));
            assert!(timeout(ms(10), queue.get()).await.is_err());
            // Gone from the line: an item put now stays for the next get.
            queue.try_put(1).unwrap();
            assert_eq!(queue.try_get(), Ok(1));
        });
    }
}

/// `QueueBasicTests`, `QueueGetTests` and `QueuePutTests`: the ones whose
/// outcome depends on who takes a freed place or a new item (the hand-off
/// rule).
mod queue_hand_off_tests {
    use super::*;

    #[test]
    fn test_maxsize() {
        run(|| async {
            let q = Rc::new(Queue::bounded(2));
            assert_eq!(q.capacity(), Some(2));
            let have_been_put = Rc::new(std::cell::RefCell::new(Vec::new()));
            let (p, put) = (q.clone(), have_been_put.clone());
            let t = spawn(async move {
                for i in 0..3 {
                    p.put(i).await.unwrap();
                    put.borrow_mut().push(i);
                }
                true
            });
            for _ in 0..2 {
                yield_now().await;
            }
            // The putter waits after putting two.
            assert_eq!(*have_been_put.borrow(), [0, 1]);
            assert_eq!(q.get().await, Ok(0));
            // It resumes and puts the last one.
            yield_now().await;
            assert_eq!(*have_been_put.borrow(), [0, 1, 2]);
            assert_eq!(q.get().await, Ok(1));
            assert_eq!(q.get().await, Ok(2));
            assert!(t.done());
            assert!(t.await.unwrap());
        });
    }

    #[test]
    fn test_get_with_waiting_putters() {
        run(|| async {
            let q = Rc::new(Queue::bounded(1));
            for item in ["a", "b"] {
                let q = q.clone();
                spawn(async move { q.put(item).await.unwrap() });
            }
            assert_eq!(q.get().await, Ok("a"));
            assert_eq!(q.get().await, Ok("b"));
        });
    }

    #[test]
    fn test_why_are_getters_waiting() {
        run(|| async {
            let q = Rc::new(Queue::bounded(1));
            let (c, p) = (q.clone(), q.clone());
            let consumer = spawn(async move {
                for _ in 0..5 {
                    c.get().await.unwrap();
                }
            });
            let producer = spawn(async move {
                for i in 0..5 {
                    p.put(i).await.unwrap();
                }
            });
            for task in gather([consumer, producer]).await {
                task.unwrap();
            }
        });
    }

    #[test]
    fn test_blocking_get_wait() {
        run(|| async {
            let q = Rc::new(Queue::new());
            let finished = Rc::new(Cell::new(false));
            let (g, f) = (q.clone(), finished.clone());
            let get = spawn(async move {
                let res = g.get().await;
                f.set(true);
                res
            });
            yield_now().await;
            assert!(!finished.get());
            poll_loop::sleep(ms(10)).await;
            q.try_put(1).unwrap();
            assert_eq!(get.await.unwrap(), Ok(1));
            assert!(finished.get());
        });
    }

    #[test]
    fn test_blocking_put_wait() {
        run(|| async {
            let q = Rc::new(Queue::bounded(1));
            let finished = Rc::new(Cell::new(false));
            let (p, f) = (q.clone(), finished.clone());
            let put = spawn(async move {
                p.put(1).await.unwrap();
                p.put(2).await.unwrap();
                f.set(true);
            });
            yield_now().await;
            assert!(!finished.get());
            poll_loop::sleep(ms(10)).await;
            q.try_get().unwrap();
            put.await.unwrap();
            assert!(finished.get());
        });
    }

    #[test]
    fn test_put_with_waiting_getters() {
        run(|| async {
            let q = Rc::new(Queue::new());
            let g = q.clone();
            let t = spawn(async move { g.get().await });
            yield_now().await;
            q.put("a").await.unwrap();
            assert_eq!(t.await.unwrap(), Ok("a"));
        });
    }

    #[test]
    fn test_why_are_putters_waiting() {
        run(|| async {
            let queue = Rc::new(Queue::bounded(2));
            let q = queue.clone();
            let mut tasks = vec![spawn(async move {
                yield_now().await;
                for _ in 0..q.len() {
                    q.try_get().unwrap();
                }
            })];
            for item in 0..4 {
                let q = queue.clone();
                tasks.push(spawn(async move { q.put(item).await.unwrap() }));
            }
            // Every put gets in: the getter's room goes to the waiting ones.
            for task in gather(tasks).await {
                task.unwrap();
            }
            assert_eq!(queue.len(), 2);
        });
    }

    #[test]
    fn test_put_cancelled() {
        run(|| async {
            let q = Rc::new(Queue::new());
            let p = q.clone();
            let t = spawn(async move {
                p.put(1).await.unwrap();
                true
            });
            assert_eq!(q.get().await, Ok(1));
            assert!(t.done());
            assert!(t.await.unwrap());
        });
    }
}

/// `LifoQueueTests` and `PriorityQueueTests`.
mod lifo_and_priority_queue_tests {
    use super::*;
    use poll_loop::{LifoQueue, PriorityQueue};

    #[test]
    fn lifo_queue_test_order() {
        run(|| async {
            let q = LifoQueue::new();
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = Vec::new();
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [2, 3, 1]);
        });
    }

    #[test]
    fn priority_queue_test_order() {
        run(|| async {
            let q = PriorityQueue::new();
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = Vec::new();
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [1, 2, 3]);
        });
    }
}

/// `_QueueJoinTestMixin` and `_QueueShutdownTestMixin`, for one queue type.
macro_rules! join_and_shutdown_tests {
    ($join:ident, $shutdown:ident, $queue:ident) => {
        mod $join {
            use super::*;
            use poll_loop::$queue as Q;

            #[test]
            #[should_panic(expected = "task_done called more times")]
            fn test_task_done_underflow() {
                Q::<u32>::new().task_done();
            }

            #[test]
            fn test_task_done() {
                run(|| async {
                    let q = Rc::new(Q::new());
                    for i in 0..100 {
                        q.try_put(i).unwrap();
                    }
                    let accumulator = Rc::new(Cell::new(0));
                    let running = Rc::new(Cell::new(true));
                    // Two workers get items and mark each done; join waits
                    // until all are.
                    let workers: Vec<_> = (0..2)
                        .map(|_| {
                            let (q, acc, running) =
                                (q.clone(), accumulator.clone(), running.clone());
                            spawn(async move {
                                while running.get() {
                                    let item = q.get().await.unwrap();
                                    acc.set(acc.get() + item);
                                    q.task_done();
                                }
                            })
                        })
                        .collect();
                    q.join().await;
                    assert_eq!(accumulator.get(), (0..100).sum::<u32>());
                    running.set(false);
                    for _ in &workers {
                        q.try_put(0).unwrap();
                    }
                    for worker in workers {
                        worker.await.unwrap();
                    }
                });
            }

            #[test]
            fn test_join_empty_queue() {
                run(|| async {
                    let q = Q::<u32>::new();
                    q.join().await;
                    q.join().await;
                });
            }

            #[test]
            fn test_format() {
                let q = Q::new();
                assert!(format!("{q:?}").contains("capacity: None"));
                q.try_put(1).unwrap();
                q.try_put(2).unwrap();
                assert!(format!("{q:?}").contains("unfinished: 2"));
            }
        }

        mod $shutdown {
            use super::*;
            use poll_loop::$queue as Q;

            #[test]
            fn test_format() {
                let q = Q::<u32>::new();
                q.shutdown(false);
                assert!(format!("{q:?}").contains("closed: true"));
            }

            #[test]
            fn test_shutdown_empty() {
                run(|| async {
                    let q = Rc::new(Q::<&str>::new());
                    let g = q.clone();
                    let get_task = spawn(async move { g.get().await });
                    yield_now().await; // the get waits before the shutdown
                    q.shutdown(false); // unfinished: 0 -> 0
                    assert_eq!(q.len(), 0);
                    q.join().await;
                    yield_now().await;
                    assert!(get_task.done());
                    assert!(get_task.await.unwrap().is_err());

                    assert!(q.put("data").await.is_err());
                    assert!(matches!(
                        q.try_put("data"),
                        Err(TryPutError::Closed("data"))
                    ));
                    assert!(q.get().await.is_err());
                    assert_eq!(q.try_get(), Err(TryGetError::Closed));
                });
            }

            #[test]
            fn test_shutdown_nonempty() {
                run(|| async {
                    let q = Rc::new(Q::bounded(1));
                    q.try_put("data").unwrap();
                    let j = q.clone();
                    let join_task = spawn(async move { j.join().await });
                    let p = q.clone();
                    let put_task = spawn(async move { p.put("data2").await });
                    yield_now().await;
                    assert!(!put_task.done());

                    q.shutdown(false); // unfinished: 1 -> 1
                    assert_eq!(q.len(), 1);
                    yield_now().await;
                    assert!(put_task.done());
                    let failed = put_task.await.unwrap().unwrap_err();
                    assert_eq!(failed.into_inner(), "data2");

                    // What is queued can still be got.
                    assert_eq!(q.get().await, Ok("data"));
                    yield_now().await;
                    assert!(!join_task.done());

                    assert!(q.put("data").await.is_err());
                    assert!(q.try_put("data").is_err());
                    assert!(q.get().await.is_err());
                    assert_eq!(q.try_get(), Err(TryGetError::Closed));

                    q.task_done();
                    yield_now().await;
                    assert!(join_task.done());
                    join_task.await.unwrap();
                    let again =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.task_done()));
                    assert!(again.is_err(), "every item was marked done");
                });
            }

            #[test]
            fn test_shutdown_immediate() {
                run(|| async {
                    let q = Rc::new(Q::new());
                    q.try_put("data").unwrap();
                    let j = q.clone();
                    let join_task = spawn(async move { j.join().await });
                    q.shutdown(true); // unfinished: 1 -> 0
                    assert_eq!(q.len(), 0);
                    yield_now().await;
                    assert!(join_task.done());
                    join_task.await.unwrap();

                    assert!(q.put("data").await.is_err());
                    assert!(q.try_put("data").is_err());
                    assert!(q.get().await.is_err());
                    assert_eq!(q.try_get(), Err(TryGetError::Closed));
                    let again =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.task_done()));
                    assert!(again.is_err(), "no unfinished item is left");
                });
            }

            #[test]
            fn test_shutdown_immediate_with_unfinished() {
                run(|| async {
                    let q = Rc::new(Q::new());
                    q.try_put("data").unwrap();
                    q.try_put("data").unwrap();
                    let j = q.clone();
                    let join_task = spawn(async move { j.join().await });
                    assert_eq!(q.get().await, Ok("data"));
                    q.shutdown(true); // unfinished: 2 -> 1
                    assert_eq!(q.len(), 0);
                    yield_now().await;
                    assert!(!join_task.done());

                    assert!(q.put("data").await.is_err());
                    assert!(q.try_put("data").is_err());
                    assert!(q.get().await.is_err());
                    assert_eq!(q.try_get(), Err(TryGetError::Closed));

                    q.task_done(); // the one got
                    let again =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.task_done()));
                    assert!(again.is_err());
                    yield_now().await;
                    assert!(join_task.done());
                    join_task.await.unwrap();
                });
            }

            #[test]
            fn an_immediate_shutdown_wakes_every_getter_putter_and_joiner() {
                run(|| async {
                    let empty = Rc::new(Q::<u32>::new());
                    let full = Rc::new(Q::bounded(1));
                    full.try_put(0).unwrap();
                    let woken = Rc::new(Cell::new(0));
                    let mut tasks = Vec::new();
                    for _ in 0..2 {
                        let (q, w) = (empty.clone(), woken.clone());
                        tasks.push(spawn(async move {
                            assert!(q.get().await.is_err());
                            w.set(w.get() + 1);
                        }));
                        let (q, w) = (full.clone(), woken.clone());
                        tasks.push(spawn(async move {
                            assert!(q.put(1).await.is_err());
                            w.set(w.get() + 1);
                        }));
                        let (q, w) = (full.clone(), woken.clone());
                        tasks.push(spawn(async move {
                            q.join().await;
                            w.set(w.get() + 1);
                        }));
                    }
                    yield_now().await;
                    assert_eq!(woken.get(), 0);
                    empty.shutdown(true);
                    full.shutdown(true);
                    for task in tasks {
                        task.await.unwrap();
                    }
                    assert_eq!(woken.get(), 6);
                    assert!(full.is_empty());
                });
            }
        }
    };
}

join_and_shutdown_tests!(queue_join_tests, queue_shutdown_tests, Queue);
join_and_shutdown_tests!(lifo_queue_join_tests, lifo_queue_shutdown_tests, LifoQueue);
join_and_shutdown_tests!(
    priority_queue_join_tests,
    priority_queue_shutdown_tests,
    PriorityQueue
);
