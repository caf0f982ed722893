//! The simulated network request of examples 1b and 1c, which answers through a callback.

use std::fmt;

use cb_timer::{StartError, Timer};

use crate::DELAY;

/// What the simulated server answers: the number asked about and its square.
///
/// It prints like the Python dict of the tutorial:
///
/// ```
/// use demos::Response;
///
/// let response = Response::for_number(3);
/// assert_eq!(response, Response { value: 3, result: 9 });
/// assert_eq!(response.to_string(), "{'Value': 3, 'Result': 9}");
/// assert_eq!(Response::for_number(i32::MIN).result, 1 << 62);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The number that was sent.
    pub value: i32,
    /// Its square; an `i64` holds the square of any `i32`.
    pub result: i64,
}

impl Response {
    /// The answer to a request about `number`.
    pub fn for_number(number: i32) -> Response {
        let n = i64::from(number);
        Response {
            value: number,
            result: n * n,
        }
    }
}

/// Formats like the Python dict the tutorial prints: `{'Value': 3, 'Result': 9}`.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{'Value': {}, 'Result': {}}}", self.value, self.result)
    }
}

/// Sends `number` to a pretend server and returns at once; [`DELAY`] later, `on_done` is called
/// with the [`Response`] on the timer's own thread.
///
/// Each request starts one [`Timer`], so requests made together finish together and their
/// callbacks race. The timer is returned so the caller can wait for it.
///
/// # Errors
///
/// [`StartError`] if the timer's thread could not be started; `on_done` is then never called.
pub fn async_network_request<F>(number: i32, on_done: F) -> Result<Timer, StartError>
where
    F: FnOnce(Response) + Send + 'static,
{
    let timer = Timer::new(DELAY, move || {
        let response = Response::for_number(number);
        tracing::debug!(%response, "request done");
        on_done(response);
    });
    timer.start()?;
    tracing::debug!(number, "request sent");
    Ok(timer)
}
