//! A [`Timeline`] as a small, plain SVG picture: text elements, no script, no external
//! reference, so that it shows the same on GitHub, docs.rs (inlined into a page) and in a
//! browser.
//!
//! Each line is a row: its arrival time on the left, a dot on a seconds axis (red if a
//! failure is about it), its window as a shaded band, and its text on the right, wrapped
//! past [`WRAP`] characters and never cut: the picture is as wide as its longest line. A
//! bracket joins the rows of an `unordered` group. Under the rows, on the same axis, a strip
//! shows the CPU the demo used over time and another its thread count, labelled where it
//! changes; a legend says what each mark means. The caption gives the run's wall time, CPU
//! share, threads and memory, or "not measured".

use std::fmt::Write;

use crate::report::not_measured;
use crate::timeline::{Bracket, Timeline};

/// The narrowest picture, in pixels.
const MIN_WIDTH: f64 = 760.0;
/// Left and right ends of the plot, in pixels.
const PLOT_LEFT: f64 = 80.0;
const PLOT_RIGHT: f64 = 470.0;
/// Where the bracket of a group stands, and where the lines' texts begin.
const BRACKET_X: f64 = 486.0;
const LABEL_X: f64 = 496.0;
const TOP: f64 = 74.0;
const ROW: f64 = 22.0;
/// The height of each further line of a wrapped text.
const LINE: f64 = 15.0;
/// A line's text is wrapped past this many characters.
const WRAP: usize = 64;
/// The advance of one character of the 12 px monospace font, with a margin: 0.6 em in
/// DejaVu Sans Mono, Menlo and SF Mono, less in Consolas.
const CHAR: f64 = 7.4;
/// The heights of the CPU and thread strips.
const CPU_STRIP: f64 = 36.0;
const THREAD_STRIP: f64 = 28.0;
const FONT: &str =
    "font-family=\"ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace\"";

const WINDOW_FILL: &str = "fill=\"#1f77b4\" fill-opacity=\"0.18\"";
const OK: &str = "#2e7d32";
const FAILED: &str = "#c62828";
const CPU_FILL: &str = "#e6550d";
const THREADS: &str = "#6a51a3";

/// The SVG document of `timeline`.
pub(crate) fn render(timeline: &Timeline) -> String {
    let x = |t: f64| PLOT_LEFT + (t / timeline.span).clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT);

    // Rows: each one's wrapped text and the y of its dot and first line.
    let texts: Vec<Vec<String>> = timeline.rows.iter().map(|r| wrap(&r.text)).collect();
    let mut ys = Vec::with_capacity(texts.len());
    let mut y = TOP;
    for lines in &texts {
        ys.push(y);
        y += ROW + (lines.len() - 1) as f64 * LINE;
    }
    let more_y = y;
    if timeline.more > 0 {
        y += ROW;
    }

    // Strips under the rows, on the same axis.
    let strips = Strips::new(timeline, y - 4.0);
    let plot_bottom = strips.bottom;

    // The picture is as wide as its widest text.
    let mut right = MIN_WIDTH;
    for line in texts.iter().flatten().chain(&strips.labels) {
        right = right.max(LABEL_X + columns(line) as f64 * CHAR + 12.0);
    }
    right = right.max(20.0 + columns(&timeline.caption) as f64 * CHAR);
    right = right.max(20.0 + columns(&timeline.name) as f64 * CHAR * 1.2);
    let width = right.ceil();
    let legend = legend(timeline, width);
    let legend_top = plot_bottom + 28.0;
    let height = (legend_top + legend.lines as f64 * 18.0 + 2.0).ceil();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" {FONT} font-size=\"12\">"
    );
    let _ = writeln!(
        out,
        "<title>{}: its output lines on a time axis, with its CPU and threads</title>",
        escape(&timeline.name)
    );
    let _ = writeln!(
        out,
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#111111\">{}</text>",
        escape(&timeline.name)
    );
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"38\" fill=\"#444444\">{}</text>",
        escape(&timeline.caption)
    );

    // The axis: a grid line and a label at each tick, down through the strips.
    let tick = timeline.tick();
    let mut i = 0;
    loop {
        let t = tick * f64::from(i);
        if t > timeline.span + 1e-9 {
            break;
        }
        let at = x(t);
        let _ = writeln!(
            out,
            "<line x1=\"{at:.1}\" y1=\"{:.1}\" x2=\"{at:.1}\" y2=\"{plot_bottom:.1}\" stroke=\"#dddddd\"/>",
            TOP - 18.0
        );
        let _ = writeln!(
            out,
            "<text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666666\">{} s</text>",
            TOP - 22.0,
            seconds(t)
        );
        i += 1;
    }

    for (index, row) in timeline.rows.iter().enumerate() {
        let y = ys[index];
        if let Some((lo, hi)) = row.window {
            let (a, b) = (x(lo), x(hi));
            let _ = writeln!(
                out,
                "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" rx=\"3\" {WINDOW_FILL}/>",
                y - 7.0,
                (b - a).max(2.0)
            );
        }
        let colour = if row.failed { FAILED } else { OK };
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#666666\">{:.3} s</text>",
            PLOT_LEFT - 10.0,
            y + 4.0,
            row.at
        );
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"{colour}\"/>",
            x(row.at)
        );
        let text_colour = if row.failed { colour } else { "#111111" };
        for (n, line) in texts[index].iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{LABEL_X}\" y=\"{:.1}\" fill=\"{text_colour}\" xml:space=\"preserve\">{}</text>",
                y + 4.0 + n as f64 * LINE,
                escape(line)
            );
        }
        // A group's bracket, drawn from its first row to its last.
        let (top, end) = match row.group {
            Bracket::First => (Some(y - 7.0), None),
            Bracket::Last => (None, Some(y + 7.0)),
            Bracket::Only => (Some(y - 7.0), Some(y + 7.0)),
            Bracket::Middle | Bracket::None => (None, None),
        };
        if let Some(top) = top {
            let end = end.unwrap_or_else(|| group_end(timeline, &ys, index));
            let _ = writeln!(
                out,
                "<path d=\"M{:.1},{top:.1} h-5 V{end:.1} h5\" fill=\"none\" stroke=\"#888888\"/>",
                BRACKET_X + 4.0
            );
        }
    }
    if timeline.more > 0 {
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_X}\" y=\"{:.1}\" fill=\"#666666\">… {} more lines</text>",
            more_y + 4.0,
            timeline.more
        );
    }
    strips.draw(&mut out, timeline, &x);
    legend.draw(&mut out, legend_top);
    out.push_str("</svg>\n");
    out
}

/// Where the CPU and thread strips stand, and the texts beside them.
struct Strips {
    /// The CPU strip's top and bottom.
    cpu: (f64, f64),
    /// The thread strip's top and bottom.
    threads: (f64, f64),
    /// The texts on the right of the strips, CPU's then threads'.
    labels: Vec<String>,
    /// The bottom of the plot.
    bottom: f64,
}

impl Strips {
    /// The strips of `timeline`, starting at `top`.
    fn new(timeline: &Timeline, top: f64) -> Self {
        let mut y = top + 8.0;
        let mut labels = Vec::new();
        let cpu = (y, y + CPU_STRIP);
        y += CPU_STRIP + 12.0;
        if timeline.cpu.is_empty() {
            labels.push(format!(
                "CPU over time: {}",
                not_measured(timeline.measured.cpu_over_time)
            ));
        } else {
            let total: f64 = timeline.cpu.iter().map(|s| s.to - s.from).sum();
            let mean = timeline
                .cpu
                .iter()
                .map(|s| s.share * (s.to - s.from))
                .sum::<f64>()
                / total.max(1e-9);
            // In words, not a number: the caption's CPU share counts the whole run, up to
            // the reaping, where the strip sees only what the samples saw.
            let peak = timeline.cpu.iter().map(|s| s.share).fold(0.0, f64::max);
            labels.push(
                if mean >= 0.9 {
                    "CPU: a core busy all along"
                } else if peak < 0.05 {
                    "CPU: next to none"
                } else {
                    "CPU: busy at times"
                }
                .to_owned(),
            );
        }
        let threads = (y, y + THREAD_STRIP);
        y += THREAD_STRIP + 6.0;
        let counts: Vec<String> = timeline
            .threads
            .iter()
            .map(|(_, n)| n.to_string())
            .collect();
        labels.push(match counts.len() {
            0 => format!(
                "threads over time: {}",
                not_measured(timeline.measured.threads)
            ),
            1 => format!("threads: {} throughout", counts[0]),
            2..=7 => format!("threads: {}", counts.join(" → ")),
            _ => {
                let most = timeline.threads.iter().map(|&(_, n)| n).max().unwrap_or(0);
                format!("threads: up to {most}, changed {} times", counts.len() - 1)
            }
        });
        Self {
            cpu,
            threads,
            labels,
            bottom: y - 6.0,
        }
    }

    fn draw(&self, out: &mut String, timeline: &Timeline, x: &dyn Fn(f64) -> f64) {
        let (top, bottom) = self.cpu;
        let peak = timeline.cpu.iter().map(|s| s.share).fold(0.0, f64::max);
        // One core full height, unless the demo really used more: a stretch can read a
        // tick (10 ms) over its length.
        let cores = if peak > 1.3 { peak.ceil() } else { 1.0 };
        let height = bottom - top;
        let _ = writeln!(
            out,
            "<rect x=\"{PLOT_LEFT}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#f4f4f4\"/>",
            PLOT_RIGHT - PLOT_LEFT
        );
        for s in &timeline.cpu {
            let h = (s.share / cores).min(1.0) * height;
            if h < 0.5 {
                continue;
            }
            let _ = writeln!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{CPU_FILL}\" fill-opacity=\"0.8\"/>",
                x(s.from),
                bottom - h,
                (x(s.to) - x(s.from)).max(0.5)
            );
        }
        let _ = writeln!(
            out,
            "<line x1=\"{PLOT_LEFT}\" y1=\"{bottom:.1}\" x2=\"{PLOT_RIGHT}\" y2=\"{bottom:.1}\" stroke=\"#999999\"/>"
        );
        side_label(out, "cpu", bottom);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#666666\" font-size=\"10\">{:.0}%</text>",
            PLOT_LEFT - 10.0,
            top + 8.0,
            cores * 100.0
        );
        right_label(out, &self.labels[0], (top + bottom) / 2.0);

        let (top, bottom) = self.threads;
        let most = timeline
            .threads
            .iter()
            .map(|&(_, n)| n)
            .max()
            .unwrap_or(1)
            .max(1);
        let level = |n: usize| bottom - n as f64 / most as f64 * (bottom - top - 11.0);
        let _ = writeln!(
            out,
            "<line x1=\"{PLOT_LEFT}\" y1=\"{bottom:.1}\" x2=\"{PLOT_RIGHT}\" y2=\"{bottom:.1}\" stroke=\"#dddddd\"/>"
        );
        if !timeline.threads.is_empty() {
            let mut path = String::new();
            // The count where it changes; where two changes are too close to label both,
            // the later one (the count that then holds).
            let mut counts: Vec<(f64, f64, usize)> = Vec::new();
            for (i, &(t, n)) in timeline.threads.iter().enumerate() {
                let (px, py) = (x(t), level(n));
                if i == 0 {
                    let _ = write!(path, "M{px:.1},{py:.1}");
                } else {
                    let _ = write!(path, " H{px:.1} V{py:.1}");
                }
                if counts.last().is_some_and(|&(last, _, _)| px - last < 16.0) {
                    counts.pop();
                }
                counts.push((px, py, n));
            }
            let _ = write!(path, " H{:.1}", x(timeline.sampled_until));
            let _ = writeln!(
                out,
                "<path d=\"{path}\" fill=\"none\" stroke=\"{THREADS}\" stroke-width=\"2\"/>"
            );
            for (px, py, n) in counts {
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{THREADS}\" font-size=\"10\">{n}</text>",
                    px + 2.0,
                    py - 3.0
                );
            }
        }
        side_label(out, "threads", bottom);
        right_label(out, &self.labels[1], (top + bottom) / 2.0);
    }
}

/// A strip's name, left of the plot.
fn side_label(out: &mut String, name: &str, bottom: f64) {
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{bottom:.1}\" text-anchor=\"end\" fill=\"#666666\">{name}</text>",
        PLOT_LEFT - 10.0
    );
}

/// A strip's summary, right of the plot, centred on `middle`.
fn right_label(out: &mut String, text: &str, middle: f64) {
    let _ = writeln!(
        out,
        "<text x=\"{LABEL_X}\" y=\"{:.1}\" fill=\"#444444\">{}</text>",
        middle + 4.0,
        escape(text)
    );
}

/// The legend: one item per kind of mark the picture shows, in lines that fit its width.
struct Legend {
    /// Each item's mark, text and place (line, x).
    items: Vec<(Mark, &'static str, usize, f64)>,
    lines: usize,
}

#[derive(Clone, Copy)]
enum Mark {
    Window,
    Arrival,
    Failure,
    Bracket,
    Cpu,
    Threads,
}

fn legend(timeline: &Timeline, width: f64) -> Legend {
    let mut marks = vec![
        (Mark::Arrival, "a line, when it arrived"),
        (Mark::Window, "when its transcript allows it"),
    ];
    if timeline.rows.iter().any(|r| r.failed) {
        marks.push((Mark::Failure, "a line a failure is about"));
    }
    if timeline.rows.iter().any(|r| r.group != Bracket::None) {
        marks.push((Mark::Bracket, "lines whose order is free"));
    }
    if !timeline.cpu.is_empty() {
        marks.push((Mark::Cpu, "CPU used (100%: one core busy)"));
    }
    if !timeline.threads.is_empty() {
        marks.push((Mark::Threads, "threads of the demo's process"));
    }
    let mut items = Vec::new();
    let (mut line, mut at) = (0, 10.0);
    for (mark, text) in marks {
        let w = 24.0 + columns(text) as f64 * CHAR;
        if at + w > width - 10.0 && at > 10.0 {
            line += 1;
            at = 10.0;
        }
        items.push((mark, text, line, at));
        at += w + 18.0;
    }
    Legend {
        items,
        lines: line + 1,
    }
}

impl Legend {
    fn draw(&self, out: &mut String, top: f64) {
        for &(mark, text, line, at) in &self.items {
            let y = top + line as f64 * 18.0;
            let _ = match mark {
                Mark::Window => writeln!(
                    out,
                    "<rect x=\"{at:.1}\" y=\"{:.1}\" width=\"16\" height=\"12\" rx=\"3\" {WINDOW_FILL}/>",
                    y - 6.0
                ),
                Mark::Arrival | Mark::Failure => writeln!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"{}\"/>",
                    at + 8.0,
                    if matches!(mark, Mark::Failure) {
                        FAILED
                    } else {
                        OK
                    }
                ),
                Mark::Bracket => writeln!(
                    out,
                    "<path d=\"M{:.1},{:.1} h-5 V{:.1} h5\" fill=\"none\" stroke=\"#888888\"/>",
                    at + 11.0,
                    y - 7.0,
                    y + 7.0
                ),
                Mark::Cpu => writeln!(
                    out,
                    "<rect x=\"{at:.1}\" y=\"{:.1}\" width=\"16\" height=\"12\" fill=\"{CPU_FILL}\" fill-opacity=\"0.8\"/>",
                    y - 6.0
                ),
                Mark::Threads => writeln!(
                    out,
                    "<path d=\"M{at:.1},{:.1} h7 v-8 h9\" fill=\"none\" stroke=\"{THREADS}\" stroke-width=\"2\"/>",
                    y + 4.0
                ),
            };
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#444444\">{text}</text>",
                at + 22.0,
                y + 4.0
            );
        }
    }
}

/// The bottom of the bracket of the group whose first row is `first`.
fn group_end(timeline: &Timeline, ys: &[f64], first: usize) -> f64 {
    let last = timeline.rows[first..]
        .iter()
        .position(|r| r.group == Bracket::Last)
        .map_or(timeline.rows.len() - 1, |i| first + i);
    ys[last] + 7.0
}

/// How many monospace columns `s` takes: two for a wide (East Asian) character.
fn columns(s: &str) -> usize {
    s.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
}

fn wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// `text` in lines of at most [`WRAP`] columns, broken after a space where one is near the
/// end of a line, else anywhere. Nothing is dropped but the spaces a line is broken at.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0;
    // Where the line may be broken: its length in bytes and columns after its last space.
    let mut space: Option<(usize, usize)> = None;
    for c in text.chars() {
        let w = if wide(c) { 2 } else { 1 };
        if width + w > WRAP {
            match space.filter(|&(_, cols)| cols > WRAP / 2) {
                Some((bytes, cols)) => {
                    let rest = line.split_off(bytes);
                    lines.push(line.trim_end().to_owned());
                    line = rest;
                    width -= cols;
                }
                None => {
                    lines.push(std::mem::take(&mut line));
                    width = 0;
                }
            }
            space = None;
        }
        line.push(c);
        width += w;
        if c == ' ' {
            space = Some((line.len(), width));
        }
    }
    lines.push(line);
    lines
}

/// Seconds for an axis label: `0`, `0.5`, `2`.
fn seconds(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `s` with XML's special characters escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Row, Stretch};

    fn row(at: f64, text: &str, window: Option<(f64, f64)>, group: Bracket, failed: bool) -> Row {
        Row {
            at,
            text: text.into(),
            window,
            group,
            failed,
        }
    }

    fn timeline(rows: Vec<Row>) -> Timeline {
        Timeline {
            name: "demo <1>".into(),
            rows,
            more: 0,
            span: 2.0,
            caption: "wall 2.00 s, cpu 1%, threads 1".into(),
            cpu: Vec::new(),
            threads: Vec::new(),
            sampled_until: 0.0,
            measured: crate::outcome::Measured::ALL,
        }
    }

    #[test]
    fn draws_rows_windows_groups_and_the_caption() {
        let timeline = timeline(vec![
            row(0.001, "Start & go", Some((0.0, 0.3)), Bracket::None, false),
            row(1.0, "{'Value': 3}", Some((1.0, 1.4)), Bracket::First, false),
            row(1.001, "late", Some((1.0, 1.4)), Bracket::Last, true),
        ]);
        let svg = render(&timeline);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\""));
        assert!(svg.ends_with("</svg>\n"));
        assert!(!svg.contains("<script"));
        // Text is escaped, never markup.
        assert!(svg.contains(">demo &lt;1&gt;</text>"));
        assert!(svg.contains(">Start &amp; go</text>"));
        assert!(svg.contains(">{&#39;Value&#39;: 3}</text>"));
        assert!(svg.contains(">wall 2.00 s, cpu 1%, threads 1</text>"));
        // Three rows and two legend dots (arrival, failure).
        assert_eq!(svg.matches("<circle").count(), 5);
        // Three windows and the legend's.
        assert_eq!(svg.matches("fill-opacity=\"0.18\"").count(), 4);
        assert_eq!(svg.matches(&format!("fill=\"{FAILED}\"")).count(), 3); // Dot, text, legend.
        // One bracket, from the group's first row to its last, and the legend's.
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains(&format!("V{:.1}", TOP + 2.0 * ROW + 7.0)));
        for item in [
            "when it arrived<",
            "transcript allows it<",
            "failure is about<",
            "order is free<",
        ] {
            assert!(svg.contains(item), "{item}");
        }
        // Nothing was sampled: the strips say so.
        assert!(svg.contains(">CPU over time: not measured<"));
        assert!(svg.contains(">threads over time: not measured<"));
        assert!(!svg.contains("on this OS"));
        // Axis labels every half second over two seconds.
        for label in [">0 s<", ">0.5 s<", ">1 s<", ">1.5 s<", ">2 s<"] {
            assert!(svg.contains(label), "{label}");
        }
        // The window's band spans 1.0..1.4 s of a 2 s axis.
        let a = PLOT_LEFT + 0.5 * (PLOT_RIGHT - PLOT_LEFT);
        assert!(svg.contains(&format!("<rect x=\"{a:.1}\"")));
        assert!(svg.len() < 8_000, "{} bytes", svg.len());
    }

    #[test]
    fn what_this_os_cannot_measure_says_so() {
        let mut timeline = timeline(vec![row(0.5, "a", None, Bracket::None, false)]);
        // A macOS run: the CPU time in all, but nothing over time.
        timeline.measured = crate::outcome::Measured {
            cpu: true,
            ..crate::outcome::Measured::NONE
        };
        let svg = render(&timeline);
        assert!(svg.contains(">CPU over time: not measured on this OS<"));
        assert!(svg.contains(">threads over time: not measured on this OS<"));
    }

    #[test]
    fn a_long_line_widens_the_picture_and_wraps_whole() {
        let repr = "<Future at 0x56535261cd70 state=pending>";
        let long = format!(
            "waiter: abandoned, no result will ever come; {}",
            "x".repeat(70)
        );
        let svg = render(&timeline(vec![
            row(0.0, repr, None, Bracket::None, false),
            row(0.1, &long, None, Bracket::None, false),
        ]));
        let width: f64 = svg["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"".len()..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(width >= LABEL_X + WRAP as f64 * CHAR, "{width}");
        assert!(svg.contains(&escape(repr)));
        // Broken at a space, and every character is kept.
        assert!(svg.contains(">waiter: abandoned, no result will ever come;</text>"));
        let lines = wrap(&long);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| columns(l) <= WRAP));
        assert_eq!(lines.concat().len() + 1, long.len()); // Less the space broken at.
        assert_eq!(wrap("short"), ["short"]);
        assert_eq!(wrap(&"가".repeat(40)).len(), 2); // Wide characters count twice.
    }

    #[test]
    fn draws_cpu_and_threads_on_the_time_axis() {
        let mut busy = timeline(vec![row(1.0, "done", None, Bracket::None, false)]);
        busy.cpu = vec![
            Stretch {
                from: 0.0,
                to: 1.0,
                share: 1.0,
            },
            Stretch {
                from: 1.0,
                to: 2.0,
                share: 0.0,
            },
        ];
        busy.threads = vec![(0.0, 1), (0.5, 4), (1.5, 1)];
        busy.sampled_until = 2.0;
        let svg = render(&busy);
        // A full bar over the first second, none over the second.
        let h = CPU_STRIP;
        assert!(svg.contains(&format!(
            "width=\"{:.1}\" height=\"{h:.1}\" fill=\"{CPU_FILL}\"",
            (PLOT_RIGHT - PLOT_LEFT) / 2.0
        )));
        assert_eq!(
            svg.matches(&format!("fill=\"{CPU_FILL}\" fill-opacity=\"0.8\""))
                .count(),
            2
        );
        assert!(svg.contains(">CPU: busy at times<"));
        // The count where it changes.
        assert!(svg.contains(">threads: 1 → 4 → 1<"));
        for n in [">1</text>", ">4</text>"] {
            assert!(svg.contains(n), "{n}");
        }
        assert!(svg.contains("CPU used (100%: one core busy)"));
        assert!(!svg.contains("not measured"));
    }
}
