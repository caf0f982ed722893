//! Debouncing a search box: a burst of keystrokes becomes one search.
//!
//! A search-as-you-type box should not query the server on every keystroke. A *debouncer*
//! waits until the input has been quiet for a while (here 50 ms) and then acts once, on the
//! latest value. It is a few lines on top of `cb_timer`: each event cancels the timer the
//! previous event armed and arms a new one on a [`Scheduler`], so only the timer of the last
//! event in a burst survives to fire.
//!
//! A [`Scheduler`] suits this better than one [`cb_timer::Timer`] thread per keystroke:
//! arming a timer costs no thread, and cancelling one is a cheap [`TimerHandle::cancel`].
//!
//! Run it with `cargo run -p examples --example debounce`.

use std::error::Error;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use cb_timer::{CancelOutcome, Scheduler, TimerHandle};

/// Calls `action` with the latest value once no new value has come for `quiet`.
struct Debouncer<'s, T> {
    scheduler: &'s Scheduler,
    quiet: Duration,
    action: Arc<dyn Fn(T) + Send + Sync>,
    /// The timer armed by the latest event, if any.
    pending: Mutex<Option<TimerHandle>>,
}

impl<'s, T: Send + 'static> Debouncer<'s, T> {
    fn new(
        scheduler: &'s Scheduler,
        quiet: Duration,
        action: impl Fn(T) + Send + Sync + 'static,
    ) -> Self {
        Debouncer {
            scheduler,
            quiet,
            action: Arc::new(action),
            pending: Mutex::new(None),
        }
    }

    /// Records an event: the action will run with `value` unless another event comes within
    /// the quiet period. Returns whether an earlier, still waiting value was dropped.
    fn call(&self, value: T) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        // `cancel` tells us whether the previous value was still waiting (now dropped) or
        // had already been acted on: its quiet period had passed.
        let superseded = pending
            .take()
            .is_some_and(|previous| previous.cancel() == CancelOutcome::Cancelled);
        let action = Arc::clone(&self.action);
        *pending = Some(self.scheduler.after(self.quiet, move || action(value)));
        superseded
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    const QUIET: Duration = Duration::from_millis(50);
    const KEYSTROKE: Duration = Duration::from_millis(5);

    let scheduler = Scheduler::new()?;
    let (searches, searched) = mpsc::channel();
    let search_box = Debouncer::new(&scheduler, QUIET, move |query: String| {
        // Stands in for the request to the search server.
        searches.send(query).expect("main waits for every search");
    });

    // The user types "rust", pauses, then types " timer".
    let start = Instant::now();
    let mut text = String::new();
    let (mut keystrokes, mut superseded) = (0, 0);
    for burst in ["rust", " timer"] {
        for c in burst.chars() {
            text.push(c);
            keystrokes += 1;
            if search_box.call(text.clone()) {
                superseded += 1;
            }
            thread::sleep(KEYSTROKE);
        }
        // The user pauses for longer than the quiet period: the search runs.
        let query = searched.recv_timeout(Duration::from_secs(1))?;
        println!(
            "{:>4} ms: searched for {query:?}",
            start.elapsed().as_millis()
        );
        assert_eq!(
            query, text,
            "only the last value of a burst is searched for"
        );
    }

    println!("{keystrokes} keystrokes, {superseded} superseded, 2 searches");
    assert_eq!(superseded, keystrokes - 2);
    // Nothing else is waiting: the last timer has fired.
    assert!(searched.recv_timeout(QUIET * 2).is_err());
    Ok(())
}
