//! A task's output goes to one place: a by-value `.await` of a handle moves
//! it out (for any `T`, as tokio's); a read through the many-reader
//! `Observer` view moves it into the view, where every reader borrows it.
//! Whoever comes second is told which happened.

mod helpers;

use helpers::ms;
use poll_loop::{EventLoop, JoinError, ResultError, State, sleep};

/// Neither `Clone` nor `Copy`: a connection, a file.
#[derive(Debug, PartialEq)]
struct Connection(u16);

#[test]
fn awaiting_a_handle_moves_a_non_clone_output_out() {
    let lp = EventLoop::new();
    let task = lp.spawn(async {
        sleep(ms(1)).await;
        Connection(80)
    });
    let connection = lp.block_on(task).unwrap();
    assert_eq!(connection, Ok(Connection(80)));
}

#[test]
fn a_task_awaits_another_tasks_non_clone_output() {
    let lp = EventLoop::new();
    let inner = lp.spawn(async { Connection(443) });
    let outer = lp.spawn(async move { inner.await.unwrap().0 + 1 });
    lp.run_until_idle().unwrap();
    assert_eq!(*outer.result().unwrap(), 444);
}

#[test]
fn a_second_reader_after_the_output_moved_out_is_told_it_was_taken() {
    let lp = EventLoop::new();
    let task = lp.spawn(async { Connection(1) });
    let other = task.clone();
    assert_eq!(lp.block_on(task).unwrap(), Ok(Connection(1)));
    // The state says the task finished, without claiming anything.
    assert_eq!(other.state(), State::Finished);
    assert!(other.done() && !other.cancelled());
    // A second by-value await…
    let again = other.clone();
    assert_eq!(lp.block_on(again).unwrap(), Err(JoinError::Taken));
    // …and the view: finished, with the exception `JoinError::Taken`.
    match other.result() {
        Err(ResultError::Exception(error)) => {
            assert_eq!(error.downcast_ref::<JoinError>(), Some(&JoinError::Taken));
        }
        wrong => panic!("{wrong:?}"),
    }
}

#[test]
fn a_read_through_the_view_first_keeps_the_output_there() {
    let lp = EventLoop::new();
    let task = lp.spawn(async { String::from("shared") });
    lp.run_until_idle().unwrap();
    assert_eq!(task.try_result().unwrap(), "shared"); // claims it for the view
    assert_eq!(lp.block_on(&task).unwrap(), Ok("shared".to_string()));
    assert_eq!(lp.block_on(&task).unwrap(), Ok("shared".to_string()));
    assert_eq!(lp.block_on(task.clone()).unwrap(), Err(JoinError::Shared));
    assert_eq!(
        task.result().unwrap(),
        "shared",
        "still there for every reader"
    );
}

#[test]
fn a_view_made_while_the_task_runs_gets_the_output_when_it_finishes() {
    let lp = EventLoop::new();
    let task = lp.spawn(async {
        sleep(ms(5)).await;
        7
    });
    let observer = task.observer();
    assert_eq!(observer.state(), State::Pending);
    lp.run_until_idle().unwrap();
    assert_eq!(*observer.try_result().unwrap(), 7);
    assert_eq!(lp.block_on(task).unwrap(), Err(JoinError::Shared));
}

#[test]
fn awaiting_by_reference_gives_each_awaiter_a_clone() {
    let lp = EventLoop::new();
    let task = lp.spawn(async {
        sleep(ms(5)).await;
        vec![1, 2, 3]
    });
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let task = task.clone();
            lp.spawn(async move { (&task).await.unwrap().len() })
        })
        .collect();
    lp.run_until_idle().unwrap();
    for reader in readers {
        assert_eq!(*reader.result().unwrap(), 3);
    }
}

#[test]
fn failures_are_seen_alike_by_every_reader() {
    let lp = EventLoop::new();
    let cancelled = lp.spawn(sleep(ms(10_000)));
    let other = cancelled.clone();
    assert!(cancelled.cancel());
    lp.run_until_idle().unwrap();
    assert_eq!(lp.block_on(cancelled).unwrap(), Err(JoinError::Cancelled));
    assert_eq!(
        lp.block_on(other.clone()).unwrap(),
        Err(JoinError::Cancelled)
    );
    assert!(matches!(other.result(), Err(ResultError::Cancelled)));

    let panicked = lp.spawn(async {
        if true {
            panic!("oops");
        }
    });
    lp.run_until_idle().unwrap();
    let Err(JoinError::Panicked(panic)) = lp.block_on(panicked.clone()).unwrap() else {
        panic!("a panic");
    };
    assert_eq!(panic.message(), Some("oops"));
    assert!(matches!(panicked.result(), Err(ResultError::Exception(_))));
}

#[test]
fn display_and_state_do_not_claim_the_output() {
    let lp = EventLoop::new();
    let task = lp.spawn(async { Connection(2) });
    assert!(task.to_string().contains("state=pending"), "{task}");
    lp.run_until_idle().unwrap();
    let shown = task.to_string();
    assert!(
        shown.contains("state=finished returned Connection"),
        "{shown}"
    );
    let _ = format!("{task:?}");
    assert_eq!(task.state(), State::Finished);
    assert_eq!(lp.block_on(task).unwrap(), Ok(Connection(2)));
}
