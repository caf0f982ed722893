//! The markdown tables and the targets.

use std::time::Duration;

use benches::report::Table;

use crate::{Row, TARGET_N, TARGET_P99_MS, TARGET_PEAK_MB, TARGET_SCHEDULE_NS};

pub(crate) fn print_table(n: usize, rows: &[Row]) {
    let ours = rows[0].result.as_ref().ok();
    let cells = rows
        .iter()
        .map(|row| match &row.result {
            Ok(s) => vec![
                row.name.to_string(),
                s.schedule_ns.to_string(),
                format!("{:.3}", ms(s.p50_ns)),
                format!("{:.3}", ms(s.p99_ns)),
                format!("{:.3}", ms(s.max_ns)),
                format!("{:.2}", mb(s.peak_bytes)),
                ratio(s.schedule_ns as f64, ours.map(|o| o.schedule_ns as f64)),
                ratio(ms(s.p99_ns), ours.map(|o| ms(o.p99_ns))),
            ],
            Err(_) => [row.name]
                .into_iter()
                .chain(["n/a"; 7])
                .map(String::from)
                .collect(),
        })
        .collect();
    let mut notes = Vec::new();
    for row in rows {
        match &row.result {
            Err(e) => notes.push(format!("{}: n/a: {e}", row.name)),
            Ok(s) => {
                let (run, completed) = row.rounds;
                if completed < run {
                    notes.push(format!(
                        "{}: medians of the {completed} of {run} rounds that completed",
                        row.name
                    ));
                }
                if s.p50_ns < 0 {
                    notes.push(format!(
                        "{}: negative lateness: callbacks ran before their deadline",
                        row.name
                    ));
                }
            }
        }
    }
    notes.extend(rows.iter().filter_map(|row| row.note).map(String::from));
    notes.push(
        "MB = 10^6 bytes. Ratios are peer / cb-timer Scheduler: above 1 is worse than ours."
            .to_string(),
    );
    Table {
        title: format!("N = {n}"),
        columns: &[
            "library",
            "schedule ns/timer",
            "lateness p50 ms",
            "p99 ms",
            "max ms",
            "peak heap MB",
            "schedule vs ours",
            "p99 vs ours",
        ],
        rows: cells,
        notes,
    }
    .print();
}

pub(crate) fn print_targets(rows: &[Row]) {
    println!("## Targets for cb-timer Scheduler at N = {TARGET_N}\n");
    let Ok(ours) = &rows[0].result else {
        println!(
            "- MISS: no result: {}\n",
            rows[0].result.as_ref().err().map_or("", String::as_str)
        );
        return;
    };
    let best_peer = rows[1..]
        .iter()
        .filter_map(|row| Some((row.name, row.result.as_ref().ok()?.p99_ns)))
        .min_by_key(|&(_, p99)| p99);
    let below_peers = best_peer.is_none_or(|(_, p99)| ours.p99_ns < p99);
    let best_peer = best_peer.map_or("no peer finished".to_string(), |(name, p99)| {
        format!("lowest peer p99 {:.3} ms, {name}", ms(p99))
    });
    let checks = [
        (
            ours.schedule_ns as f64 <= TARGET_SCHEDULE_NS,
            format!(
                "scheduling {} ns/timer (target <= {TARGET_SCHEDULE_NS} ns)",
                ours.schedule_ns
            ),
        ),
        (
            ms(ours.p99_ns) <= TARGET_P99_MS,
            format!(
                "lateness p99 {:.3} ms (target <= {TARGET_P99_MS} ms)",
                ms(ours.p99_ns)
            ),
        ),
        (
            below_peers,
            format!("lateness p99 below every peer's ({best_peer})"),
        ),
        (
            mb(ours.peak_bytes) <= TARGET_PEAK_MB,
            format!(
                "peak heap {:.2} MB (target <= {TARGET_PEAK_MB} MB)",
                mb(ours.peak_bytes)
            ),
        ),
    ];
    for (pass, what) in checks {
        println!("- {}: {what}", if pass { "PASS" } else { "MISS" });
    }
    println!();
}

pub(crate) fn ratio(peer: f64, ours: Option<f64>) -> String {
    match ours {
        Some(ours) if ours > 0.0 => format!("{:.2}x", peer / ours),
        _ => "-".to_string(),
    }
}

pub(crate) fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

pub(crate) fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

pub(crate) fn fmt_duration(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
