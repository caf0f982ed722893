//! `PollStrategy`: how the loop waits.

/// How the loop waits when nothing is ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PollStrategy {
    /// Sleep until the earliest deadline, or until another thread wakes the
    /// loop. Costs no CPU while waiting.
    #[default]
    Park,
    /// Never sleep: ask every timer and source again and again, as the
    /// tutorial's `while True:` loop does. Same results, one core at 100%
    /// while waiting — kept so that the cost is visible in [`Stats`](crate::Stats).
    Spin,
}
