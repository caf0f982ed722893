//! The loop waits for a future that a timer thread completes, and runs what that thread sends it.
//!
//! The loop's thread calls `run_until_complete` on a `simple-future` future. A `cb-timer`
//! thread, a second later, first hands the loop a callback with `call_soon_threadsafe`, then
//! completes the future. Meanwhile the loop is not blocked the way `future.result()` would block
//! it: it sleeps, runs its own timer when that is due, wakes when the other thread calls, and
//! returns the future's value once it is done. Each line names the thread that printed it.
//!
//! The order is fixed but for one pair: after the timer thread has sent its callback, it goes
//! on to complete the future while the loop runs that callback, so those two lines race. The
//! callback still runs before `run_until_complete` returns: it was queued before the future was
//! completed, and the loop, asleep with nothing else to do, takes it in the iteration the
//! call wakes it for.

use std::error::Error;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use cb_timer::Timer;
use demos::DELAY;
use poll_loop::{EventLoop, LoopHandle};
use simple_future::Future;

/// Prints `what` as said by the current thread: `[main] loop: …`, `[cb-timer-0] timer thread: …`.
fn say(what: &str) {
    let me = thread::current();
    println!("[{}] {what}", me.name().unwrap_or("unnamed"));
}

fn run(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
    let answer: Future<u32> = Future::new();

    // The loop's own timer, due while the loop waits for the future.
    lp.call_later(Duration::from_millis(500), || {
        say("loop: own timer ran while waiting");
    });

    // The other thread: a cb-timer that talks to the loop, then completes the future.
    let remote = lp.threadsafe();
    let producer = answer.clone();
    let timer = Timer::new(DELAY, move || {
        say("timer thread: fired, sending a callback to the loop");
        let sent = remote.call_soon_threadsafe(|| {
            say("loop: running the callback the timer thread sent");
        });
        if sent.is_err() {
            say("timer thread: the loop is closed");
        }
        say("timer thread: completing the future with 42");
        // Only this timer completes the future.
        let _ = producer.set_result(42);
    });

    say("loop: waiting for the future");
    timer.start()?;
    let value = lp.run_until_complete(&answer)?;
    say(&format!("loop: run_until_complete returned {value}"));

    timer.join()?;
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    let lp = EventLoop::new();
    let result = run(&lp);
    demos::report_stats(&lp);
    demos::exit_code(result)
}
