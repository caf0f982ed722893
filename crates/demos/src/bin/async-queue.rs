//! A producer and two consumers on one event loop, through a bounded queue: the producer waits while the queue is full.
//!
//! The producer puts eight items into a [`Queue`] that holds two, as fast as it can; each
//! consumer takes an item and works on it for a second (a [`sleep`] on the loop). So the queue
//! fills at once and the producer waits in `put().await` — without a thread, without spinning
//! — until a consumer takes an item, a second later, and so on. When every item is marked
//! done ([`Queue::task_done`], [`Queue::join`]) the producer closes the queue, and the
//! consumers' next `get()` tells them to stop. Everything runs as tasks on the loop's one
//! thread, which sleeps between the seconds (`cargo xtask verify` counts the threads and the
//! CPU time: `threads max 1`, `cpu max` in the transcript).

use std::error::Error;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use demos::DELAY;
use poll_loop::{EventLoop, LoopHandle, Queue, sleep};

/// Items the producer puts.
const ITEMS: u32 = 8;
/// What the queue holds.
const CAPACITY: usize = 2;

async fn producer(queue: Rc<Queue<u32>>) {
    for item in 1..=ITEMS {
        if queue.is_full() {
            println!("queue full ({} items): producer waits", queue.len());
            queue.put(item).await.expect("the queue is open");
            println!("producer resumes: item {item} in");
        } else {
            queue.put(item).await.expect("the queue is open");
            println!("put item {item}");
        }
    }
    queue.join().await;
    println!("all {ITEMS} items done: producer closes the queue");
    queue.close();
}

async fn consumer(name: &str, queue: Rc<Queue<u32>>) {
    while let Ok(item) = queue.get().await {
        println!("consumer {name} took item {item}");
        sleep(DELAY).await; // the work
        queue.task_done();
    }
    println!("consumer {name} done");
}

async fn demo(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let queue = Rc::new(Queue::bounded(CAPACITY));
    let tasks = [
        lp.spawn(consumer("A", queue.clone())),
        lp.spawn(consumer("B", queue.clone())),
        lp.spawn(producer(queue.clone())),
    ];
    for task in poll_loop::gather(tasks).await {
        task?;
    }
    println!("done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    lp.block_on(demo(&lp))?
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
