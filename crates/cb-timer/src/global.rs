//! The process-wide default scheduler behind the free functions.

use std::time::{Duration, Instant};

use once_cell::sync::Lazy;

use crate::{MissedTicks, Scheduler, TimerHandle};

static DEFAULT: Lazy<Scheduler> = Lazy::new(|| {
    Scheduler::builder()
        .name("cb-timer-default")
        .build()
        .expect("cb-timer: could not spawn the default scheduler's thread")
});

/// The process-wide scheduler used by [`after`], [`at`] and [`every`].
///
/// Its thread, `cb-timer-default`, starts on first use and lives as long as
/// the process: it is never dropped, so its pending timers are simply lost
/// when the process exits.
///
/// # Panics
///
/// On first use, if the operating system refuses to start the thread. Build
/// your own [`Scheduler`] to handle that error instead.
pub fn default_scheduler() -> &'static Scheduler {
    &DEFAULT
}

/// Runs `callback` on the [default scheduler](default_scheduler) once
/// `delay` has passed. See [`Scheduler::after`].
///
/// # Panics
///
/// See [`default_scheduler`].
pub fn after<F>(delay: Duration, callback: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    DEFAULT.after(delay, callback)
}

/// Runs `callback` on the [default scheduler](default_scheduler) at
/// `deadline`. See [`Scheduler::at`].
///
/// # Panics
///
/// See [`default_scheduler`].
pub fn at<F>(deadline: Instant, callback: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    DEFAULT.at(deadline, callback)
}

/// Runs `callback` on the [default scheduler](default_scheduler) every
/// `period`, skipping missed ticks. See [`Scheduler::every_with`] for other
/// policies.
///
/// # Panics
///
/// If `period` is zero, and see [`default_scheduler`].
pub fn every<F>(period: Duration, callback: F) -> TimerHandle
where
    F: FnMut() + Send + 'static,
{
    DEFAULT.every_with(period, MissedTicks::default(), callback)
}
