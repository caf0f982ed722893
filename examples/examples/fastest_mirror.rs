//! Asking three mirrors at once and taking the first answer, on one thread.
//!
//! A download tool that knows several mirrors of a file asks all of them and keeps whichever
//! answers first; the slower requests are cancelled, and a deadline bounds the whole thing.
//! With `async` on `poll_loop` that is straight-line code: each request is a task, the first
//! answer is a `simple_future::Future` that every task tries to complete (only the first
//! `set_result` succeeds), [`timeout`] bounds the wait, and cancelling a [`JoinHandle`] drops
//! a request that is still under way. Checking the file that arrived is blocking work (a
//! checksum over its bytes), so it goes to [`LoopHandle::run_in_executor`] instead of
//! stalling the loop.
//!
//! Run it with `cargo run -p examples --example fastest_mirror`.

use std::error::Error;
use std::time::{Duration, Instant};

use poll_loop::{EventLoop, JoinHandle, LoopHandle, sleep, timeout};
use simple_future::Future;

/// A mirror, and how long it takes to send the file.
struct Mirror {
    name: &'static str,
    latency: Duration,
}

/// Stands in for a download: waits the mirror's latency on the loop, then hands back bytes.
async fn download(mirror: &Mirror) -> Vec<u8> {
    sleep(mirror.latency).await;
    format!("the file, from {}", mirror.name).into_bytes()
}

/// Asks every mirror; the first download to finish completes `first`.
fn ask_all(
    lp: &LoopHandle,
    mirrors: &'static [Mirror],
    first: &Future<(&'static str, Vec<u8>)>,
) -> Vec<JoinHandle<()>> {
    mirrors
        .iter()
        .map(|mirror| {
            let first = first.clone();
            lp.spawn(async move {
                let bytes = download(mirror).await;
                // Refused for every mirror but the fastest: its answer is in already.
                let _ = first.set_result((mirror.name, bytes));
            })
        })
        .collect()
}

/// A stand-in for a checksum: slow enough that it must not run on the loop.
fn checksum(bytes: &[u8]) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    static MIRRORS: [Mirror; 3] = [
        Mirror {
            name: "eu.example.org",
            latency: Duration::from_millis(120),
        },
        Mirror {
            name: "us.example.org",
            latency: Duration::from_millis(40),
        },
        Mirror {
            name: "asia.example.org",
            latency: Duration::from_millis(300),
        },
    ];

    let lp = EventLoop::new();
    let start = Instant::now();
    let (winner, sum, cancelled) = lp.block_on(async {
        let first = Future::new();
        let requests = ask_all(&lp, &MIRRORS, &first);
        let (name, bytes) = timeout(Duration::from_secs(2), first).await??;
        // The others are still downloading: stop them.
        let cancelled = requests.iter().filter(|request| request.cancel()).count();
        let sum = lp.run_in_executor(move || checksum(&bytes))?.await?;
        Ok::<_, Box<dyn Error>>((name, sum, cancelled))
    })??;
    let took = start.elapsed();

    println!("fastest mirror: {winner}, checksum {sum:016x}");
    println!("cancelled the other {cancelled} requests");
    println!("{} ms in all, on one loop thread", took.as_millis());
    assert_eq!(winner, "us.example.org");
    assert_eq!(cancelled, 2);
    // The fastest mirror's latency plus the checksum, not the slowest mirror's 300 ms.
    assert!(took < Duration::from_millis(250), "{took:?}");
    Ok(())
}
