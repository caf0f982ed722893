//! The state every handle of one future shares: the set-once slot, the state
//! machine, and whoever waits for it (blocked threads, done-callbacks, async
//! tasks).
//!
//! One atomic byte carries the whole protocol:
//!
//! - the low bits are the [`State`];
//! - `COMPLETING` is taken, together with the final state it is about to
//!   write, by the one completion (result, exception, cancel, abandon) that
//!   may write the slot. Other writers see at once that they lost, and to
//!   which state (they wait for the write before they return); readers
//!   still see the future as pending or running. The winner writes the
//!   slot, then stores the final state with `Release`, which clears the
//!   flags and publishes the slot. Whoever loads a final state with
//!   `Acquire` may borrow the slot, which never changes again;
//! - `LISTENERS` is set, under the `waiting` lock, by anyone who registers a
//!   callback, a waker or a blocked thread. Completion only takes the lock
//!   when it was set, so completing a future nobody waits on costs two
//!   atomic operations and no lock.
//!
//! A listener sets `LISTENERS` with a compare-and-swap that fails once the
//! state is final, and the completion's final store is a swap that returns
//! the flags: the two are ordered on one atomic, so either the completion
//! sees the listener (and takes the lock, behind which the listener has
//! registered) or the listener sees the final state (and reads the slot
//! itself).
//!
//! The lists of listeners live in a box made by the first listener, so a
//! future nobody waits on neither builds nor drops them. Callbacks and
//! wakers are taken out under the lock and run after it, so user code never
//! runs while the lock is held. A completion made while this thread already
//! runs callbacks hands its own to the thread's queue (`deferred.rs`), so
//! chains of completions do not grow the stack. A listener that gives up
//! (a `wait` that returns, a dropped `.await`) is removed by its key, so a
//! long-lived future does not collect them.
//!
//! The slot is an `UnsafeCell` rather than a `OnceCell` or a mutex because
//! the benchmark (`cargo bench -p benches --bench futures`) measured
//! each at a third of the cost of a whole create-complete-read; the loom
//! models in `loom_models.rs` check every access to it, and CI runs miri.

#![allow(unsafe_code)]

use std::mem;
use std::num::NonZeroU64;
use std::task::Waker;
use std::thread::{self, ThreadId};
use std::time::Instant;

use crate::deferred;
use crate::observer::Observer;
use crate::panic::catch;
use crate::state::State;
use crate::sync::{AtomicU8, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, UnsafeCell};

/// The bits of the state byte that hold a [`State`]: while `COMPLETING`,
/// the final state being written.
const STATE: u8 = 0b00_0111;
/// Someone registered under the lock; completion must take it.
const LISTENERS: u8 = 0b00_1000;
/// A completion owns the slot and is writing it.
const COMPLETING: u8 = 0b01_0000;
/// While `COMPLETING`: the future was running, so readers still see
/// `Running` until the write is published.
const WAS_RUNNING: u8 = 0b10_0000;
/// Once cancelled: `set_running_or_notify_cancel` has said so (Python's
/// `CANCELLED_AND_NOTIFIED`); asking again is an error.
const NOTIFIED: u8 = 0b100_0000;
/// Once raised: somebody read the exception (asyncio's `_log_traceback`
/// cleared), for a loop that reports exceptions nobody read.
const RETRIEVED: u8 = 0b1000_0000;

/// How a future ended. Stored once; never changes after.
pub(crate) enum Outcome<T, E> {
    Returned(T),
    // `std`'s `Arc` even under loom: it is handed to users, not modelled.
    Raised(std::sync::Arc<E>),
    Cancelled,
    Abandoned,
}

impl<T, E> Outcome<T, E> {
    fn state(&self) -> State {
        match self {
            Outcome::Returned(_) | Outcome::Raised(_) => State::Finished,
            Outcome::Cancelled => State::Cancelled,
            Outcome::Abandoned => State::Abandoned,
        }
    }
}

/// A done-callback, as stored until the future is done.
pub(crate) type Callback<T, E> = Box<dyn FnOnce(&Observer<T, E>) + Send>;

/// What a future can only do where `T` and `E` are known to be `'static`,
/// which its constructors require: one function pointer, made there, serves
/// code that is generic without that bound (`Drop`, `Display`).
pub(crate) enum Hook<'a, T, E> {
    /// Queue the callbacks behind those running on this thread.
    Defer(Observer<T, E>, Vec<Callback<T, E>>),
    /// Name the exception's own type, if it is a boxed error (`None` keeps
    /// the static type's name).
    ExceptionName(&'a E, &'a mut Option<String>),
}

pub(crate) type HookFn<T, E> = fn(Hook<'_, T, E>);

/// The hook of a future whose `T` and `E` are `'static`.
pub(crate) fn hook<T: 'static, E: 'static>(hook: Hook<'_, T, E>) {
    match hook {
        Hook::Defer(observer, callbacks) => deferred::defer(Box::new(move || {
            for callback in callbacks {
                run_callback(callback, &observer);
            }
            // Whoever completed the future may have let go of it since:
            // this can be its last handle, and its value's `Drop` must not
            // unwind through the thread's queue of deferred callbacks.
            observer.drop_contained();
        })),
        Hook::ExceptionName(error, name) => *name = crate::names::dynamic_type_name(error),
    }
}

/// The hook of a future whose values may borrow: its callbacks cannot wait
/// in the thread's queue, which may outlive what they borrow, so they run
/// at once; and a borrowed error has no run-time type to name.
pub(crate) fn borrowing_hook<T, E>(hook: Hook<'_, T, E>) {
    match hook {
        Hook::Defer(observer, callbacks) => {
            for callback in callbacks {
                run_callback(callback, &observer);
            }
        }
        Hook::ExceptionName(..) => {}
    }
}

pub(crate) struct Shared<T, E> {
    /// A [`State`] and the `LISTENERS` / `COMPLETING` flags.
    state: AtomicU8,
    /// Written once, by the holder of `COMPLETING`; read once the state is
    /// final.
    slot: UnsafeCell<Option<Outcome<T, E>>>,
    /// Live `Future` handles: the parties able to complete this future.
    completers: AtomicUsize,
    /// Allocated by the first listener: a future nobody waits on never
    /// builds (or drops) these lists.
    waiting: Mutex<Option<Box<Waiting<T, E>>>>,
    /// Threads blocked in `result()` and friends wait here.
    ready: Condvar,
    hook: HookFn<T, E>,
}

// SAFETY: `Shared` is `!Sync` only because of the slot's `UnsafeCell`. The
// slot is written by exactly one thread (the one that won `COMPLETING`),
// before a `Release` store that makes the state final; it is read only after
// an `Acquire` load has seen that final state, and then only through `&`.
// So readers on many threads share `&T` and `&E` (hence `Sync` bounds), and
// the value may be dropped on any thread (hence `Send` bounds).
unsafe impl<T: Send + Sync, E: Send + Sync> Sync for Shared<T, E> {}

struct Waiting<T, E> {
    /// Done-callbacks in the order added, each under a key that can remove
    /// it again.
    callbacks: Vec<(u64, Callback<T, E>)>,
    /// Async tasks waiting, each under the key its handle holds.
    wakers: Vec<(u64, Waker)>,
    /// The one thread that can complete the future, if it said so
    /// ([`Future::set_completing_thread`](crate::Future::set_completing_thread)):
    /// a blocking wait on it would never return.
    owner: Option<ThreadId>,
    /// Threads blocked on `ready`; zero means completing wakes nobody.
    blocked: usize,
}

/// A new key for a callback or a waker: unique among all futures, so that
/// a key given to the wrong future (`Observer::remove_done_callback`)
/// finds nothing there. Keys start at 1, so a handle stores its waker key
/// as a `NonZeroU64` and stays one word smaller. (`std`'s atomic even
/// under loom: it only numbers, it orders nothing.)
fn next_key() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

// By hand: a derive would ask `T: Default` and `E: Default`.
impl<T, E> Default for Waiting<T, E> {
    fn default() -> Self {
        Waiting {
            callbacks: Vec::new(),
            wakers: Vec::new(),
            owner: None,
            blocked: 0,
        }
    }
}

type WaitingGuard<'a, T, E> = MutexGuard<'a, Option<Box<Waiting<T, E>>>>;

/// The lists behind the lock, made on first use.
fn lists<'a, T, E>(guard: &'a mut WaitingGuard<'_, T, E>) -> &'a mut Waiting<T, E> {
    guard.get_or_insert_with(Box::default)
}

/// What a completion attempt found when the future could not take it.
pub(crate) struct Refused<T, E> {
    pub(crate) outcome: Outcome<T, E>,
    pub(crate) state: State,
}

/// The state as writers see it: a completion in progress has already won.
fn claimed_state(bits: u8) -> State {
    State::from_u8(bits & STATE)
}

/// The state as readers see it: not done until the outcome is published.
fn visible_state(bits: u8) -> State {
    match (bits & COMPLETING != 0, bits & WAS_RUNNING != 0) {
        (false, _) => claimed_state(bits),
        (true, false) => State::Pending,
        (true, true) => State::Running,
    }
}

impl<T, E> Shared<T, E> {
    /// A pending future with one completer (the `Future` being created).
    pub(crate) fn new(hook: HookFn<T, E>) -> Shared<T, E> {
        Shared {
            state: AtomicU8::new(State::Pending.to_u8()),
            slot: UnsafeCell::new(None),
            completers: AtomicUsize::new(1),
            waiting: Mutex::new(None),
            ready: Condvar::new(),
            hook,
        }
    }

    /// The exception's own type name, for a boxed error whose type is only
    /// known at run time.
    pub(crate) fn exception_name(&self, error: &E) -> Option<String> {
        let mut name = None;
        (self.hook)(Hook::ExceptionName(error, &mut name));
        name
    }

    pub(crate) fn state(&self) -> State {
        visible_state(self.state.load(Ordering::Acquire))
    }

    /// The outcome, once the state is final.
    pub(crate) fn outcome(&self) -> Option<&Outcome<T, E>> {
        if !self.state().is_done() {
            return None;
        }
        // SAFETY: the state is final, and it was loaded with `Acquire`
        // after `finish` wrote the slot and stored it with `Release`: the
        // write happened before this read, and no write ever follows.
        self.slot.with(|slot| unsafe { (*slot).as_ref() })
    }

    /// The outcome, once final, as a reader takes it: reading an exception
    /// marks it retrieved.
    pub(crate) fn read_outcome(&self) -> Option<&Outcome<T, E>> {
        let outcome = self.outcome()?;
        if matches!(outcome, Outcome::Raised(_)) {
            // Final now: only flags change.
            self.state.fetch_or(RETRIEVED, Ordering::AcqRel);
        }
        Some(outcome)
    }

    /// True once an exception was read through any handle.
    pub(crate) fn exception_retrieved(&self) -> bool {
        self.state.load(Ordering::Acquire) & RETRIEVED != 0
    }

    /// An address that identifies the future, for repr and logs.
    pub(crate) fn address(&self) -> *const () {
        (self as *const Self).cast()
    }

    fn lock(&self) -> WaitingGuard<'_, T, E> {
        // User code never runs under this lock, so a poisoned lock only
        // means a panic in our own bookkeeping; its data is still whole.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets `LISTENERS` (the caller holds the lock and is about to register
    /// something). False if the future is already done: run or read it now
    /// instead of registering.
    fn listen(&self, _waiting: &WaitingGuard<'_, T, E>) -> bool {
        let mut bits = self.state.load(Ordering::Acquire);
        loop {
            if visible_state(bits).is_done() {
                return false;
            }
            if bits & LISTENERS != 0 {
                return true;
            }
            match self.state.compare_exchange(
                bits,
                bits | LISTENERS,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => bits = actual,
            }
        }
    }

    pub(crate) fn add_completer(&self) {
        self.completers.fetch_add(1, Ordering::Relaxed);
    }

    /// Called when a `Future` handle is dropped; the last one abandons a
    /// future that is not done yet.
    #[inline]
    pub(crate) fn remove_completer(observer: &Observer<T, E>) {
        let this = observer.shared();
        // A count of one means this is the only handle, so nobody can clone
        // it meanwhile: skip the read-modify-write.
        let last = this.completers.load(Ordering::Acquire) == 1
            || this.completers.fetch_sub(1, Ordering::AcqRel) == 1;
        if last && !this.state().is_done() {
            // Nobody can complete it now, so this cannot race a completion.
            if Shared::finish(observer, Outcome::Abandoned, |s| !s.is_done()).is_ok() {
                tracing::debug!(future = ?this.address(), "future abandoned");
            }
        }
    }

    /// Stores `outcome` if `allowed` accepts the current state, then wakes
    /// every waiter and runs the callbacks on this thread.
    #[inline]
    pub(crate) fn finish(
        observer: &Observer<T, E>,
        outcome: Outcome<T, E>,
        allowed: impl Fn(State) -> bool,
    ) -> Result<(), Refused<T, E>> {
        let this = observer.shared();
        let new_state = outcome.state();
        // Every completion may end a pending future, so start from the guess
        // "pending, nobody listening" rather than a load: the
        // compare-and-swap reads the state anyway (and corrects a wrong
        // guess), while a load right after `Future::new` stalls on the
        // stores that just made the future (measured: 1.4 of the 21 ns of
        // a create-complete-read).
        debug_assert!(allowed(State::Pending));
        let mut bits = State::Pending.to_u8();
        loop {
            let state = claimed_state(bits);
            if !allowed(state) {
                if bits & COMPLETING != 0 {
                    // Another completion has won but not published yet: wait
                    // for it, so that the caller finds the future done.
                    this.wait(None, None);
                }
                return Err(Refused { outcome, state });
            }
            let was_running = if state == State::Running {
                WAS_RUNNING
            } else {
                0
            };
            let claim = new_state.to_u8() | COMPLETING | was_running | (bits & LISTENERS);
            match this
                .state
                .compare_exchange(bits, claim, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => bits = actual,
            }
        }

        // SAFETY: winning `COMPLETING` makes this thread the only one that
        // writes the slot, ever; nobody reads it before the final state is
        // stored below. The old value is `None`, so no user code runs here.
        this.slot.with_mut(|slot| unsafe { *slot = Some(outcome) });
        let previous = this.state.swap(new_state.to_u8(), Ordering::AcqRel);
        tracing::trace!(future = ?this.address(), state = %new_state, "future done");

        if previous & LISTENERS != 0 {
            Shared::notify_listeners(observer);
        }
        Ok(())
    }

    /// The rest of a completion that found listeners: wakes the blocked
    /// threads and tasks and runs the callbacks. Out of line, so that the
    /// common completion, which nobody waits on yet, stays small.
    #[inline(never)]
    fn notify_listeners(observer: &Observer<T, E>) {
        let this = observer.shared();
        let mut guard = this.lock();
        let waiting = lists(&mut guard);
        let wake_threads = waiting.blocked > 0;
        let callbacks = mem::take(&mut waiting.callbacks);
        let wakers = mem::take(&mut waiting.wakers);
        drop(guard);
        // Notified after unlocking, so a woken thread does not block
        // again on the lock we hold. It cannot miss the notification:
        // it registered and started waiting under the lock, before we
        // took it.
        if wake_threads {
            this.ready.notify_all();
        }
        match deferred::enter() {
            Some(scope) => {
                for (_, callback) in callbacks {
                    run_callback(callback, observer);
                }
                for (_, waker) in wakers {
                    wake(waker, this.address());
                }
                // Runs the callbacks of completions they made.
                drop(scope);
            }
            None => {
                // Inside a callback on this thread: ours run after it.
                if !callbacks.is_empty() {
                    let callbacks = callbacks.into_iter().map(|(_, c)| c).collect();
                    (this.hook)(Hook::Defer(observer.clone(), callbacks));
                }
                for (_, waker) in wakers {
                    wake(waker, this.address());
                }
            }
        }
    }

    /// Pending → Running. `Ok(false)` the first time it finds the future
    /// cancelled; the other states, and asking a cancelled future again, are
    /// the caller's mistake and come back as `Err`.
    pub(crate) fn set_running(&self) -> Result<bool, State> {
        let mut bits = self.state.load(Ordering::Acquire);
        loop {
            let refusal = match claimed_state(bits) {
                State::Pending => None,
                State::Cancelled => Some(Ok(false)),
                other => Some(Err(other)),
            };
            if let Some(refusal) = refusal {
                if bits & COMPLETING != 0 {
                    self.wait(None, None);
                }
                if refusal == Ok(false) {
                    // Final now: only this flag ever changes again.
                    let before = self.state.fetch_or(NOTIFIED, Ordering::AcqRel);
                    if before & NOTIFIED != 0 {
                        return Err(State::Cancelled);
                    }
                }
                return refusal;
            }
            let running = (bits & !STATE) | State::Running.to_u8();
            match self
                .state
                .compare_exchange(bits, running, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    tracing::trace!(future = ?self.address(), "future running");
                    return Ok(true);
                }
                Err(actual) => bits = actual,
            }
        }
    }

    /// Python's `cancel`: true if the future is (now) cancelled.
    pub(crate) fn cancel(observer: &Observer<T, E>) -> bool {
        match Shared::finish(observer, Outcome::Cancelled, |s| s == State::Pending) {
            Ok(()) => true,
            Err(refused) => refused.state == State::Cancelled,
        }
    }

    /// Runs `callback` when the future is done: now, on this thread, if it
    /// already is (then `None`); otherwise on the thread that completes it,
    /// and the key returned can [remove](Shared::remove_callback) it until
    /// then.
    pub(crate) fn add_callback(observer: &Observer<T, E>, callback: Callback<T, E>) -> Option<u64> {
        let this = observer.shared();
        let mut guard = this.lock();
        if this.listen(&guard) {
            let waiting = lists(&mut guard);
            let key = next_key();
            waiting.callbacks.push((key, callback));
            Some(key)
        } else {
            drop(guard);
            // At once, even inside another callback; but what it completes
            // waits its turn like any completion made by a callback.
            let scope = deferred::enter();
            run_callback(callback, observer);
            drop(scope);
            None
        }
    }

    /// Forgets the callback under `key` if it has not run (or started).
    /// True if it was removed.
    pub(crate) fn remove_callback(&self, key: u64) -> bool {
        let mut guard = self.lock();
        let removed = guard.as_mut().and_then(|waiting| {
            let index = waiting.callbacks.iter().position(|(id, _)| *id == key)?;
            // `remove`, not `swap_remove`: the others keep their order.
            Some(waiting.callbacks.remove(index))
        });
        drop(guard);
        // The closure's captures are dropped outside the lock.
        removed.is_some()
    }

    /// Records the one thread that completes this future.
    pub(crate) fn set_owner(&self, thread: ThreadId) {
        let mut guard = self.lock();
        lists(&mut guard).owner = Some(thread);
    }

    /// Blocks until the future is done, or until `deadline`. True if done.
    ///
    /// `call` names a user's blocking read (`result`, …): it panics instead
    /// if this thread is the one that must complete the future, since the
    /// wait would never return (a deadline already passed only looks). The
    /// crate's own waits for a completion in progress pass `None`.
    #[inline]
    pub(crate) fn wait(&self, deadline: Option<Instant>, call: Option<&'static str>) -> bool {
        // Most reads find the future done: keep that path small enough to
        // inline, and the blocking one out of line.
        self.state().is_done() || self.block(deadline, call)
    }

    #[inline(never)]
    fn block(&self, deadline: Option<Instant>, call: Option<&'static str>) -> bool {
        let mut waiting = self.lock();
        if !self.listen(&waiting) {
            return true;
        }
        if let Some(call) = call {
            let owner = lists(&mut waiting).owner;
            if owner.is_some_and(|owner| owner == thread::current().id())
                && deadline.is_none_or(|d| d > Instant::now())
            {
                drop(waiting);
                panic!(
                    "`{call}` blocks on a pending future that only this thread can complete \
                     (its completing thread, e.g. an event loop's own): it would never return; \
                     await it, or read it with `try_result` once it is done"
                );
            }
        }
        lists(&mut waiting).blocked += 1;
        let done = loop {
            if self.state().is_done() {
                break true;
            }
            waiting = match deadline {
                None => self
                    .ready
                    .wait(waiting)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break false;
                    }
                    self.ready
                        .wait_timeout(waiting, deadline - now)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
            };
        };
        lists(&mut waiting).blocked -= 1;
        done
    }

    /// For `.await`: true if done; otherwise `waker` is registered (under
    /// `key`, reusing it on later polls) to be woken on completion.
    pub(crate) fn poll_ready(&self, key: &mut Option<NonZeroU64>, waker: &Waker) -> bool {
        if self.state().is_done() {
            return true;
        }
        // Cloning and dropping a waker run the executor's code: do both
        // outside the lock.
        let mut new = Some(waker.clone());
        let mut guard = self.lock();
        if !self.listen(&guard) {
            return true;
        }
        let waiting = lists(&mut guard);
        let registered = key.and_then(|k| waiting.wakers.iter_mut().find(|(id, _)| *id == k.get()));
        match registered {
            Some((_, registered)) if registered.will_wake(waker) => {}
            Some((_, registered)) => mem::swap(registered, new.as_mut().expect("not taken yet")),
            None => {
                let k = next_key();
                waiting.wakers.push((k, new.take().expect("not taken yet")));
                *key = NonZeroU64::new(k);
            }
        }
        drop(guard);
        drop(new);
        false
    }

    /// Forgets the waker under `key` (a handle dropped before completion).
    pub(crate) fn remove_waker(&self, key: NonZeroU64) {
        let mut guard = self.lock();
        let removed = guard.as_mut().and_then(|waiting| {
            let index = waiting.wakers.iter().position(|(id, _)| *id == key.get())?;
            Some(waiting.wakers.swap_remove(index))
        });
        drop(guard);
        drop(removed);
    }
}

/// Runs one done-callback, containing a panic (in the callback, in the
/// `Drop` of what it captured, or in its payload's `Drop`): the panic is
/// reported and the remaining callbacks still run.
fn run_callback<T, E>(callback: Callback<T, E>, observer: &Observer<T, E>) {
    if let Err(panicked) = catch(|| callback(observer)) {
        tracing::error!(
            future = ?observer.shared().address(),
            panic = panicked.report(),
            "done callback panicked"
        );
    }
}

/// Wakes one async task, containing a panic in the executor's waker (its
/// `wake` or its `Drop`) so the other tasks are still woken.
fn wake(waker: Waker, future: *const ()) {
    if let Err(panicked) = catch(|| waker.wake()) {
        tracing::error!(
            future = ?future,
            panic = panicked.report(),
            "waker panicked"
        );
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    /// Two words are returned in registers; a third made every handle
    /// go through memory (a quarter of a create-complete-read).
    #[test]
    fn handles_are_two_words() {
        assert_eq!(size_of::<crate::Future<u64>>(), 2 * size_of::<usize>());
        assert_eq!(size_of::<crate::Observer<u64>>(), 2 * size_of::<usize>());
    }
}
