//! `current_task()` names the task being polled — its number, its name,
//! where it was spawned — and nothing outside a task.

mod helpers;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread;

use helpers::{Collector, ms};

use poll_loop::{EventLoop, TaskInfo, current_task, gather, yield_now};

/// A task's name and number, as it saw them.
type Seen = (Option<String>, u64);

#[test]
fn each_task_sees_itself_across_awaits() {
    let lp = EventLoop::new();
    let seen: Rc<RefCell<Vec<Seen>>> = Rc::default();
    for name in ["a", "b"] {
        let seen = seen.clone();
        lp.spawn_named(name, async move {
            for _ in 0..2 {
                let me = current_task().unwrap();
                seen.borrow_mut()
                    .push((me.name().map(str::to_owned), me.id()));
                yield_now().await;
            }
        });
    }
    lp.run_until_idle().unwrap();
    let seen = seen.borrow();
    let names: Vec<_> = seen.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    assert_eq!(names, ["a", "b", "a", "b"]);
    assert_eq!(seen[0].1, seen[2].1, "the same task, the same number");
    assert_ne!(seen[0].1, seen[1].1);
}

#[test]
fn an_unnamed_task_has_its_spawn_location() {
    let lp = EventLoop::new();
    let info: Rc<RefCell<Option<TaskInfo>>> = Rc::default();
    let sink = info.clone();
    let line = line!() + 1;
    lp.spawn(async move { *sink.borrow_mut() = current_task() });
    lp.run_until_idle().unwrap();
    let info = info.borrow().clone().unwrap();
    assert_eq!(info.name(), None);
    assert_eq!(info.location().line(), line);
    assert!(
        info.to_string()
            .starts_with(&format!("Task-{} (", info.id()))
    );
}

#[test]
fn nothing_outside_a_task() {
    let lp = EventLoop::new();
    assert!(current_task().is_none());
    let in_callback = Rc::new(RefCell::new(Some(None)));
    let sink = in_callback.clone();
    lp.call_soon(move || *sink.borrow_mut() = Some(current_task()));
    lp.run_until_idle().unwrap();
    assert_eq!(*in_callback.borrow(), Some(None));
    // `block_on`'s own future is not a task; futures gathered inside a task
    // run in that task.
    let outer = lp.block_on(async { current_task() }).unwrap();
    assert!(outer.is_none());
    let inner = lp.spawn_named("gatherer", async {
        let names = gather((0..3).map(|_| async {
            yield_now().await;
            current_task().and_then(|t| t.name().map(str::to_owned))
        }))
        .await;
        names.into_iter().flatten().collect::<Vec<_>>()
    });
    lp.run_until_idle().unwrap();
    assert_eq!(*inner.try_result().unwrap(), ["gatherer"; 3]);
    assert!(current_task().is_none(), "restored after the run");
}

#[test]
fn the_slow_poll_warning_names_the_task() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        lp.set_debug(true);
        lp.set_slow_callback_duration(ms(20));
        lp.spawn_named("sluggish", async {
            yield_now().await;
            thread::sleep(ms(30)); // blocks the loop
        });
        lp.run_until_idle().unwrap();
        let warnings = collector.events("slow task poll");
        assert_eq!(warnings.len(), 1, "{:#?}", collector.seen());
        let task = warnings[0].field("task").unwrap();
        assert!(
            task.starts_with("Task-") && task.contains("'sluggish'"),
            "{task}"
        );
    });
}

#[test]
fn the_never_retrieved_report_names_the_task_and_its_spawn() {
    let collector = Collector::default();
    tracing::subscriber::with_default(collector.clone(), || {
        let lp = EventLoop::new();
        let ids: Rc<RefCell<Vec<u64>>> = Rc::default();
        let (seen_named, seen_plain) = (ids.clone(), ids.clone());
        let line = line!() + 1;
        let named = lp.spawn_named("doomed", async move {
            seen_named.borrow_mut().push(current_task().unwrap().id());
            yield_now().await;
            panic!("nobody reads this");
        });
        let plain = lp.spawn(async move {
            seen_plain.borrow_mut().push(current_task().unwrap().id());
            panic!("nor this");
        });
        lp.run_until_idle().unwrap();
        assert!(
            collector.events("never retrieved").is_empty(),
            "handles live"
        );
        drop((named, plain));
        let reports = collector.events("task exception was never retrieved");
        assert_eq!(reports.len(), 2, "{:#?}", collector.seen());
        let report = |panic: &str| {
            reports
                .iter()
                .find(|event| event.field("panic") == Some(panic))
                .unwrap_or_else(|| panic!("no report of {panic:?}: {reports:#?}"))
                .clone()
        };
        let (named_id, plain_id) = (ids.borrow()[0], ids.borrow()[1]);

        let doomed = report("nobody reads this");
        let location = doomed.field("location").unwrap();
        assert!(
            location.ends_with(&format!("current_task.rs:{line}:24")),
            "{location}"
        );
        let task = doomed.field("task").unwrap();
        assert_eq!(task, format!("Task-{named_id} 'doomed' ({location})"));

        let unnamed = report("nor this");
        let location = unnamed.field("location").unwrap();
        let task = unnamed.field("task").unwrap();
        assert_eq!(task, format!("Task-{plain_id} ({location})"));
    });
}
