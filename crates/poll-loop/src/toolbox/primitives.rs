//! Task-safe primitives for tasks on one loop: `Event`, `Mutex`,
//! `Condition`, `Semaphore`, `BoundedSemaphore`, `Barrier` and the queues,
//! all on one FIFO list of waiters.
//
// Single-threaded by design: `Cell` and `RefCell`, no atomics or locks. No
// borrow is held while a waker is woken or a value that may run user code
// is dropped, so a wake-up may do anything with the primitive that woke
// it (drop another waiter, say).

mod barrier;
mod bounded_semaphore;
mod condition;
mod event;
mod mutex;
mod permits;
mod queue;
mod semaphore;
mod waiters;

pub use barrier::{Barrier, BarrierState, BarrierWait, BrokenBarrierError};
pub use bounded_semaphore::{BoundedSemaphore, ReleaseError};
pub use condition::{Condition, ConditionGuard, ConditionLock, ConditionWait, ConditionWaitFor};
pub use event::{Event, EventWait};
pub use mutex::{Lock, Mutex, MutexGuard, TryLockError};
pub use queue::{
    Get, GetError, LifoQueue, PriorityQueue, Put, PutError, Queue, QueueJoin, TryGetError,
    TryPutError,
};
pub use semaphore::{Acquire, Semaphore, SemaphorePermit, TryAcquireError};
