//! The toolbox, above the tasks: what asyncio users combine tasks with,
//! built only on the task layer, the loop's timers and queue, and `Rc`/
//! `Cell` (everything a task touches lives on the loop's thread) — time
//! (`sleep`, `timeout`, `Timeout`) and intervals, the combinators (`gather`, `select`,
//! `wait`, `as_completed`), task groups, the primitives (`Event`, `Mutex`,
//! `Semaphore`, `Queue`) and the receiving end of a channel for tasks.
//! Nothing below imports it.

pub(crate) mod combinators;
pub(crate) mod interval;
pub(crate) mod primitives;
pub(crate) mod receiver;
pub(crate) mod task_group;
pub(crate) mod time;
pub(crate) mod timeout;
