//! Waiting for many futures at once: Python's `concurrent.futures.wait` and
//! `as_completed`.
//!
//! Both register one done-callback on every future that is not done yet;
//! the callbacks push the future's index to one shared `Notifier`, which the
//! waiting thread blocks on. When the wait ends (it returns, times out, or
//! the iterator is dropped) the callbacks that have not run are removed
//! again, so polling a long-lived future in a loop costs no memory. A
//! callback holds only a `Weak` to the notifier and an index, so one that
//! runs while it is being removed does nothing.

use std::collections::{HashSet, VecDeque};
use std::error::Error;
use std::fmt;
use std::iter::FusedIterator;
// `std`, not `crate::sync`: this is plain blocking code between real
// threads, not part of the state machine loom models.
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::observer::Observer;
use crate::shared::{Outcome, Shared};

/// When [`wait`] returns, besides the timeout. Python's `FIRST_COMPLETED`,
/// `FIRST_EXCEPTION` and `ALL_COMPLETED`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any future is done (finished, cancelled or abandoned).
    FirstCompleted,
    /// As soon as any future *fails*: it finished with an exception, or it
    /// was [`Abandoned`](crate::State::Abandoned) (no result will ever come,
    /// which this crate counts as a failure too). A cancelled future is not
    /// a failure, as in Python. If no future fails, this is
    /// [`AllCompleted`](ReturnWhen::AllCompleted).
    FirstException,
    /// When every future is done. The default, as in Python.
    #[default]
    AllCompleted,
}

/// What [`wait`] found: the futures that are done and those that are not,
/// each list in input order. Python's `DoneAndNotDone` named tuple.
///
/// The split is a snapshot taken as `wait` returns; a future in `not_done`
/// may be done by the time you look at it.
pub struct DoneAndNotDone<T, E = crate::Exception> {
    /// The futures that were done (finished, cancelled or abandoned).
    pub done: Vec<Observer<T, E>>,
    /// The futures that were still pending or running.
    pub not_done: Vec<Observer<T, E>>,
}

/// Waits for the futures until `return_when` says so or `timeout` passes,
/// then splits them into the [`done`](DoneAndNotDone::done) and the
/// [`not_done`](DoneAndNotDone::not_done).
///
/// This is Python's `concurrent.futures.wait(fs, timeout, return_when)`.
/// `futures` may hold [`Future`](crate::Future)s, [`Observer`]s or
/// references to either. A timeout of `None` waits as long as it takes (a
/// timeout too large to represent, too); `Some(Duration::ZERO)` only looks.
/// Running out of time is not an error: the futures that are not done are
/// simply in `not_done`.
///
/// A future given more than once counts once, at its first position (Python
/// takes a set; here duplicates are found with
/// [`same_future`](Observer::same_future)).
///
/// If the condition already holds, or the timeout is zero, `wait` returns
/// at once without registering anything. Otherwise it adds a done-callback
/// to every future that is not done, and removes those that have not run
/// before it returns: calling `wait` again and again on a future that stays
/// pending leaves nothing behind.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use std::time::Duration;
/// use simple_future::{Future, ReturnWhen, wait};
///
/// let fast: Future<&str> = Future::new();
/// let slow: Future<&str> = Future::new();
/// let producer = fast.clone();
/// thread::spawn(move || producer.set_result("fast").unwrap());
///
/// let split = wait([&slow, &fast], None, ReturnWhen::FirstCompleted);
/// assert!(split.done[0].same_future(&fast));
/// assert!(split.not_done[0].same_future(&slow));
///
/// // `slow` never completes: a timeout ends the wait anyway.
/// let split = wait([&slow, &fast], Some(Duration::from_millis(20)), ReturnWhen::AllCompleted);
/// assert_eq!((split.done.len(), split.not_done.len()), (1, 1));
/// ```
pub fn wait<T, E, I>(
    futures: I,
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> DoneAndNotDone<T, E>
where
    I: IntoIterator,
    I::Item: AsRef<Observer<T, E>>,
{
    let deadline = deadline_after(timeout);
    let futures = unique(futures);
    let mut progress = Progress {
        return_when,
        pending: 0,
        any_done: false,
        any_failed: false,
    };
    let mut not_done = Vec::new();
    for (index, future) in futures.iter().enumerate() {
        if future.done() {
            progress.saw_done(future);
        } else {
            progress.pending += 1;
            not_done.push(index);
        }
    }
    if !progress.satisfied() && !passed(deadline) {
        let (notifier, registered) = Notifier::watch(&futures, not_done);
        while !progress.satisfied() {
            match notifier.pop(deadline) {
                Some(index) => {
                    progress.pending -= 1;
                    progress.saw_done(&futures[index]);
                }
                None => break,
            }
        }
        unregister(&futures, registered);
    }
    let (done, not_done) = futures.into_iter().partition(Observer::done);
    DoneAndNotDone { done, not_done }
}

/// What [`wait`] has seen so far.
struct Progress {
    return_when: ReturnWhen,
    /// Futures not yet seen done.
    pending: usize,
    any_done: bool,
    any_failed: bool,
}

impl Progress {
    fn saw_done<T, E>(&mut self, future: &Observer<T, E>) {
        self.any_done = true;
        self.any_failed |= failed(future);
    }

    fn satisfied(&self) -> bool {
        self.pending == 0
            || match self.return_when {
                ReturnWhen::FirstCompleted => self.any_done,
                ReturnWhen::FirstException => self.any_failed,
                ReturnWhen::AllCompleted => false,
            }
    }
}

/// True if a done future raised or was abandoned.
fn failed<T, E>(future: &Observer<T, E>) -> bool {
    matches!(
        future.shared().outcome(),
        Some(Outcome::Raised(_) | Outcome::Abandoned)
    )
}

/// Yields the futures as they complete: those already done first, in input
/// order, then the others in the order they complete. Python's
/// `concurrent.futures.as_completed(fs, timeout)`.
///
/// The timeout counts from this call, as in Python. If it passes while the
/// iterator waits, it yields one [`AsCompletedTimeout`], which hands back
/// the futures not yielded yet, and then ends; it never blocks past the
/// deadline. A future that is already done when you call
/// [`next`](Iterator::next) is yielded even after the deadline (Python
/// raises there): the timeout bounds waiting, not a slow consumer.
///
/// A future given more than once is yielded once (Python takes a set;
/// here duplicates are found with [`same_future`](Observer::same_future)).
/// A cancelled or abandoned future is yielded like a finished one: it is
/// done. Read each with [`result`](Observer::result) or
/// [`try_result`](Observer::try_result), which will not block.
///
/// Like [`wait`], this adds a done-callback to every future that is not
/// done yet, and removes those that have not run when the iterator ends
/// (its timeout) or is dropped. Dropping the iterator drops the handles it
/// has not yielded; if they were the last ones (the futures were given by
/// value) and a value panics in its `Drop`, that is reported as a `tracing`
/// error event and the other handles are still dropped.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use std::time::Duration;
/// use simple_future::{Future, as_completed};
///
/// let futures: Vec<Future<u64>> = (0..3).map(|_| Future::new()).collect();
/// for (i, future) in futures.iter().enumerate().rev() {
///     let future = future.clone();
///     // The last one finishes first.
///     thread::spawn(move || {
///         thread::sleep(Duration::from_millis(10 * i as u64));
///         future.set_result(i as u64).unwrap();
///     });
/// }
///
/// let mut order = Vec::new();
/// for future in as_completed(&futures, Some(Duration::from_secs(10))) {
///     order.push(*future?.result()?);
/// }
/// assert_eq!(order.len(), 3); // completion order: most likely [0, 1, 2]
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A future that never completes:
///
/// ```
/// use std::time::Duration;
/// use simple_future::{Future, as_completed};
///
/// let done: Future<u8> = Future::new();
/// done.set_result(1).unwrap();
/// let stuck: Future<u8> = Future::new();
///
/// let mut completed = as_completed([&stuck, &done], Some(Duration::from_millis(20)));
/// assert!(completed.next().unwrap().unwrap().same_future(&done));
/// let timeout = completed.next().unwrap().unwrap_err();
/// assert!(timeout.not_done()[0].same_future(&stuck));
/// assert!(completed.next().is_none());
/// ```
pub fn as_completed<T, E, I>(futures: I, timeout: Option<Duration>) -> AsCompleted<T, E>
where
    I: IntoIterator,
    I::Item: AsRef<Observer<T, E>>,
{
    let deadline = deadline_after(timeout);
    let futures = unique(futures);
    let (done, not_done): (Vec<usize>, Vec<usize>) =
        (0..futures.len()).partition(|&index| futures[index].done());
    let waiting = not_done.len();
    let (notifier, registered) = if waiting > 0 {
        let (notifier, registered) = Notifier::watch(&futures, not_done);
        (Some(notifier), registered)
    } else {
        (None, Vec::new())
    };
    AsCompleted {
        total: futures.len(),
        futures: futures.into_iter().map(Some).collect(),
        done_first: done.into_iter(),
        notifier,
        registered,
        waiting,
        deadline,
        finished: false,
    }
}

/// The iterator [`as_completed`] returns: each future once, as it
/// completes, or an [`AsCompletedTimeout`] once and then nothing.
pub struct AsCompleted<T, E = crate::Exception> {
    /// By input position; `None` once yielded.
    futures: Vec<Option<Observer<T, E>>>,
    total: usize,
    /// Positions of the futures that were done at the start.
    done_first: std::vec::IntoIter<usize>,
    /// Where the callbacks of the others report; `None` if there were none.
    notifier: Option<Arc<Notifier>>,
    /// The callbacks added, to remove those that have not run at the end.
    registered: Vec<Registered>,
    /// Futures not done at the start and not yielded yet.
    waiting: usize,
    deadline: Option<Instant>,
    finished: bool,
}

impl<T, E> AsCompleted<T, E> {
    fn take(&mut self, index: usize) -> Observer<T, E> {
        self.futures[index]
            .take()
            .expect("each future is reported once")
    }

    /// Removes the callbacks of the futures not yielded yet.
    fn unregister(&mut self) {
        let registered = std::mem::take(&mut self.registered);
        for (index, key) in registered {
            if let Some(future) = &self.futures[index] {
                future.shared().remove_callback(key);
            }
        }
    }
}

impl<T, E> Drop for AsCompleted<T, E> {
    fn drop(&mut self) {
        self.unregister();
        // Given by value, these may be the futures' last handles: a value
        // whose `Drop` panics must not stop the others from being dropped.
        for future in self.futures.drain(..).flatten() {
            future.drop_contained();
        }
    }
}

impl<T, E> Iterator for AsCompleted<T, E> {
    type Item = Result<Observer<T, E>, AsCompletedTimeout<T, E>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if let Some(index) = self.done_first.next() {
            return Some(Ok(self.take(index)));
        }
        let notifier = match &self.notifier {
            Some(notifier) if self.waiting > 0 => notifier,
            _ => {
                self.finished = true;
                return None;
            }
        };
        match notifier.pop(self.deadline) {
            Some(index) => {
                self.waiting -= 1;
                Some(Ok(self.take(index)))
            }
            None => {
                self.finished = true;
                self.notifier = None;
                self.unregister();
                let not_done = self.futures.drain(..).flatten().collect();
                Some(Err(AsCompletedTimeout {
                    not_done,
                    total: self.total,
                }))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.finished {
            return (0, Some(0));
        }
        let left = self.done_first.len() + self.waiting;
        match self.deadline {
            // At least the ones done at the start and then the timeout; at
            // most every future (the timeout replaces one that never came).
            Some(_) if self.waiting > 0 => (self.done_first.len() + 1, Some(left)),
            _ => (left, Some(left)),
        }
    }
}

impl<T, E> FusedIterator for AsCompleted<T, E> {}

impl<T, E> fmt::Debug for AsCompleted<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("total", &self.total)
            .field("left", &(self.done_first.len() + self.waiting))
            .field("deadline", &self.deadline)
            .field("finished", &self.finished)
            .finish()
    }
}

/// [`as_completed`]'s timeout passed before every future was done. Python
/// raises `TimeoutError`.
///
/// The futures the iterator had not yielded come back, in input order, so
/// that you can cancel them or wait some more; some may have completed
/// since.
pub struct AsCompletedTimeout<T, E = crate::Exception> {
    not_done: Vec<Observer<T, E>>,
    total: usize,
}

impl<T, E> AsCompletedTimeout<T, E> {
    /// The futures that were not yielded, in input order.
    pub fn not_done(&self) -> &[Observer<T, E>] {
        &self.not_done
    }

    /// Takes the futures that were not yielded, in input order.
    pub fn into_inner(self) -> Vec<Observer<T, E>> {
        self.not_done
    }
}

impl<T, E> Clone for AsCompletedTimeout<T, E> {
    fn clone(&self) -> Self {
        AsCompletedTimeout {
            not_done: self.not_done.clone(),
            total: self.total,
        }
    }
}

impl<T, E> fmt::Debug for AsCompletedTimeout<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("not_done", &self.not_done)
            .field("total", &self.total)
            .finish()
    }
}

/// `timed out with 2 (of 5) futures unfinished`, after Python's message.
impl<T, E> fmt::Display for AsCompletedTimeout<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out with {} (of {}) futures unfinished",
            self.not_done.len(),
            self.total
        )
    }
}

impl<T, E> Error for AsCompletedTimeout<T, E> {}

impl<T, E> Clone for DoneAndNotDone<T, E> {
    fn clone(&self) -> Self {
        DoneAndNotDone {
            done: self.done.clone(),
            not_done: self.not_done.clone(),
        }
    }
}

impl<T, E> fmt::Debug for DoneAndNotDone<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoneAndNotDone")
            .field("done", &self.done)
            .field("not_done", &self.not_done)
            .finish()
    }
}

/// The futures, each once, in the order first given.
fn unique<T, E, I>(futures: I) -> Vec<Observer<T, E>>
where
    I: IntoIterator,
    I::Item: AsRef<Observer<T, E>>,
{
    let mut seen = HashSet::new();
    futures
        .into_iter()
        .filter_map(|future| {
            let future = future.as_ref();
            // Hashing the identity keeps this linear.
            seen.insert(future.id()).then(|| future.clone())
        })
        .collect()
}

/// `None` (wait forever) for no timeout or one past the end of time.
fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|timeout| Instant::now().checked_add(timeout))
}

/// True if `deadline` has come: a zero timeout only looks.
fn passed(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| deadline <= Instant::now())
}

/// A callback added to the future at this position, under this key.
type Registered = (usize, u64);

/// Removes the callbacks that have not run (removing one that ran is a
/// no-op).
fn unregister<T, E>(futures: &[Observer<T, E>], registered: Vec<Registered>) {
    for (index, key) in registered {
        futures[index].shared().remove_callback(key);
    }
}

/// Where the done-callbacks report: the positions of completed futures, in
/// completion order, and a condition variable for the one waiting thread.
struct Notifier {
    completed: Mutex<VecDeque<usize>>,
    ready: Condvar,
}

impl Notifier {
    /// Adds a callback reporting to a new notifier to each future at
    /// `indices`, and returns the keys of those registered. A future that
    /// is already done reports at once.
    fn watch<T, E>(
        futures: &[Observer<T, E>],
        indices: Vec<usize>,
    ) -> (Arc<Notifier>, Vec<Registered>) {
        let notifier = Arc::new(Notifier {
            completed: Mutex::new(VecDeque::with_capacity(indices.len())),
            ready: Condvar::new(),
        });
        let mut registered = Vec::with_capacity(indices.len());
        for index in indices {
            let notifier = Arc::downgrade(&notifier);
            let callback = Box::new(move |_: &Observer<T, E>| report(&notifier, index));
            if let Some(key) = Shared::add_callback(&futures[index], callback) {
                registered.push((index, key));
            }
        }
        (notifier, registered)
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<usize>> {
        // No user code runs under this lock; its data is whole after a panic.
        self.completed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The next completed position, waiting until `deadline`; `None` if it
    /// passed. A position already reported is returned even after the
    /// deadline.
    fn pop(&self, deadline: Option<Instant>) -> Option<usize> {
        let mut completed = self.lock();
        loop {
            if let Some(index) = completed.pop_front() {
                return Some(index);
            }
            completed = match deadline {
                None => self
                    .ready
                    .wait(completed)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    self.ready
                        .wait_timeout(completed, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// The body of every registered callback: kept out of the closure so that
/// the closure is just a `Weak` and an index.
fn report(notifier: &Weak<Notifier>, index: usize) {
    if let Some(notifier) = notifier.upgrade() {
        notifier.lock().push_back(index);
        notifier.ready.notify_one();
    }
}
