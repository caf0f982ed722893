//! `TaskGroup`: awaiting it waits for every child (spawned late ones too),
//! the first failure — error or panic — cancels the rest and is returned,
//! and dropping the group cancels its children.

mod helpers;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use helpers::{drop_guard, ms, without_hanging};
use poll_loop::{EventLoop, TaskGroup, TaskGroupError, sleep, yield_now};

#[test]
fn awaiting_the_group_waits_for_every_child_and_gives_values_in_spawn_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let group = TaskGroup::new(&lp);
        let finished = Rc::new(Cell::new(0));
        for n in 0..10_u64 {
            let finished = finished.clone();
            group
                .spawn(async move {
                    sleep(ms(10 - n)).await;
                    finished.set(finished.get() + 1);
                    Ok::<_, ()>(n)
                })
                .unwrap();
        }
        assert_eq!(group.len(), 10);
        let values = lp.block_on(async { group.await }).unwrap().unwrap();
        assert_eq!(values, (0..10).collect::<Vec<_>>());
        assert_eq!(finished.get(), 10);
    });
}

#[test]
fn an_empty_group_is_done_at_once() {
    let lp = EventLoop::new();
    let group: TaskGroup<(), ()> = TaskGroup::new(&lp);
    assert_eq!(lp.block_on(async { group.await }).unwrap().unwrap(), []);
}

#[test]
fn the_first_error_cancels_the_others_and_is_returned_after_they_are_gone() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let group = TaskGroup::new(&lp);
        let (guard, dropped) = drop_guard();
        let seen_drop = Rc::new(Cell::new(false));
        group
            .spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(60)).await;
                Ok(0)
            })
            .unwrap();
        group
            .spawn(async {
                sleep(ms(5)).await;
                Err("first")
            })
            .unwrap();
        group
            .spawn(async {
                sleep(ms(5)).await;
                Err("second, same instant, later in line")
            })
            .unwrap();
        let handle = group.handle();
        let start = Instant::now();
        let (d, s) = (dropped.clone(), seen_drop.clone());
        let outcome = lp
            .block_on(async move {
                let outcome = group.await;
                s.set(d.dropped());
                outcome
            })
            .unwrap();
        assert!(matches!(outcome, Err(TaskGroupError::Failed("first"))));
        assert!(
            seen_drop.get(),
            "the cancelled child was gone before the await returned"
        );
        assert!(start.elapsed() < Duration::from_secs(30));
        // The group is over: no more spawns.
        assert!(handle.spawn(async { Ok(1) }).is_err());
    });
}

#[test]
fn a_panicking_child_is_a_failure_too() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let group = TaskGroup::<(), ()>::new(&lp);
        let (guard, dropped) = drop_guard();
        group
            .spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(60)).await;
                Ok(())
            })
            .unwrap();
        group
            .spawn(async {
                yield_now().await;
                panic!("child boom")
            })
            .unwrap();
        let outcome = lp.block_on(async { group.await }).unwrap();
        match outcome {
            Err(TaskGroupError::Panicked(panicked)) => {
                assert_eq!(panicked.message(), Some("child boom"));
            }
            other => panic!("expected a panic, got {:?}", other.map(|_| ())),
        }
        assert!(dropped.dropped());
    });
}

#[test]
fn spawning_after_a_failure_is_refused() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let group = TaskGroup::<(), &str>::new(&lp);
        let handle = group.handle();
        let refused = Rc::new(Cell::new(None));
        let r = refused.clone();
        group
            .spawn(async move {
                yield_now().await;
                r.set(Some(handle.spawn(async { Ok(()) }).is_err()));
                Ok(())
            })
            .unwrap();
        group.spawn(async { Err("fail at once") }).unwrap();
        assert!(lp.block_on(async { group.await }).unwrap().is_err());
        // The first child was cancelled before it could try; spawn one
        // more on a failed group directly.
        assert_eq!(refused.get(), None);
        let group = TaskGroup::<(), &str>::new(&lp);
        group.spawn(async { Err("no") }).unwrap();
        lp.run_until_idle().unwrap();
        assert!(group.spawn(async { Ok(()) }).is_err());
    });
}

#[test]
fn dropping_the_group_cancels_its_children() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let group = TaskGroup::<(), ()>::new(&lp);
        let (guard, dropped) = drop_guard();
        group
            .spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(60)).await;
                Ok(())
            })
            .unwrap();
        lp.block_on(yield_now()).unwrap(); // the child starts its sleep
        assert!(!dropped.dropped());
        drop(group);
        let start = Instant::now();
        lp.run_until_idle().unwrap(); // no 60 s wait: the child is gone
        assert!(dropped.dropped());
        assert!(start.elapsed() < Duration::from_secs(30));
    });
}

#[test]
fn a_cancelled_awaiting_task_cancels_the_group() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (guard, dropped) = drop_guard();
        let outer = lp.spawn(async move {
            let group = TaskGroup::<(), ()>::new(&poll_loop::LoopHandle::current().unwrap());
            group
                .spawn(async move {
                    let _guard = guard;
                    sleep(Duration::from_secs(60)).await;
                    Ok(())
                })
                .unwrap();
            let _ = group.await;
        });
        lp.spawn({
            let outer = outer.clone();
            async move {
                sleep(ms(5)).await;
                outer.cancel();
            }
        });
        let start = Instant::now();
        lp.run_until_idle().unwrap();
        assert!(dropped.dropped());
        assert!(start.elapsed() < Duration::from_secs(30));
    });
}

#[test]
fn children_may_spawn_into_the_same_group() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let group = TaskGroup::<u32, ()>::new(&lp);
        let handle = group.handle();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        group
            .spawn(async move {
                yield_now().await;
                for n in 1..=3 {
                    let l = l.clone();
                    handle
                        .spawn(async move {
                            sleep(ms(5)).await;
                            l.borrow_mut().push(n);
                            Ok(n)
                        })
                        .unwrap();
                }
                Ok(0)
            })
            .unwrap();
        let values = lp.block_on(async { group.await }).unwrap().unwrap();
        assert_eq!(values, [0, 1, 2, 3]);
        assert_eq!(log.borrow().len(), 3);
    });
}
