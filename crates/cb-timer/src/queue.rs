//! The scheduler's deadline queue: timers grouped by deadline, each group in
//! the order it was scheduled.

use std::collections::{BTreeMap, btree_map};
use std::mem;
use std::sync::Arc;

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
#[derive(Default)]
pub(crate) struct DeadlineQueue {
    buckets: BTreeMap<Tick, Bucket>,
    /// Entries in `buckets`, tombstones included.
    len: usize,
    tombstones: usize,
}

/// One timer, or several with the same deadline. Most deadlines are held by
/// one timer, which then costs no vector.
enum Bucket {
    One(Arc<dyn Task>),
    Many(Vec<Arc<dyn Task>>),
}

impl DeadlineQueue {
    pub(crate) fn push(&mut self, deadline: Tick, task: Arc<dyn Task>) {
        self.len += 1;
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

    fn taken(&mut self, buckets: BTreeMap<Tick, Bucket>) -> Due {
        self.len -= buckets.values().map(Bucket::len).sum::<usize>();
        // Tombstones leave with their buckets unseen; the count only decides
        // when to compact, so an estimate capped by the length is enough.
        self.tombstones = self.tombstones.min(self.len);
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

    /// Notes that a queued timer was cancelled; compacts when tombstones make
    /// up half the queue. Returns the removed tombstones, to be dropped
    /// outside the scheduler's lock.
    pub(crate) fn note_cancelled(&mut self) -> Vec<Arc<dyn Task>> {
        self.tombstones += 1;
        if self.tombstones < 64 || self.tombstones * 2 < self.len {
            return Vec::new();
        }
        let mut removed = Vec::with_capacity(self.tombstones);
        let buckets = mem::take(&mut self.buckets);
        for (deadline, bucket) in buckets {
            for task in bucket {
                if task.header().state.is_pending() {
                    self.push_kept(deadline, task);
                } else {
                    removed.push(task);
                }
            }
        }
        self.len -= removed.len();
        self.tombstones = 0;
        removed
    }

    fn push_kept(&mut self, deadline: Tick, task: Arc<dyn Task>) {
        self.len -= 1; // `push` counts it again
        self.push(deadline, task);
    }
}

impl Bucket {
    fn len(&self) -> usize {
        match self {
            Bucket::One(_) => 1,
            Bucket::Many(tasks) => tasks.len(),
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
