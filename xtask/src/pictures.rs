//! `cargo xtask pictures`: copies the timelines of `docs/timelines/` into the crates' front
//! pages, so that the pictures render in `cargo doc` and on docs.rs from the package itself.
//!
//! A front page (`crates/*/src/front_page.md`) shows a timeline as an SVG inlined into its
//! markdown, which rustdoc passes through as HTML, after a marker line:
//!
//! ```text
//! <!-- timeline: busy-loop (docs/timelines/busy-loop.svg, copied by `cargo xtask pictures`) -->
//! <svg …>
//! …
//! </svg>
//! ```
//!
//! The task replaces everything from the marker to the next `</svg>` line with the file's
//! current content; `--check` only says which copies differ (a unit test runs it on the
//! project, so a picture regenerated without this task fails `cargo test -p xtask`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::DynError;

const MARKER: &str = "<!-- timeline: ";

/// Runs the task: `args` is empty or `--check`.
pub(crate) fn pictures(args: Vec<String>, root: &Path) -> Result<ExitCode, DynError> {
    let check = match args.as_slice() {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask pictures [--check]".into()),
    };
    let stale = stale(root, !check)?;
    for page in &stale {
        let page = page.strip_prefix(root).unwrap_or(page);
        if check {
            eprintln!(
                "{}: its pictures differ from docs/timelines/ (run `cargo xtask pictures`)",
                page.display()
            );
        } else {
            println!("updated {}", page.display());
        }
    }
    Ok(if check && !stale.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The front pages whose pictures differ from `docs/timelines/`; rewritten if `write`.
fn stale(root: &Path, write: bool) -> Result<Vec<PathBuf>, DynError> {
    let mut stale = Vec::new();
    for page in front_pages(root)? {
        let text = fs::read_to_string(&page)?;
        let updated = refresh(&text, |name| {
            fs::read_to_string(root.join("docs/timelines").join(format!("{name}.svg")))
                .map_err(|e| format!("docs/timelines/{name}.svg: {e}"))
        })
        .map_err(|e| format!("{}: {e}", page.display()))?;
        if updated != text {
            if write {
                fs::write(&page, &updated)?;
            }
            stale.push(page);
        }
    }
    Ok(stale)
}

/// The front pages of the crates: `crates/*/src/front_page.md`.
fn front_pages(root: &Path) -> Result<Vec<PathBuf>, DynError> {
    let mut pages = Vec::new();
    for entry in fs::read_dir(root.join("crates"))? {
        let page = entry?.path().join("src/front_page.md");
        if page.is_file() {
            pages.push(page);
        }
    }
    pages.sort();
    Ok(pages)
}

/// `text` with every marked picture replaced by what `svg(name)` gives.
fn refresh(
    text: &str,
    mut svg: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').enumerate();
    while let Some((number, line)) = lines.next() {
        out.push_str(line);
        let Some(rest) = line.trim_start().strip_prefix(MARKER) else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "line {}: a timeline marker without a name",
                number + 1
            ));
        }
        // Drop the old copy, up to and including its `</svg>` line (none: a new marker).
        let mut copy = lines.clone();
        let mut end = None;
        for (_, old) in copy.by_ref() {
            if old.trim_end() == "</svg>" {
                end = Some(());
                break;
            }
            if old.trim().is_empty() || old.trim_start().starts_with(MARKER) {
                break;
            }
        }
        if end.is_some() {
            lines = copy;
        }
        let picture = svg(&name)?;
        if picture.lines().any(|l| l.trim().is_empty()) {
            // A blank line would end the HTML block: markdown would take the rest as text.
            return Err(format!("{name}.svg has a blank line"));
        }
        out.push_str(picture.trim_end());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(name: &str) -> Result<String, String> {
        Ok(format!("<svg>\n<text>{name}</text>\n</svg>\n"))
    }

    #[test]
    fn replaces_the_copy_after_each_marker() {
        let page = "Intro.\n\n<!-- timeline: busy-loop (copied) -->\n<svg>\nold\n</svg>\n\nText.\n\
                    <!-- timeline: event-loop -->\n\nEnd.\n";
        let updated = refresh(page, svg).unwrap();
        assert_eq!(
            updated,
            "Intro.\n\n<!-- timeline: busy-loop (copied) -->\n<svg>\n<text>busy-loop</text>\n</svg>\n\
             \nText.\n<!-- timeline: event-loop -->\n<svg>\n<text>event-loop</text>\n</svg>\n\nEnd.\n"
        );
        // Up to date: unchanged.
        assert_eq!(refresh(&updated, svg).unwrap(), updated);
        assert!(refresh("<!-- timeline: -->\n", svg).is_err());
        assert!(refresh("<!-- timeline: x -->\n", |_| Ok("<svg>\n\n</svg>".into())).is_err());
    }

    #[test]
    fn the_front_pages_show_the_current_pictures() {
        let stale = stale(&crate::project_root(), false).unwrap();
        assert!(
            stale.is_empty(),
            "{stale:?}: a picture differs from docs/timelines/: run `cargo xtask pictures`"
        );
    }
}
