//! Finds the demos and their transcripts under `crates/demos/src/bin`.
//!
//! `bin/NAME.rs` is checked by `bin/NAME.transcript`; `bin/NAME/main.rs` by
//! `bin/NAME/NAME.transcript`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A demo name with its source file and transcript; either may be missing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) source: Option<PathBuf>,
    pub(crate) transcript: Option<PathBuf>,
}

/// Every demo or transcript name under `bin_dir`, sorted by name.
pub(crate) fn discover(bin_dir: &Path) -> io::Result<BTreeMap<String, Entry>> {
    let mut found: BTreeMap<String, Entry> = BTreeMap::new();
    for dir_entry in fs::read_dir(bin_dir)? {
        let path = dir_entry?.path();
        let is_dir = path.is_dir();
        let name = if is_dir {
            path.file_name()
        } else {
            path.file_stem()
        };
        let Some(name) = name.and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        if is_dir {
            let main = path.join("main.rs");
            if main.is_file() {
                found.entry(name.clone()).or_default().source = Some(main);
            }
            // Any transcript in the folder belongs to the demo named like it; a stray one
            // (wrong name) is reported under its own name.
            for inner in fs::read_dir(&path)? {
                let inner = inner?.path();
                if let Some(t) = transcript_name(&inner) {
                    let key = if t == name {
                        name.clone()
                    } else {
                        format!("{name}/{t}")
                    };
                    found.entry(key).or_default().transcript = Some(inner);
                }
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.entry(name).or_default().source = Some(path);
        } else if transcript_name(&path).is_some() {
            found.entry(name).or_default().transcript = Some(path);
        }
    }
    Ok(found)
}

fn transcript_name(path: &Path) -> Option<String> {
    if path.is_file() && path.extension().is_some_and(|e| e == "transcript") {
        Some(path.file_stem()?.to_str()?.to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_demos_with_transcripts_and_reports_strays() {
        let root = std::env::temp_dir().join(format!("xtask-demos-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let bin = root.join("bin");
        fs::create_dir_all(bin.join("nested")).unwrap();
        fs::create_dir_all(bin.join("lonely-dir")).unwrap();
        for file in [
            "a.rs",
            "a.transcript",
            "no-transcript.rs",
            "no-demo.transcript",
            "notes.txt",
            "nested/main.rs",
            "nested/nested.transcript",
            "nested/other.transcript",
            "nested/helper.rs",
            "lonely-dir/lonely-dir.transcript",
        ] {
            fs::write(bin.join(file), "").unwrap();
        }
        let found = discover(&bin).unwrap();
        fs::remove_dir_all(&root).unwrap();

        let summary: Vec<(&str, bool, bool)> = found
            .iter()
            .map(|(name, e)| (name.as_str(), e.source.is_some(), e.transcript.is_some()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", true, true),
                ("lonely-dir", false, true),
                ("nested", true, true),
                ("nested/other", false, true),
                ("no-demo", false, true),
                ("no-transcript", true, false),
            ]
        );
        assert_eq!(found["nested"].source, Some(bin.join("nested/main.rs")));
        assert_eq!(
            found["nested"].transcript,
            Some(bin.join("nested/nested.transcript"))
        );
    }
}
