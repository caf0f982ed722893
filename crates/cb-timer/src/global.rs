//! The process-wide default scheduler behind the free functions.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use crate::{MissedTicks, Scheduler, TimerHandle};

static DEFAULT: LazyLock<Scheduler> = LazyLock::new(|| {
    Scheduler::builder()
        .name("cb-timer-default")
        .build()
        .expect("cb-timer: could not spawn the default scheduler's thread")
});

/// The process-wide scheduler used by [`after`], [`at`], [`every`] and
/// [`every_with`].
///
/// Its thread, `cb-timer-default`, starts on first use and lives as long as
/// the process: it is never dropped, so its pending timers are simply lost
/// when the process exits.
///
/// # Panics
///
/// On first use, if the operating system refuses to start the thread. Build
/// your own [`Scheduler`] to handle that error instead.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let handle = cb_timer::after(Duration::from_secs(3600), || {});
/// assert!(cb_timer::default_scheduler().pending() >= 1);
/// handle.cancel();
/// // A handle to it, for code that takes a `SchedulerHandle`.
/// let scheduler = cb_timer::default_scheduler().handle();
/// assert!(scheduler.now().is_some());
/// ```
pub fn default_scheduler() -> &'static Scheduler {
    &DEFAULT
}

/// Runs `callback` on the [default scheduler](default_scheduler) once
/// `delay` has passed. See [`Scheduler::after`].
///
/// # Panics
///
/// See [`default_scheduler`].
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::{Duration, Instant};
///
/// let (tx, rx) = mpsc::channel();
/// let start = Instant::now();
/// cb_timer::after(Duration::from_millis(10), move || tx.send(start.elapsed()).unwrap());
/// // `after` returned at once; the callback runs on the default scheduler's thread.
/// assert!(rx.recv()? >= Duration::from_millis(10)); // never early
/// # Ok::<(), std::sync::mpsc::RecvError>(())
/// ```
pub fn after<F>(delay: Duration, callback: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    DEFAULT.after(delay, callback)
}

/// Runs `callback` on the [default scheduler](default_scheduler) at
/// `deadline`, or as soon as possible if it has passed. See
/// [`Scheduler::at`].
///
/// # Panics
///
/// See [`default_scheduler`].
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::{Duration, Instant};
///
/// let (tx, rx) = mpsc::channel();
/// let deadline = Instant::now() + Duration::from_millis(10);
/// cb_timer::at(deadline, move || tx.send(Instant::now()).unwrap());
/// assert!(rx.recv()? >= deadline);
/// # Ok::<(), std::sync::mpsc::RecvError>(())
/// ```
pub fn at<F>(deadline: Instant, callback: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    DEFAULT.at(deadline, callback)
}

/// Runs `callback` on the [default scheduler](default_scheduler) every
/// `period`, skipping missed ticks. See [`Scheduler::every`], and
/// [`every_with`] for other policies.
///
/// # Panics
///
/// If `period` is zero, and see [`default_scheduler`].
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// let (tx, rx) = mpsc::channel();
/// let mut count = 0;
/// let ticker = cb_timer::every(Duration::from_millis(5), move || {
///     count += 1;
///     let _ = tx.send(count);
/// });
/// assert_eq!(rx.iter().take(3).collect::<Vec<_>>(), [1, 2, 3]);
/// ticker.cancel_and_wait(); // no tick runs after this
/// ```
pub fn every<F>(period: Duration, callback: F) -> TimerHandle
where
    F: FnMut() + Send + 'static,
{
    DEFAULT.every(period, callback)
}

/// Runs `callback` on the [default scheduler](default_scheduler) every
/// `period`, with a chosen policy for missed ticks. See
/// [`Scheduler::every_with`].
///
/// # Panics
///
/// If `period` is zero, and see [`default_scheduler`].
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use cb_timer::MissedTicks;
///
/// let (tx, rx) = mpsc::channel();
/// let ticker = cb_timer::every_with(Duration::from_millis(5), MissedTicks::Delay, move || {
///     let _ = tx.send(());
/// });
/// assert_eq!(rx.iter().take(2).count(), 2);
/// ticker.cancel_and_wait();
/// ```
pub fn every_with<F>(period: Duration, missed: MissedTicks, callback: F) -> TimerHandle
where
    F: FnMut() + Send + 'static,
{
    DEFAULT.every_with(period, missed, callback)
}
