//! The order callbacks run in: FIFO for `call_soon`, (deadline, insertion
//! order) for timers, and "scheduled during an iteration, run in the next".

mod helpers;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use helpers::{DropGuard, Log, drop_guard, ms, without_hanging};
use poll_loop::EventLoop;

#[test]
fn call_soon_is_fifo() {
    let lp = EventLoop::new();
    let log = Log::new();
    for i in 0..100 {
        lp.call_soon(log.recording(i));
    }
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), (0..100).collect::<Vec<_>>());
}

#[test]
fn timers_run_by_deadline_then_insertion_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        let base = Instant::now() + ms(20);
        // Scheduled out of deadline order, with ties.
        lp.call_at(base + ms(10), log.recording("c1"));
        lp.call_at(base, log.recording("a1"));
        lp.call_at(base + ms(5), log.recording("b"));
        lp.call_at(base, log.recording("a2"));
        lp.call_at(base + ms(10), log.recording("c2"));
        lp.call_at(base, log.recording("a3"));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["a1", "a2", "a3", "b", "c1", "c2"]);
    });
}

#[test]
fn equal_deadlines_in_one_batch_keep_insertion_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        // All in the past: due in the same iteration.
        let past = Instant::now();
        for i in 0..50 {
            lp.call_at(past, log.recording(i));
        }
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), (0..50).collect::<Vec<_>>());
    });
}

#[test]
fn ready_callbacks_run_before_due_timers_in_one_iteration() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let log = Log::new();
        lp.call_at(Instant::now(), log.recording("timer"));
        lp.call_soon(log.recording("soon"));
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["soon", "timer"]);
    });
}

#[test]
fn callbacks_scheduled_during_an_iteration_run_in_the_next() {
    let lp = EventLoop::new();
    let log = Log::new();
    let (h, l) = (lp.handle(), log.clone());
    lp.call_soon(move || {
        l.push("first");
        // Queued behind "second", which was queued before this ran.
        h.call_soon(l.recording("from first"));
        h.stop();
    });
    lp.call_soon(log.recording("second"));
    lp.run_forever().unwrap();
    // The stop took effect at the end of the iteration: "from first" waits.
    assert_eq!(log.events(), ["first", "second"]);
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), ["first", "second", "from first"]);
}

#[test]
fn a_self_rescheduling_callback_does_not_starve_a_timer() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let spins = Rc::new(Cell::new(0u64));
        fn again(h: poll_loop::LoopHandle, spins: Rc<Cell<u64>>) {
            spins.set(spins.get() + 1);
            let next = h.clone();
            h.call_soon(move || again(next, spins));
        }
        let (h, s) = (lp.handle(), spins.clone());
        lp.call_soon(move || again(h, s));
        let h = lp.handle();
        lp.call_later(ms(20), move || h.stop());
        lp.run_forever().unwrap();
        assert!(spins.get() > 1, "the spinner ran");
        // The timer stopped the loop although the spinner never let the
        // ready queue empty.
        assert!(!lp.is_running());
    });
}

#[test]
fn threadsafe_callbacks_from_one_thread_keep_their_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let remote = lp.threadsafe();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = got.clone();
        let sender = std::thread::spawn(move || {
            for i in 0..200 {
                let sink = sink.clone();
                remote
                    .call_soon_threadsafe(move || sink.lock().unwrap().push(i))
                    .unwrap();
            }
            remote.stop();
        });
        sender.join().unwrap();
        lp.run_forever().unwrap();
        assert_eq!(*got.lock().unwrap(), (0..200).collect::<Vec<_>>());
    });
}

#[test]
fn a_chain_of_callbacks_runs_one_link_per_iteration_in_order() {
    // Links of two closure types (two closures), alternating, each queueing
    // the next; what the last link captured is dropped once it has run.
    fn link(h: poll_loop::LoopHandle, log: Log<u32>, guard: DropGuard, i: u32) {
        guard.touch();
        log.push(i);
        if i == 9 {
            return;
        }
        let next = h.clone();
        if i % 3 == 0 {
            h.call_soon(move || link(next, log, guard, i + 1));
        } else {
            h.call_soon(move || link(next, log, guard, i + 1));
        }
    }
    let lp = EventLoop::new();
    let log = Log::new();
    let (guard, dropped) = drop_guard();
    let (h, l) = (lp.handle(), log.clone());
    lp.call_soon(move || link(h, l, guard, 0));
    lp.run_until_idle().unwrap();
    assert_eq!(log.events(), (0..10).collect::<Vec<_>>());
    assert!(dropped.dropped());
    let stats = lp.stats();
    assert_eq!((stats.iterations, stats.callbacks), (10, 10));
}
