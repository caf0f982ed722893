//! The scheduler's thread: it sleeps until the earliest deadline, runs what
//! is due, and on shutdown discards the rest.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::thread;
use std::time::Duration;

use super::{AWAKE, Shared};
use crate::panic::{self as caught, PanicReport};
use crate::queue::{Due, NEVER, Tick};
use crate::scheduler::handle::TimerId;
use crate::task::Task;
use crate::wait_graph;

impl Shared {
    /// The body of the scheduler's thread.
    pub(super) fn run(&self) {
        wait_graph::enter_worker(self.id);
        // Every user value is dropped under a panic catch, but should this
        // thread unwind anyway (a panicking `tracing` subscriber, a bug of
        // ours), it shuts the scheduler down on the way out rather than
        // leaving timers pending for ever and `advance` waiting for it.
        let _sweep = SweepOnUnwind(self);
        let mut queue = self.lock();
        while !self.shutdown.load(Ordering::Acquire) {
            let now = self.now_tick();
            if let Some(due) = queue.timers.take_due(now) {
                queue.sleeping_until = AWAKE;
                drop(queue);
                self.run_due(due, now);
                queue = self.lock();
                continue;
            }

            queue.settled += 1;
            if self.clock.is_manual() {
                self.progress.notify_all();
            }
            let next = queue.timers.first_deadline().unwrap_or(NEVER);
            queue.sleeping_until = next;
            queue = if next == NEVER || self.clock.is_manual() {
                self.wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner)
            } else {
                let sleep = Duration::from_nanos(u64::try_from(next - now).unwrap_or(u64::MAX));
                self.wake
                    .wait_timeout(queue, sleep)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            };
            queue.sleeping_until = AWAKE;
        }

        drop(queue);
        self.sweep();
        tracing::debug!(scheduler = %self.name, "scheduler stopped");
    }

    /// Discards every queued timer, once `shutdown` is set.
    fn sweep(&self) {
        let rest = self.lock().timers.take_all();
        self.discard(rest.map(|(_, task)| task));
        self.notify_progress();
    }

    fn run_due(&self, mut due: Due, now: Tick) {
        for (deadline, task) in due.by_ref() {
            if self.shutdown.load(Ordering::Acquire) {
                self.discard(std::iter::once(task));
                break;
            }
            self.fire(task, deadline, now);
        }
        self.discard(due.map(|(_, task)| task));
    }

    pub(super) fn discard(&self, tasks: impl Iterator<Item = Arc<dyn Task>>) {
        for task in tasks {
            if task.header().state.discard() {
                self.discard_callback(&*task);
            }
        }
    }

    fn fire(&self, task: Arc<dyn Task>, deadline: Tick, now: Tick) {
        let header = task.header();
        if !header.state.try_start() {
            return; // cancelled after it was taken from the queue
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            let late = self.now_tick().saturating_sub(deadline);
            tracing::trace!(
                timer = header.id,
                late_us = u64::try_from(late / 1_000).unwrap_or(u64::MAX),
                "timer fired"
            );
        }
        match task.run() {
            Err(payload) => {
                self.report_panic(header.id, payload, caught::Phase::Run);
                header.state.finish();
                self.discard_callback(&*task);
            }
            Ok(()) => match task.repeat() {
                None => header.state.finish(),
                Some((period, missed)) => {
                    let next = missed.next(deadline, now.max(self.now_tick()), period);
                    if header.state.rearm() {
                        self.lock().timers.push(next, Arc::clone(&task));
                    } else {
                        self.discard_callback(&*task); // cancelled while it ran
                    }
                }
            },
        }
        self.notify_progress();
    }

    /// Logs a caught panic of timer `id` and hands it to the hook. Every
    /// value involved is the user's, so every drop here is caught too.
    pub(crate) fn report_panic(
        &self,
        id: u64,
        payload: Box<dyn std::any::Any + Send>,
        phase: caught::Phase,
    ) {
        caught::log_panic(id, &*payload, phase);
        let Some(hook) = &self.on_panic else {
            caught::drop_payload(payload);
            return;
        };
        let report = PanicReport {
            timer: TimerId(id),
            payload,
        };
        if let Err(hook_payload) = caught::run_caught(|| hook(report)) {
            tracing::error!(timer = id, "the on_panic hook panicked");
            caught::drop_payload(hook_payload);
        }
    }
}

/// Shuts the scheduler down if its thread unwinds (see [`Shared::run`]).
struct SweepOnUnwind<'a>(&'a Shared);

impl Drop for SweepOnUnwind<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            let shared = self.0;
            {
                let _queue = shared.lock();
                shared.shutdown.store(true, Ordering::Release);
                shared.progress.notify_all();
            }
            // Every drop in it is caught: a second panic now would abort.
            shared.sweep();
        }
    }
}
