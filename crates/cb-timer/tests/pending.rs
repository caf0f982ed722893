//! `pending()` counts exactly the timers waiting in the queue, whoever
//! cancels what and when: before the batch they are due in, from inside it,
//! or as tombstones that leave with a batch.

mod helpers;

use std::sync::{Arc, Mutex, OnceLock};

use cb_timer::{CancelOutcome, Scheduler, TimerHandle, TimerState};
use helpers::{PATIENCE, XorShift, manual, ms, secs, without_hanging};

/// A slot for a handle that a callback scheduled before it needs it.
type Later = Arc<OnceLock<TimerHandle>>;

/// Schedules, at `deadline`, a timer that cancels the handles put in the
/// returned slots; then the victims are scheduled by the caller.
fn canceller(scheduler: &Scheduler, at_secs: u64, victims: usize) -> Vec<Later> {
    let slots: Vec<Later> = (0..victims).map(|_| Later::default()).collect();
    let targets = slots.clone();
    scheduler.after(secs(at_secs), move || {
        for target in &targets {
            assert_eq!(target.get().unwrap().cancel(), CancelOutcome::Cancelled);
        }
    });
    slots
}

#[test]
fn a_same_deadline_timer_cancelled_by_the_one_before_it_is_not_counted() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let slots = canceller(&scheduler, 1, 1);
        let victim = scheduler.after(secs(1), || unreachable!());
        slots[0].set(victim.clone()).unwrap();
        assert_eq!(scheduler.pending(), 2);

        clock.advance(secs(1));
        assert_eq!(victim.state(), TimerState::Cancelled);
        assert_eq!(scheduler.pending(), 0, "nothing is queued");
    });
}

#[test]
fn a_repeating_timer_cancelled_by_an_earlier_one_in_its_batch_is_not_counted() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let slots = canceller(&scheduler, 1, 1);
        let victim = scheduler.every(secs(1), || unreachable!());
        slots[0].set(victim.clone()).unwrap();
        let later = scheduler.after(secs(10), || {});

        clock.advance(secs(1));
        assert_eq!(victim.state(), TimerState::Cancelled);
        assert_eq!(scheduler.pending(), 1, "only {later:?} is queued");
        assert_eq!(scheduler.handle().pending(), Some(1));
    });
}

#[test]
fn timers_cancelled_within_their_batch_do_not_hide_the_queued_ones() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let slots = canceller(&scheduler, 1, 5);
        for slot in &slots {
            slot.set(scheduler.after(secs(1), || unreachable!()))
                .unwrap();
        }
        for _ in 0..10 {
            scheduler.after(secs(10), || {});
        }
        assert_eq!(scheduler.pending(), 16);

        clock.advance(secs(1));
        assert_eq!(scheduler.pending(), 10, "ten timers are still queued");
        clock.advance(secs(9));
        assert_eq!(scheduler.pending(), 0);
    });
}

#[test]
fn a_cancelled_timer_that_leaves_with_a_batch_takes_its_count_along() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let cancelled = scheduler.after(secs(1), || unreachable!());
        scheduler.after(secs(10), || {});
        assert_eq!(cancelled.cancel(), CancelOutcome::Cancelled);
        assert_eq!(scheduler.pending(), 1);

        // The tombstone is taken with the batch due at 1 s.
        clock.advance(secs(2));
        assert_eq!(scheduler.pending(), 1, "the 10 s timer is still queued");
        clock.advance(secs(8));
        assert_eq!(scheduler.pending(), 0);
    });
}

#[test]
fn a_running_repeating_timer_is_not_counted_until_it_is_queued_again() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handle = scheduler.handle();
        scheduler.every(secs(1), {
            let seen = seen.clone();
            move || seen.lock().unwrap().push(handle.pending())
        });
        assert_eq!(scheduler.pending(), 1);
        clock.advance(secs(1));
        clock.advance(secs(1));
        assert_eq!(*seen.lock().unwrap(), [Some(0), Some(0)]);
        assert_eq!(scheduler.pending(), 1);
    });
}

#[test]
fn compaction_keeps_the_count_of_queued_and_in_batch_cancels() {
    without_hanging(PATIENCE, || {
        let (clock, scheduler) = manual();
        let ran = Arc::new(Mutex::new(0));
        // Ten victims in the canceller's own batch, then 100 queued timers of
        // which 80 are cancelled: enough tombstones to compact the queue.
        let slots = canceller(&scheduler, 1, 90);
        for slot in &slots[..10] {
            slot.set(scheduler.after(secs(1), || unreachable!()))
                .unwrap();
        }
        let mut queued = Vec::new();
        for i in 0..100 {
            let ran = ran.clone();
            let handle = scheduler.after(secs(10), move || *ran.lock().unwrap() += 1);
            if i < 80 {
                slots[10 + i].set(handle).unwrap();
            } else {
                queued.push(handle);
            }
        }
        assert_eq!(scheduler.pending(), 111);

        clock.advance(secs(1));
        assert_eq!(scheduler.pending(), 20);
        clock.advance(secs(9));
        assert_eq!(scheduler.pending(), 0);
        assert_eq!(*ran.lock().unwrap(), 20);
        assert!(queued.iter().all(|h| h.state() == TimerState::Fired));
    });
}

/// Random deadlines, repeating timers, cancels from outside and from
/// callbacks, enough of them to trigger compaction: after every step the
/// count equals the number of handles still pending.
#[test]
fn pending_matches_the_pending_handles_through_random_schedules_and_cancels() {
    without_hanging(PATIENCE * 6, || {
        let (clock, scheduler) = manual();
        let handles: Arc<Mutex<Vec<TimerHandle>>> = Arc::default();
        let mut rng = XorShift::new(11);
        let count_pending = |handles: &Mutex<Vec<TimerHandle>>| {
            let handles = handles.lock().unwrap();
            handles
                .iter()
                .filter(|h| h.state() == TimerState::Pending)
                .count()
        };
        for step in 0..400 {
            for _ in 0..rng.below(6) {
                // Never due at once: the worker only runs callbacks within `advance`.
                let delay = ms(1 + rng.below(50));
                let handle = match rng.below(4) {
                    0 => scheduler.every(ms(1 + rng.below(20)), || {}),
                    1 => {
                        // Cancels a few others when it runs, maybe in its batch.
                        let (handles, seed) = (handles.clone(), rng.next_u64());
                        scheduler.after(delay, move || {
                            let handles = handles.lock().unwrap().clone();
                            let mut rng = XorShift::new(seed);
                            for _ in 0..3 {
                                if !handles.is_empty() {
                                    handles[rng.below(handles.len() as u64) as usize].cancel();
                                }
                            }
                        })
                    }
                    _ => scheduler.after(delay, || {}),
                };
                handles.lock().unwrap().push(handle);
            }
            let outside: Vec<_> = {
                let handles = handles.lock().unwrap();
                (0..rng.below(4))
                    .filter(|_| !handles.is_empty())
                    .map(|_| handles[rng.below(handles.len() as u64) as usize].clone())
                    .collect()
            };
            for handle in outside {
                handle.cancel();
            }
            assert_eq!(
                scheduler.pending(),
                count_pending(&handles),
                "step {step}, before advance"
            );
            clock.advance(ms(rng.below(15)));
            assert_eq!(
                scheduler.pending(),
                count_pending(&handles),
                "step {step}, after advance"
            );
        }
    });
}
