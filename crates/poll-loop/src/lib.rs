//! A single-threaded event loop with asyncio's vocabulary: callbacks, timers and pollable sources on one thread that sleeps until the next deadline or a wake-up from another thread.
//!
#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod block_on;
mod blocking;
mod channel;
mod error;
mod event_loop;
mod exception;
mod future;
mod handle;
#[cfg(target_os = "linux")]
mod io;
#[cfg(not(target_os = "linux"))]
#[path = "io_unsupported.rs"]
mod io;
mod join;
#[cfg(target_os = "linux")]
pub mod net;
mod queue;
#[cfg(target_os = "linux")]
mod reactor;
mod run;
mod source;
mod stats;
mod sync;
#[cfg(target_os = "linux")]
mod sys;
mod task;
mod threadsafe;
mod time;
mod timer;
mod wake;

pub use channel::{Channel, SendError, Sender};
pub use error::RunUntilCompleteError;
pub use error::{BlockOnError, CloseError, JoinError, RunError, ScheduleError};
pub use event_loop::{EventLoop, LoopHandle};
pub use exception::ExceptionContext;
pub use handle::{Handle, TimerHandle};
pub use join::{JoinClone, JoinHandle};
pub use run::PollStrategy;
pub use source::{PostAction, Readiness, Source, SourceHandle};
pub use stats::Stats;
pub use task::spawn;
pub use threadsafe::ThreadsafeHandle;
pub use time::{Elapsed, Sleep, YieldNow, sleep, sleep_until, timeout, yield_now};
pub use timer::{RepeatingTimer, Timer};

// The public dependencies whose types this crate's API takes or returns, so
// that a user needs no dependency of their own to name them.
pub use crossbeam_channel;
pub use crossbeam_channel::Receiver;
pub use simple_future;
pub use simple_future::{Exception, Observer, Panicked, ResultError, State};
