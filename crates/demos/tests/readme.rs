//! The demos' list in `README.md` and their `[[bin]]` entries in `Cargo.toml` name exactly the
//! demos in `src/bin/`, so that neither can be forgotten when a demo is added or removed.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The demos in `src/bin/`: `NAME.rs`, or `NAME/main.rs`.
fn demos() -> BTreeSet<String> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    fs::read_dir(&bin)
        .expect("src/bin is readable")
        .filter_map(|entry| {
            let path = entry.expect("src/bin is readable").path();
            if path.is_dir() && path.join("main.rs").is_file() {
                path.file_name()?.to_str().map(str::to_owned)
            } else if path.extension().is_some_and(|e| e == "rs") {
                path.file_stem()?.to_str().map(str::to_owned)
            } else {
                None
            }
        })
        .collect()
}

fn read(file: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect(file)
}

#[test]
fn the_readme_lists_every_demo_once() {
    // The table's rows: "| `NAME` | tutorial example | what it shows |".
    let rows: Vec<String> = read("README.md")
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect();
    let listed: BTreeSet<String> = rows.iter().cloned().collect();
    assert_eq!(listed.len(), rows.len(), "a demo is listed twice: {rows:?}");
    let demos = demos();
    assert!(!demos.is_empty());
    let missing: Vec<_> = demos.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&demos).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "README.md's table: add a row for {missing:?}, remove the row of {gone:?}"
    );
}

#[test]
fn every_demo_is_kept_out_of_the_docs() {
    // Each `[[bin]]` entry: its name, and whether it says `doc = false`.
    let manifest = read("Cargo.toml");
    let mut undocumented = BTreeSet::new();
    for entry in manifest.split("\n[[bin]]\n").skip(1) {
        let entry = entry.split("\n[").next().unwrap_or(entry);
        let name = entry
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("a [[bin]] entry has a name");
        assert!(
            entry.lines().any(|l| l.trim() == "doc = false"),
            "[[bin]] {name} needs `doc = false`"
        );
        undocumented.insert(name.to_owned());
    }
    let demos = demos();
    let missing: Vec<_> = demos.difference(&undocumented).collect();
    assert!(
        missing.is_empty(),
        "Cargo.toml: add `[[bin]] name = \"…\" doc = false` for {missing:?}"
    );
}
