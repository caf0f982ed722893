//! A task's future as the loop holds it, and the outcome it publishes.
//
// The loop keeps a task's future boxed as `Option<F>`, polled through
// `Pin::as_pin_mut` and dropped in place with `Pin::set(None)`, and keeps
// the task's output next to it in the slab, typed out (`dyn TaskOutput`).
// An `async` wrapper holding both (as this replaced) keeps its argument and
// its pinned copy of it side by side in its state: for a sleeping task, the
// `Sleep` twice, 72 bytes of the task's box (measured by benches/tasks).

use std::any::Any;
use std::future::Future as StdFuture;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use simple_future::Panicked;

use crate::state::tasks::{Reader, TaskFuture, TaskOutput};
use crate::task::join::{Output, report_unretrieved};

impl<T: 'static> TaskOutput for Output<T> {
    fn cancel_requested(&self) -> bool {
        Output::cancel_requested(self)
    }

    fn cancelled(&self) {
        Output::cancelled(self);
    }

    fn abandon(&self) {
        Output::abandon(self);
    }

    fn unviewed_and_running(&self) -> bool {
        Output::unviewed_and_running(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<F> TaskFuture for Option<F>
where
    F: StdFuture,
    F::Output: 'static,
{
    fn poll_task(mut self: Pin<&mut Self>, cx: &mut Context<'_>, reader: Reader<'_>) -> Poll<()> {
        let Some(future) = self.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let output = match reader {
            Reader::Handles(output) => output,
            // No handles: nothing to publish, the future is dropped once done.
            Reader::Gone(location) => {
                let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
                if !matches!(polled, Ok(Poll::Pending)) {
                    self.set(None);
                }
                return match polled {
                    Ok(poll) => poll.map(drop),
                    Err(payload) => {
                        let panicked = Panicked::from_payload(&*payload);
                        let task =
                            crate::state::current::current_task().map(|task| task.to_string());
                        report_unretrieved(location, task.as_deref(), &panicked);
                        Poll::Ready(())
                    }
                };
            }
            Reader::None => {
                // The loop catches and reports its panics.
                let poll = future.poll(cx).map(drop);
                if poll.is_ready() {
                    self.set(None);
                }
                return poll;
            }
        };
        // `JoinHandle::cancel` wakes the task to get here.
        if output.cancel_requested() {
            // Dropped first, then recorded: an awaiter of the task sees it
            // cancelled only once what its future held is released.
            self.set(None);
            output.cancelled();
            tracing::debug!("task cancelled");
            return Poll::Ready(());
        }
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(payload),
        };
        // The future is dropped before its outcome is published.
        self.set(None);
        let output = output
            .as_any()
            .downcast_ref::<Output<F::Output>>()
            .expect("a task's output has its future's output type");
        match outcome {
            // Refused (dropped) if the handle was cancelled meanwhile (by
            // the task itself, or by a done-callback of another future).
            Ok(value) => output.finish(Ok(value)),
            Err(payload) => {
                let panicked = Panicked::from_payload(&*payload);
                tracing::debug!(panic = panicked.message(), "task panicked");
                output.finish(Err(panicked));
            }
        }
        Poll::Ready(())
    }
}
