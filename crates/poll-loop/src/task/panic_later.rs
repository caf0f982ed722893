//! Loops that must finish their work even when one step panics: waking
//! every waiter of an event, handing out every released permit. A waker is
//! user code (its `wake` and its `Drop` may panic); if one stopped the loop,
//! the waiters after it would never be woken and what was being handed out
//! would be lost. So each step's panic is kept, the loop goes on, and the
//! first panic is passed on once the work is done.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::task::Waker;

/// The first panic of a loop's steps, held until the loop is done.
#[derive(Default)]
pub(crate) struct PanicLater(Option<Box<dyn Any + Send>>);

impl PanicLater {
    /// Runs one step; a panic is kept for [`finish`](PanicLater::finish).
    pub(crate) fn run(&mut self, step: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(step)) {
            match self.0 {
                None => self.0 = Some(payload),
                // Only the first is passed on. A later one is dropped here,
                // and should its own `Drop` panic, that last payload is
                // leaked rather than thrown (rare, and small).
                Some(_) => {
                    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                        std::mem::forget(again);
                    }
                }
            }
        }
    }

    /// Wakes `waker` as one step.
    pub(crate) fn wake(&mut self, waker: Waker) {
        self.run(|| waker.wake());
    }

    /// The loop is done: passes its first panic on, if a step panicked.
    pub(crate) fn finish(self) {
        if let Some(payload) = self.0 {
            resume_unwind(payload);
        }
    }
}

/// Wakes every waker, all of them even if some panic; the first panic is
/// passed on afterwards.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    let mut panic = PanicLater::default();
    for waker in wakers {
        panic.wake(waker);
    }
    panic.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize, bool);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
            assert!(!self.1, "a waker that panics");
        }
    }

    #[test]
    fn every_waker_is_woken_and_the_first_panic_passed_on() {
        let good = Arc::new(Count(AtomicUsize::new(0), false));
        let bad = Arc::new(Count(AtomicUsize::new(0), true));
        let wakers = [&good, &bad, &good, &bad, &good].map(|w| Waker::from(Arc::clone(w)));
        let result = catch_unwind(|| wake_all(wakers));
        assert!(result.is_err());
        assert_eq!(good.0.load(Ordering::SeqCst), 3);
        assert_eq!(bad.0.load(Ordering::SeqCst), 2);
    }
}
