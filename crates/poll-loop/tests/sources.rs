//! Sources: a custom `Source`, the tutorial's `Timer`, `RepeatingTimer`,
//! channels and futures completed on other threads.

mod helpers;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use helpers::{Log, drop_guard, ms, strict, without_hanging};
use poll_loop::{
    Channel, EventLoop, LoopHandle, PostAction, Readiness, RepeatingTimer, Source,
    ThreadsafeHandle, Timer,
};
use simple_future::{Future, ResultError};

/// A source made ready by another thread through a flag. It hands the
/// waker it gets in `register` to the test, for that thread to use.
struct Flagged {
    flag: Arc<AtomicBool>,
    waker: Rc<Cell<Option<ThreadsafeHandle>>>,
    log: Log<&'static str>,
}

impl Source for Flagged {
    fn readiness(&mut self, _now: Instant) -> Readiness {
        if self.flag.load(Ordering::SeqCst) {
            Readiness::Ready
        } else {
            Readiness::Pending
        }
    }

    fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
        self.log.push("flagged");
        PostAction::Remove
    }

    fn register(&mut self, waker: &ThreadsafeHandle) {
        self.waker.set(Some(waker.clone()));
    }
}

#[test]
fn a_custom_source_woken_by_another_thread() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let flag = Arc::new(AtomicBool::new(false));
        let waker: Rc<Cell<Option<ThreadsafeHandle>>> = Rc::default();
        let handle = lp.insert_source(Flagged {
            flag: flag.clone(),
            waker: waker.clone(),
            log: log.clone(),
        });
        let remote = waker.take().expect("register was called on insert");
        let setter = thread::spawn(move || {
            thread::sleep(ms(30));
            flag.store(true, Ordering::SeqCst);
            remote.wake();
        });
        lp.run_until_idle().unwrap(); // parks with no deadline until woken
        setter.join().unwrap();
        assert_eq!(log.events(), ["flagged"]);
        assert!(!handle.is_registered());
        let stats = lp.stats();
        assert_eq!(stats.dispatches, 1);
        assert!(stats.wakeups >= 1, "{stats}");
    });
}

#[test]
fn a_custom_source_with_a_deadline_is_not_dispatched_early() {
    struct At(Instant, Log<Instant>);
    impl Source for At {
        fn readiness(&mut self, now: Instant) -> Readiness {
            if now >= self.0 {
                Readiness::Ready
            } else {
                Readiness::At(self.0)
            }
        }
        fn dispatch(&mut self, _lp: &LoopHandle) -> PostAction {
            self.1.push(Instant::now());
            PostAction::Remove
        }
    }
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let deadline = Instant::now() + ms(30);
        lp.insert_source(At(deadline, log.clone()));
        lp.run_until_idle().unwrap();
        assert!(log.events()[0] >= deadline);
        // It slept to the deadline rather than asking in a loop.
        assert!(lp.stats().iterations < 20, "{}", lp.stats());
    });
}

#[test]
fn the_tutorials_two_timers() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let start = Instant::now();
        let mut first = Timer::new(ms(20));
        let l = log.clone();
        first.on_timer_done(move || l.push(("First Time is Done", start.elapsed())));
        let mut second = Timer::new(ms(40));
        let l = log.clone();
        second.on_timer_done(move || l.push(("Second Timer is Done", start.elapsed())));
        assert!(!first.done() && !second.done());
        assert_eq!(first.timeout(), ms(20));
        assert!(first.deadline().unwrap() >= first.start() + ms(20));
        let (a, b) = (lp.insert_source(first), lp.insert_source(second));
        lp.run_until_idle().unwrap();
        let events = log.events();
        assert_eq!(events[0].0, "First Time is Done");
        assert_eq!(events[1].0, "Second Timer is Done");
        assert!(events[0].1 >= ms(20) && events[1].1 >= ms(40));
        assert!(
            !a.is_registered() && !b.is_registered(),
            "removed once done"
        );
    });
}

#[test]
fn a_timer_is_done_after_its_timeout() {
    let timer = Timer::new(ms(10));
    assert!(!timer.done());
    thread::sleep(ms(10));
    assert!(timer.done());
}

#[test]
fn a_removed_timer_never_fires_and_is_dropped() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (guard, flag) = drop_guard();
        let mut timer = Timer::new(ms(10));
        timer.on_timer_done(move || guard.touch());
        let handle = lp.insert_source(timer);
        assert!(handle.remove());
        assert!(flag.dropped());
        lp.run_until_idle().unwrap();
        assert!(!handle.remove());
    });
}

#[test]
fn a_repeating_timer_ticks_until_it_says_remove() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let ticks = Log::new();
        let start = Instant::now();
        let t = ticks.clone();
        let timer = RepeatingTimer::new(ms(10), move || {
            t.push(start.elapsed());
            if t.len() == 3 {
                PostAction::Remove
            } else {
                PostAction::Continue
            }
        });
        assert_eq!(timer.period(), ms(10));
        lp.insert_source(timer);
        lp.run_until_idle().unwrap();
        let ticks = ticks.events();
        assert_eq!(ticks.len(), 3);
        for (n, at) in ticks.iter().enumerate() {
            assert!(*at >= ms(10) * (n as u32 + 1), "tick {n} early: {at:?}");
        }
    });
}

#[test]
fn a_repeating_timer_stops_when_its_handle_removes_it() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        let handle = lp.insert_source(RepeatingTimer::new(ms(5), move || {
            c.set(c.get() + 1);
            PostAction::Continue
        }));
        let h = handle.clone();
        lp.call_later(ms(30), move || {
            assert!(h.remove());
        });
        lp.run_until_idle().unwrap(); // ends once the timer is removed
        assert!(count.get() >= 1);
        assert!(!handle.is_registered());
    });
}

#[test]
#[should_panic(expected = "non-zero period")]
fn a_repeating_timer_needs_a_period() {
    let _ = RepeatingTimer::new(Duration::ZERO, || PostAction::Continue);
}

#[test]
fn a_loop_channel_delivers_every_message_in_order_and_wakes_the_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let got = Log::new();
        let g = got.clone();
        let (tx, source) = lp.channel(move |n: u32| g.push(n));
        let producer = thread::spawn(move || {
            for n in 0..500 {
                tx.send(n).unwrap();
                if n % 100 == 0 {
                    thread::sleep(ms(2)); // let the loop park in between
                }
            }
        });
        lp.run_until_idle().unwrap(); // until disconnected and drained
        producer.join().unwrap();
        assert_eq!(got.events(), (0..500).collect::<Vec<_>>());
        assert!(!source.is_registered(), "removed once disconnected");
    });
}

#[test]
fn sending_into_a_closed_loop_fails_with_the_message() {
    let lp = EventLoop::new();
    let (tx, _source) = lp.channel(|_: String| {});
    lp.close().unwrap();
    let error = tx.send("lost".to_string()).unwrap_err();
    assert_eq!(error.into_inner(), "lost");
}

#[test]
fn a_foreign_receiver_is_drained_when_the_loop_looks() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let got = Log::new();
        let (tx, rx) = crossbeam_channel::unbounded();
        let g = got.clone();
        lp.insert_source(Channel::new(rx, move |s: &'static str| g.push(s)));
        let remote = lp.threadsafe();
        let producer = thread::spawn(move || {
            tx.send("a").unwrap();
            tx.send("b").unwrap();
            // A foreign sender does not wake the loop: do it by hand.
            remote.wake();
        });
        producer.join().unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(got.events(), ["a", "b"]);
    });
}

#[test]
fn a_future_completed_on_another_thread_calls_back_on_the_loop_thread() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let future: Future<u32> = Future::new();
        let loop_thread = thread::current().id();
        let got = Log::new();
        let g = got.clone();
        lp.on_future_done(&future, move |f| {
            assert_eq!(thread::current().id(), loop_thread);
            g.push(*f.result().unwrap());
        });
        let producer = future.clone();
        let worker = thread::spawn(move || {
            thread::sleep(ms(20));
            producer.set_result(7).unwrap();
        });
        drop(future);
        lp.run_until_idle().unwrap();
        worker.join().unwrap();
        assert_eq!(got.events(), [7]);
    });
}

#[test]
fn an_abandoned_future_still_calls_back() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let future: Future<u32> = Future::new();
        let got = Log::new();
        let g = got.clone();
        lp.on_future_done(&future.observer(), move |f| {
            g.push(matches!(f.result(), Err(ResultError::Abandoned)));
        });
        thread::spawn(move || drop(future)).join().unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(got.events(), [true]);
    });
}

#[test]
fn a_future_already_done_calls_back_in_the_next_iteration() {
    let lp = EventLoop::new();
    let future: Future<&str> = Future::new();
    future.set_result("done").unwrap();
    let got = Log::new();
    let g = got.clone();
    lp.on_future_done(&future, move |f| g.push(*f.result().unwrap()));
    assert!(got.events().is_empty(), "not on the caller's stack");
    lp.run_until_idle().unwrap();
    assert_eq!(got.events(), ["done"]);
}
