//! The work of each row, once for poll-loop and once for tokio.

use std::rc::Rc;
use std::time::{Duration, Instant};

use poll_loop::{
    Barrier, Condition, EventLoop, Mutex, Queue, Semaphore, TaskGroup, gather, yield_now,
};

use crate::Row;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

pub(crate) const QUEUE: [Row; 1] = [Row {
    what: "`Queue::bounded(128)` vs `mpsc::channel(128)`: one item through, one producer and one consumer task",
    n: 1_000_000,
    ours: queue_ours,
    tokio: queue_tokio,
    judged: true,
}];

fn queue_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    lp.block_on(async {
        let start = Instant::now();
        let queue = Rc::new(Queue::bounded(128));
        let producer = queue.clone();
        lp.spawn(async move {
            for i in 0..n as u64 {
                producer.put(i).await.unwrap();
            }
        });
        let mut sum = 0;
        for _ in 0..n {
            sum += queue.get().await.unwrap();
        }
        assert_eq!(sum, (n as u64) * (n as u64 - 1) / 2);
        start.elapsed()
    })
    .unwrap()
}

fn queue_tokio(n: usize) -> Duration {
    runtime().block_on(async {
        let start = Instant::now();
        let (tx, mut rx) = tokio::sync::mpsc::channel(128);
        tokio::spawn(async move {
            for i in 0..n as u64 {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0;
        for _ in 0..n {
            sum += rx.recv().await.unwrap();
        }
        assert_eq!(sum, (n as u64) * (n as u64 - 1) / 2);
        start.elapsed()
    })
}

/// Tasks that wait for the permit (or lock) in the contended rows, besides its holder.
const WAITING: usize = 100;

pub(crate) const SYNC: [Row; 4] = [
    Row {
        what: "`Semaphore`, uncontended",
        n: 1_000_000,
        ours: semaphore_ours,
        tokio: semaphore_tokio,
        judged: true,
    },
    Row {
        what: "`Mutex`, uncontended",
        n: 1_000_000,
        ours: mutex_ours,
        tokio: mutex_tokio,
        judged: true,
    },
    Row {
        what: "`Semaphore(1)`, 100 tasks waiting (held across a yield)",
        n: 200_000,
        ours: semaphore_contended_ours,
        tokio: semaphore_contended_tokio,
        judged: true,
    },
    Row {
        what: "`Mutex`, 100 tasks waiting (held across a yield)",
        n: 200_000,
        ours: mutex_contended_ours,
        tokio: mutex_contended_tokio,
        judged: true,
    },
];

fn semaphore_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    let semaphore = Semaphore::new(1);
    lp.block_on(async {
        let start = Instant::now();
        for _ in 0..n {
            drop(std::hint::black_box(semaphore.acquire().await));
        }
        start.elapsed()
    })
    .unwrap()
}

fn semaphore_tokio(n: usize) -> Duration {
    let semaphore = tokio::sync::Semaphore::new(1);
    runtime().block_on(async {
        let start = Instant::now();
        for _ in 0..n {
            drop(std::hint::black_box(semaphore.acquire().await.unwrap()));
        }
        start.elapsed()
    })
}

fn mutex_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    let mutex = Mutex::new(0_u64);
    lp.block_on(async {
        let start = Instant::now();
        for _ in 0..n {
            *mutex.lock().await += 1;
        }
        assert_eq!(*mutex.lock().await, n as u64);
        start.elapsed()
    })
    .unwrap()
}

fn mutex_tokio(n: usize) -> Duration {
    let mutex = tokio::sync::Mutex::new(0_u64);
    runtime().block_on(async {
        let start = Instant::now();
        for _ in 0..n {
            *mutex.lock().await += 1;
        }
        assert_eq!(*mutex.lock().await, n as u64);
        start.elapsed()
    })
}

/// `n` acquisitions in all, spread over `WAITING + 1` tasks.
fn rounds_each(n: usize) -> usize {
    n.div_ceil(WAITING + 1)
}

fn semaphore_contended_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    let semaphore = Rc::new(Semaphore::new(1));
    let start = Instant::now();
    for _ in 0..=WAITING {
        let semaphore = semaphore.clone();
        lp.spawn(async move {
            for _ in 0..rounds_each(n) {
                let _permit = semaphore.acquire().await;
                yield_now().await;
            }
        });
    }
    lp.run_until_idle().unwrap();
    start.elapsed()
}

fn semaphore_contended_tokio(n: usize) -> Duration {
    let semaphore = Rc::new(tokio::sync::Semaphore::new(1));
    let local = tokio::task::LocalSet::new();
    let rt = runtime();
    local.block_on(&rt, async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..=WAITING)
            .map(|_| {
                let semaphore = semaphore.clone();
                tokio::task::spawn_local(async move {
                    for _ in 0..rounds_each(n) {
                        let _permit = semaphore.acquire().await.unwrap();
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        start.elapsed()
    })
}

fn mutex_contended_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    let mutex = Rc::new(Mutex::new(0_usize));
    let start = Instant::now();
    for _ in 0..=WAITING {
        let mutex = mutex.clone();
        lp.spawn(async move {
            for _ in 0..rounds_each(n) {
                let mut guard = mutex.lock().await;
                yield_now().await;
                *guard += 1;
            }
        });
    }
    lp.run_until_idle().unwrap();
    assert_eq!(*mutex.try_lock().unwrap(), rounds_each(n) * (WAITING + 1));
    start.elapsed()
}

fn mutex_contended_tokio(n: usize) -> Duration {
    let mutex = Rc::new(tokio::sync::Mutex::new(0_usize));
    let local = tokio::task::LocalSet::new();
    let rt = runtime();
    local.block_on(&rt, async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..=WAITING)
            .map(|_| {
                let mutex = mutex.clone();
                tokio::task::spawn_local(async move {
                    for _ in 0..rounds_each(n) {
                        let mut guard = mutex.lock().await;
                        tokio::task::yield_now().await;
                        *guard += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*mutex.lock().await, rounds_each(n) * (WAITING + 1));
        start.elapsed()
    })
}

pub(crate) const WAITING_ROWS: [Row; 2] = [
    Row {
        what: "`Condition` vs `Notify` + `Mutex`: two tasks take turns (wait, change, notify), per turn",
        n: 200_000,
        ours: condition_ours,
        tokio: condition_tokio,
        judged: true,
    },
    Row {
        what: "`Barrier` vs `sync::Barrier`: 10 tasks pass it together, per task and pass",
        n: 200_000,
        ours: barrier_ours,
        tokio: barrier_tokio,
        judged: true,
    },
];

/// Two tasks take turns: each waits until the counter's parity is its own,
/// adds one, and wakes the other, until the counter reaches `n`.
fn condition_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    let cond = Rc::new(Condition::new(0_usize));
    let start = Instant::now();
    for me in 0..2 {
        let cond = cond.clone();
        lp.spawn(async move {
            let mut turn = cond.lock().await;
            loop {
                turn = cond.wait_for(turn, |t| t % 2 == me || *t >= n).await;
                if *turn >= n {
                    break;
                }
                *turn += 1;
                turn.notify(1);
            }
        });
    }
    lp.run_until_idle().unwrap();
    assert_eq!(*cond.try_lock().unwrap(), n);
    start.elapsed()
}

fn condition_tokio(n: usize) -> Duration {
    let shared = Rc::new((tokio::sync::Mutex::new(0_usize), tokio::sync::Notify::new()));
    let local = tokio::task::LocalSet::new();
    let rt = runtime();
    local.block_on(&rt, async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..2)
            .map(|me| {
                let shared = shared.clone();
                tokio::task::spawn_local(async move {
                    let (mutex, notify) = &*shared;
                    loop {
                        // Registered before the check, so no notification
                        // between the check and the wait is missed.
                        let notified = notify.notified();
                        {
                            let mut turn = mutex.lock().await;
                            if *turn >= n {
                                notify.notify_waiters();
                                break;
                            }
                            if *turn % 2 == me {
                                *turn += 1;
                                notify.notify_waiters();
                                continue;
                            }
                        }
                        notified.await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*shared.0.lock().await, n);
        start.elapsed()
    })
}

/// Tasks meeting at the barrier rows' barrier.
const PARTIES: usize = 10;

fn barrier_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    let barrier = Rc::new(Barrier::new(PARTIES));
    let leaders = Rc::new(std::cell::Cell::new(0));
    let start = Instant::now();
    for _ in 0..PARTIES {
        let (barrier, leaders) = (barrier.clone(), leaders.clone());
        lp.spawn(async move {
            for _ in 0..n.div_ceil(PARTIES) {
                if barrier.wait().await.unwrap() == PARTIES - 1 {
                    leaders.set(leaders.get() + 1);
                }
            }
        });
    }
    lp.run_until_idle().unwrap();
    assert_eq!(leaders.get(), n.div_ceil(PARTIES));
    start.elapsed()
}

fn barrier_tokio(n: usize) -> Duration {
    let barrier = Rc::new(tokio::sync::Barrier::new(PARTIES));
    let leaders = Rc::new(std::cell::Cell::new(0));
    let local = tokio::task::LocalSet::new();
    let rt = runtime();
    local.block_on(&rt, async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..PARTIES)
            .map(|_| {
                let (barrier, leaders) = (barrier.clone(), leaders.clone());
                tokio::task::spawn_local(async move {
                    for _ in 0..n.div_ceil(PARTIES) {
                        if barrier.wait().await.is_leader() {
                            leaders.set(leaders.get() + 1);
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(leaders.get(), n.div_ceil(PARTIES));
        start.elapsed()
    })
}

pub(crate) const TASKS: [Row; 3] = [
    Row {
        what: "`gather` of tasks vs `futures::future::join_all` of tokio's (per task, spawn included)",
        n: 100_000,
        ours: gather_ours,
        tokio: join_all_tokio,
        judged: true,
    },
    Row {
        what: "`gather` of tasks vs awaiting tokio's handles in turn (per task, spawn included)",
        n: 100_000,
        ours: gather_ours,
        tokio: gather_tokio,
        judged: false,
    },
    Row {
        what: "`TaskGroup` vs `JoinSet` (per task, spawn included)",
        n: 100_000,
        ours: group_ours,
        tokio: group_tokio,
        judged: true,
    },
];

async fn child(i: u64) -> u64 {
    yield_now().await;
    i
}

async fn tokio_child(i: u64) -> u64 {
    tokio::task::yield_now().await;
    i
}

fn total(n: usize) -> u64 {
    (n as u64) * (n as u64 - 1) / 2
}

fn gather_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    lp.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n as u64).map(|i| lp.spawn(child(i))).collect();
        let sum: u64 = gather(tasks).await.into_iter().map(|r| r.unwrap()).sum();
        assert_eq!(sum, total(n));
        start.elapsed()
    })
    .unwrap()
}

fn join_all_tokio(n: usize) -> Duration {
    runtime().block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n as u64)
            .map(|i| tokio::spawn(tokio_child(i)))
            .collect();
        let all = futures_util::future::join_all(tasks).await;
        let sum: u64 = all.into_iter().map(|r| r.unwrap()).sum();
        assert_eq!(sum, total(n));
        start.elapsed()
    })
}

fn gather_tokio(n: usize) -> Duration {
    runtime().block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n as u64)
            .map(|i| tokio::spawn(tokio_child(i)))
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        assert_eq!(sum, total(n));
        start.elapsed()
    })
}

fn group_ours(n: usize) -> Duration {
    let lp = EventLoop::new();
    lp.block_on(async {
        let start = Instant::now();
        let group = TaskGroup::new(&lp);
        for i in 0..n as u64 {
            group
                .spawn(async move { Ok::<_, ()>(child(i).await) })
                .unwrap();
        }
        let sum: u64 = group.await.unwrap().into_iter().sum();
        assert_eq!(sum, total(n));
        start.elapsed()
    })
    .unwrap()
}

fn group_tokio(n: usize) -> Duration {
    runtime().block_on(async {
        let start = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n as u64 {
            set.spawn(tokio_child(i));
        }
        let mut sum = 0;
        while let Some(value) = set.join_next().await {
            sum += value.unwrap();
        }
        assert_eq!(sum, total(n));
        start.elapsed()
    })
}
