//! A task's scheduling state: the rule that makes a wake-up from any thread
//! queue the task's next poll exactly once, and never lose one.
//!
//! ```text
//!   spawn                 wake: CAS, caller queues a poll
//!     |          IDLE ------------------------------------> SCHEDULED
//!     v           ^                                            |
//!  SCHEDULED      | poll returned Pending: CAS                 | poll starts: CAS
//!     |           |                                            v
//!     +-----------|------------- poll starts: CAS --------> RUNNING ---- Ready --> DONE
//!                 |                                          |    ^
//!                 +------------------------------------------+    |
//!                                      wake: CAS                  | (re-queued by the loop)
//!                                          v                      |
//!                                        WOKEN --- Pending: CAS --+--> SCHEDULED
//! ```
//!
//! Other threads only ever move `IDLE` to `SCHEDULED` (and then they queue
//! the poll) or `RUNNING` to `WOKEN` (and then the loop queues it when the
//! poll returns). Every other transition is the loop's. So at most one poll
//! is queued at a time, and a wake-up that lands while the task runs is
//! turned into one more poll rather than lost. A `DONE` task ignores
//! wake-ups.
//!
//! Orderings: every change of the state is a read-modify-write, and a
//! wake-up always writes (even when the task is already scheduled, it
//! writes the same state back). So the loop's next read-modify-write
//! (starting the poll, or finding `WOKEN` after one) acquires every
//! wake-up before it, and whatever a waker wrote before waking is visible
//! to the poll that follows.

use crate::state::sync::{AtomicU8, Ordering};

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const WOKEN: u8 = 3;
const DONE: u8 = 4;

pub(crate) struct TaskState(AtomicU8);

impl TaskState {
    /// A new task, whose first poll its spawner queues.
    pub(crate) fn scheduled() -> TaskState {
        TaskState(AtomicU8::new(SCHEDULED))
    }

    /// A wake-up, from any thread. True if the caller must queue a poll.
    pub(crate) fn wake(&self) -> bool {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            let next = match current {
                IDLE => SCHEDULED,
                RUNNING => WOKEN,
                // Already queued or to be re-queued: written back
                // unchanged, so that the poll to come, whose CAS reads
                // this write, also sees what the waker wrote before it.
                SCHEDULED | WOKEN => current,
                _ => return false, // finished
            };
            match self
                .0
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return current == IDLE,
                Err(actual) => current = actual,
            }
        }
    }

    /// The loop is about to poll. False if the task is not scheduled (it
    /// finished, or the poll is stale), and then it must not be polled.
    pub(crate) fn start_poll(&self) -> bool {
        self.0
            .compare_exchange(SCHEDULED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The poll returned `Pending`. True if the task was woken meanwhile:
    /// it is scheduled again, and the caller must queue the poll.
    pub(crate) fn end_poll_pending(&self) -> bool {
        match self
            .0
            .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(actual) => {
                debug_assert_eq!(actual, WOKEN);
                // Only the loop leaves `WOKEN`; a CAS rather than a store,
                // so that wakers' writes of `WOKEN` stay in the chain of
                // read-modify-writes the next poll acquires.
                let requeued =
                    self.0
                        .compare_exchange(WOKEN, SCHEDULED, Ordering::AcqRel, Ordering::Acquire);
                debug_assert!(requeued.is_ok());
                true
            }
        }
    }

    /// The task finished or was dropped: wake-ups are ignored from now on.
    pub(crate) fn finish(&self) {
        // A swap, not a store: a waker's CAS racing it must either come
        // first (and be overwritten) or see `DONE`.
        self.0.swap(DONE, Ordering::AcqRel);
    }

    /// True once the task finished or was dropped.
    #[cfg(loom)]
    pub(crate) fn is_done(&self) -> bool {
        self.0.load(Ordering::Acquire) == DONE
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use loom::sync::Arc;
    use loom::sync::Mutex;
    use loom::sync::atomic::AtomicUsize;

    use super::*;

    /// The loop's side: the count of queued polls stands for the run
    /// queue, `data` for what the wakers publish before waking.
    struct Model {
        task: TaskState,
        queued: Mutex<usize>,
        data: AtomicUsize,
    }

    impl Model {
        fn new() -> Arc<Model> {
            Arc::new(Model {
                task: TaskState::scheduled(),
                queued: Mutex::new(1), // spawn queued the first poll
                data: AtomicUsize::new(0),
            })
        }

        fn queue(&self) {
            let mut queued = self.queued.lock().unwrap();
            *queued += 1;
            assert!(*queued <= 1, "a task queued twice");
        }

        fn spawn_waker(model: &Arc<Model>) -> loom::thread::JoinHandle<()> {
            let model = Arc::clone(model);
            loom::thread::spawn(move || {
                model.data.fetch_add(1, Ordering::Relaxed);
                if model.task.wake() {
                    model.queue();
                }
            })
        }

        /// Runs the queued polls; the task finishes once it has seen
        /// `wanted` wake-ups' data. Returns whether it finished.
        fn run_queued(&self, wanted: usize) -> bool {
            loop {
                {
                    let mut queued = self.queued.lock().unwrap();
                    if *queued == 0 {
                        return self.task.is_done();
                    }
                    *queued -= 1;
                }
                assert!(
                    self.task.start_poll(),
                    "a queued poll of an unscheduled task"
                );
                if self.data.load(Ordering::Relaxed) == wanted {
                    self.task.finish();
                } else if self.task.end_poll_pending() {
                    self.queue();
                }
            }
        }
    }

    /// A wake-up racing the task's polls is never lost: once the waker is
    /// done, the task has seen its data or has a poll queued that will.
    #[test]
    fn wake_during_poll_is_polled_again() {
        loom::model(|| {
            let model = Model::new();
            let waker = Model::spawn_waker(&model);
            let finished_early = model.run_queued(1);
            waker.join().unwrap();
            assert!(finished_early || model.run_queued(1), "wake-up lost");
        });
    }

    /// Two wakers race the loop and each other: the task is queued at most
    /// once at any time (checked by `queue`) and sees both.
    ///
    /// Three threads explore too many interleavings to finish in CI; as
    /// loom recommends, the model bounds preemptions (races needing more
    /// than three forced switches are not explored).
    #[test]
    fn racing_wakes_queue_once() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let model = Model::new();
            let wakers: Vec<_> = (0..2).map(|_| Model::spawn_waker(&model)).collect();
            let finished_early = model.run_queued(2);
            for waker in wakers {
                waker.join().unwrap();
            }
            assert!(finished_early || model.run_queued(2), "wake-up lost");
        });
    }

    /// A task that finishes in its first poll is never queued again,
    /// whenever the wake-up lands (before, during or after that poll).
    #[test]
    fn wake_around_finish_queues_nothing() {
        loom::model(|| {
            let model = Model::new();
            let waker = Model::spawn_waker(&model);
            *model.queued.lock().unwrap() -= 1;
            assert!(model.task.start_poll());
            model.task.finish();
            waker.join().unwrap();
            assert!(
                model.task.is_done(),
                "state {}",
                model.task.0.load(Ordering::SeqCst)
            );
            assert_eq!(
                *model.queued.lock().unwrap(),
                0,
                "a finished task was queued"
            );
        });
    }
}
