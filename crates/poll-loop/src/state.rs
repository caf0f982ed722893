//! The bottom layer: the loop's state and queues, which import nothing from
//! the layers above — the ready queue and the timer heap (`queue`, on the
//! slab pages of `pages`), the wake-up rule another thread wakes the loop
//! with (`wake`, over the `sync` seam loom replaces), the inbox other
//! threads send callbacks through (`remote`), the counters (`stats`), and
//! which task is being polled (`current`).

pub(crate) mod current;
pub(crate) mod pages;
pub(crate) mod queue;
pub(crate) mod remote;
pub(crate) mod stats;
pub(crate) mod sync;
pub(crate) mod task_state;
pub(crate) mod tasks;
pub(crate) mod wake;
