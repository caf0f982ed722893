//! The markdown tables and the targets.

use crate::Measured;

/// One markdown table: a heading, columns, rows (ours first) and notes under it.
pub(crate) struct Table {
    pub(crate) title: String,
    pub(crate) columns: &'static [&'static str],
    pub(crate) rows: Vec<Vec<String>>,
    pub(crate) notes: Vec<String>,
}

impl Table {
    pub(crate) fn print(&self) {
        println!("## {}\n", self.title);
        println!("| {} |", self.columns.join(" | "));
        let align: Vec<&str> = (0..self.columns.len())
            .map(|i| if i == 0 { "---" } else { "---:" })
            .collect();
        println!("|{}|", align.join("|"));
        for row in &self.rows {
            println!("| {} |", row.join(" | "));
        }
        println!();
        for note in &self.notes {
            println!("- {note}");
        }
        println!();
    }
}

/// A line under "Targets": a pass or fail against a target, or a number to report.
pub(crate) struct Check {
    /// `None` for a number reported without a target.
    pub(crate) pass: Option<bool>,
    pub(crate) what: String,
}

impl Check {
    pub(crate) fn target(pass: bool, what: String) -> Check {
        Check {
            pass: Some(pass),
            what,
        }
    }
}

/// One scenario of a benchmark: runs its peers with the benchmark's
/// options `O`, prints its table, returns its checks.
pub(crate) type Scenario<O> = fn(&O) -> Vec<Check>;

/// Runs the scenarios that `--only=a,b` names (all of them without it),
/// then prints the verdicts on their targets.
pub(crate) fn run_selected<O>(args: &[String], scenarios: &[(&str, Scenario<O>)], options: &O) {
    let only = args.iter().find_map(|arg| arg.strip_prefix("--only="));
    let mut checks = Vec::new();
    for (name, scenario) in scenarios {
        if only.is_none_or(|only| only.split(',').any(|o| o == *name)) {
            checks.extend(scenario(options));
        }
    }
    print_targets(&checks);
}

pub(crate) fn print_targets(checks: &[Check]) {
    println!("## Targets for poll-loop\n");
    for check in checks {
        let verdict = match check.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "REPORT",
        };
        println!("- {verdict}: {}", check.what);
    }
    println!();
}

/// `peer / ours` as `1.23x`: above 1, the peer takes more (time, memory) than ours.
pub(crate) fn ratio(peer: &Measured, ours: &Measured) -> String {
    match (peer, ours) {
        (Ok(peer), Ok(ours)) if *ours > 0.0 => format!("{:.2}x", peer / ours),
        _ => "-".to_string(),
    }
}

/// A number with `decimals` decimals, or `n/a`.
pub(crate) fn num(value: &Measured, decimals: usize) -> String {
    match value {
        Ok(value) => format!("{value:.decimals$}"),
        Err(_) => "n/a".to_string(),
    }
}

/// Notes for the cells that read n/a: which library, and why.
pub(crate) fn failures<'a>(
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
