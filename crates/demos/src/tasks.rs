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

/// Awaits every task, in order, and returns their outputs: asyncio's `gather`.
///
/// # Errors
///
/// If a task failed (it panicked, say).
pub async fn gather<T: Clone>(tasks: Vec<JoinHandle<T>>) -> Result<Vec<T>, Box<dyn Error>> {
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await?);
    }
    Ok(outputs)
}
