//! `cargo xtask verify`: builds the demos, runs each one and checks what it printed, and
//! when, against its transcript.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::{env, fs};

use crate::demos::{self, Entry};
use crate::{DynError, build, cpu, matcher, report, run, transcript};

/// Environment variable that sets the default `--time-scale`.
const TIME_SCALE_VAR: &str = "XTASK_TIME_SCALE";

/// Largest `--time-scale`: enough for any slow machine, and small enough that every scaled
/// bound and deadline stays representable.
pub(crate) const MAX_TIME_SCALE: f64 = 1000.0;

/// Where the demos live, relative to the project root.
const BIN_DIR: &str = "crates/demos/src/bin";

/// Command-line options of `verify`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Demos to run; empty means all.
    pub(crate) names: Vec<String>,
    pub(crate) repeat: u32,
    pub(crate) time_scale: f64,
    pub(crate) help: bool,
}

/// Parses `verify`'s arguments. `env_scale` is the value of `XTASK_TIME_SCALE`, if set;
/// the option wins over it.
pub(crate) fn parse_options(
    args: impl IntoIterator<Item = String>,
    env_scale: Option<String>,
) -> Result<Options, String> {
    let mut options = Options {
        names: Vec::new(),
        repeat: 1,
        time_scale: 1.0,
        help: false,
    };
    let mut scale = env_scale.map(|s| (s, TIME_SCALE_VAR.to_owned()));
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("`{flag}` needs a value: {what}"))
        };
        match flag.as_str() {
            "-h" | "--help" => options.help = true,
            "--repeat" => {
                let n = value("a number of runs, e.g. `--repeat 3`")?;
                options.repeat = match n.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(format!("`--repeat {n}`: expected a whole number ≥ 1")),
                };
            }
            "--time-scale" => {
                scale = Some((value("a factor ≥ 1, e.g. `--time-scale 2`")?, flag.clone()));
            }
            f if f.starts_with('-') => return Err(format!("unknown option `{f}`")),
            _ => options.names.push(arg),
        }
    }
    if let Some((s, source)) = scale {
        options.time_scale = match s.parse::<f64>() {
            // NaN fails both comparisons; infinity and 1e300 fail the second.
            Ok(x) if (1.0..=MAX_TIME_SCALE).contains(&x) => x,
            _ => {
                return Err(format!(
                    "{source}: `{s}` is not a time scale (a number from 1 to {MAX_TIME_SCALE})"
                ));
            }
        };
    }
    Ok(options)
}

/// Runs the task; the exit code says whether every demo passed.
pub(crate) fn verify(
    args: Vec<String>,
    cargo: &OsString,
    root: &Path,
) -> Result<ExitCode, DynError> {
    let options = parse_options(args, env::var(TIME_SCALE_VAR).ok())?;
    if options.help {
        print!("{}", crate::help());
        return Ok(ExitCode::SUCCESS);
    }
    let bin_dir = root.join(BIN_DIR);
    let found = demos::discover(&bin_dir)
        .map_err(|e| format!("cannot list the demos in {}: {e}", bin_dir.display()))?;
    let selected = select(&found, &options.names)?;
    let relative = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };

    // Read every transcript before building: a malformed one stops everything.
    let mut transcripts = BTreeMap::new();
    let mut malformed = 0;
    for (name, entry) in &selected {
        let Some(path) = &entry.transcript else {
            continue;
        };
        let source =
            fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", relative(path)))?;
        match transcript::parse(&source) {
            Ok(t) => {
                transcripts.insert(name.as_str(), t);
            }
            Err(e) => {
                eprintln!("{}:{}: {}", relative(path), e.line, e.message);
                malformed += 1;
            }
        }
    }
    if malformed > 0 {
        return Err(format!("{malformed} malformed transcript(s)").into());
    }

    let executables = build::build_demos(cargo, root)?;
    if !cpu::SUPPORTED {
        println!("note: cpu time is measured on Linux only; `cpu max` rules are skipped");
    }
    if options.time_scale != 1.0 {
        println!(
            "note: time scale {}: upper bounds, spreads and timeouts are multiplied by it",
            options.time_scale
        );
    }

    let (mut passed, mut failed) = (0, 0);
    for round in 1..=options.repeat {
        for (name, entry) in &selected {
            let label = if options.repeat > 1 {
                format!("verify {name} [{round}/{}]", options.repeat)
            } else {
                format!("verify {name}")
            };
            print!("{label} ... ");
            let _ = std::io::stdout().flush();
            let ok = match (
                &entry.source,
                &entry.transcript,
                executables.get(name.as_str()),
            ) {
                (None, Some(t), _) => {
                    println!("FAILED (a transcript without a demo: {})", relative(t));
                    false
                }
                (Some(s), None, _) => {
                    println!(
                        "FAILED (no transcript for {}: expected {})",
                        relative(s),
                        relative(&expected_transcript(s, name))
                    );
                    false
                }
                (_, _, None) => {
                    println!("FAILED (cargo built no executable named `{name}`)");
                    false
                }
                (Some(_), Some(t), Some(exe)) => check_one(
                    &transcripts[name.as_str()],
                    &relative(t),
                    exe,
                    options.time_scale,
                )?,
                (None, None, _) => unreachable!("discovered names have a file"),
            };
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs one demo once and prints its status (and report on failure).
fn check_one(
    transcript: &transcript::Transcript,
    transcript_path: &str,
    exe: &Path,
    scale: f64,
) -> Result<bool, DynError> {
    let timeout = matcher::scaled(transcript.timeout.value, scale);
    let run = run::run(Command::new(exe), timeout)
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    match matcher::check(transcript, &run, scale) {
        Ok(()) => {
            println!("ok {}", report::stats(&run));
            Ok(true)
        }
        Err(failures) => {
            println!("FAILED {}", report::stats(&run));
            print!(
                "{}",
                report::failure_report(transcript_path, &run, &failures)
            );
            Ok(false)
        }
    }
}

/// The demos named on the command line, or all of them.
fn select<'a>(
    found: &'a BTreeMap<String, Entry>,
    names: &[String],
) -> Result<Vec<(&'a String, &'a Entry)>, String> {
    if names.is_empty() {
        return Ok(found.iter().collect());
    }
    let mut selected = Vec::new();
    for name in names {
        match found.get_key_value(name) {
            Some(pair) => selected.push(pair),
            None => {
                let known: Vec<&str> = found.keys().map(String::as_str).collect();
                return Err(format!(
                    "unknown demo `{name}`; known demos: {}",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(selected)
}

/// Where the transcript of the demo with source `source` belongs.
fn expected_transcript(source: &Path, name: &str) -> PathBuf {
    source.with_file_name(format!("{name}.transcript"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: Option<&str>) -> Result<Options, String> {
        parse_options(args.iter().map(|s| s.to_string()), env.map(str::to_owned))
    }

    #[test]
    fn options_default_and_parse() {
        let o = parse(&[], None).unwrap();
        assert_eq!(
            (o.names.len(), o.repeat, o.time_scale, o.help),
            (0, 1, 1.0, false)
        );
        let o = parse(&["a", "--repeat", "3", "b", "--time-scale=2.5"], None).unwrap();
        assert_eq!(o.names, ["a", "b"]);
        assert_eq!((o.repeat, o.time_scale), (3, 2.5));
        assert!(parse(&["--help"], None).unwrap().help);
    }

    #[test]
    fn time_scale_comes_from_the_environment_unless_given() {
        assert_eq!(parse(&[], Some("3")).unwrap().time_scale, 3.0);
        assert_eq!(
            parse(&["--time-scale", "2"], Some("3")).unwrap().time_scale,
            2.0
        );
        assert!(
            parse(&[], Some("fast"))
                .unwrap_err()
                .contains(TIME_SCALE_VAR)
        );
    }

    #[test]
    fn bad_options_are_rejected() {
        assert!(parse(&["--repeat", "0"], None).is_err());
        assert!(
            parse(&["--repeat"], None)
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(parse(&["--time-scale", "0.5"], None).is_err());
        assert!(parse(&["--time-scale", "inf"], None).is_err());
        assert!(
            parse(&["--fast"], None)
                .unwrap_err()
                .contains("unknown option")
        );
    }

    #[test]
    fn time_scales_that_cannot_work_are_rejected() {
        // 1e300 was accepted, then overflowed a `Duration` in the runner.
        for bad in ["1e300", "1001", "NaN", "-1", "-inf", "inf", "0", ""] {
            let e = parse(&["--time-scale", bad], None).unwrap_err();
            assert!(e.contains("from 1 to 1000"), "{bad}: {e}");
            assert!(parse(&[], Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            parse(&["--time-scale", "1000"], None).unwrap().time_scale,
            MAX_TIME_SCALE
        );
    }

    #[test]
    fn unknown_demo_names_list_the_known_ones() {
        let mut found = BTreeMap::new();
        found.insert("a".to_owned(), Entry::default());
        found.insert("b".to_owned(), Entry::default());
        assert_eq!(select(&found, &["b".into()]).unwrap().len(), 1);
        assert_eq!(select(&found, &[]).unwrap().len(), 2);
        assert_eq!(
            select(&found, &["c".into()]).unwrap_err(),
            "unknown demo `c`; known demos: a, b"
        );
    }

    /// Every transcript in the repository parses.
    #[test]
    fn the_repository_transcripts_parse() {
        let bin_dir = crate::project_root().join(BIN_DIR);
        let Ok(found) = demos::discover(&bin_dir) else {
            return; // No demos package yet.
        };
        for entry in found.values() {
            if let Some(path) = &entry.transcript {
                let source = fs::read_to_string(path).unwrap();
                if let Err(e) = transcript::parse(&source) {
                    panic!("{}:{}: {}", path.display(), e.line, e.message);
                }
            }
        }
    }
}
