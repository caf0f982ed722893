//! The state every handle of one future shares: the set-once slot, the state
//! machine, and whoever waits for it (blocked threads, done-callbacks, async
//! tasks).
//!
//! One lock guards every transition. The outcome lives in a `OnceCell` that
//! is written once under that lock and read without it, and `state` is
//! stored after the cell is written: a reader that sees a final state can
//! borrow the outcome with no lock at all. Callbacks and wakers are taken out
//! under the lock and run after it is released, so user code never runs
//! while the lock is held.

use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::task::Waker;
use std::time::Instant;

use once_cell::sync::OnceCell;

use crate::observer::Observer;
use crate::panic::payload_message;
use crate::state::State;
use crate::sync::{Arc, AtomicU8, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};

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

pub(crate) struct Shared<T, E> {
    /// A [`State`] as `u8`; written under `waiting`'s lock, read anywhere.
    state: AtomicU8,
    /// Set once, under the lock, just before `state` becomes final.
    slot: OnceCell<Outcome<T, E>>,
    waiting: Mutex<Waiting<T, E>>,
    /// Threads blocked in `result()` and friends wait here.
    ready: Condvar,
    /// Live `Future` handles: the parties able to complete this future.
    completers: AtomicUsize,
}

struct Waiting<T, E> {
    callbacks: Vec<Callback<T, E>>,
    /// Async tasks waiting, each under the key its `Wait` holds.
    wakers: Vec<(u64, Waker)>,
    next_key: u64,
    /// Threads blocked on `ready`; zero means completing needs no syscall.
    blocked: usize,
}

/// What a completion attempt found when the future could not take it.
pub(crate) struct Refused<T, E> {
    pub(crate) outcome: Outcome<T, E>,
    pub(crate) state: State,
}

impl<T, E> Shared<T, E> {
    /// A pending future with one completer (the `Future` being created).
    pub(crate) fn new() -> Shared<T, E> {
        Shared {
            state: AtomicU8::new(State::Pending.to_u8()),
            slot: OnceCell::new(),
            waiting: Mutex::new(Waiting {
                callbacks: Vec::new(),
                wakers: Vec::new(),
                next_key: 0,
                blocked: 0,
            }),
            ready: Condvar::new(),
            completers: AtomicUsize::new(1),
        }
    }

    pub(crate) fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Acquire))
    }

    /// The outcome, once the state is final.
    pub(crate) fn outcome(&self) -> Option<&Outcome<T, E>> {
        // The state is stored after the slot, so a final state means a full
        // slot; checking the state first keeps `done()` and this in step.
        if self.state().is_done() {
            self.slot.get()
        } else {
            None
        }
    }

    /// An address that identifies the future, for repr and logs.
    pub(crate) fn address(&self) -> *const () {
        (self as *const Self).cast()
    }

    fn lock(&self) -> MutexGuard<'_, Waiting<T, E>> {
        // User code never runs under this lock, so a poisoned lock only
        // means a panic in our own bookkeeping; its data is still whole.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn add_completer(&self) {
        self.completers.fetch_add(1, Ordering::Relaxed);
    }

    /// Called when a `Future` handle is dropped; the last one abandons a
    /// future that is not done yet.
    pub(crate) fn remove_completer(this: &Arc<Self>) {
        if this.completers.fetch_sub(1, Ordering::AcqRel) == 1 && !this.state().is_done() {
            // Nobody can complete it now, so this cannot race a completion.
            let _ = Shared::finish(this, Outcome::Abandoned, |s| !s.is_done());
            tracing::debug!(future = ?this.address(), "future abandoned");
        }
    }

    /// Stores `outcome` if `allowed` accepts the current state, then wakes
    /// every waiter and runs the callbacks on this thread.
    pub(crate) fn finish(
        this: &Arc<Self>,
        outcome: Outcome<T, E>,
        allowed: impl FnOnce(State) -> bool,
    ) -> Result<(), Refused<T, E>> {
        let mut waiting = this.lock();
        let state = this.state();
        if !allowed(state) {
            return Err(Refused { outcome, state });
        }
        let new_state = outcome.state();
        if this.slot.set(outcome).is_err() {
            unreachable!("a future's slot is only written once, under the lock");
        }
        this.state.store(new_state.to_u8(), Ordering::Release);
        if waiting.blocked > 0 {
            this.ready.notify_all();
        }
        let callbacks = mem::take(&mut waiting.callbacks);
        let wakers = mem::take(&mut waiting.wakers);
        drop(waiting);

        tracing::trace!(future = ?this.address(), state = %new_state, "future done");
        if !callbacks.is_empty() {
            let observer = Observer::from_shared(Arc::clone(this));
            for callback in callbacks {
                run_callback(callback, &observer);
            }
        }
        for (_, waker) in wakers {
            waker.wake();
        }
        Ok(())
    }

    /// Pending → Running. `Ok(false)` if it was cancelled; the other states
    /// are the caller's mistake and come back as `Err`.
    pub(crate) fn set_running(&self) -> Result<bool, State> {
        let _waiting = self.lock();
        match self.state() {
            State::Pending => {
                self.state.store(State::Running.to_u8(), Ordering::Release);
                tracing::trace!(future = ?self.address(), "future running");
                Ok(true)
            }
            State::Cancelled => Ok(false),
            other => Err(other),
        }
    }

    /// Python's `cancel`: true if the future is (now) cancelled.
    pub(crate) fn cancel(this: &Arc<Self>) -> bool {
        match Shared::finish(this, Outcome::Cancelled, |s| s == State::Pending) {
            Ok(()) => true,
            Err(refused) => refused.state == State::Cancelled,
        }
    }

    /// Runs `callback` when the future is done: now, on this thread, if it
    /// already is; otherwise on the thread that completes it.
    pub(crate) fn add_callback(this: &Arc<Self>, callback: Callback<T, E>) {
        let mut waiting = this.lock();
        if this.state().is_done() {
            drop(waiting);
            run_callback(callback, &Observer::from_shared(Arc::clone(this)));
        } else {
            waiting.callbacks.push(callback);
        }
    }

    /// Blocks until the future is done, or until `deadline`. True if done.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        if self.state().is_done() {
            return true;
        }
        let mut waiting = self.lock();
        waiting.blocked += 1;
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
        waiting.blocked -= 1;
        done
    }

    /// For `.await`: true if done; otherwise `waker` is registered (under
    /// `key`, reusing it on later polls) to be woken on completion.
    pub(crate) fn poll_ready(&self, key: &mut Option<u64>, waker: &Waker) -> bool {
        if self.state().is_done() {
            return true;
        }
        // Cloning and dropping a waker run the executor's code: do both
        // outside the lock.
        let mut new = Some(waker.clone());
        let mut waiting = self.lock();
        if self.state().is_done() {
            return true;
        }
        let registered = key.and_then(|k| waiting.wakers.iter_mut().find(|(id, _)| *id == k));
        match registered {
            Some((_, registered)) if registered.will_wake(waker) => {}
            Some((_, registered)) => mem::swap(registered, new.as_mut().expect("not taken yet")),
            None => {
                let k = waiting.next_key;
                waiting.next_key += 1;
                waiting.wakers.push((k, new.take().expect("not taken yet")));
                *key = Some(k);
            }
        }
        drop(waiting);
        drop(new);
        false
    }

    /// Forgets the waker under `key` (a `Wait` dropped before completion).
    pub(crate) fn remove_waker(&self, key: u64) {
        let mut waiting = self.lock();
        let removed = waiting
            .wakers
            .iter()
            .position(|(id, _)| *id == key)
            .map(|i| waiting.wakers.swap_remove(i));
        drop(waiting);
        drop(removed);
    }
}

/// Runs one done-callback, containing a panic: the panic is reported and the
/// remaining callbacks still run.
fn run_callback<T, E>(callback: Callback<T, E>, observer: &Observer<T, E>) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| callback(observer))) {
        tracing::error!(
            future = ?observer.shared().address(),
            panic = payload_message(payload.as_ref()).unwrap_or("<non-string payload>"),
            "done callback panicked"
        );
    }
}
