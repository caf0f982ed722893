//! The simulated network request as an `async fn`, waiting on the event loop's own timers, and
//! how the `async-` demos wait for their tasks.

use std::error::Error;

use poll_loop::{JoinHandle, sleep};

use crate::{DELAY, Response};

/// Sends `number` to a pretend server and, [`DELAY`] later, returns its [`Response`].
///
/// Example 1b's request once more, now an `async fn`: the caller `.await`s the answer, with no
/// `on_done` callback and no future to hold. The wait is [`poll_loop::sleep`], a timer on the
/// running [`poll_loop`] loop, and no thread is started: requests made together are that many
/// timers on the loop's one thread, which sleeps until the first is due and then finishes
/// each in turn.
///
/// # Panics
///
/// If polled outside a running `poll_loop` loop: run it with
/// [`block_on`](poll_loop::LoopHandle::block_on) or [`spawn`](poll_loop::LoopHandle::spawn) it.
pub async fn async_network_request(number: i32) -> Response {
    tracing::debug!(number, "request sent");
    sleep(DELAY).await;
    let response = Response::for_number(number);
    tracing::debug!(%response, "request done");
    response
}

/// Awaits every task, in order, and counts the process's threads halfway through their wait of
/// [`DELAY`], when all of them are in flight: a thread per waiting request would show in that
/// count. Returns the tasks' outputs and the count.
///
/// # Errors
///
/// If a task failed (it panicked, say), or the threads cannot be counted (see
/// [`thread_count`](crate::thread_count)).
pub async fn join_counting_threads<T: Clone>(
    tasks: Vec<JoinHandle<T>>,
) -> Result<(Vec<T>, usize), Box<dyn Error>> {
    sleep(DELAY / 2).await;
    let threads = crate::thread_count()?;
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await?);
    }
    Ok((outputs, threads))
}
