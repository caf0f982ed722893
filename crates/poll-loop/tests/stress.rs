//! Randomized (fixed seeds, so a failure repeats): many tasks use one
//! `Semaphore`, `Mutex` and bounded `Queue`, giving up on waits at random
//! points. Invariants: never more permit holders than permits, one lock
//! holder at a time, items leave the queue in order, and every item put is
//! delivered exactly once or dropped with its cancelled put.

mod by_hand;
mod helpers;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use by_hand::Rng;
use helpers::without_hanging;
use poll_loop::{Either, EventLoop, Mutex, Queue, Semaphore, select, yield_now};

const PERMITS: usize = 3;
const CAPACITY: usize = 4;

async fn yields(n: u64) {
    for _ in 0..n {
        yield_now().await;
    }
}

#[derive(Default)]
struct Books {
    inside: Cell<usize>,
    most_inside: Cell<usize>,
    locked: Cell<bool>,
    /// (producer, seq) of every item offered to the queue.
    offered: RefCell<Vec<(u32, u32)>>,
    /// In the order taken.
    taken: RefCell<Vec<(u32, u32)>>,
    /// Dropped untaken (their put was cancelled while it waited).
    dropped: RefCell<Vec<(u32, u32)>>,
}

struct Item {
    id: (u32, u32),
    books: Rc<Books>,
    taken: bool,
}

impl Drop for Item {
    fn drop(&mut self) {
        if !self.taken {
            self.books.dropped.borrow_mut().push(self.id);
        }
    }
}

struct Shared {
    semaphore: Semaphore,
    mutex: Mutex<u64>,
    queue: Queue<Item>,
    books: Rc<Books>,
}

fn take(shared: &Shared, mut item: Item) {
    item.taken = true;
    shared.books.taken.borrow_mut().push(item.id);
}

async fn worker(shared: Rc<Shared>, id: u32, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut seq = 0;
    for _ in 0..150 {
        let patience = rng.below(4);
        let hold = rng.below(3);
        match rng.below(4) {
            0 => {
                if let Either::Left(_permit) =
                    select(shared.semaphore.acquire(), yields(patience)).await
                {
                    let books = &shared.books;
                    books.inside.set(books.inside.get() + 1);
                    books
                        .most_inside
                        .set(books.most_inside.get().max(books.inside.get()));
                    assert!(books.inside.get() <= PERMITS, "more holders than permits");
                    yields(hold).await;
                    books.inside.set(books.inside.get() - 1);
                }
            }
            1 => {
                if let Either::Left(mut guard) = select(shared.mutex.lock(), yields(patience)).await
                {
                    assert!(!shared.books.locked.replace(true), "two lock holders");
                    yields(hold).await;
                    *guard += 1;
                    shared.books.locked.set(false);
                }
            }
            2 => {
                let item = Item {
                    id: (id, seq),
                    books: shared.books.clone(),
                    taken: false,
                };
                shared.books.offered.borrow_mut().push((id, seq));
                seq += 1;
                let _ = select(shared.queue.put(item), yields(patience)).await;
            }
            _ => {
                if let Either::Left(Ok(item)) = select(shared.queue.get(), yields(patience)).await {
                    take(&shared, item);
                }
            }
        }
        assert!(shared.queue.len() <= CAPACITY, "over the bound");
    }
}

fn run(seed: u64) {
    let lp = EventLoop::new();
    let books = Rc::new(Books::default());
    let shared = Rc::new(Shared {
        semaphore: Semaphore::new(PERMITS),
        mutex: Mutex::new(0),
        queue: Queue::bounded(CAPACITY),
        books: books.clone(),
    });
    let mut rng = Rng::new(seed);
    for id in 0..24 {
        lp.spawn(worker(shared.clone(), id, rng.next()));
    }
    lp.run_until_idle().unwrap();

    shared.queue.close();
    while let Ok(item) = shared.queue.try_get() {
        take(&shared, item);
    }
    assert_eq!(shared.semaphore.available_permits(), PERMITS, "seed {seed}");
    assert!(!shared.mutex.is_locked());
    assert!(
        books.most_inside.get() >= 2,
        "seed {seed}: the semaphore was contended"
    );

    let taken = books.taken.borrow();
    let dropped = books.dropped.borrow();
    let mut seen = HashSet::new();
    for id in taken.iter().chain(dropped.iter()) {
        assert!(
            seen.insert(*id),
            "seed {seed}: {id:?} delivered or dropped twice"
        );
    }
    let offered: HashSet<_> = books.offered.borrow().iter().copied().collect();
    assert_eq!(
        seen, offered,
        "seed {seed}: every item delivered once or dropped"
    );
    assert!(
        taken.len() > 100 && !dropped.is_empty(),
        "seed {seed}: both paths ran"
    );
    // Order: each producer's items leave in the order it put them.
    for producer in 0..24 {
        let seqs: Vec<_> = taken
            .iter()
            .filter(|id| id.0 == producer)
            .map(|id| id.1)
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "seed {seed}: {producer}: {seqs:?}"
        );
    }
}

#[test]
fn invariants_hold_under_random_cancellation() {
    without_hanging(|| {
        for seed in [1, 2, 3, 0xDEAD_BEEF, 42] {
            run(seed);
        }
    });
}
