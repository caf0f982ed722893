//! Builds the demos in release mode and finds their executables.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::DynError;

/// Builds every binary of the `demos` package once, in release mode so that timing is
/// realistic, and returns each executable by binary name.
///
/// Cargo's JSON messages say where each executable went, which respects
/// `CARGO_TARGET_DIR`, `--target-dir` in config files, and so on.
pub(crate) fn build_demos(
    cargo: &OsString,
    root: &Path,
) -> Result<BTreeMap<String, PathBuf>, DynError> {
    let mut child = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "--package", "demos", "--bins"])
        // Diagnostics still go to stderr, rendered for humans.
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run cargo ({}): {e}", cargo.to_string_lossy()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executables = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let Some(path) = executable(&line?) else {
            continue;
        };
        let path = PathBuf::from(path);
        if let Some(name) = path.file_stem().and_then(|s| s.to_str()) {
            executables.insert(name.to_owned(), path.clone());
        }
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("building the demos failed ({status})").into());
    }
    Ok(executables)
}

/// The `executable` of a `compiler-artifact` message, if it has one.
///
/// Just enough JSON for this one need: the message is one object per line, and the key
/// `"executable"` occurs once, outside any string (a string would escape its quotes).
fn executable(message: &str) -> Option<String> {
    if !message.contains(r#""reason":"compiler-artifact""#) {
        return None;
    }
    let (_, rest) = message.split_once(r#""executable":"#)?;
    json_string(rest.trim_start())
}

/// Decodes the JSON string at the start of `s` (`None` for `null` or bad input).
fn json_string(s: &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = u32::from_str_radix(&hex, 16).ok()?;
                    // A surrogate pair spells one character as two escapes.
                    let c = if (0xD800..0xDC00).contains(&unit) {
                        let low: String = chars.by_ref().skip(2).take(4).collect();
                        let low = u32::from_str_radix(&low, 16).ok()?;
                        char::from_u32(
                            0x10000 + ((unit - 0xD800) << 10) + (low.checked_sub(0xDC00)?),
                        )
                    } else {
                        char::from_u32(unit)
                    };
                    out.push(c?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_executables_in_cargo_messages() {
        let bin = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/demos#0.1.0","target":{"kind":["bin"],"name":"wait-and-print"},"filenames":["/w/target/release/wait-and-print"],"executable":"/w/target/release/wait-and-print","fresh":true}"#;
        assert_eq!(
            executable(bin).as_deref(),
            Some("/w/target/release/wait-and-print")
        );
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"]},"executable":null,"fresh":true}"#;
        assert_eq!(executable(lib), None);
        let done = r#"{"reason":"build-finished","success":true}"#;
        assert_eq!(executable(done), None);
    }

    #[test]
    fn decodes_json_escapes() {
        assert_eq!(
            json_string(r#""C:\\t\"x\/y\u00e9\ud83d\ude00" rest"#).as_deref(),
            Some("C:\\t\"x/yé😀")
        );
        assert_eq!(json_string("null"), None);
        assert_eq!(json_string(r#""unterminated"#), None);
    }
}
