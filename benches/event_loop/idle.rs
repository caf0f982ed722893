//! 3. Waiting on two timers: CPU time over wall time, `Park` against `Spin`.
//!
//! The tutorial's program: two [`Timer`] sources (1 s and 2 s in the full run), and
//! `run_until_idle`, which returns when both have fired. The loop runs on this thread;
//! its CPU time is this thread's.

use std::time::Instant;

use benches::report::{Check, Table};
use poll_loop::{EventLoop, PollStrategy, Timer};

use crate::Options;
use crate::cpu::thread_cpu;

/// The target: `Park` uses at most this share of the wall time.
const TARGET_PARK_CPU: f64 = 0.01;

struct Sample {
    wall_s: f64,
    cpu_s: Option<f64>,
    iterations: u64,
    sleeps: u64,
}

fn wait(strategy: PollStrategy, options: &Options) -> Sample {
    let lp = EventLoop::with_strategy(strategy);
    let (a, b) = options.idle;
    let mut first = Timer::new(a);
    first.on_timer_done(|| {});
    let mut second = Timer::new(b);
    second.on_timer_done(|| {});
    lp.insert_source(first);
    lp.insert_source(second);
    let cpu0 = thread_cpu();
    let start = Instant::now();
    lp.run_until_idle().unwrap();
    let wall = start.elapsed();
    let cpu = match (cpu0, thread_cpu()) {
        (Some((c0, _)), Some((c1, _))) => Some(c1.saturating_sub(c0).as_secs_f64()),
        _ => None,
    };
    let stats = lp.stats();
    Sample {
        wall_s: wall.as_secs_f64(),
        cpu_s: cpu,
        iterations: stats.iterations,
        sleeps: stats.sleeps,
    }
}

pub(crate) fn run(options: &Options) -> Vec<Check> {
    let park = wait(PollStrategy::Park, options);
    let spin = wait(PollStrategy::Spin, options);
    let share = |s: &Sample| s.cpu_s.map(|c| c / s.wall_s);
    let row = |name: &str, s: &Sample| {
        vec![
            name.to_string(),
            format!("{:.3}", s.wall_s),
            s.cpu_s.map_or("n/a".into(), |c| format!("{:.4}", c)),
            share(s).map_or("n/a".into(), |r| format!("{:.2}%", r * 100.0)),
            s.iterations.to_string(),
            s.sleeps.to_string(),
        ]
    };
    let resolution = thread_cpu().map_or("n/a (no /proc)", |(_, r)| r);
    let ratio = match (spin.cpu_s, park.cpu_s) {
        (Some(s), Some(p)) if p > 0.0 => format!("{:.0}x", s / p),
        _ => "-".to_string(),
    };
    Table {
        title: format!(
            "3. Waiting on two timers ({} ms and {} ms): CPU over wall",
            options.idle.0.as_millis(),
            options.idle.1.as_millis()
        ),
        columns: &["strategy", "wall s", "cpu s", "cpu/wall", "iterations", "sleeps"],
        rows: vec![
            row("Park (poll-loop default)", &park),
            row("Spin (the tutorial's busy loop)", &spin),
        ],
        notes: vec![
            format!("CPU time of the loop's thread from /proc, resolution {resolution}; Spin / Park CPU = {ratio}."),
        ],
    }
    .print();
    if !options.judged {
        return Vec::new();
    }
    vec![match share(&park) {
        Some(r) => Check::target(
            r <= TARGET_PARK_CPU,
            format!(
                "waiting {:.1} s with Park: CPU {:.3}% of wall (target <= 1%; Spin: {})",
                park.wall_s,
                r * 100.0,
                share(&spin).map_or("n/a".into(), |s| format!("{:.0}%", s * 100.0))
            ),
        ),
        None => Check::target(
            false,
            "waiting with Park: no CPU time on this platform".into(),
        ),
    }]
}
