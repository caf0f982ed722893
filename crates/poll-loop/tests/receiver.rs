//! `Receiver::recv().await`: messages from any thread wake the waiting
//! task, in order; `None` once every sender is gone; a dropped `recv`
//! loses no message and leaves nothing on the loop.

mod helpers;

use std::thread;
use std::time::{Duration, Instant};

use helpers::{ms, without_hanging};
use poll_loop::{EventLoop, TryRecvError, sleep, timeout};

#[test]
fn messages_from_other_threads_wake_the_task_in_order() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (tx, rx) = lp.unbounded_channel();
        let worker = thread::spawn(move || {
            for n in 0..100 {
                if n % 10 == 0 {
                    thread::sleep(ms(2));
                }
                tx.send(n).unwrap();
            }
        });
        let got = lp
            .block_on(async {
                let mut got = Vec::new();
                while let Some(n) = rx.recv().await {
                    got.push(n);
                }
                got
            })
            .unwrap();
        worker.join().unwrap();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn a_task_on_the_loop_may_send_too() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (tx, rx) = lp.unbounded_channel();
        lp.spawn(async move {
            sleep(ms(5)).await;
            tx.send("from a task").unwrap();
        });
        assert_eq!(
            lp.block_on(async { rx.recv().await }).unwrap(),
            Some("from a task")
        );
    });
}

#[test]
fn a_dropped_recv_loses_no_message_and_leaves_nothing_on_the_loop() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (tx, rx) = lp.unbounded_channel::<u32>();
        // Given up on: its source is gone, so the loop is idle at once.
        assert!(lp.block_on(timeout(ms(5), rx.recv())).unwrap().is_err());
        let start = Instant::now();
        lp.run_until_idle().unwrap();
        assert!(start.elapsed() < Duration::from_secs(2));
        // A message that arrives while nobody waits is kept for the next.
        tx.send(7).unwrap();
        assert_eq!(lp.block_on(async { rx.recv().await }).unwrap(), Some(7));
        drop(tx);
        assert_eq!(lp.block_on(async { rx.recv().await }).unwrap(), None);
    });
}
