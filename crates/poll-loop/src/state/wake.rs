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
//!
//! The same rule drives both ways the loop can sleep: parked (a loop that
//! watches no file descriptor), or blocked in the OS readiness wait once it
//! has one (`reactor.rs`). There "unpark" is a write to an eventfd that the
//! same wait watches: the loop installs that [`Signal`] on its own thread,
//! while awake, before its first OS wait, and from then on a notifier that
//! finds `SLEEPING` signals it instead of unparking.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::state::sync::{AtomicU8, Ordering, Thread, current, park, park_timeout};

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
//
// The switch to an OS wait cannot lose a wake-up: the loop sets `signal`
// before the `SLEEPING` store of its first OS wait, and a notifier that
// swaps `SLEEPING` away acquires that store, so it sees the signal. A
// notifier that read `SLEEPING` from an earlier park and then finds the
// signal set (the park ended meanwhile) leaves the eventfd readable: the
// next OS wait returns at once and is taken as a spurious return.
//
// An iteration that has work ready does not sleep, but still asks the
// kernel (a zero timeout) outside `wait_with`, and may drain a signal
// there: harmless, as the signal only ever ends a blocked wait, and the
// notification itself stays in the state for `take_notification`.
pub(crate) struct WakeState {
    state: AtomicU8,
    thread: Thread,
    signal: OnceLock<Arc<dyn Signal>>,
}

/// How a notifier wakes a loop blocked in its OS wait.
pub(crate) trait Signal: Send + Sync {
    /// Makes the loop's blocked wait return (now, or at once when it next
    /// blocks).
    fn signal(&self);
}

impl WakeState {
    /// The state for the calling thread, which is the one that will park.
    pub(crate) fn new() -> WakeState {
        WakeState {
            state: AtomicU8::new(AWAKE),
            thread: current(),
            signal: OnceLock::new(),
        }
    }

    /// From now on notifiers wake the loop with `signal` instead of
    /// unparking it. Called on the loop's thread, outside any wait, before
    /// the first [`wait_with`](WakeState::wait_with) that blocks on what
    /// `signal` wakes. A second call keeps the first signal.
    // Used only where the loop can wait in the kernel (Unix, Windows).
    #[cfg_attr(not(any(unix, windows)), allow(dead_code))]
    pub(crate) fn set_signal(&self, signal: Arc<dyn Signal>) {
        let _ = self.signal.set(signal);
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
            match self.signal.get() {
                Some(signal) => signal.signal(),
                None => self.thread.unpark(),
            }
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
    /// timeout), parked. Called only from the thread that created this
    /// state, and only while no [`Signal`] is set.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> Woke {
        self.wait_with(timeout, |remaining| {
            match remaining {
                None => park(),
                Some(remaining) => park_timeout(remaining),
            }
            false
        })
    }

    /// Sleeps in `block` until notified, until `timeout` has passed, or
    /// until `block` returns true (something else woke it: a file
    /// descriptor is ready). `block` is given the time left (`None`: no
    /// limit) and may return early for no reason; it must return once the
    /// loop is notified (an unpark, or the [`Signal`]). Called only from
    /// the loop's thread.
    pub(crate) fn wait_with(
        &self,
        timeout: Option<Duration>,
        mut block: impl FnMut(Option<Duration>) -> bool,
    ) -> Woke {
        if self
            .state
            .compare_exchange(AWAKE, SLEEPING, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            // A notification arrived while we were awake: `block` is not
            // called at all.
            return Woke {
                notified: self.state.swap(AWAKE, Ordering::SeqCst) == NOTIFIED,
                blocked: false,
            };
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            let remaining = match (timeout, deadline) {
                (None, _) | (Some(_), None) => None,
                (Some(_), Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    Some(deadline - now)
                }
            };
            if block(remaining) {
                break;
            }
            if self.state.load(Ordering::SeqCst) == NOTIFIED {
                break;
            }
            if cfg!(loom) && timeout.is_some() {
                break; // loom models the timeout as this early return
            }
        }
        Woke {
            notified: self.state.swap(AWAKE, Ordering::SeqCst) == NOTIFIED,
            blocked: true,
        }
    }
}

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Woke {
    /// A notification was consumed.
    pub(crate) notified: bool,
    /// The wait blocked (called its `block`), rather than returning at
    /// once for a notification that was already pending.
    pub(crate) blocked: bool,
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
    use loom::sync::{Arc, Condvar, Mutex};

    /// The eventfd of the OS wait, modelled: a counter that `signal` bumps
    /// and a blocking wait returns once it is non-zero, resetting it.
    struct ModelFd {
        count: Mutex<u32>,
        readable: Condvar,
    }

    impl Signal for ModelFd {
        fn signal(&self) {
            *self.count.lock().unwrap() += 1;
            self.readable.notify_one();
        }
    }

    impl ModelFd {
        fn new() -> ModelFd {
            ModelFd {
                count: Mutex::new(0),
                readable: Condvar::new(),
            }
        }

        /// epoll_wait on the eventfd alone: blocks until it is readable, or
        /// (a timeout) returns at once; drains it. No other descriptor is
        /// ever ready, so it returns false.
        fn block(&self, timeout: Option<Duration>) -> bool {
            let mut count = self.count.lock().unwrap();
            if timeout.is_none() {
                while *count == 0 {
                    count = self.readable.wait(count).unwrap();
                }
            }
            *count = 0;
            false
        }
    }

    /// A loop thread's wake state and the queue notifiers publish into.
    struct Loop {
        wake: WakeState,
        /// Set when the loop waits in the OS wait rather than parked.
        fd: Option<std::sync::Arc<ModelFd>>,
        queue: Mutex<Vec<u32>>,
        unparks: AtomicUsize,
    }

    impl Loop {
        fn new(os_wait: bool) -> Arc<Loop> {
            let mut lp = Loop {
                wake: WakeState::new(),
                fd: None,
                queue: Mutex::new(Vec::new()),
                unparks: AtomicUsize::new(0),
            };
            if os_wait {
                let fd = std::sync::Arc::new(ModelFd::new());
                lp.wake.set_signal(fd.clone());
                lp.fd = Some(fd);
            }
            Arc::new(lp)
        }

        /// The loop's one wait, whichever way it sleeps.
        fn wait(&self, timeout: Option<Duration>) -> bool {
            match &self.fd {
                None => self.wake.park(timeout).notified,
                Some(fd) => self.wake.wait_with(timeout, |t| fd.block(t)).notified,
            }
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

    /// Runs `model` under loom for a parked loop, then for one blocked in
    /// the OS wait.
    fn both_waits(model: fn(bool)) {
        for os_wait in [false, true] {
            loom::model(move || model(os_wait));
        }
    }

    /// A wake sent just before (or while) the loop sleeps is not lost: the
    /// wait returns, and the work published before the wake is visible.
    /// (A lost wake-up would leave the loop asleep forever, which loom
    /// reports as a deadlock.)
    #[test]
    fn a_wake_just_before_parking_is_not_lost() {
        both_waits(|os_wait| {
            let lp = Loop::new(os_wait);
            let sender = Loop::spawn_sender(&lp, 7);
            assert!(lp.wait(None), "the wait returned without a notification");
            assert_eq!(lp.drain(), [7]);
            sender.join().unwrap();
        });
    }

    /// A wake racing with the end of a timed wait is either consumed by it
    /// or left pending for the next wait: never dropped.
    #[test]
    fn a_wake_racing_a_timeout_is_not_lost() {
        both_waits(|os_wait| {
            let lp = Loop::new(os_wait);
            let sender = Loop::spawn_sender(&lp, 1);
            if !lp.wait(Some(Duration::from_millis(1))) {
                assert!(lp.wait(None));
            }
            assert_eq!(lp.drain(), [1]);
            sender.join().unwrap();
        });
    }

    /// Many wakes while the loop is awake merge into one pending
    /// notification; none of them needs an unpark or a signal.
    #[test]
    fn many_wakes_merge_into_one() {
        both_waits(|os_wait| {
            let lp = Loop::new(os_wait);
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

    /// Two wakes racing a sleeping loop wake it at most once per sleep, and
    /// the loop sees both messages after at most two waits.
    #[test]
    fn racing_wakes_unpark_at_most_once_per_sleep() {
        both_waits(|os_wait| {
            let lp = Loop::new(os_wait);
            let senders: Vec<_> = (0..2).map(|i| Loop::spawn_sender(&lp, i)).collect();
            let mut seen = Vec::new();
            let mut waits = 0;
            while seen.len() < 2 {
                assert!(lp.wait(None));
                waits += 1;
                seen.extend(lp.drain());
            }
            for sender in senders {
                sender.join().unwrap();
            }
            assert!(waits <= 2);
            assert!(lp.unparks.load(Ordering::SeqCst) <= waits);
            seen.sort_unstable();
            assert_eq!(seen, [0, 1]);
        });
    }

    /// An iteration with work ready asks the kernel without sleeping
    /// (`epoll_wait` with a zero timeout), which drains the eventfd outside
    /// the wake rule's wait, then takes a pending notification. Mixed with
    /// timed and blocking waits, that loses no wake-up: the notification
    /// is in the state, the eventfd only ends a blocked wait.
    #[test]
    fn a_zero_timeout_poll_between_waits_loses_no_wake() {
        loom::model(|| {
            let lp = Loop::new(true);
            let fd = lp.fd.clone().expect("an OS wait");
            let sender = Loop::spawn_sender(&lp, 5);
            let mut seen = Vec::new();
            if lp.wait(Some(Duration::from_millis(1))) {
                seen.extend(lp.drain());
            }
            fd.block(Some(Duration::ZERO));
            if lp.wake.take_notification() {
                seen.extend(lp.drain());
            }
            while seen.is_empty() {
                // Spurious returns (a signal drained late) are allowed; a
                // lost wake-up would deadlock.
                lp.wait(None);
                seen.extend(lp.drain());
            }
            assert_eq!(seen, [5]);
            sender.join().unwrap();
        });
    }

    /// A wake racing the loop's switch from parking to the OS wait (its
    /// first file descriptor registered between a timed park and the next
    /// wait) is not lost: it ends the park, or the OS wait, or waits in
    /// the state for the next one.
    #[test]
    fn a_wake_racing_the_switch_to_the_os_wait_is_not_lost() {
        loom::model(|| {
            let fd = std::sync::Arc::new(ModelFd::new());
            let lp = Loop::new(false);
            let sender = Loop::spawn_sender(&lp, 3);
            let mut seen = Vec::new();
            if lp.wake.park(Some(Duration::from_millis(1))).notified {
                seen.extend(lp.drain());
            }
            lp.wake.set_signal(fd.clone());
            while seen.is_empty() {
                // Spurious returns (a signal left by a notifier that saw
                // the park) are allowed; a lost wake-up would deadlock.
                lp.wake.wait_with(None, |t| fd.block(t));
                seen.extend(lp.drain());
            }
            assert_eq!(seen, [3]);
            sender.join().unwrap();
        });
    }
}
