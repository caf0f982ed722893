//! `run_in_executor`: blocking work on a pool, awaited on the loop.

mod helpers;

use std::thread;
use std::time::Instant;

use helpers::{ms, without_hanging};
use poll_loop::{EventLoop, sleep};
use simple_future::{Panicked, ThreadPoolExecutor};

#[test]
fn blocking_work_runs_off_the_loop_and_is_awaited_on_it() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let loop_thread = thread::current().id();
        let (value, worker_thread) = lp
            .block_on(async {
                let work = lp
                    .run_in_executor(|| {
                        thread::sleep(ms(20));
                        (42, thread::current().id())
                    })
                    .unwrap();
                work.await.unwrap()
            })
            .unwrap();
        assert_eq!(value, 42);
        assert_ne!(worker_thread, loop_thread);
    });
}

#[test]
fn the_loop_keeps_running_while_the_pool_works() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let start = Instant::now();
        let ticker = lp.spawn(async {
            let mut ticks = 0;
            while ticks < 5 {
                sleep(ms(10)).await;
                ticks += 1;
            }
            Instant::now()
        });
        let blocking = lp.run_in_executor(|| thread::sleep(ms(200))).unwrap();
        lp.block_on(blocking).unwrap().unwrap();
        // The ticker finished while the pool slept, not after.
        let ticked_at = *ticker.result().unwrap();
        assert!(ticked_at.duration_since(start) < ms(200));
    });
}

#[test]
fn a_panic_in_the_work_becomes_a_panicked_exception() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let work = lp
            .run_in_executor(|| -> u8 { panic!("blocking work failed") })
            .unwrap();
        let error = lp.block_on(work).unwrap().unwrap_err();
        let simple_future::ResultError::Exception(exception) = error else {
            panic!("expected an exception, got {error:?}");
        };
        let panicked = exception.downcast_ref::<Panicked>().unwrap();
        assert_eq!(panicked.message(), Some("blocking work failed"));
    });
}

#[test]
fn a_default_executor_can_be_set() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let pool = ThreadPoolExecutor::builder()
            .workers(1)
            .thread_name_prefix("mine")
            .build()
            .unwrap();
        lp.set_default_executor(pool);
        let name = lp
            .run_in_executor(|| thread::current().name().map(str::to_owned))
            .unwrap();
        assert_eq!(
            lp.block_on(name).unwrap().unwrap().as_deref(),
            Some("mine_0")
        );
    });
}

#[test]
fn a_shut_down_pool_hands_the_work_back() {
    let lp = EventLoop::new();
    let pool = ThreadPoolExecutor::new(1).unwrap();
    pool.shutdown(true);
    lp.set_default_executor(pool);
    let error = lp.run_in_executor(|| 5).unwrap_err();
    assert_eq!(error.into_inner()(), 5);
}

#[test]
fn closing_the_loop_cancels_queued_work_and_waits_for_running_work() {
    without_hanging(|| {
        let lp = EventLoop::new();
        lp.set_default_executor(ThreadPoolExecutor::new(1).unwrap());
        let running = lp.run_in_executor(|| thread::sleep(ms(50))).unwrap();
        // Wait until the one worker has taken it.
        while !running.running() {
            thread::yield_now();
        }
        let queued = lp.run_in_executor(|| 1).unwrap();
        lp.close().unwrap();
        assert!(running.done(), "close waited for the running work");
        assert!(queued.cancelled(), "close cancelled the queued work");
    });
}
