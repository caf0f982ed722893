//! A thread-safe, set-once result with the semantics of Python's concurrent.futures.Future: blocking waits, done-callbacks and .await on one value.
//!
#![doc = include_str!("front_page.md")]
#![doc(test(attr(deny(warnings))))]

mod awaiting;
mod deferred;
mod error;
mod executor;
mod future;
mod names;
mod observer;
mod panic;
mod repr;
mod shared;
mod state;
mod sync;
mod wait;

#[cfg(all(test, loom))]
mod loom_models;

pub use awaiting::Wait;
pub use error::{InvalidState, ResultError, ResultTimeoutError, TryResultError};
pub use executor::{
    Broken, BuildError, MapResults, ShutdownOptions, SubmitError, ThreadPoolBuilder,
    ThreadPoolExecutor,
};
pub use future::Future;
pub use observer::{CallbackKey, FutureId, Observer};
pub use panic::Panicked;
pub use state::State;
pub use wait::{AsCompleted, AsCompletedTimeout, DoneAndNotDone, ReturnWhen, as_completed, wait};

/// The default exception type: any error that can cross threads.
pub type Exception = Box<dyn std::error::Error + Send + Sync>;

// The README is what crates.io shows: a text of its own, with docs.rs links.
// Its examples are doctested here, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
