//! The cooperative budget: a task that never has to wait still gives the
//! loop back.
//!
//! A task runs until it returns `Pending`, and a task whose every `.await`
//! is ready at once (an accept loop that fails with `EMFILE` each time, an
//! interval with a 1 ns period, a queue that always has an item, a socket
//! that always has data) would never return it: the loop, and everything
//! else on it, would stop for good. So each poll of a task (and of
//! `block_on`'s future) gets a budget of [`PER_POLL`] operations. Every leaf
//! future of this crate — socket operations, `sleep` and interval ticks,
//! the primitives' waits, `JoinHandle`s, channels — spends one unit when it
//! is ready; once the budget is spent, the next leaf wakes its task and
//! returns `Pending` without doing anything, so the task goes to the back
//! of the ready queue and the loop goes on (tokio's `coop` is the model,
//! with the same 128).
//!
//! Outside a task's poll (a future polled by hand, or by another executor)
//! there is no budget: leaves never refuse.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations one poll of a task may complete before its leaves refuse.
pub(crate) const PER_POLL: u8 = 128;

thread_local! {
    /// What is left of the budget of the task being polled on this thread;
    /// `None` outside a task's poll.
    static BUDGET: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `poll` (one poll of a task, or of `block_on`'s future) with a fresh
/// budget, and puts back the budget that was there before, even if `poll`
/// panics.
#[inline]
pub(crate) fn budgeted<R>(poll: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            BUDGET.with(|budget| budget.set(self.0));
        }
    }
    let _restore = Restore(BUDGET.with(|budget| budget.replace(Some(PER_POLL))));
    poll()
}

/// One poll of a leaf future: `poll` runs only if the budget allows, and
/// spends one unit if it is ready. With the budget spent, the task is woken
/// and `Pending` returned: it yields, and its next poll has a fresh budget.
#[inline]
pub(crate) fn poll_leaf<T>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let left = BUDGET.with(Cell::get);
    if left == Some(0) {
        tracing::trace!("task budget spent: yielding to the loop");
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    let polled = poll(cx);
    if polled.is_ready() && left.is_some() {
        // Read again: `poll` may have spent some itself (a leaf built on
        // another, as an interval on a sleep).
        BUDGET.with(|budget| budget.set(budget.get().map(|left| left.saturating_sub(1))));
    }
    polled
}

/// True once the budget of the task being polled is spent. A future that
/// polls others in a loop (a combinator going round again for the ones
/// woken meanwhile) stops there, wakes its task and yields: the leaves it
/// polls would only refuse, and wake it, again and again.
#[inline]
pub(crate) fn is_spent() -> bool {
    BUDGET.with(Cell::get) == Some(0)
}

/// Whether a leaf may complete an operation now (and spends it): false,
/// and the task woken, once the budget is spent.
#[cfg(test)]
fn has_budget(cx: &mut Context<'_>) -> bool {
    poll_leaf(cx, |_| Poll::Ready(())).is_ready()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn outside_a_task_a_leaf_never_refuses() {
        let waker = Waker::noop();
        let cx = &mut Context::from_waker(waker);
        for _ in 0..1000 {
            assert!(has_budget(cx));
        }
    }

    #[test]
    fn a_poll_completes_the_budget_then_yields_once_woken() {
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let cx = &mut Context::from_waker(&waker);
        budgeted(|| {
            for _ in 0..PER_POLL {
                assert!(has_budget(cx));
            }
            assert!(!has_budget(cx));
            assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        });
        // A fresh poll, a fresh budget; and none outside a poll.
        budgeted(|| assert!(has_budget(cx)));
        assert_eq!(BUDGET.with(Cell::get), None);
    }

    #[test]
    fn a_pending_leaf_spends_nothing() {
        let cx = &mut Context::from_waker(Waker::noop());
        budgeted(|| {
            for _ in 0..1000 {
                assert!(poll_leaf(cx, |_| Poll::<()>::Pending).is_pending());
            }
            assert_eq!(BUDGET.with(Cell::get), Some(PER_POLL));
        });
    }

    #[test]
    fn a_nested_poll_restores_the_outer_budget() {
        let cx = &mut Context::from_waker(Waker::noop());
        budgeted(|| {
            assert!(has_budget(cx));
            budgeted(|| assert!(has_budget(cx)));
            assert_eq!(BUDGET.with(Cell::get), Some(PER_POLL - 1));
        });
    }
}
