//! The markdown tables and the verdicts on the targets.

use super::Measured;

/// One markdown table: a heading, columns, rows (ours first) and notes under it.
///
/// The first column is aligned left, the others right.
#[derive(Clone, Debug)]
pub struct Table {
    /// The heading, printed as `## title`.
    pub title: String,
    /// The column headers.
    pub columns: &'static [&'static str],
    /// The cells, a row each, as many as there are columns.
    pub rows: Vec<Vec<String>>,
    /// Lines printed as a list under the table.
    pub notes: Vec<String>,
}

impl Table {
    /// Prints the table on stdout, followed by a blank line.
    pub fn print(&self) {
        print!("{self}");
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "## {}\n", self.title)?;
        writeln!(f, "| {} |", self.columns.join(" | "))?;
        let align: Vec<&str> = (0..self.columns.len())
            .map(|i| if i == 0 { "---" } else { "---:" })
            .collect();
        writeln!(f, "|{}|", align.join("|"))?;
        for row in &self.rows {
            writeln!(f, "| {} |", row.join(" | "))?;
        }
        writeln!(f)?;
        for note in &self.notes {
            writeln!(f, "- {note}")?;
        }
        writeln!(f)
    }
}

/// A line under "Targets": a pass or fail against a target, or a number to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Whether the target was met; `None` for a number reported without a target.
    pub pass: Option<bool>,
    /// What was measured, and the target.
    pub what: String,
}

impl Check {
    /// A verdict on a target: `PASS` or `FAIL`.
    pub fn target(pass: bool, what: String) -> Check {
        Check {
            pass: Some(pass),
            what,
        }
    }

    /// A number reported without a target: `REPORT`.
    pub fn report(what: String) -> Check {
        Check { pass: None, what }
    }
}

impl std::fmt::Display for Check {
    /// `PASS: what`, `FAIL: what` or `REPORT: what`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match self.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "REPORT",
        };
        write!(f, "{verdict}: {}", self.what)
    }
}

/// Prints the heading `## Targets for {subject}` and a line for each check, or says that
/// this run judged none (a smoke run, or `--only` left them out).
pub fn print_targets(subject: &str, checks: &[Check]) {
    println!("## Targets for {subject}\n");
    if checks.is_empty() {
        println!("- none judged in this run");
    }
    for check in checks {
        println!("- {check}");
    }
    println!();
}

/// One scenario of a benchmark: runs its peers with the benchmark's options `O`, prints
/// its table, returns its checks.
pub type Scenario<O> = fn(&O) -> Vec<Check>;

/// Runs the scenarios that `--only=a,b` in `args` names (all of them without it), then
/// prints the verdicts on their targets under `## Targets for {subject}`.
pub fn run_selected<O>(
    subject: &str,
    args: &[String],
    scenarios: &[(&str, Scenario<O>)],
    options: &O,
) {
    let only = args.iter().find_map(|arg| arg.strip_prefix("--only="));
    let mut checks = Vec::new();
    for (name, scenario) in scenarios {
        if only.is_none_or(|only| only.split(',').any(|o| o == *name)) {
            checks.extend(scenario(options));
        }
    }
    print_targets(subject, &checks);
}

/// `peer / ours` as `1.23x`: above 1, the peer takes more (time, memory) than ours. `-`
/// if either is missing or ours is not above 0.
pub fn ratio(peer: &Measured, ours: &Measured) -> String {
    match (peer, ours) {
        (Ok(peer), Ok(ours)) if *ours > 0.0 => format!("{:.2}x", peer / ours),
        _ => "-".to_string(),
    }
}

/// A number with `decimals` decimals, or `n/a`.
pub fn num(value: &Measured, decimals: usize) -> String {
    match value {
        Ok(value) => format!("{value:.decimals$}"),
        Err(_) => "n/a".to_string(),
    }
}

/// Notes for the cells that read n/a, from `(row name, column, cell)`: which library,
/// and why.
pub fn failures<'a>(
    cells: impl IntoIterator<Item = (&'a str, &'a str, &'a Measured)>,
) -> Vec<String> {
    cells
        .into_iter()
        .filter_map(|(name, column, cell)| {
            let e = cell.as_ref().err()?;
            Some(format!("{name}, {column}: n/a: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_markdown_with_notes() {
        let table = Table {
            title: "1. Something".to_string(),
            columns: &["peer", "ns", "ratio"],
            rows: vec![vec!["ours".into(), "1.0".into(), "1.00x".into()]],
            notes: vec!["a note".into()],
        };
        assert_eq!(
            table.to_string(),
            "## 1. Something\n\n| peer | ns | ratio |\n|---|---:|---:|\n| ours | 1.0 | 1.00x |\n\n- a note\n\n"
        );
    }

    #[test]
    fn checks_print_their_verdict() {
        assert_eq!(Check::target(true, "a".into()).to_string(), "PASS: a");
        assert_eq!(Check::target(false, "b".into()).to_string(), "FAIL: b");
        assert_eq!(Check::report("c".into()).to_string(), "REPORT: c");
    }

    #[test]
    fn numbers_ratios_and_failures() {
        let (ours, peer, none): (Measured, Measured, Measured) =
            (Ok(2.0), Ok(3.0), Err("no python3".into()));
        assert_eq!(num(&peer, 2), "3.00");
        assert_eq!(num(&none, 2), "n/a");
        assert_eq!(ratio(&peer, &ours), "1.50x");
        assert_eq!(ratio(&none, &ours), "-");
        assert_eq!(ratio(&peer, &Ok(0.0)), "-");
        assert_eq!(
            failures([("ours", "ns", &ours), ("Python", "ns", &none)]),
            ["Python, ns: n/a: no python3"]
        );
    }
}
