//! A [`Timeline`] as a small, plain SVG picture: text elements, no script, no external
//! reference, so that it shows the same on GitHub, docs.rs and in a browser.
//!
//! Each line is a row: its arrival time on the left, a dot on a seconds axis (red if a
//! failure is about it), its window as a shaded band, and its text on the right; a bracket
//! joins the rows of an `unordered` group. The caption gives the run's wall time, CPU share,
//! threads and memory.

use std::fmt::Write;

use crate::timeline::{Bracket, Timeline};

const WIDTH: f64 = 760.0;
/// Left and right ends of the plot, in pixels.
const PLOT_LEFT: f64 = 80.0;
const PLOT_RIGHT: f64 = 470.0;
/// Where the bracket of a group stands, and where the lines' texts begin.
const BRACKET_X: f64 = 486.0;
const LABEL_X: f64 = 496.0;
const TOP: f64 = 74.0;
const ROW: f64 = 22.0;
const FONT: &str = "font-family=\"ui-monospace,SFMono-Regular,Menlo,Consolas,monospace\"";

/// The SVG document of `timeline`.
pub(crate) fn render(timeline: &Timeline) -> String {
    let x = |t: f64| PLOT_LEFT + (t / timeline.span).clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT);
    let rows = timeline.rows.len() + usize::from(timeline.more > 0);
    let height = TOP + rows as f64 * ROW + 12.0;
    let bottom = TOP + timeline.rows.len() as f64 * ROW - 6.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" {FONT} font-size=\"12\">"
    );
    let _ = writeln!(
        out,
        "<title>{}: its output lines on a time axis</title>",
        escape(&timeline.name)
    );
    let _ = writeln!(
        out,
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        escape(&timeline.name)
    );
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"38\" fill=\"#444444\">{}</text>",
        escape(&timeline.caption)
    );

    // The axis: a grid line and a label at each tick.
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
            "<line x1=\"{at:.1}\" y1=\"{:.1}\" x2=\"{at:.1}\" y2=\"{bottom:.1}\" stroke=\"#dddddd\"/>",
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
        let y = TOP + index as f64 * ROW;
        if let Some((lo, hi)) = row.window {
            let (a, b) = (x(lo), x(hi));
            let _ = writeln!(
                out,
                "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" rx=\"3\" \
                 fill=\"#1f77b4\" fill-opacity=\"0.18\"/>",
                y - 7.0,
                (b - a).max(2.0)
            );
        }
        let colour = if row.failed { "#c62828" } else { "#2e7d32" };
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
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_X}\" y=\"{:.1}\" fill=\"{text_colour}\">{}</text>",
            y + 4.0,
            escape(&row.text)
        );
        // A group's bracket, drawn from its first row to its last.
        let (top, end) = match row.group {
            Bracket::First => (Some(y - 7.0), None),
            Bracket::Last => (None, Some(y + 7.0)),
            Bracket::Only => (Some(y - 7.0), Some(y + 7.0)),
            Bracket::Middle | Bracket::None => (None, None),
        };
        if let Some(top) = top {
            let end = end.unwrap_or_else(|| group_end(timeline, index));
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
            TOP + timeline.rows.len() as f64 * ROW + 4.0,
            timeline.more
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The bottom of the bracket of the group whose first row is `first`.
fn group_end(timeline: &Timeline, first: usize) -> f64 {
    let last = timeline.rows[first..]
        .iter()
        .position(|r| r.group == Bracket::Last)
        .map_or(timeline.rows.len() - 1, |i| first + i);
    TOP + last as f64 * ROW + 7.0
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
    use crate::timeline::Row;

    fn row(at: f64, text: &str, window: Option<(f64, f64)>, group: Bracket, failed: bool) -> Row {
        Row {
            at,
            text: text.into(),
            window,
            group,
            failed,
        }
    }

    #[test]
    fn draws_rows_windows_groups_and_the_caption() {
        let timeline = Timeline {
            name: "demo <1>".into(),
            rows: vec![
                row(0.001, "Start & go", Some((0.0, 0.3)), Bracket::None, false),
                row(1.0, "{'Value': 3}", Some((1.0, 1.4)), Bracket::First, false),
                row(1.001, "late", Some((1.0, 1.4)), Bracket::Last, true),
            ],
            more: 0,
            span: 2.0,
            caption: "wall 2.00 s, cpu 1%, threads 1".into(),
        };
        let svg = render(&timeline);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert!(!svg.contains("<script"));
        // Text is escaped, never markup.
        assert!(svg.contains(">demo &lt;1&gt;</text>"));
        assert!(svg.contains(">Start &amp; go</text>"));
        assert!(svg.contains(">{&#39;Value&#39;: 3}</text>"));
        assert!(svg.contains(">wall 2.00 s, cpu 1%, threads 1</text>"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("fill-opacity").count(), 3);
        assert_eq!(svg.matches("fill=\"#c62828\"").count(), 2); // The dot and the text.
        // One bracket, from the group's first row to its last.
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.contains(&format!("V{:.1}", TOP + 2.0 * ROW + 7.0)));
        // Axis labels every half second over two seconds.
        for label in [">0 s<", ">0.5 s<", ">1 s<", ">1.5 s<", ">2 s<"] {
            assert!(svg.contains(label), "{label}");
        }
        // The window's band spans 1.0..1.4 s of a 2 s axis.
        let a = PLOT_LEFT + 0.5 * (PLOT_RIGHT - PLOT_LEFT);
        assert!(svg.contains(&format!("<rect x=\"{a:.1}\"")));
        assert!(svg.len() < 8_000, "{} bytes", svg.len());
    }
}
