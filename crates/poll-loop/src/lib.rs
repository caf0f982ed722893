//! A single-threaded event loop with asyncio's vocabulary: callbacks, timers and pollable sources on one thread that sleeps until the next deadline or a wake-up from another thread.
//!
#![doc = include_str!("front_page.md")]
#![doc(test(attr(deny(warnings))))]

mod block_on;
mod blocking;
mod channel;
mod combinators;
mod coop;
mod current;
mod error;
mod event_loop;
mod exception;
mod future;
mod handle;
mod interval;
#[cfg(unix)]
mod io;
#[cfg(not(unix))]
#[path = "io_unsupported.rs"]
mod io;
mod join;
#[cfg(target_os = "linux")]
pub mod net;
#[cfg(unix)]
mod os;
mod panic_later;
mod primitives;
mod receiver;
mod run;
mod source;
mod state;
mod task;
mod task_group;
mod threadsafe;
mod time;
mod timer;

pub use channel::{Channel, SendError, Sender};
pub use combinators::{
    AsCompleted, Either, Gather, TryGather, as_completed, gather, join_all, select, select_all,
    try_gather, wait,
};
pub use current::{TaskInfo, current_task};
pub use error::RunUntilCompleteError;
pub use error::{BlockOnError, CloseError, JoinError, RunError, ScheduleError};
pub use event_loop::{EventLoop, LoopHandle};
pub use exception::ExceptionContext;
pub use handle::{Handle, TimerHandle};
pub use interval::{Interval, MissedTicks, Tick, interval, interval_at};
pub use join::{JoinClone, JoinHandle};
pub use primitives::{
    Acquire, Event, EventWait, Get, GetError, Lock, Mutex, MutexGuard, Put, PutError, Queue,
    QueueJoin, Semaphore, SemaphorePermit, TryAcquireError, TryGetError, TryLockError, TryPutError,
};
pub use receiver::{Recv, TryRecvError, UnboundedReceiver};
pub use run::PollStrategy;
pub use source::{PostAction, Readiness, Source, SourceHandle};
pub use state::stats::Stats;
pub use task::spawn;
pub use task_group::{SpawnError, TaskGroup, TaskGroupError, TaskGroupHandle, TaskGroupJoin};
pub use threadsafe::ThreadsafeHandle;
pub use time::{Elapsed, Sleep, YieldNow, sleep, sleep_until, timeout, yield_now};
pub use timer::{RepeatingTimer, Timer};

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
