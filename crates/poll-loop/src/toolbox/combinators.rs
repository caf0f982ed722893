//! Combining futures inside a task: `gather`, `try_gather`, `select`,
//! `select_all`, `wait` and `as_completed`.

mod gather;
mod select;
mod set;
mod wait;

pub use gather::{Gather, TryGather, gather, join_all, try_gather};
pub use select::{Either, select, select_all};
pub use wait::{AsCompleted, EmptyWaitError, as_completed, wait};
