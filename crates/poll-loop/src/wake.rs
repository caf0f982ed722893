//! The wake-up rule: how another thread wakes the loop's one wait, merged
//! and never lost.
//!
//! ```text
//!            park: CAS            notify: swap, sees SLEEPING -> unpark
//!   AWAKE ------------> SLEEPING ---------------------------------> NOTIFIED
//!     ^  \                 |                                            |
//!     |   \ notify: swap   | timeout / spurious return: swap -> AWAKE   |
//!     |    +---------------|------------------------------> NOTIFIED    |
//!     |                    v                                            |
//!     +------------------ AWAKE <---- park returns / take: swap --------+
//! ```
//!
//! A notifier first publishes its work (a queued callback, a stop flag),
//! then swaps the state to `NOTIFIED`. Only a notifier that finds `SLEEPING`
//! unparks the loop's thread; one that finds `AWAKE` leaves the flag for the
//! loop to find before it next sleeps, and one that finds `NOTIFIED` merges
//! into the wake-up already pending. The loop consumes a notification with
//! one swap back to `AWAKE`, which also acquires everything published before
//! it.

use std::time::{Duration, Instant};

use crate::sync::{AtomicU8, Ordering, Thread, current, park, park_timeout};

const AWAKE: u8 = 0;
const SLEEPING: u8 = 1;
const NOTIFIED: u8 = 2;

/// The loop thread's wake-up state, shared with every thread that may wake
/// it.
//
// Parking uses `std::thread::park_timeout`/`unpark` rather than a `Mutex`
// and `Condvar`: the loop's state already lives in this atomic, so a lock
// would only guard a `bool` we do not need; `unpark` is one futex call with
// no lock for the waker to contend on; and its token means an `unpark` that
// lands between our `SLEEPING` store and the `park` call makes that `park`
// return at once, so the gap cannot lose a wake-up. Spurious returns (a
// stray `unpark`, a token left from an earlier race) are handled by looking
// at the state again.
pub(crate) struct WakeState {
    state: AtomicU8,
    thread: Thread,
}

impl WakeState {
    /// The state for the calling thread, which is the one that will park.
    pub(crate) fn new() -> WakeState {
        WakeState {
            state: AtomicU8::new(AWAKE),
            thread: current(),
        }
    }

    /// Wakes the loop, or leaves a notification for it to find before it
    /// next sleeps. Returns whether this call unparked the thread (false
    /// when it merged into a notification already pending or the loop was
    /// awake).
    pub(crate) fn notify(&self) -> bool {
        // Fast path for a burst of notifications: one already pending will
        // be consumed (with a swap that acquires our earlier writes, which
        // are ordered before this load by the caller's queue lock or by our
        // own swap below in the notifier that set it).
        if self.state.load(Ordering::SeqCst) == NOTIFIED {
            return false;
        }
        if self.state.swap(NOTIFIED, Ordering::SeqCst) == SLEEPING {
            self.thread.unpark();
            true
        } else {
            false
        }
    }

    /// True if a notification is waiting to be consumed.
    pub(crate) fn is_notified(&self) -> bool {
        self.state.load(Ordering::SeqCst) == NOTIFIED
    }

    /// Consumes a pending notification without sleeping. True if there was
    /// one.
    pub(crate) fn take_notification(&self) -> bool {
        self.state.load(Ordering::SeqCst) == NOTIFIED
            && self.state.swap(AWAKE, Ordering::SeqCst) == NOTIFIED
    }

    /// Sleeps until notified or until `timeout` has passed (`None`: no
    /// timeout). Returns whether a notification was consumed. Called only
    /// from the thread that created this state.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> bool {
        if self
            .state
            .compare_exchange(AWAKE, SLEEPING, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            // A notification arrived while we were awake.
            return self.state.swap(AWAKE, Ordering::SeqCst) == NOTIFIED;
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            match (timeout, deadline) {
                (None, _) | (Some(_), None) => park(),
                (Some(_), Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    park_timeout(deadline - now);
                }
            }
            if self.state.load(Ordering::SeqCst) == NOTIFIED {
                break;
            }
            if cfg!(loom) && timeout.is_some() {
                break; // loom models the timeout as this early return
            }
        }
        self.state.swap(AWAKE, Ordering::SeqCst) == NOTIFIED
    }
}

impl std::fmt::Debug for WakeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state.load(Ordering::SeqCst) {
            AWAKE => "awake",
            SLEEPING => "sleeping",
            _ => "notified",
        };
        f.debug_struct("WakeState").field("state", &state).finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::{Arc, Mutex};

    /// A loop thread's wake state and the queue notifiers publish into.
    struct Loop {
        wake: WakeState,
        queue: Mutex<Vec<u32>>,
        unparks: AtomicUsize,
    }

    impl Loop {
        fn new() -> Arc<Loop> {
            Arc::new(Loop {
                wake: WakeState::new(),
                queue: Mutex::new(Vec::new()),
                unparks: AtomicUsize::new(0),
            })
        }

        /// What `call_soon_threadsafe` does: publish, then notify.
        fn send(&self, value: u32) {
            self.queue.lock().unwrap().push(value);
            if self.wake.notify() {
                self.unparks.fetch_add(1, Ordering::SeqCst);
            }
        }

        /// A notifier thread that sends `value`.
        fn spawn_sender(this: &Arc<Loop>, value: u32) -> loom::thread::JoinHandle<()> {
            let lp = Arc::clone(this);
            loom::thread::spawn(move || lp.send(value))
        }

        fn drain(&self) -> Vec<u32> {
            std::mem::take(&mut *self.queue.lock().unwrap())
        }
    }

    /// A wake sent just before (or while) the loop parks is not lost: the
    /// park returns, and the work published before the wake is visible.
    /// (A lost wake-up would leave the loop parked forever, which loom
    /// reports as a deadlock.)
    #[test]
    fn a_wake_just_before_parking_is_not_lost() {
        loom::model(|| {
            let lp = Loop::new();
            let sender = Loop::spawn_sender(&lp, 7);
            assert!(lp.wake.park(None), "park returned without a notification");
            assert_eq!(lp.drain(), [7]);
            sender.join().unwrap();
        });
    }

    /// A wake racing with the end of a timed park is either consumed by it
    /// or left pending for the next park: never dropped.
    #[test]
    fn a_wake_racing_a_timeout_is_not_lost() {
        loom::model(|| {
            let lp = Loop::new();
            let sender = Loop::spawn_sender(&lp, 1);
            if !lp.wake.park(Some(Duration::from_millis(1))) {
                assert!(lp.wake.park(None));
            }
            assert_eq!(lp.drain(), [1]);
            sender.join().unwrap();
        });
    }

    /// Many wakes while the loop is awake merge into one pending
    /// notification; none of them needs an unpark.
    #[test]
    fn many_wakes_merge_into_one() {
        loom::model(|| {
            let lp = Loop::new();
            let senders: Vec<_> = (0..2).map(|i| Loop::spawn_sender(&lp, i)).collect();
            for sender in senders {
                sender.join().unwrap();
            }
            assert_eq!(lp.unparks.load(Ordering::SeqCst), 0);
            assert!(lp.wake.take_notification());
            assert!(!lp.wake.take_notification(), "two notifications pending");
            let mut seen = lp.drain();
            seen.sort_unstable();
            assert_eq!(seen, [0, 1]);
        });
    }

    /// Two wakes racing a sleeping loop unpark it at most once, and the loop
    /// sees both messages after at most two parks.
    #[test]
    fn racing_wakes_unpark_at_most_once_per_sleep() {
        loom::model(|| {
            let lp = Loop::new();
            let senders: Vec<_> = (0..2).map(|i| Loop::spawn_sender(&lp, i)).collect();
            let mut seen = Vec::new();
            let mut parks = 0;
            while seen.len() < 2 {
                assert!(lp.wake.park(None));
                parks += 1;
                seen.extend(lp.drain());
            }
            for sender in senders {
                sender.join().unwrap();
            }
            assert!(parks <= 2);
            assert!(lp.unparks.load(Ordering::SeqCst) <= parks);
            seen.sort_unstable();
            assert_eq!(seen, [0, 1]);
        });
    }
}
