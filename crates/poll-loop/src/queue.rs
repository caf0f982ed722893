//! The loop's callback queues: ready callbacks in FIFO order, and timers by
//! (deadline, insertion order). Pure data: nothing here runs or drops user
//! code while the loop's state is borrowed — removed callbacks are handed
//! back to the caller to drop.

use std::collections::{BTreeMap, VecDeque};
use std::mem;
use std::panic::Location;
use std::time::Instant;

/// A scheduled closure and where it was scheduled (for panic reports and
/// slow-callback warnings).
pub(crate) struct Callback {
    pub(crate) f: Box<dyn FnOnce()>,
    pub(crate) location: &'static Location<'static>,
}

/// A `call_soon` callback. `callback` is `None` once cancelled: the entry
/// stays in place until the loop reaches it, so the queue stays sorted by
/// `seq` and a cancel is one binary search.
struct ReadyEntry {
    seq: u64,
    callback: Option<Callback>,
}

/// A timer's key: deadline first, then the sequence number, which breaks
/// ties in insertion order.
type TimerKey = (Instant, u64);

#[derive(Default)]
pub(crate) struct Queues {
    /// Every callback and timer gets the next number; handles find their
    /// entry by it.
    next_seq: u64,
    ready: VecDeque<ReadyEntry>,
    timers: BTreeMap<TimerKey, Callback>,
    /// The timers found due at the start of the current iteration, taken
    /// out of `timers` so that ones scheduled meanwhile wait for the next.
    due: BTreeMap<TimerKey, Callback>,
    /// Timers whose deadline never comes (`Duration::MAX`, or past what an
    /// `Instant` can hold). Kept so that they can be cancelled and are
    /// dropped with the loop; they never make the loop wait.
    never: BTreeMap<u64, Callback>,
}

impl Queues {
    fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    pub(crate) fn push_ready(&mut self, callback: Callback) -> u64 {
        let seq = self.next_seq();
        self.ready.push_back(ReadyEntry {
            seq,
            callback: Some(callback),
        });
        seq
    }

    pub(crate) fn push_timer(&mut self, when: Option<Instant>, callback: Callback) -> u64 {
        let seq = self.next_seq();
        match when {
            Some(when) => self.timers.insert((when, seq), callback),
            None => self.never.insert(seq, callback),
        };
        seq
    }

    /// Removes a ready callback that has not run; `None` if it ran, is
    /// running or was cancelled.
    pub(crate) fn cancel_ready(&mut self, seq: u64) -> Option<Callback> {
        let index = self.ready.binary_search_by_key(&seq, |e| e.seq).ok()?;
        self.ready[index].callback.take()
    }

    pub(crate) fn ready_is_pending(&self, seq: u64) -> bool {
        self.ready
            .binary_search_by_key(&seq, |e| e.seq)
            .is_ok_and(|i| self.ready[i].callback.is_some())
    }

    /// Removes a timer that has not run.
    pub(crate) fn cancel_timer(&mut self, when: Option<Instant>, seq: u64) -> Option<Callback> {
        match when {
            Some(when) => self
                .timers
                .remove(&(when, seq))
                .or_else(|| self.due.remove(&(when, seq))),
            None => self.never.remove(&seq),
        }
    }

    pub(crate) fn timer_is_pending(&self, when: Option<Instant>, seq: u64) -> bool {
        match when {
            Some(when) => {
                self.timers.contains_key(&(when, seq)) || self.due.contains_key(&(when, seq))
            }
            None => self.never.contains_key(&seq),
        }
    }

    pub(crate) fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// The next ready entry; `Some(None)` for a cancelled one.
    pub(crate) fn pop_ready(&mut self) -> Option<Option<Callback>> {
        self.ready.pop_front().map(|e| e.callback)
    }

    /// The earliest deadline of a timer that has one.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.first_key_value().map(|(&(when, _), _)| when)
    }

    pub(crate) fn has_timers(&self) -> bool {
        !self.timers.is_empty()
    }

    /// Moves every timer due at `now` to the due batch; returns how many.
    pub(crate) fn take_due(&mut self, now: Instant) -> usize {
        if self.next_deadline().is_none_or(|first| first > now) {
            return 0;
        }
        // `split_off` keeps the keys below `(now, MAX)` here: every timer
        // with a deadline at or before `now` (no timer has seq `MAX`).
        let later = self.timers.split_off(&(now, u64::MAX));
        let mut due = mem::replace(&mut self.timers, later);
        self.due.append(&mut due);
        self.due.len()
    }

    /// The next due timer, with its deadline.
    pub(crate) fn pop_due(&mut self) -> Option<(Instant, u64, Callback)> {
        self.due
            .pop_first()
            .map(|((when, seq), callback)| (when, seq, callback))
    }

    /// True when no callback is queued and no timer with a deadline waits.
    pub(crate) fn is_idle(&self) -> bool {
        self.ready.is_empty() && self.timers.is_empty() && self.due.is_empty()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.is_idle() && self.never.is_empty()
    }

    /// Takes everything, for closing.
    pub(crate) fn take_all(&mut self) -> Queues {
        let taken = mem::take(self);
        self.next_seq = taken.next_seq; // numbers stay unique
        taken
    }
}
