//! `block_on`: run the loop until one future, polled in place, is done.

use std::cell::RefCell;
use std::future::{Future as StdFuture, IntoFuture};
use std::panic::Location;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use crate::error::BlockOnError;
use crate::event_loop::inner::LoopHandle;
use crate::event_loop::run::{Exit, Until};
use crate::state::remote::Remote;

/// The waker of the future `block_on` drives: it marks the future for a
/// poll and wakes the loop.
struct MainWaker {
    woken: AtomicBool,
    remote: Arc<Remote>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Published before the notification, which the loop consumes
        // (acquiring this store) before it looks at `woken` again.
        self.woken.store(true, Ordering::SeqCst);
        self.remote.wake.notify();
    }
}

impl LoopHandle {
    /// Runs the loop until `future` is done, and returns its output: the
    /// entry point from ordinary code into `async` code.
    ///
    /// `future` is polled on this thread between the loop's iterations,
    /// whenever its waker was woken; meanwhile the loop runs everything
    /// else (callbacks, timers, sources, [`spawn`](LoopHandle::spawn)ed
    /// tasks). It need not be `Send` or `'static`: it may borrow from the
    /// caller. Any [`IntoFuture`] works, including a
    /// [`simple_future::Future`] (whose output is then a `Result`);
    /// [`run_until_complete`](LoopHandle::run_until_complete) is the same
    /// for a `simple-future` future, borrowing its value instead.
    ///
    /// A panic in `future` propagates to the caller (the loop stays
    /// usable). Tasks still unfinished when it returns stay on the loop,
    /// for its next run.
    ///
    /// # Errors
    ///
    /// - [`BlockOnError::Run`] if the loop cannot run — in particular from
    ///   inside one of its own tasks or callbacks, which must never block
    ///   it (`.await` there instead);
    /// - [`BlockOnError::Stopped`] if [`stop`](LoopHandle::stop) was called
    ///   first; `future` is dropped unfinished.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use poll_loop::{EventLoop, sleep};
    ///
    /// async fn slow_square(n: u64) -> u64 {
    ///     sleep(Duration::from_millis(20)).await;
    ///     n * n
    /// }
    ///
    /// let lp = EventLoop::new();
    /// let start = Instant::now();
    /// let squares = lp.block_on(async {
    ///     let tasks: Vec<_> = (1..=3).map(|n| lp.spawn(slow_square(n))).collect();
    ///     let mut squares = Vec::new();
    ///     for task in tasks {
    ///         squares.push(task.await?);
    ///     }
    ///     Ok::<_, Box<dyn std::error::Error>>(squares)
    /// })??;
    /// assert_eq!(squares, [1, 4, 9]);
    /// // The three sleeps overlapped.
    /// assert!(start.elapsed() < Duration::from_millis(60));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, BlockOnError> {
        let location = Location::caller();
        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            remote: Arc::clone(&self.inner.remote),
        });
        let waker = Waker::from(Arc::clone(&main));
        let future = pin!(future.into_future());
        let future = RefCell::new(future);
        let output = RefCell::new(None);
        // Asked at the start of every iteration: poll if woken, and say
        // whether the output is in.
        let poll_if_woken = || {
            if output.borrow().is_some() {
                return true;
            }
            if !main.woken.swap(false, Ordering::SeqCst) {
                return false;
            }
            let start = self.get_debug().then(Instant::now);
            let poll = crate::task::coop::budgeted(|| {
                future
                    .borrow_mut()
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
            });
            self.warn_if_slow(start, location, "block_on poll");
            match poll {
                Poll::Ready(value) => {
                    *output.borrow_mut() = Some(value);
                    true
                }
                Poll::Pending => false,
            }
        };
        match self.run(&Until::Done(&poll_if_woken))? {
            Exit::Reached => Ok(output
                .into_inner()
                .expect("block_on returns once the output is in")),
            Exit::Stopped => Err(BlockOnError::Stopped),
        }
    }
}
