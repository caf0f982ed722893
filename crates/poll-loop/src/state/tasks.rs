//! The loop's tasks as state: the slab of spawned futures (`Tasks`), the
//! `Header` a task's wakers and handles share, and the two traits through
//! which the loop holds a task's future and output whatever their types
//! (implemented by the task layer, in `task/body.rs`). The operations —
//! spawning, polling, waking — are the task layer's (`task.rs`).
//
// A spawned future lives in the loop's task slab (it need not be `Send`).
// What wakers hold is only the task's `Header` (`Send + Sync`): its
// scheduling state (`task_state`), its slab slot and the loop's
// cross-thread queue.

use std::any::Any;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};

use crate::state::pages::Pages;
use crate::state::remote::Remote;
use crate::state::task_state::TaskState;

/// What the loop needs of a task's output, whatever its type.
pub(crate) trait TaskOutput: Any {
    /// True once the task should stop (see `Output::cancel_requested`).
    fn cancel_requested(&self) -> bool;

    /// Records the task cancelled, once its future is dropped.
    fn cancelled(&self);

    /// Records the task dropped unfinished; nothing if it finished.
    fn abandon(&self);

    /// True if nothing but the task can read or cancel it once its handles
    /// are gone (see `Output::unviewed_and_running`).
    fn unviewed_and_running(&self) -> bool;

    /// The output, to publish a value into once its type is known.
    fn as_any(&self) -> &dyn Any;
}

/// Where a task's outcome goes.
#[derive(Clone, Copy)]
pub(crate) enum Reader<'a> {
    /// Its join handles read it here.
    Handles(&'a dyn TaskOutput),
    /// Its last handle went unread while it ran (spawned here): nobody can
    /// read the outcome, so none is kept, and a panic is reported as
    /// never retrieved, as the output would have been.
    Gone(&'static Location<'static>),
    /// Spawned without handles (a `TaskGroup` child): the loop reports a
    /// panic as it does a callback's.
    None,
}

/// A spawned future, as the loop polls it.
pub(crate) trait TaskFuture {
    /// Polls the future once. For a task with join handles, panics are
    /// caught and the outcome is published to them once the future is
    /// dropped; a cancel requested through them drops the future unpolled.
    /// `Ready` once the future is dropped.
    fn poll_task(self: Pin<&mut Self>, cx: &mut Context<'_>, reader: Reader<'_>) -> Poll<()>;
}

/// A task's future, boxed (see `body`).
pub(crate) type LocalTask = Pin<Box<dyn TaskFuture>>;

/// Who reads a task's outcome, as the loop holds it.
pub(crate) enum Readers {
    /// Its join handles, through this output.
    Handles(Arc<dyn TaskOutput>),
    /// Nobody any more: its last handle was dropped unread while it ran,
    /// and the loop let the output go at once rather than hold it until
    /// the task ends (a sleeping task of benches/tasks: 88 bytes less).
    Gone,
    /// Nobody: spawned without handles.
    Never,
}

impl Readers {
    /// Lets the output go if its handles are all gone (the task holds the
    /// one count left): spawned and dropped before the loop ran, say.
    pub(crate) fn let_go_if_unread(&mut self) {
        if let Readers::Handles(output) = self {
            if Arc::strong_count(output) == 1 && output.unviewed_and_running() {
                *self = Readers::Gone;
            }
        }
    }

    pub(crate) fn reader(&self, location: &'static Location<'static>) -> Reader<'_> {
        match self {
            Readers::Handles(output) => Reader::Handles(&**output),
            Readers::Gone => Reader::Gone(location),
            Readers::Never => Reader::None,
        }
    }
}

/// What a task's wakers (and its [`JoinHandle`](crate::JoinHandle)) share, on any thread.
pub(crate) struct Header {
    pub(crate) state: TaskState,
    /// The task's slot in the loop's slab, set when the loop stores it
    /// (the header may be made on another thread, by
    /// `ThreadsafeHandle::spawn`). Only the loop's thread reads it.
    /// 32 bits, so that the header is 48 bytes with its counts, not 56.
    pub(crate) slot: AtomicU32,
    /// Numbers the task in `tracing` events.
    pub(crate) id: u64,
    pub(crate) remote: Arc<Remote>,
    /// Where the task was spawned: slow-poll warnings name it.
    pub(crate) location: &'static Location<'static>,
}

/// Numbers the tasks of every loop.
static NEXT_TASK_ID: AtomicU64 = AtomicU64::new(0);

impl Header {
    /// The header of a task about to be queued for its first poll.
    pub(crate) fn new(remote: &Arc<Remote>, location: &'static Location<'static>) -> Arc<Header> {
        Arc::new(Header {
            state: TaskState::scheduled(),
            slot: AtomicU32::new(u32::MAX),
            id: NEXT_TASK_ID.fetch_add(1, Ordering::Relaxed),
            remote: Arc::clone(remote),
            location,
        })
    }

    pub(crate) fn slot(&self) -> usize {
        self.slot.load(Ordering::Relaxed) as usize
    }

    /// True on the thread of the task's loop: the one thread that polls
    /// the task, so that blocking it until the task is done never ends.
    pub(crate) fn on_loop_thread(&self) -> bool {
        std::thread::current().id() == self.remote.thread
    }

    /// The thread of the task's loop.
    pub(crate) fn loop_thread(&self) -> std::thread::ThreadId {
        self.remote.thread
    }
}

/// The loop's tasks, by slot. A task's future is out of its slot while it
/// is polled.
//
// The free slots are a list threaded through the slab itself, as in
// `queue.rs` and for the same reason: a separate `Vec` of free slots grows
// while tasks finish, and each growth past a few pages made glibc's
// `malloc` consolidate the many small blocks the finished tasks freed —
// stalls of up to tens of milliseconds, measured by benches/tasks as sleep
// lateness.
#[derive(Default)]
pub(crate) struct Tasks {
    slots: Pages<Entry>,
    /// The first free slot, if any.
    free: Option<usize>,
    live: usize,
}

enum Entry {
    Live(Slot),
    /// Free, with the next free slot.
    Free(Option<usize>),
}

struct Slot {
    header: Arc<Header>,
    /// The future and the output, out of the slot while the task is polled.
    future: Option<(LocalTask, Readers)>,
}

/// A task the loop dropped unfinished (it closed): dropping this drops the
/// future, then (even if that panics: fields drop in order) leaves the
/// task's handles abandoned.
pub(crate) struct Unfinished {
    pub(crate) _future: LocalTask,
    pub(crate) _output: Abandon,
}

/// Abandons a task's output when dropped, unless the task finished.
pub(crate) struct Abandon(pub(crate) Readers);

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Readers::Handles(output) = &self.0 {
            output.abandon();
        }
    }
}

impl Tasks {
    /// Stores a new task, whose first poll the caller queues.
    pub(crate) fn insert(&mut self, header: &Arc<Header>, future: LocalTask, output: Readers) {
        let slot = self.free.unwrap_or(self.slots.len());
        let number = u32::try_from(slot).expect("fewer than 2^32 tasks at once");
        header.slot.store(number, Ordering::Relaxed);
        self.live += 1;
        let entry = Entry::Live(Slot {
            header: Arc::clone(header),
            future: Some((future, output)),
        });
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else if let Entry::Free(next) = std::mem::replace(&mut self.slots[slot], entry) {
            self.free = next;
        }
    }

    fn slot(&mut self, header: &Arc<Header>) -> Option<&mut Slot> {
        match self.slots.get_mut(header.slot())? {
            Entry::Live(slot) if Arc::ptr_eq(&slot.header, header) => Some(slot),
            _ => None,
        }
    }

    /// Takes the task's future and output out, to poll it.
    pub(crate) fn take(&mut self, header: &Arc<Header>) -> Option<(LocalTask, Readers)> {
        self.slot(header)?.future.take()
    }

    pub(crate) fn put_back(&mut self, header: &Arc<Header>, task: (LocalTask, Readers)) {
        if let Some(slot) = self.slot(header) {
            slot.future = Some(task);
        }
    }

    /// Takes the output of a waiting task whose handles are all gone but
    /// the one being dropped (`Output` counts it too).
    pub(crate) fn release_output(&mut self, header: &Arc<Header>) -> Option<Arc<dyn TaskOutput>> {
        let (_, readers) = self.slot(header)?.future.as_mut()?;
        if !matches!(readers, Readers::Handles(output) if Arc::strong_count(output) == 2) {
            return None;
        }
        match std::mem::replace(readers, Readers::Gone) {
            Readers::Handles(output) => Some(output),
            _ => None,
        }
    }

    /// Frees the slot of a finished task.
    pub(crate) fn remove(&mut self, header: &Arc<Header>) {
        if self.slot(header).is_some() {
            let slot = header.slot();
            self.slots[slot] = Entry::Free(self.free);
            self.free = Some(slot);
            self.live -= 1;
        }
    }

    /// True when no task is unfinished.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Takes every task, for closing: they are finished as far as their
    /// wakers know, and their futures are for the caller to drop.
    pub(crate) fn take_all(&mut self) -> Vec<(Unfinished, &'static Location<'static>)> {
        let slots = std::mem::take(&mut self.slots);
        self.free = None;
        self.live = 0;
        slots
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Live(slot) => {
                    slot.header.state.finish();
                    let (future, output) = slot.future?;
                    let unfinished = Unfinished {
                        _future: future,
                        _output: Abandon(output),
                    };
                    Some((unfinished, slot.header.location))
                }
                Entry::Free(_) => None,
            })
            .collect()
    }
}
