//! Workers start as work arrives, up to the maximum, and idle ones are
//! reused (Python's `_adjust_thread_count` with its idle semaphore); no
//! memory is set aside per worker that has not started.

mod helpers;

use std::sync::{Arc, Barrier};

use simple_future::{ShutdownOptions, ThreadPoolExecutor};

use helpers::{PATIENCE, wait_until, without_hanging};

#[test]
fn a_new_pool_has_one_worker_waiting() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    assert_eq!(pool.workers(), 5);
    assert_eq!(pool.worker_count(), 1);
}

#[test]
fn quick_tasks_one_after_another_reuse_one_idle_worker() {
    // Python's test_idle_thread_reuse.
    let pool = ThreadPoolExecutor::new(5).unwrap();
    for n in 0..3 {
        assert_eq!(
            *pool.submit(move || n * 2).unwrap().result().unwrap(),
            n * 2
        );
    }
    assert_eq!(pool.worker_count(), 1);
}

#[test]
fn tasks_at_once_start_a_worker_each() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let barrier = Arc::new(Barrier::new(3));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            // Each waits for the other two: they can only finish together.
            pool.submit(move || {
                barrier.wait();
            })
            .unwrap()
        })
        .collect();
    without_hanging(move || tasks.iter().for_each(|t| assert!(t.result().is_ok())));
    assert_eq!(pool.worker_count(), 3);
}

#[test]
fn workers_never_exceed_the_maximum() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            pool.submit(move || std::thread::sleep(std::time::Duration::from_millis(i % 3)))
                .unwrap()
        })
        .collect();
    without_hanging(move || tasks.iter().for_each(|t| assert!(t.result().is_ok())));
    assert_eq!(pool.worker_count(), 2);
}

#[test]
fn a_huge_maximum_allocates_nothing_up_front() {
    // Used to panic ("capacity overflow") or abort (allocation failure).
    for max in [usize::MAX, 1 << 40] {
        let pool = ThreadPoolExecutor::new(max).unwrap();
        assert_eq!(pool.workers(), max);
        assert_eq!(*pool.submit(|| 7).unwrap().result().unwrap(), 7);
        assert_eq!(pool.worker_count(), 1);
        let pool = ThreadPoolExecutor::builder().workers(max).build().unwrap();
        assert_eq!(pool.worker_count(), 1);
    }
}

#[test]
fn cancel_futures_leaves_the_work_already_taken_running() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let (release, blocked) = std::sync::mpsc::channel::<()>();
    let blocked = Arc::new(std::sync::Mutex::new(blocked));
    let running: Vec<_> = (0..2)
        .map(|_| {
            let blocked = Arc::clone(&blocked);
            pool.submit(move || blocked.lock().unwrap().recv().unwrap())
                .unwrap()
        })
        .collect();
    // Both workers have taken their task: the next one stays queued.
    assert!(wait_until(PATIENCE, || running.iter().all(|t| t.running())));
    let queued = pool.submit(|| ()).unwrap();
    pool.shutdown_with(ShutdownOptions {
        wait: false,
        cancel_futures: true,
    });
    assert!(queued.cancelled());
    for _ in 0..2 {
        release.send(()).unwrap();
    }
    without_hanging(move || running.iter().for_each(|t| assert!(t.result().is_ok())));
}
