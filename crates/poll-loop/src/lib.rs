//! A single-threaded event loop with asyncio's vocabulary: callbacks, timers and pollable sources on one thread that sleeps until the next deadline or a wake-up from another thread.
//!
#![doc = include_str!("front_page.md")]
#![doc(test(attr(deny(warnings))))]

mod error;
mod event_loop;
// On the Unixes whose socket ABI the crate declares (`os/sys/socket/`).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
    target_os = "solaris",
    windows,
))]
pub mod net;
#[cfg(any(unix, windows))]
mod os;
mod state;
// Above `net`, on the same systems.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
    target_os = "solaris",
    windows,
))]
pub mod streams;
mod task;
mod toolbox;

pub use error::RunUntilCompleteError;
pub use error::{BlockOnError, CloseError, JoinError, RunError, ScheduleError};
pub use event_loop::EventLoop;
pub use event_loop::channel::{Channel, SendError, Sender};
pub use event_loop::context::ExceptionContext;
pub use event_loop::handle::{Handle, TimerHandle};
pub use event_loop::inner::LoopHandle;
pub use event_loop::source::{PostAction, Readiness, Source, SourceHandle};
pub use event_loop::strategy::PollStrategy;
pub use event_loop::threadsafe::ThreadsafeHandle;
pub use event_loop::timer::{RepeatingTimer, Timer};
pub use state::current::{TaskInfo, current_task};
pub use state::stats::Stats;
pub use task::join::{JoinClone, JoinHandle};
pub use task::spawn;
pub use toolbox::combinators::{
    AsCompleted, Either, EmptyWaitError, Gather, TryGather, as_completed, gather, join_all, select,
    select_all, try_gather, wait,
};
pub use toolbox::interval::{Interval, MissedTicks, Tick, interval, interval_at};
pub use toolbox::primitives::{
    Acquire, Barrier, BarrierState, BarrierWait, BoundedSemaphore, BrokenBarrierError, Condition,
    ConditionGuard, ConditionLock, ConditionWait, ConditionWaitFor, Event, EventWait, Get,
    GetError, LifoQueue, Lock, Mutex, MutexGuard, PriorityQueue, Put, PutError, Queue, QueueJoin,
    ReleaseError, Semaphore, SemaphorePermit, TryAcquireError, TryGetError, TryLockError,
    TryPutError,
};
pub use toolbox::receiver::{Recv, TryRecvError, UnboundedReceiver};
pub use toolbox::task_group::{
    ChildTask, SpawnError, TaskGroup, TaskGroupError, TaskGroupHandle, TaskGroupJoin,
};
pub use toolbox::time::{Sleep, YieldNow, sleep, sleep_until, yield_now};
pub use toolbox::timeout::{Elapsed, RescheduleError, Timeout, timeout, timeout_at};

// The public dependencies whose types this crate's API takes or returns, so
// that a user needs no dependency of their own to name them.
pub use crossbeam_channel;
pub use crossbeam_channel::Receiver;
pub use simple_future;
pub use simple_future::{Exception, Observer, Panicked, ResultError, State};

// The README is what crates.io shows: a text of its own, with docs.rs links.
// Its examples are doctested here, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
