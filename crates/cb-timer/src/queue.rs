//! The scheduler's deadline queue: timers grouped by deadline, each group in
//! the order it was scheduled.

use std::collections::{BTreeMap, btree_map};
use std::mem;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::task::Task;

/// A point in a scheduler's time: nanoseconds since the scheduler started.
///
/// 128 bits hold every `Instant` a platform can represent, so a deadline far
/// in the future is still a deadline, and only [`NEVER`] means never.
pub(crate) type Tick = u128;

/// A deadline that never comes: `Duration::MAX`, or a time past what
/// `Instant` can hold. No clock reaches it.
pub(crate) const NEVER: Tick = Tick::MAX;

/// Timers keyed by deadline (nanoseconds since the scheduler's epoch).
///
/// Timers that share a deadline share one bucket, so scheduling many timers
/// for one instant is a push onto a vector, and firing them walks that vector
/// in the order they were pushed — which is the tie-break the crate promises.
///
/// A cancelled timer stays in its bucket as a tombstone (its callback is
/// already freed) and is skipped when the bucket fires; once tombstones make
/// up half the queue it is compacted, so the cost is amortized O(1) per
/// cancel.
///
/// The counts are exact: each timer's [`Membership`] says whether it is in
/// the queue and whether it was counted as a tombstone, so a timer cancelled
/// after the worker took it out (into the batch it is firing) is not counted,
/// and a tombstone that leaves with a batch takes its count along.
#[derive(Default)]
pub(crate) struct DeadlineQueue {
    buckets: BTreeMap<Tick, Bucket>,
    /// Entries in `buckets`, tombstones included.
    len: usize,
    /// Entries in `buckets` whose membership is [`TOMBSTONE`].
    tombstones: usize,
}

/// Where a timer stands towards its scheduler's queue. Read and written only
/// under the scheduler's lock (which orders it); an atomic only so that the
/// timer, shared with its handles, stays `Sync`.
#[derive(Debug, Default)]
pub(crate) struct Membership(AtomicU8);

/// Not in the queue: never pushed, or taken out to fire or be discarded.
const OUT: u8 = 0;
/// In the queue and counted as pending.
const QUEUED: u8 = 1;
/// In the queue, cancelled, and counted in `tombstones`.
const TOMBSTONE: u8 = 2;

impl Membership {
    fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, to: u8) {
        self.0.store(to, Ordering::Relaxed);
    }
}

/// One timer, or several with the same deadline. Most deadlines are held by
/// one timer, which then costs no vector.
enum Bucket {
    One(Arc<dyn Task>),
    Many(Vec<Arc<dyn Task>>),
}

impl DeadlineQueue {
    pub(crate) fn push(&mut self, deadline: Tick, task: Arc<dyn Task>) {
        let header = task.header();
        debug_assert_eq!(header.membership.get(), OUT, "timer queued twice");
        self.len += 1;
        // Cancelled between re-arming and this push: it enters as the
        // tombstone it is, since its `note_cancelled` found it out.
        if header.state.is_pending() {
            header.membership.set(QUEUED);
        } else {
            header.membership.set(TOMBSTONE);
            self.tombstones += 1;
        }
        match self.buckets.get_mut(&deadline) {
            None => {
                self.buckets.insert(deadline, Bucket::One(task));
            }
            Some(Bucket::Many(tasks)) => tasks.push(task),
            Some(bucket @ Bucket::One(_)) => {
                if let Bucket::One(first) = mem::replace(bucket, Bucket::Many(Vec::new())) {
                    *bucket = Bucket::Many(vec![first, task]);
                }
            }
        }
    }

    /// The earliest deadline, if any timer is queued.
    pub(crate) fn first_deadline(&self) -> Option<Tick> {
        self.buckets
            .first_key_value()
            .map(|(&deadline, _)| deadline)
    }

    /// Takes every timer due at `now`, in firing order; `None` if none is.
    pub(crate) fn take_due(&mut self, now: Tick) -> Option<Due> {
        if self.first_deadline()? > now {
            return None;
        }
        let due = match now.checked_add(1) {
            Some(after_now) => {
                let later = self.buckets.split_off(&after_now);
                mem::replace(&mut self.buckets, later)
            }
            None => mem::take(&mut self.buckets),
        };
        Some(self.taken(due))
    }

    /// Takes every queued timer.
    pub(crate) fn take_all(&mut self) -> Due {
        let all = mem::take(&mut self.buckets);
        self.taken(all)
    }

    /// Marks the timers in `buckets` as out of the queue and uncounts them.
    fn taken(&mut self, buckets: BTreeMap<Tick, Bucket>) -> Due {
        for bucket in buckets.values() {
            for task in bucket.tasks() {
                let membership = &task.header().membership;
                if membership.get() == TOMBSTONE {
                    self.tombstones -= 1;
                }
                membership.set(OUT);
                self.len -= 1;
            }
        }
        Due {
            buckets: buckets.into_iter(),
            deadline: 0,
            current: BucketIter::One(None),
        }
    }

    /// Timers waiting, not counting cancelled ones.
    pub(crate) fn pending(&self) -> usize {
        self.len - self.tombstones
    }

    /// Notes that `task` was cancelled. If the queue holds it, it becomes a
    /// tombstone, and once tombstones make up half the queue they are
    /// removed. Returns the removed ones, to be dropped outside the
    /// scheduler's lock.
    pub(crate) fn note_cancelled(&mut self, task: &dyn Task) -> Vec<Arc<dyn Task>> {
        let membership = &task.header().membership;
        if membership.get() != QUEUED {
            return Vec::new(); // out of the queue, or counted already
        }
        membership.set(TOMBSTONE);
        self.tombstones += 1;
        if self.tombstones < 64 || self.tombstones * 2 < self.len {
            return Vec::new();
        }
        self.compact()
    }

    /// Removes every tombstone.
    fn compact(&mut self) -> Vec<Arc<dyn Task>> {
        let mut removed = Vec::with_capacity(self.tombstones);
        self.buckets.retain(|_, bucket| {
            bucket.retain(|task| {
                let membership = &task.header().membership;
                if membership.get() != TOMBSTONE {
                    return true;
                }
                membership.set(OUT);
                removed.push(Arc::clone(task));
                false
            })
        });
        self.len -= removed.len();
        self.tombstones -= removed.len();
        debug_assert_eq!(self.tombstones, 0);
        removed
    }
}

impl Bucket {
    fn tasks(&self) -> &[Arc<dyn Task>] {
        match self {
            Bucket::One(task) => std::slice::from_ref(task),
            Bucket::Many(tasks) => tasks,
        }
    }

    /// Keeps the timers `keep` says to; false if none is left.
    fn retain(&mut self, mut keep: impl FnMut(&Arc<dyn Task>) -> bool) -> bool {
        match self {
            Bucket::One(task) => keep(task),
            Bucket::Many(tasks) => {
                tasks.retain(|task| keep(task));
                !tasks.is_empty()
            }
        }
    }
}

impl IntoIterator for Bucket {
    type Item = Arc<dyn Task>;
    type IntoIter = BucketIter;

    fn into_iter(self) -> BucketIter {
        match self {
            Bucket::One(task) => BucketIter::One(Some(task)),
            Bucket::Many(tasks) => BucketIter::Many(tasks.into_iter()),
        }
    }
}

pub(crate) enum BucketIter {
    One(Option<Arc<dyn Task>>),
    Many(std::vec::IntoIter<Arc<dyn Task>>),
}

impl Iterator for BucketIter {
    type Item = Arc<dyn Task>;

    fn next(&mut self) -> Option<Arc<dyn Task>> {
        match self {
            BucketIter::One(task) => task.take(),
            BucketIter::Many(tasks) => tasks.next(),
        }
    }
}

/// Timers taken from the queue with their deadlines, in firing order.
pub(crate) struct Due {
    buckets: btree_map::IntoIter<Tick, Bucket>,
    deadline: Tick,
    current: BucketIter,
}

impl Iterator for Due {
    type Item = (Tick, Arc<dyn Task>);

    fn next(&mut self) -> Option<(Tick, Arc<dyn Task>)> {
        loop {
            if let Some(task) = self.current.next() {
                return Some((self.deadline, task));
            }
            let (deadline, bucket) = self.buckets.next()?;
            self.deadline = deadline;
            self.current = bucket.into_iter();
        }
    }
}
