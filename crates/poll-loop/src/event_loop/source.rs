//! The `Source` trait: anything the loop watches besides its own callbacks
//! and timers, and the registry that holds them.

use std::fmt;
use std::panic::Location;
use std::rc::Weak;
use std::time::Instant;

use crate::event_loop::inner::{Inner, LoopHandle};
use crate::event_loop::threadsafe::ThreadsafeHandle;

/// Something the loop watches: asked each iteration whether it is ready,
/// and dispatched on the loop's thread when it is.
///
/// This is the tutorial's "list of timers" generalised: the loop keeps a
/// list of sources, asks each whether it is [`Ready`](Readiness::Ready),
/// and dispatches the ready ones. What the tutorial's loop lacked is the
/// second half of [`Readiness`]: a source that is not ready says when it
/// will be ([`At`](Readiness::At)), or that another thread will
/// [wake](ThreadsafeHandle::wake) the loop when it is
/// ([`Pending`](Readiness::Pending)). The loop then sleeps until the
/// earliest deadline or wake-up instead of asking again and again.
///
/// Register a source with
/// [`LoopHandle::insert_source`](crate::LoopHandle::insert_source). The
/// crate's own sources are [`Timer`](crate::Timer),
/// [`RepeatingTimer`](crate::RepeatingTimer),
/// [`Channel`](crate::Channel), and the one behind
/// [`on_future_done`](crate::LoopHandle::on_future_done).
///
/// # Contract
///
/// - [`readiness`](Source::readiness) is called at least once per loop
///   iteration and must not block; it should be cheap.
/// - [`dispatch`](Source::dispatch) is called only after `readiness`
///   returned [`Ready`](Readiness::Ready) in the same iteration. If a
///   callback, timer or other source's dispatch ran in between (which may
///   have consumed what made it ready), `readiness` is asked again just
///   before the dispatch, and a source no longer ready is skipped until a
///   later iteration (CPython issue 25593).
/// - A source that becomes ready because of another thread must make that
///   thread call [`ThreadsafeHandle::wake`] (it receives a handle in
///   [`register`](Source::register)); otherwise a sleeping loop notices only
///   at its next wake-up. A change made on the loop's thread (by a callback)
///   is seen before the loop next sleeps.
/// - A panic in `dispatch` is reported to the loop's exception handler and
///   the source stays registered; a panic in `readiness` is reported and the
///   source is removed (it can no longer say when to look at it).
///
/// # Examples
///
/// A source that counts down one step per 10 ms:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::{Duration, Instant};
/// use poll_loop::{EventLoop, LoopHandle, PostAction, Readiness, Source};
///
/// struct Countdown {
///     left: u32,
///     next: Instant,
///     seen: Rc<Cell<u32>>,
/// }
///
/// impl Source for Countdown {
///     fn readiness(&mut self, now: Instant) -> Readiness {
///         if now >= self.next { Readiness::Ready } else { Readiness::At(self.next) }
///     }
///
///     fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
///         self.seen.set(self.seen.get() + 1);
///         self.left -= 1;
///         self.next += Duration::from_millis(10);
///         if self.left == 0 { PostAction::Remove } else { PostAction::Continue }
///     }
/// }
///
/// let lp = EventLoop::new();
/// let seen = Rc::new(Cell::new(0));
/// let start = Instant::now();
/// lp.insert_source(Countdown { left: 3, next: start, seen: seen.clone() });
/// lp.run_until_idle()?; // returns once the source removed itself
/// assert_eq!(seen.get(), 3);
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # Ok::<(), poll_loop::RunError>(())
/// ```
pub trait Source {
    /// Whether the source has something to dispatch at `now` (the loop's
    /// reading of the clock for this iteration) and, if not, when it will.
    fn readiness(&mut self, now: Instant) -> Readiness;

    /// Handles what made the source ready, on the loop's thread, and says
    /// whether the source stays registered.
    fn dispatch(&mut self, lp: &LoopHandle) -> PostAction;

    /// Called once, when the source is inserted, with a handle other
    /// threads can use to wake the loop. The default does nothing.
    fn register(&mut self, waker: &ThreadsafeHandle) {
        let _ = waker;
    }
}

/// What a [`Source`] tells the loop each iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Readiness {
    /// Ready now: the loop calls [`dispatch`](Source::dispatch) in this
    /// iteration.
    Ready,
    /// Not ready before this instant; the loop sleeps at most until then.
    /// Asked again after it, the source may still say it is not ready.
    At(Instant),
    /// Not ready, and no deadline is known: the loop may sleep until
    /// something wakes it (see the [contract](Source#contract)).
    Pending,
}

/// What happens to a source after [`dispatch`](Source::dispatch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PostAction {
    /// Keep it registered.
    Continue,
    /// Remove it from the loop and drop it.
    Remove,
}

/// A registered [`Source`]: ask whether it is still registered, or remove
/// it.
///
/// Dropping the handle does not remove the source. Clones refer to the same
/// source.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poll_loop::{EventLoop, PostAction, RepeatingTimer};
///
/// let lp = EventLoop::new();
/// let ticker = lp.insert_source(RepeatingTimer::new(Duration::from_millis(5), || {
///     PostAction::Continue // would tick forever
/// }));
/// let h = lp.handle();
/// let t = ticker.clone();
/// lp.call_later(Duration::from_millis(20), move || {
///     assert!(t.remove());
///     h.stop();
/// });
/// lp.run_until_idle()?; // the source's removal lets it return
/// assert!(!ticker.is_registered());
/// # Ok::<(), poll_loop::RunError>(())
/// ```
#[derive(Clone)]
pub struct SourceHandle {
    id: u64,
    inner: Weak<Inner>,
}

impl SourceHandle {
    pub(crate) fn new(id: u64, inner: Weak<Inner>) -> SourceHandle {
        SourceHandle { id, inner }
    }

    /// Removes the source and drops it; it is not dispatched again. True if
    /// it was registered. Safe from any callback, the source's own
    /// `dispatch` included (it is then dropped when `dispatch` returns).
    pub fn remove(&self) -> bool {
        match self.inner.upgrade() {
            Some(inner) => inner.remove_source(self.id),
            None => false,
        }
    }

    /// True while the source is registered: not removed, not finished, and
    /// its loop not closed.
    pub fn is_registered(&self) -> bool {
        self.inner
            .upgrade()
            .is_some_and(|inner| inner.source_is_registered(self.id))
    }
}

impl fmt::Debug for SourceHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceHandle")
            .field("id", &self.id)
            .finish()
    }
}

/// One registered source. `source` is `None` while the loop has it out to
/// call it; a slot removed meanwhile is gone, and the loop then drops the
/// source instead of putting it back.
struct Slot {
    id: u64,
    source: Option<Box<dyn Source>>,
    location: &'static Location<'static>,
}

/// The registered sources, in registration order.
#[derive(Default)]
pub(crate) struct Sources {
    slots: Vec<Slot>,
    next_id: u64,
}

impl Sources {
    pub(crate) fn insert(
        &mut self,
        source: Box<dyn Source>,
        location: &'static Location<'static>,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.slots.push(Slot {
            id,
            source: Some(source),
            location,
        });
        id
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.slots.binary_search_by_key(&id, |s| s.id).ok()
    }

    /// Takes out the first source with an id above `after` (all if `None`)
    /// and below `limit`, to be called and put back.
    pub(crate) fn take_next(
        &mut self,
        after: Option<u64>,
        limit: u64,
    ) -> Option<(u64, Box<dyn Source>, &'static Location<'static>)> {
        let start = after.map_or(0, |after| self.slots.partition_point(|s| s.id <= after));
        let slot = self.slots[start..]
            .iter_mut()
            .take_while(|s| s.id < limit)
            .find(|s| s.source.is_some())?;
        let source = slot.source.take()?;
        Some((slot.id, source, slot.location))
    }

    /// Takes out the source `id` if it is registered and not out already.
    pub(crate) fn take(
        &mut self,
        id: u64,
    ) -> Option<(Box<dyn Source>, &'static Location<'static>)> {
        let index = self.index(id)?;
        let slot = &mut self.slots[index];
        Some((slot.source.take()?, slot.location))
    }

    /// Puts a source back; hands it back if it was removed meanwhile.
    pub(crate) fn put_back(&mut self, id: u64, source: Box<dyn Source>) -> Option<Box<dyn Source>> {
        match self.index(id) {
            Some(index) => {
                self.slots[index].source = Some(source);
                None
            }
            None => Some(source),
        }
    }

    /// Unregisters `id`. Returns whether it was registered, and the source
    /// to drop if the loop did not have it out.
    pub(crate) fn remove(&mut self, id: u64) -> (bool, Option<Box<dyn Source>>) {
        match self.index(id) {
            Some(index) => (true, self.slots.remove(index).source),
            None => (false, None),
        }
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        self.index(id).is_some()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Takes every source, for closing.
    pub(crate) fn take_all(&mut self) -> Vec<(Box<dyn Source>, &'static Location<'static>)> {
        self.slots
            .drain(..)
            .filter_map(|s| Some((s.source?, s.location)))
            .collect()
    }
}
