//! The loop's callback queues: ready callbacks in FIFO order, and timers by
//! (deadline, insertion order). Pure data: nothing here runs or drops user
//! code while the loop's state is borrowed — removed callbacks are handed
//! back to the caller to drop.
//
// Costs, as measured by benches/event_loop: a ready entry is 16 bytes (the
// location lives in the callback's own allocation) and its number is implied
// by its place in the queue, so a cancel is an index, not a search. Timers
// are a binary heap of (deadline, number, slot) over a slab of callbacks: a
// push is O(1) on average for random deadlines (the `BTreeMap` this replaced
// spent ~3x as long scheduling 100k random timers), a cancel frees the slab
// slot at once and leaves its heap entry behind as stale, to be skipped when
// it surfaces or swept when stale entries outnumber live ones. Nothing here
// allocates while timers fire (see `Entry::Free`).

use std::any::{Any, TypeId};
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::mem;
use std::panic::Location;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::state::pages::Pages;

/// A scheduled closure and where it was scheduled (for panic reports and
/// slow-callback warnings), in one allocation.
pub(crate) trait Call {
    /// Where the callback was scheduled.
    fn location(&self) -> &'static Location<'static>;

    /// Runs the callback, after writing where it was scheduled to
    /// `running`, so that the caller, which catches panics, can name the
    /// callback that panicked.
    fn call(self: Box<Self>, running: &mut Option<&'static Location<'static>>);

    /// What runs, for debug mode's slow-callback warning.
    fn what(&self) -> &'static str {
        "callback"
    }

    /// As [`call`](Call::call), but may first leave its allocation, emptied,
    /// in `spare` for the next `call_soon` to reuse.
    #[inline]
    fn call_reusing(
        self: Box<Self>,
        running: &mut Option<&'static Location<'static>>,
        _spare: &Spare,
    ) {
        self.call(running);
    }
}

pub(crate) struct Located<F> {
    f: F,
    location: &'static Location<'static>,
}

impl<F> Located<F> {
    /// The closure back, unrun.
    pub(crate) fn into_inner(self) -> F {
        self.f
    }
}

impl<F: FnOnce()> Call for Located<F> {
    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    #[inline]
    fn call(self: Box<Self>, running: &mut Option<&'static Location<'static>>) {
        let Located { f, location } = *self;
        *running = Some(location);
        f();
    }
}

/// A callback on the loop's thread.
pub(crate) type Callback = Box<dyn Call>;

/// Boxes `f` with its `location`.
#[inline]
pub(crate) fn callback<F: FnOnce() + 'static>(
    f: F,
    location: &'static Location<'static>,
) -> Callback {
    Box::new(Located { f, location })
}

/// A `call_soon` callback: like [`Located`], but its box outlives the
/// closure, to be reused by the next `call_soon` of the same closure type.
pub(crate) struct Reusable<F> {
    /// `None` once run (the box is then spare) — never while queued.
    f: Option<F>,
    location: &'static Location<'static>,
}

impl<F: FnOnce() + 'static> Call for Reusable<F> {
    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn call(mut self: Box<Self>, running: &mut Option<&'static Location<'static>>) {
        *running = Some(self.location);
        if let Some(f) = self.f.take() {
            drop(self);
            f();
        }
    }

    #[inline]
    fn call_reusing(
        mut self: Box<Self>,
        running: &mut Option<&'static Location<'static>>,
        spare: &Spare,
    ) {
        *running = Some(self.location);
        if let Some(f) = self.f.take() {
            spare.put(self);
            f();
        }
    }
}

/// The box of the last `call_soon` callback that ran, emptied, for the
/// next one to fill instead of allocating.
//
// A callback that queues the next one, of the same closure type, is the
// busy loop's common case (a chain, a state machine rescheduling itself).
// There, taking a box from here and putting it back once the closure has
// been moved out saves a `malloc` and a `free` per callback: in
// benches/event_loop's chained run they were over a quarter of a
// callback's cost (24 ns to 17.5 ns). One box of one type: a miss (another
// type, or nothing spare) costs a comparison and allocates as before.
//
// The box is kept with the `TypeId` of what it holds, and recovered with a
// cast after comparing ids, not with `Box<dyn Any>::downcast`: that one
// asks the box's vtable for its type, and the call made the caller spill
// its new closure to the stack and copy it back into the box at once, a
// failed store-to-load forward per callback that cost more than what the
// reuse saves beyond the allocator (chained: 15.2-18.2 ns, median 16.2,
// with `downcast`; 11.5-12 ns with the cast, the floor being 14-15 ns).
#[derive(Default)]
pub(crate) struct Spare(Cell<Option<(TypeId, Box<dyn Any>)>>);

impl Spare {
    /// Boxes `f` with its `location`, in the spare box if it fits.
    #[inline]
    pub(crate) fn callback<F: FnOnce() + 'static>(
        &self,
        f: F,
        location: &'static Location<'static>,
    ) -> Callback {
        match self.take::<F>() {
            Some(mut reused) => {
                reused.f = Some(f);
                reused.location = location;
                reused
            }
            None => Box::new(Reusable {
                f: Some(f),
                location,
            }),
        }
    }

    /// The spare box, if it is one for `F`.
    #[inline]
    fn take<F: FnOnce() + 'static>(&self) -> Option<Box<Reusable<F>>> {
        let (id, spare) = self.0.take()?;
        if id != TypeId::of::<Reusable<F>>() {
            self.0.set(Some((id, spare)));
            return None;
        }
        let spare = Box::into_raw(spare).cast::<Reusable<F>>();
        // SAFETY: only `put` fills the cell, and it pairs every box with the
        // `TypeId` of what the box holds: this one holds a `Reusable<F>`,
        // and was allocated as a `Box<Reusable<F>>`.
        #[allow(unsafe_code)]
        let reused = unsafe { Box::from_raw(spare) };
        Some(reused)
    }

    /// Keeps `emptied` (whose closure was taken), dropping the box kept
    /// before, whose closure is gone too: no user code runs.
    #[inline]
    fn put<F: FnOnce() + 'static>(&self, emptied: Box<Reusable<F>>) {
        let kept: Box<dyn Any> = emptied;
        drop(self.0.replace(Some((TypeId::of::<Reusable<F>>(), kept))));
    }
}

/// Boxes `f` with its `location`, to be sent to the loop's thread (as a
/// `Box<dyn Call + Send>`) or handed back.
#[inline]
pub(crate) fn send_callback<F: FnOnce() + Send + 'static>(
    f: F,
    location: &'static Location<'static>,
) -> Box<Located<F>> {
    Box::new(Located { f, location })
}

/// Where a timer lives, for its handle to find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerId {
    pub(crate) seq: u64,
    slot: usize,
}

/// A timer's place in the heap: deadline first, then the sequence number,
/// which breaks ties in insertion order. `BinaryHeap` is a max-heap, so the
/// order is reversed.
//
// 24 bytes, not the 32 an `Instant` and a `usize` slot take: the deadline
// is counted in nanoseconds from the queue's `epoch` (see `Ticks`), and the
// slot in 32 bits. With 100,000 sleeping tasks the heap is the largest
// structure the loop has (and doubling, old and new are allocated at once).
#[derive(Clone, Copy)]
struct HeapEntry {
    when: Ticks,
    seq: u64,
    slot: u32,
}

const _: () = assert!(mem::size_of::<HeapEntry>() == 24);

/// Nanoseconds since a queue's `epoch`.
//
// The epoch is `PAST` (2^63 ns, about 292 years) before the queue was
// created, or the earliest instant the platform's `Instant` can hold if that
// is later (where `Instant` counts from the boot): deadlines before the loop
// existed (`call_at(now - 2 s)` on a new loop) keep their order, as asyncio
// keeps it. The 2^64 ns a `u64` holds then reach about 292 years past the
// creation (more where the epoch is the clock's origin). Outside the range
// a deadline is saturated: any before the epoch counts as 0, so such
// deadlines (only made on purpose, with `checked_sub` of centuries) run in
// scheduling order among themselves, still before every later one; any at
// or past the end counts as `Ticks::MAX`, which is never due (`take_due`),
// so a timer is never run before its deadline: one set centuries ahead
// keeps the loop waiting, as it would anyway, and never fires.
type Ticks = u64;

/// How far before a queue's creation its deadlines start (at most).
const PAST: Ticks = 1 << 63;

/// The epoch of a queue created at `now`: `PAST` before it, or as far back
/// as an `Instant` goes if that is less.
fn epoch(now: Instant) -> Instant {
    let back = |nanos| now.checked_sub(Duration::from_nanos(nanos));
    back(longest(PAST, |nanos| back(nanos).is_some())).unwrap_or(now)
}

/// The largest `n <= max` for which `fits(n)` holds, given that it holds
/// for 0 and, once false, stays false for larger `n`. One call if `max`
/// fits, else a binary search (64 calls at most).
fn longest(max: u64, fits: impl Fn(u64) -> bool) -> u64 {
    if fits(max) {
        return max;
    }
    let (mut yes, mut no) = (0, max);
    while no - yes > 1 {
        let mid = yes + (no - yes) / 2;
        if fits(mid) {
            yes = mid;
        } else {
            no = mid;
        }
    }
    yes
}

impl Ord for HeapEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

impl PartialOrd for HeapEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for HeapEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.when, self.seq) == (other.when, other.seq)
    }
}

impl Eq for HeapEntry {}

/// A slab slot: the timer numbered `seq`, or a free slot.
struct Slot {
    seq: u64,
    entry: Entry,
}

/// What a timer does when it fires.
pub(crate) enum Timed {
    /// Runs a callback (`call_later`, `call_at`).
    Call(Callback),
    /// Wakes a task (`sleep`): no callback to allocate.
    Wake(Waker),
}

impl Timed {
    /// Where the timer was scheduled, if it knows.
    pub(crate) fn location(&self) -> Option<&'static Location<'static>> {
        match self {
            Timed::Call(callback) => Some(callback.location()),
            Timed::Wake(_) => None,
        }
    }
}

enum Entry {
    Live(Timed),
    /// Free, with the next free slot (`NONE` for none): the free list lives
    /// in the slab itself. (A separate `Vec` of free slots grew while timers
    /// fired, and each growth past a few pages made glibc's `malloc`
    /// consolidate the thousands of small blocks the fired callbacks had
    /// freed: a millisecond-long stall, visible as timer lateness.)
    Free {
        next: usize,
    },
}

const NONE: usize = usize::MAX;

impl Slot {
    fn is_live(&self, seq: u64) -> bool {
        self.seq == seq && matches!(self.entry, Entry::Live(_))
    }
}

pub(crate) struct Queues {
    /// The number of the front ready entry; the others follow in order.
    ready_head: u64,
    /// `call_soon` callbacks. `None` once cancelled: the entry stays in
    /// place until the loop reaches it, so numbers stay positions.
    ready: VecDeque<Option<Callback>>,
    /// Every timer gets the next number; handles find their entry by it.
    next_timer_seq: u64,
    slots: Pages<Slot>,
    /// The first free slot, `NONE` if there is none.
    free: usize,
    /// Timers with a deadline, by (deadline, number). Entries whose slot
    /// was freed (cancelled) are stale; the top is never stale.
    heap: BinaryHeap<HeapEntry>,
    /// What the heap's deadlines count from.
    epoch: Instant,
    /// The timers found due at the start of the current iteration, taken
    /// out of the heap so that ones scheduled meanwhile wait for the next.
    /// May hold stale entries (cancelled meanwhile).
    due: VecDeque<HeapEntry>,
    /// Live timers with a deadline (in the heap or the due batch).
    armed: usize,
    /// Timers whose deadline never comes (`Duration::MAX`, or past what an
    /// `Instant` can hold), by number, with their slots. Kept so that they
    /// can be cancelled and are dropped with the loop; they never make the
    /// loop wait.
    never: BTreeMap<u64, usize>,
}

impl Default for Queues {
    fn default() -> Queues {
        Queues {
            ready_head: 0,
            ready: VecDeque::new(),
            next_timer_seq: 0,
            slots: Pages::default(),
            free: NONE,
            heap: BinaryHeap::new(),
            epoch: epoch(Instant::now()),
            due: VecDeque::new(),
            armed: 0,
            never: BTreeMap::new(),
        }
    }
}

impl Queues {
    #[inline]
    pub(crate) fn push_ready(&mut self, callback: Callback) -> u64 {
        self.ready.push_back(Some(callback));
        self.ready_head + (self.ready.len() as u64 - 1)
    }

    pub(crate) fn push_timer(&mut self, when: Option<Instant>, callback: Timed) -> TimerId {
        let seq = self.next_timer_seq;
        self.next_timer_seq += 1;
        let entry = Entry::Live(callback);
        let slot = if self.free == NONE {
            self.slots.push(Slot { seq, entry });
            self.slots.len() - 1
        } else {
            let index = self.free;
            let old = mem::replace(&mut self.slots[index], Slot { seq, entry });
            if let Entry::Free { next } = old.entry {
                self.free = next;
            }
            index
        };
        match when {
            Some(when) => {
                let when = self.ticks(when);
                let slot = u32::try_from(slot).expect("fewer than 2^32 timers at once");
                self.heap.push(HeapEntry { when, seq, slot });
                self.armed += 1;
            }
            None => {
                self.never.insert(seq, slot);
            }
        }
        TimerId { seq, slot }
    }

    /// The index in `ready` of the entry numbered `seq`, if it is still
    /// queued (it may be cancelled).
    fn ready_index(&self, seq: u64) -> Option<usize> {
        let index = usize::try_from(seq.checked_sub(self.ready_head)?).ok()?;
        (index < self.ready.len()).then_some(index)
    }

    /// Removes a ready callback that has not run; `None` if it ran, is
    /// running or was cancelled.
    pub(crate) fn cancel_ready(&mut self, seq: u64) -> Option<Callback> {
        let index = self.ready_index(seq)?;
        self.ready[index].take()
    }

    pub(crate) fn ready_is_pending(&self, seq: u64) -> bool {
        self.ready_index(seq)
            .is_some_and(|index| self.ready[index].is_some())
    }

    fn slot(&self, id: TimerId) -> Option<&Slot> {
        self.slots.get(id.slot).filter(|slot| slot.is_live(id.seq))
    }

    /// Takes the callback out of a live slot and frees the slot.
    fn free_slot(&mut self, slot: usize) -> Option<Timed> {
        let next = Entry::Free { next: self.free };
        match mem::replace(&mut self.slots[slot].entry, next) {
            Entry::Live(callback) => {
                self.free = slot;
                Some(callback)
            }
            free => {
                self.slots[slot].entry = free;
                None
            }
        }
    }

    /// Removes a timer that has not run.
    pub(crate) fn cancel_timer(&mut self, when: Option<Instant>, id: TimerId) -> Option<Timed> {
        self.slot(id)?;
        let callback = self.free_slot(id.slot);
        if when.is_some() {
            self.armed -= 1;
            self.sweep();
        } else {
            self.never.remove(&id.seq);
        }
        callback
    }

    pub(crate) fn timer_is_pending(&self, id: TimerId) -> bool {
        self.slot(id).is_some()
    }

    /// True if the timer `id` is pending and wakes what `waker` wakes.
    pub(crate) fn timer_will_wake(&self, id: TimerId, waker: &Waker) -> bool {
        matches!(
            self.slot(id),
            Some(Slot { entry: Entry::Live(Timed::Wake(ours)), .. }) if ours.will_wake(waker)
        )
    }

    fn ticks(&self, when: Instant) -> Ticks {
        let since = when.saturating_duration_since(self.epoch).as_nanos();
        Ticks::try_from(since).unwrap_or(Ticks::MAX)
    }

    /// The deadline `ticks` stands for, if an `Instant` can hold it (one
    /// that was due, at most the current time, always can).
    fn instant(&self, ticks: Ticks) -> Option<Instant> {
        self.epoch.checked_add(Duration::from_nanos(ticks))
    }

    fn is_live(&self, entry: &HeapEntry) -> bool {
        self.slots[entry.slot as usize].is_live(entry.seq)
    }

    /// Drops stale entries from the top of the heap, and rebuilds it when
    /// stale entries outnumber the live ones.
    fn sweep(&mut self) {
        if self.heap.len() > 2 * self.armed + 64 {
            let mut heap = mem::take(&mut self.heap).into_vec();
            heap.retain(|entry| self.is_live(entry));
            self.heap = BinaryHeap::from(heap);
        }
        while let Some(top) = self.heap.peek() {
            if self.is_live(top) {
                break;
            }
            self.heap.pop();
        }
    }

    #[inline]
    pub(crate) fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// The next ready entry; `Some(None)` for a cancelled one.
    #[inline]
    pub(crate) fn pop_ready(&mut self) -> Option<Option<Callback>> {
        let entry = self.ready.pop_front()?;
        self.ready_head += 1;
        Some(entry)
    }

    /// The earliest deadline of a timer that has one; `None` if it is past
    /// the range of `Ticks` (never due: nothing to wait for).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let top = self.heap.peek()?;
        if top.when == Ticks::MAX {
            return None;
        }
        self.instant(top.when)
    }

    #[inline]
    pub(crate) fn has_timers(&self) -> bool {
        !self.heap.is_empty()
    }

    /// Moves every timer due at `now` to the due batch; returns how many.
    pub(crate) fn take_due(&mut self, now: Instant) -> usize {
        // Short of `Ticks::MAX`, which stands for deadlines past the range:
        // never due.
        let now = self.ticks(now).min(Ticks::MAX - 1);
        while let Some(top) = self.heap.peek() {
            if top.when > now {
                break;
            }
            let entry = *top;
            self.heap.pop();
            if self.is_live(&entry) {
                self.due.push_back(entry);
            }
        }
        self.sweep();
        self.due.len()
    }

    /// The next due timer that is still live, with its deadline and number.
    pub(crate) fn pop_due(&mut self) -> Option<(Instant, u64, Timed)> {
        while let Some(entry) = self.due.pop_front() {
            if self.is_live(&entry) {
                let callback = self.free_slot(entry.slot as usize)?;
                self.armed -= 1;
                let when = self.instant(entry.when).unwrap_or(self.epoch);
                return Some((when, entry.seq, callback));
            }
        }
        None
    }

    /// True when no callback is queued and no timer with a deadline waits.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.ready.is_empty() && self.armed == 0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.is_idle() && self.never.is_empty()
    }

    /// Every callback still held, ready ones first, for closing (to be
    /// dropped one at a time).
    pub(crate) fn into_callbacks(self) -> impl Iterator<Item = Timed> {
        let timers = self.slots.into_iter().filter_map(|slot| match slot.entry {
            Entry::Live(timed) => Some(timed),
            Entry::Free { .. } => None,
        });
        self.ready
            .into_iter()
            .flatten()
            .map(Timed::Call)
            .chain(timers)
    }

    /// Takes everything, for closing.
    pub(crate) fn take_all(&mut self) -> Queues {
        let taken = mem::take(self);
        // Numbers stay unique, so that old handles never match new entries.
        self.ready_head = taken.ready_head + taken.ready.len() as u64;
        self.next_timer_seq = taken.next_timer_seq;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

    fn nothing() -> Timed {
        Timed::Call(callback(|| {}, Location::caller()))
    }

    /// The numbers of the timers due at `now`, in the order they run.
    fn due(queues: &mut Queues, now: Instant) -> Vec<u64> {
        queues.take_due(now);
        std::iter::from_fn(|| queues.pop_due().map(|(_, seq, _)| seq)).collect()
    }

    #[test]
    fn longest_finds_the_last_span_that_fits() {
        for limit in [0, 1, 2, 3, 1000, 1 << 40, PAST - 1, PAST] {
            assert_eq!(longest(PAST, |n| n <= limit), limit);
        }
    }

    #[test]
    fn the_epoch_is_past_before_now_or_as_far_as_an_instant_goes() {
        let now = Instant::now();
        let epoch = epoch(now);
        match now.checked_sub(Duration::from_nanos(PAST)) {
            Some(back) => assert_eq!(epoch, back),
            None => assert!(epoch.checked_sub(Duration::from_nanos(1)).is_none()),
        }
    }

    #[test]
    fn deadlines_past_the_range_are_never_due() {
        let mut queues = Queues::default();
        let now = Instant::now();
        let end = queues.instant(Ticks::MAX - 1).expect("the range's end");
        let Some(beyond) = end.checked_add(1000 * YEAR) else {
            return; // no `Instant` past the range: nothing to saturate
        };
        let inside = queues.push_timer(Some(end), nothing());
        queues.push_timer(Some(beyond), nothing());
        assert_eq!(queues.next_deadline(), Some(end));
        assert_eq!(due(&mut queues, now), []);
        // At the end of the range the last deadline in it is due; the one
        // past it is not, even once its own time has come.
        assert_eq!(due(&mut queues, end), [inside.seq]);
        assert_eq!(queues.next_deadline(), None, "nothing to wait for");
        assert_eq!(due(&mut queues, beyond), []);
        assert!(!queues.is_idle(), "still armed, still cancellable");
    }

    #[test]
    fn deadlines_before_the_range_run_first_in_scheduling_order() {
        // The documented limit: before the epoch, deadlines tie.
        let mut queues = Queues::default();
        let now = Instant::now();
        let Some(ancient) = queues.epoch.checked_sub(2000 * YEAR) else {
            return; // the epoch is as far back as an `Instant` goes
        };
        let later = queues.push_timer(Some(now), nothing());
        let b = queues.push_timer(Some(ancient + 1000 * YEAR), nothing());
        let a = queues.push_timer(Some(ancient), nothing());
        assert_eq!(due(&mut queues, now), [b.seq, a.seq, later.seq]);
    }
}
