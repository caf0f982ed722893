//! A run's lines on a time axis: each line's arrival and its transcript window, so that a
//! learner sees *when* lines came — the sync staircase, the async stack.
//!
//! [`Timeline`] is the picture's content, built from a judged run; [`Timeline::text`] draws it
//! for a terminal (80 columns; colour optional), and [`svg`](crate::svg) as an SVG file.

use std::collections::HashSet;
use std::fmt::Write;

use crate::matcher::Judgement;
use crate::outcome::{Measured, Run};
use crate::report::{not_measured, printable};
use crate::usage::Sample;

/// Most lines a timeline draws; the rest are counted.
pub(crate) const MAX_ROWS: usize = 60;

/// Width of the bar in a text timeline, in columns.
const BAR: usize = 40;

/// Most characters of a line's text in a text timeline (80 columns in all).
const LABEL: usize = 28;

/// One observed line on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// Arrival, in seconds since the start.
    pub(crate) at: f64,
    /// The line's text, printable.
    pub(crate) text: String,
    /// The window it had to arrive in, in seconds since the start.
    pub(crate) window: Option<(f64, f64)>,
    /// Where the row stands in an `unordered` group.
    pub(crate) group: Bracket,
    /// A failure is about this line.
    pub(crate) failed: bool,
}

/// A row's place in an `unordered` group, for the bracket drawn beside the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bracket {
    None,
    First,
    Middle,
    Last,
    /// A group of one line.
    Only,
}

/// What a timeline shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timeline {
    pub(crate) name: String,
    pub(crate) rows: Vec<Row>,
    /// Lines left out past [`MAX_ROWS`].
    pub(crate) more: usize,
    /// The length of the axis, in seconds: the run's wall time, the last arrival or the last
    /// window's end, whichever is latest (windows counted up to 1.5 times the run).
    pub(crate) span: f64,
    /// One line of figures: wall time, CPU share, threads, memory.
    pub(crate) caption: String,
    /// The CPU share (1.0: one core busy) over consecutive stretches of the run, from its
    /// samples; empty where nothing was measured.
    pub(crate) cpu: Vec<Stretch>,
    /// The thread count at the first sample and wherever it changed: (seconds, threads).
    pub(crate) threads: Vec<(f64, usize)>,
    /// The time of the last sample, in seconds (0 if none).
    pub(crate) sampled_until: f64,
    /// What the OS the run ran on can measure.
    pub(crate) measured: Measured,
}

/// The CPU share over one stretch of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stretch {
    pub(crate) from: f64,
    pub(crate) to: f64,
    pub(crate) share: f64,
}

/// The shortest stretch the CPU strip averages over: the kernel counts CPU time in 10 ms
/// ticks, so a shorter one would show mostly the tick.
const MIN_STRETCH: f64 = 0.05;

/// How many stretches the CPU strip is cut into, at most.
const STRETCHES: usize = 80;

/// The CPU share of the run over stretches of its samples.
fn cpu_strip(samples: &[Sample], span: f64) -> Vec<Stretch> {
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter_map(|s| Some((s.at.as_secs_f64(), s.cpu?.as_secs_f64())))
        .collect();
    let (Some(&(first, _)), Some(&(last, _))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    if last - first < MIN_STRETCH {
        return Vec::new();
    }
    // The kernel counts CPU time in 10 ms ticks: a sample that sees a new count marks a
    // moment the count reached it. Linear between those moments (and the first and last
    // sample), the CPU time is smooth where sampling every sample would show the ticks.
    let mut knots: Vec<(f64, f64)> = Vec::new();
    for (i, &(at, cpu)) in points.iter().enumerate() {
        if i == 0 || i == points.len() - 1 || cpu != points[i - 1].1 {
            knots.push((at, cpu));
        }
    }
    let cpu_at = |t: f64| {
        let i = knots.partition_point(|&(at, _)| at <= t);
        match (knots.get(i.wrapping_sub(1)), knots.get(i)) {
            (Some(&(a, ca)), Some(&(b, cb))) if b > a => ca + (cb - ca) * (t - a) / (b - a),
            (Some(&(_, c)), _) | (None, Some(&(_, c))) => c,
            (None, None) => 0.0,
        }
    };
    let width = (span / STRETCHES as f64).max(MIN_STRETCH);
    let mut out = Vec::new();
    let mut from = first;
    while from < last - 1e-9 {
        let to = (from + width).min(last);
        if to - from < MIN_STRETCH / 2.0 {
            break;
        }
        let share = ((cpu_at(to) - cpu_at(from)) / (to - from)).max(0.0);
        out.push(Stretch { from, to, share });
        from = to;
    }
    out
}

/// The thread count at the first sample and wherever it changed.
fn thread_steps(samples: &[Sample]) -> Vec<(f64, usize)> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    for sample in samples {
        let Some(n) = sample.threads else { continue };
        if out.last().is_none_or(|&(_, last)| last != n) {
            out.push((sample.at.as_secs_f64(), n));
        }
    }
    out
}

impl Timeline {
    /// The timeline of `run` of demo `name`, as `judgement` placed its lines.
    pub(crate) fn new(name: &str, run: &Run, judgement: &Judgement) -> Self {
        let failed: HashSet<usize> = judgement
            .failures
            .iter()
            .filter_map(|f| f.observed)
            .collect();
        let mut rows: Vec<Row> = run
            .lines
            .iter()
            .take(MAX_ROWS)
            .enumerate()
            .map(|(index, line)| {
                let placement = judgement.placements.get(index).copied().flatten();
                Row {
                    at: line.at.as_secs_f64(),
                    text: printable(&line.text),
                    window: placement.and_then(|p| p.window),
                    group: Bracket::None,
                    failed: failed.contains(&index) || placement.is_none(),
                }
            })
            .collect();
        let groups: Vec<Option<usize>> = (0..rows.len())
            .map(|i| {
                judgement
                    .placements
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|p| p.group)
            })
            .collect();
        for i in 0..rows.len() {
            let Some(g) = groups[i] else { continue };
            let before = i > 0 && groups[i - 1] == Some(g);
            let after = groups.get(i + 1) == Some(&Some(g));
            rows[i].group = match (before, after) {
                (false, false) => Bracket::Only,
                (false, true) => Bracket::First,
                (true, true) => Bracket::Middle,
                (true, false) => Bracket::Last,
            };
        }
        // The axis covers the run and the windows, but a window made huge by a time scale
        // does not squeeze the run into a corner.
        let last = rows.iter().map(|r| r.at).fold(0.0, f64::max);
        let run_span = run.wall.as_secs_f64().max(last).max(0.001);
        let windows = rows
            .iter()
            .filter_map(|r| r.window.map(|(_, hi)| hi))
            .fold(0.0, f64::max);
        let span = run_span.max(windows.min(1.5 * run_span));
        Self {
            name: name.to_owned(),
            more: run.lines.len().saturating_sub(MAX_ROWS),
            span,
            caption: caption(run),
            rows,
            cpu: cpu_strip(&run.samples, span),
            threads: thread_steps(&run.samples),
            sampled_until: run.samples.last().map_or(0.0, |s| s.at.as_secs_f64()),
            measured: run.measured,
        }
    }

    /// Seconds between two ticks of the axis: a round step giving at most 5 ticks.
    pub(crate) fn tick(&self) -> f64 {
        let mut step = 0.001;
        loop {
            for factor in [1.0, 2.0, 5.0] {
                if self.span / (step * factor) <= 5.0 {
                    return step * factor;
                }
            }
            step *= 10.0;
        }
    }

    /// The timeline for a terminal, 80 columns wide: a row per line with its arrival time, a
    /// bar scaled to the run (`[===]` its window, `*` its arrival, `X` if a failure is about
    /// it), and its text; `/ | \` bracket an `unordered` group. Where the run was sampled,
    /// a `cpu` row (`_ . : = #` from idle to a core busy) and a `threads` row (the count
    /// where it changes) follow, on the same axis. `colour` adds ANSI colours.
    pub(crate) fn text(&self, colour: bool) -> String {
        let paint = |code: &str, s: &str| {
            if colour {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let col = |t: f64| {
            ((t / self.span) * (BAR - 1) as f64)
                .round()
                .clamp(0.0, (BAR - 1) as f64) as usize
        };
        let mut out = String::new();
        let _ = writeln!(out, "  timeline of {}: {}", self.name, self.caption);
        // The axis: a `+` at each tick, the span at its end.
        let tick = self.tick();
        let mut axis = vec!['-'; BAR];
        let mut t = 0.0;
        while t <= self.span + 1e-9 {
            axis[col(t)] = '+';
            t += tick;
        }
        let axis: String = axis.into_iter().collect();
        let _ = writeln!(
            out,
            "  {:>7} {}  0 to {:.2} s, + every {} s",
            "", axis, self.span, tick
        );
        for row in &self.rows {
            let mut bar: Vec<(char, &str)> = vec![(' ', ""); BAR];
            if let Some((lo, hi)) = row.window {
                let (a, b) = (col(lo), col(hi.min(self.span)));
                for cell in &mut bar[a..=b] {
                    *cell = ('=', "36");
                }
                bar[a] = ('[', "36");
                if hi <= self.span {
                    bar[b] = (']', "36");
                }
            }
            bar[col(row.at)] = if row.failed {
                ('X', "1;31")
            } else {
                ('*', "1;32")
            };
            let bar: String = bar
                .into_iter()
                .map(|(c, code)| {
                    if code.is_empty() {
                        c.to_string()
                    } else {
                        paint(code, &c.to_string())
                    }
                })
                .collect();
            let gutter = match row.group {
                Bracket::None => ' ',
                Bracket::First => '/',
                Bracket::Middle => '|',
                Bracket::Last => '\\',
                Bracket::Only => '{',
            };
            let label: String = if row.text.chars().count() > LABEL {
                row.text.chars().take(LABEL - 1).chain(['…']).collect()
            } else {
                row.text.clone()
            };
            let label = if row.failed {
                paint("31", &label)
            } else {
                label
            };
            let _ = writeln!(out, "  {:>7.3}s{bar} {gutter}{label}", row.at);
        }
        if self.more > 0 {
            let _ = writeln!(out, "  … {} more lines not drawn", self.more);
        }
        if !self.cpu.is_empty() {
            // A column's CPU share, as the stretches overlapping it say: ` . : = #`.
            let cpu: String = (0..BAR)
                .map(|c| {
                    let (from, to) = (
                        c as f64 * self.span / BAR as f64,
                        (c + 1) as f64 * self.span / BAR as f64,
                    );
                    let (mut used, mut seen) = (0.0, 0.0);
                    for s in &self.cpu {
                        let overlap = s.to.min(to) - s.from.max(from);
                        if overlap > 0.0 {
                            used += s.share * overlap;
                            seen += overlap;
                        }
                    }
                    match (seen > 0.0).then(|| used / seen) {
                        None => ' ',
                        Some(share) if share < 0.05 => '_',
                        Some(share) if share < 0.35 => '.',
                        Some(share) if share < 0.65 => ':',
                        Some(share) if share < 0.9 => '=',
                        Some(_) => '#',
                    }
                })
                .collect();
            let _ = writeln!(out, "  {:>7} {cpu}  # a core busy, _ idle", "cpu");
        }
        if !self.threads.is_empty() {
            // The count where it changes, a dash while it holds.
            let mut row = vec![' '; BAR];
            let end = col(self.sampled_until);
            for (i, &(t, n)) in self.threads.iter().enumerate() {
                let next = self.threads.get(i + 1).map_or(end + 1, |&(t, _)| col(t));
                let here = col(t);
                for cell in row.iter_mut().take(next.min(BAR)).skip(here) {
                    *cell = '-';
                }
                row[here] = u32::try_from(n)
                    .ok()
                    .and_then(|n| char::from_digit(n, 10))
                    .unwrap_or('+');
            }
            let row: String = row.into_iter().collect();
            let many = if self.threads.iter().any(|&(_, n)| n > 9) {
                "  + 10 or more"
            } else {
                ""
            };
            let _ = writeln!(out, "  {:>7} {row}{many}", "threads");
        }
        out
    }
}

/// `wall 4.01 s, cpu 1%, threads 4, rss 3.1 MiB`; "not measured on this OS" for what the
/// OS cannot give, "not measured" for what was not taken (a demo that ended before its
/// first reading).
fn caption(run: &Run) -> String {
    let m = run.measured;
    let mut parts = vec![format!("wall {:.2} s", run.wall.as_secs_f64())];
    parts.push(match run.cpu_use() {
        Some(cpu) => format!("cpu {:.0}%", cpu.share() * 100.0),
        None => format!("cpu {}", not_measured(m.cpu)),
    });
    parts.push(match run.usage.threads {
        Some(threads) => format!("threads {threads}"),
        None => format!("threads {}", not_measured(m.threads)),
    });
    parts.push(match run.usage.rss_peak {
        Some(rss) => format!("rss {:.1} MiB", rss as f64 / (1 << 20) as f64),
        None => format!("rss {}", not_measured(m.rss)),
    });
    parts.join(", ")
}

#[cfg(test)]
mod tests;
