//! The loop never starves: whatever one task or callback does, every
//! iteration still asks the kernel for I/O, runs due timers and sees
//! `stop()`, and a task that never has to wait gives the loop back after
//! a budget of operations.
#![cfg(any(unix, windows))]

mod helpers;

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use helpers::{ms, without_hanging};
use poll_loop::net::TcpListener;
use poll_loop::{
    Barrier, Condition, Event, EventLoop, LifoQueue, LoopHandle, Mutex, PriorityQueue, Queue,
    Semaphore, TaskGroup, interval, sleep, sleep_until, spawn, yield_now,
};

/// A std client that connects to `addr` from another thread and sends
/// `hello`, reading back whatever comes.
fn client(addr: std::net::SocketAddr) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(b"hello").unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
    })
}

#[test]
fn a_block_on_future_that_yields_forever_lets_sockets_be_served() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let accepted = Rc::new(Cell::new(false));
        let done = accepted.clone();
        lp.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            spawn(async move {
                let _ = listener.accept().await.unwrap();
                done.set(true);
            });
            let peer = client(addr);
            while !accepted.get() {
                yield_now().await;
            }
            drop(peer);
        })
        .unwrap();
    });
}

#[test]
fn a_task_that_yields_forever_lets_sockets_be_served() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let accepted = Rc::new(Cell::new(false));
        let done = accepted.clone();
        lp.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let spinner = {
                let accepted = accepted.clone();
                spawn(async move {
                    while !accepted.get() {
                        yield_now().await;
                    }
                })
            };
            let peer = client(addr);
            let _ = listener.accept().await.unwrap();
            done.set(true);
            spinner.await.unwrap();
            drop(peer);
        })
        .unwrap();
    });
}

/// Runs `spin` as a task (given a flag that says when to end) next to a
/// `block_on` that sleeps 20 ms and then raises the flag: it returns only
/// if the spinning task, whose every `.await` is ready at once, gives the
/// loop back to the timer and to `block_on`'s future.
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
fn an_always_ready_interval_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let mut every = interval(Duration::from_nanos(1));
            while !stop.get() {
                every.tick().await;
            }
        });
    });
}

#[test]
fn a_sleep_already_over_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let past = std::time::Instant::now();
            while !stop.get() {
                sleep_until(past).await;
            }
        });
    });
}

#[test]
fn a_queue_that_always_has_an_item_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let queue = Queue::new();
            while !stop.get() {
                queue.put(1).await.unwrap();
                queue.get().await.unwrap();
                queue.task_done();
                queue.join().await;
            }
        });
    });
}

#[test]
fn a_free_mutex_semaphore_and_a_set_event_give_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let (mutex, semaphore, event) = (Mutex::new(0), Semaphore::new(1), Event::new());
            event.set();
            while !stop.get() {
                *mutex.lock().await += 1;
                drop(semaphore.acquire().await);
                event.wait().await;
            }
        });
    });
}

#[test]
fn a_finished_task_awaited_again_and_again_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let done = spawn(async { 7 });
            while !stop.get() {
                assert_eq!((&done).await.unwrap(), 7);
            }
        });
    });
}

#[test]
fn a_channel_that_always_has_a_message_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            let (sender, receiver) = LoopHandle::current().unwrap().unbounded_channel();
            while !stop.get() {
                sender.send(1).unwrap();
                receiver.recv().await.unwrap();
            }
        });
    });
}

#[test]
fn a_task_group_already_done_gives_the_loop_back() {
    without_hanging(|| {
        gives_the_loop_back(|stop| async move {
            while !stop.get() {
                let group = TaskGroup::<(), ()>::new(&LoopHandle::current().unwrap());
                group.await.unwrap();
            }
        });
    });
}

#[test]
fn stop_ends_a_run_while_a_task_spins_on_an_always_ready_interval() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.spawn(async move {
            let mut every = interval(Duration::from_nanos(1));
            loop {
                every.tick().await;
            }
        });
        let handle = lp.handle();
        lp.call_later(ms(10), move || handle.stop());
        lp.run_forever().unwrap();
    });
}

#[test]
fn a_socket_that_always_has_data_gives_the_loop_back() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let stop = Rc::new(Cell::new(false));
            let reader = {
                let stop = stop.clone();
                spawn(async move {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    let mut buf = [0u8; 1];
                    while !stop.get() {
                        if conn.read(&mut buf).await.unwrap() == 0 {
                            break;
                        }
                    }
                })
            };
            // A peer that sends far more than the reader takes a byte at a
            // time: the socket is always readable.
            let peer = thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                let chunk = [7u8; 64 * 1024];
                while stream.write_all(&chunk).is_ok() {}
            });
            sleep(ms(20)).await;
            stop.set(true);
            reader.await.unwrap();
            drop(peer);
        })
        .unwrap();
    });
}

#[test]
fn a_callback_chain_that_reschedules_itself_forever_lets_io_timers_and_stop_in() {
    without_hanging(|| {
        let lp = EventLoop::new();
        fn again(lp: LoopHandle) {
            let next = lp.clone();
            lp.call_soon(move || again(next));
        }
        again(lp.handle());
        let fired = Rc::new(Cell::new(false));
        let accepted = Rc::new(Cell::new(false));
        {
            let fired = fired.clone();
            lp.call_later(ms(5), move || fired.set(true));
        }
        let addr = {
            let accepted = accepted.clone();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let handle = lp.handle();
            lp.spawn(async move {
                let _ = listener.accept().await.unwrap();
                accepted.set(true);
                sleep(ms(5)).await;
                handle.stop();
            });
            addr
        };
        let peer = client(addr);
        lp.run_forever().unwrap();
        assert!(fired.get());
        assert!(accepted.get());
        drop(peer);
    });
}

#[test]
fn a_wait_ended_at_once_by_a_pending_wake_up_is_not_counted_as_a_sleep() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // A descriptor registered, so the loop waits in the kernel.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        lp.block_on(async move {
            let listener = listener;
            let accepting = spawn(async move { listener.accept().await.map(drop) });
            for _ in 0..1000 {
                yield_now().await;
            }
            accepting.cancel();
        })
        .unwrap();
        assert_eq!(lp.stats().sleeps, 0, "{}", lp.stats());
    });
}

/// Futures that are all ready at once, more than one poll's budget: a
/// combinator polling them goes round the loop a few times, and finishes.
fn finished_tasks(lp: &LoopHandle, n: u32) -> Vec<poll_loop::JoinHandle<u32>> {
    (0..n).map(|i| lp.spawn(async move { i })).collect()
}

#[test]
fn gather_of_more_ready_futures_than_the_budget_finishes() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let tasks = finished_tasks(&lp, 1000);
        let outputs = lp.block_on(poll_loop::gather(tasks)).unwrap();
        assert_eq!(outputs.len(), 1000);
        assert!(
            outputs
                .into_iter()
                .enumerate()
                .all(|(i, o)| o.unwrap() == i as u32)
        );
    });
}

#[test]
fn select_all_and_try_gather_over_more_ready_futures_than_the_budget_finish() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let tasks = finished_tasks(&lp, 1000);
        let (index, output) = lp.block_on(poll_loop::select_all(tasks)).unwrap();
        assert_eq!(output.unwrap(), index as u32);
        let tasks = finished_tasks(&lp, 1000);
        let outputs = lp.block_on(poll_loop::try_gather(tasks)).unwrap().unwrap();
        assert_eq!(outputs.len(), 1000);
    });
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
