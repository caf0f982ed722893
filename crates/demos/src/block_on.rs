//! The smallest executor: runs one `async` block to completion on the current thread.

use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Runs `future` to completion on the calling thread, which sleeps while the future waits.
///
/// The waker unparks this thread; whichever thread wakes it (a timer's, the one that completes
/// a [`simple_future::Future`]) does nothing more. One task, no timers, no I/O: just enough to
/// show that `.await` on a future needs no runtime.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use simple_future::Future;
///
/// let future: Future<u32> = Future::new();
/// let answer = future.observer();
/// let producer = thread::spawn(move || future.set_result(42));
/// assert_eq!(demos::block_on(async { answer.await }).unwrap(), 42);
/// producer.join().unwrap().unwrap();
/// ```
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // A wake between `poll` and `park` leaves the token set, so `park` returns at once;
            // a spurious return just polls again.
            Poll::Pending => thread::park(),
        }
    }
}

/// Wakes a task by unparking the thread that runs it.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
