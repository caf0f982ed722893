//! Named tasks: `spawn_named`, whose wrapper names the task (in
//! `state::current`) at each of its polls.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::event_loop::inner::LoopHandle;
use crate::state::current::name_current;
use crate::task::join::JoinHandle;

/// A future that names the task it runs in, for each of its polls.
pub(crate) struct Named<F> {
    name: Rc<str>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        name_current(Rc::clone(&self.name));
        self.future.as_mut().poll(cx)
    }
}

/// `future`, naming the task it runs in `name` at each of its polls.
pub(crate) fn named<F: Future>(name: Rc<str>, future: F) -> Named<F> {
    Named {
        name,
        future: Box::pin(future),
    }
}

impl LoopHandle {
    /// [`spawn`](LoopHandle::spawn)s `future` as a task named `name`:
    /// [`current_task`](crate::current_task) gives the name while it runs, as asyncio's
    /// `create_task(coro, name=…)` does.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.spawn(named(Rc::from(name), future))
    }
}
