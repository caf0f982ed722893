//! Done-callbacks of completions made inside a done-callback wait their
//! turn: a thread-local trampoline.
//!
//! The first completion on a thread that runs callbacks opens a scope.
//! While it is open, a completion on the same thread (made by one of those
//! callbacks, a waker, or anything they call) stores its value and wakes its
//! blocked threads and tasks at once, but hands its callbacks to this queue
//! instead of running them. The scope runs the queue in order (first in,
//! first out) before it closes. So a chain of callbacks, each completing the
//! next future, runs in a loop on one stack frame instead of recursing once
//! per link.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::sync::thread_local;

/// Callbacks of one completion, bound to their future.
pub(crate) type Job = Box<dyn FnOnce()>;

thread_local! {
    /// `Some` while this thread runs callbacks: the completions queued
    /// behind them.
    static QUEUE: RefCell<Option<VecDeque<Job>>> = RefCell::new(None);
}

/// The outermost callback-running frame on this thread; drains the queue
/// when dropped.
pub(crate) struct Scope(());

/// Opens the scope if this thread is not running callbacks yet (`Some`: run
/// yours now, then drop the scope); `None` inside a scope: [`defer`] yours.
///
/// While the thread is being torn down the queue is gone: then every frame
/// is outermost, as if there were no trampoline.
pub(crate) fn enter() -> Option<Scope> {
    QUEUE
        .try_with(|queue| {
            let mut queue = queue.borrow_mut();
            if queue.is_some() {
                None
            } else {
                *queue = Some(VecDeque::new());
                Some(Scope(()))
            }
        })
        // `_else`: a `Scope` made and dropped unused would drain the queue.
        .unwrap_or_else(|_| Some(Scope(())))
}

/// Queues `job` behind the callbacks running on this thread. Only called
/// inside a scope ([`enter`] returned `None`).
pub(crate) fn defer(job: Job) {
    let mut job = Some(job);
    let _ = QUEUE.try_with(|queue| {
        if let Some(queue) = queue.borrow_mut().as_mut() {
            queue.extend(job.take());
        }
    });
    // Only if no scope is open after all (the thread is being torn down):
    // running it here is still correct, only not stack-bounded.
    if let Some(job) = job {
        job();
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        loop {
            // The borrow ends before the job runs: it may queue more.
            let next = QUEUE
                .try_with(|queue| {
                    let mut queue = queue.borrow_mut();
                    let next = queue.as_mut().and_then(VecDeque::pop_front);
                    if next.is_none() {
                        *queue = None;
                    }
                    next
                })
                .ok()
                .flatten();
            match next {
                // Jobs never unwind: they contain their callbacks' panics
                // and their future's drop (see `shared::hook`), so the queue
                // is always drained and closed.
                Some(job) => job(),
                None => return,
            }
        }
    }
}
