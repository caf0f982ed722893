//! The simulated network request of example 2b, which returns a future instead of taking a
//! callback.

use cb_timer::{StartError, Timer};
use simple_future::{Future, Observer};

use crate::{DELAY, Response};

/// Sends `number` to a pretend server and returns at once with a future of its [`Response`];
/// [`DELAY`] later a timer completes that future on the timer's own thread.
///
/// This is example 1b's [`async_network_request`](crate::async_network_request) turned inside
/// out: instead of taking an `on_done` callback, it hands back a future, and the caller decides
/// how to wait: [`result`](Observer::result), a done-callback, or `.await`. Done-callbacks run
/// on the timer's thread, so requests made together finish together and their callbacks race.
///
/// The tutorial's response also says `"success": True`. Here success is how the future ends: it
/// finishes with a value, or, for a failed request, with an exception. The pretend server
/// always answers, so this future always finishes with a value.
///
/// Only the timer holds the [`Future`]; the caller gets an [`Observer`], so if the timer's
/// thread died before answering, the future would be
/// [abandoned](simple_future::State::Abandoned) and no waiter would hang. The timer's thread
/// is not joined: wait on the future (or on what its callbacks produce), not on the thread.
///
/// # Errors
///
/// [`StartError`] if the timer's thread could not be started; no future is returned then.
pub fn async_network_request(number: i32) -> Result<Observer<Response>, StartError> {
    let future = Future::new();
    let response = future.observer();
    let timer = Timer::new(DELAY, move || {
        let response = Response::for_number(number);
        tracing::debug!(%response, "request done");
        // Only this timer holds a `Future`, so nothing else can have completed it.
        let _ = future.set_result(response);
    });
    timer.start()?;
    tracing::debug!(number, "request sent");
    Ok(response)
}
