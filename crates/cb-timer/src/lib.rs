//! Run a callback after a delay without blocking the caller: one thread per timer, or one scheduler thread for any number of timers.
//!
#![doc = include_str!("front_page.md")]
#![doc(test(attr(deny(warnings))))]

mod error;
mod global;
mod panic;
mod queue;
mod scheduler;
mod state;
mod sync;
mod task;
mod timer;
mod wait_graph;

pub use error::{JoinError, ScheduleError, SpawnError, StartError};
pub use global::{after, at, default_scheduler, every, every_with};
pub use panic::PanicReport;
pub use scheduler::clock::ManualClock;
pub use scheduler::handle::{TimerHandle, TimerId};
pub use scheduler::{Builder, Scheduler, SchedulerHandle};
pub use state::{CancelOutcome, TimerState};
pub use task::MissedTicks;
pub use timer::Timer;

// The README is what crates.io shows: a text of its own, with docs.rs links.
// Its examples are doctested here, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
