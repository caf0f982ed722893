//! `cargo xtask verify`: builds the demos, runs each one and checks what it printed, and
//! when, against its transcript.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::{env, fs};

use crate::demos::{self, Entry};
use crate::outcome::Measured;
use crate::timeline::Timeline;
use crate::{DynError, build, matcher, report, run, svg, transcript};

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
    /// Draw each run's timeline after its verdict (a failure's is always drawn).
    pub(crate) timeline: bool,
    /// Write each run's timeline as `DIR/NAME.svg`.
    pub(crate) svg: Option<PathBuf>,
    /// List the demos and stop.
    pub(crate) list: bool,
    /// Run the demos already built in `bin_dir` instead of building them.
    pub(crate) no_build: bool,
    /// Where `--no-build` finds the demos; `None`: the target folder's `release/`.
    pub(crate) bin_dir: Option<PathBuf>,
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
        timeline: false,
        svg: None,
        list: false,
        no_build: false,
        bin_dir: None,
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
            "--timeline" => options.timeline = true,
            "--list" => options.list = true,
            "--no-build" => options.no_build = true,
            "--bin-dir" => {
                options.bin_dir = Some(
                    value("the folder of the built demos, e.g. `--bin-dir target/release`")?.into(),
                );
            }
            "--svg" => options.svg = Some(value("a folder, e.g. `--svg docs/timelines`")?.into()),
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
    if options.bin_dir.is_some() && !options.no_build {
        return Err(
            "`--bin-dir` names where prebuilt demos are: it goes with `--no-build`".to_owned(),
        );
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
    let colour = std::io::stdout().is_terminal() && env::var_os("NO_COLOR").is_none();
    if options.list {
        for (name, entry) in &selected {
            let about = entry.source.as_deref().and_then(description);
            println!(
                "{name:<24} {}",
                about.as_deref().unwrap_or("(no `//!` line)")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &options.svg {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
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

    let executables = if options.no_build {
        let dir = match &options.bin_dir {
            Some(dir) => dir.clone(),
            None => env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| root.join("target"), PathBuf::from)
                .join("release"),
        };
        prebuilt(&dir, selected.iter().map(|(name, _)| name.as_str()))
    } else {
        build::build_demos(cargo, root)?
    };
    if let Some(note) = not_measured_note(run::measured()) {
        println!("{note}");
        if let Some(why) = run::not_measured_because() {
            println!("note: {why}");
        }
    }
    if options.time_scale != 1.0 {
        println!(
            "note: time scale {}: upper bounds, spreads and timeouts are multiplied by it",
            options.time_scale
        );
    }

    let (mut passed, mut failed) = (0, Vec::new());
    for round in 1..=options.repeat {
        for (name, entry) in &selected {
            let run_name = if options.repeat > 1 {
                format!("{name} [{round}/{}]", options.repeat)
            } else {
                name.to_string()
            };
            print!("verify {run_name} ... ");
            let _ = std::io::stdout().flush();
            let failed_status = paint(colour, "1;31", "FAILED");
            let ok = match (
                &entry.source,
                &entry.transcript,
                executables.get(name.as_str()),
            ) {
                (None, Some(t), _) => {
                    println!(
                        "{failed_status} (a transcript without a demo: {})",
                        relative(t)
                    );
                    false
                }
                (Some(s), None, _) => {
                    println!(
                        "{failed_status} (no transcript for {}: expected {})",
                        relative(s),
                        relative(&expected_transcript(s, name))
                    );
                    false
                }
                (_, _, None) if options.no_build => {
                    println!(
                        "{failed_status} (no executable named `{name}{}` among the prebuilt demos)",
                        env::consts::EXE_SUFFIX
                    );
                    false
                }
                (_, _, None) => {
                    println!("{failed_status} (cargo built no executable named `{name}`)");
                    false
                }
                (Some(_), Some(t), Some(exe)) => check_one(
                    name,
                    &transcripts[name.as_str()],
                    &relative(t),
                    exe,
                    &options,
                    colour,
                )?,
                (None, None, _) => unreachable!("discovered names have a file"),
            };
            if ok {
                passed += 1;
            } else {
                failed.push(run_name);
            }
        }
    }
    if failed.is_empty() {
        println!("{passed} passed, 0 failed");
    } else {
        println!(
            "{passed} passed, {} failed: {}",
            failed.len(),
            paint(colour, "1;31", &failed.join(", "))
        );
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The executables of the demos `names` already built in `dir` (`NAME`, `NAME.exe` on
/// Windows); a demo missing there is reported when its turn comes.
fn prebuilt<'a>(dir: &Path, names: impl Iterator<Item = &'a str>) -> BTreeMap<String, PathBuf> {
    names
        .filter_map(|name| {
            let path = dir.join(format!("{name}{}", env::consts::EXE_SUFFIX));
            path.is_file().then(|| (name.to_owned(), path))
        })
        .collect()
}

/// What this OS cannot measure, and the rules left unchecked for it, said once before the
/// runs; `None` where everything is measured.
fn not_measured_note(measured: Measured) -> Option<String> {
    let mut missing = Vec::new();
    if !measured.cpu {
        missing.push("cpu time (`cpu max`, `cpu min`)");
    }
    if !measured.cpu_over_time {
        missing.push("cpu over time (the timeline's cpu strip)");
    }
    if !measured.threads {
        missing.push("threads (`threads max`)");
    }
    if !measured.rss {
        missing.push("memory (`rss max`)");
    }
    (!missing.is_empty()).then(|| {
        format!(
            "note: not measured on this OS: {}; those rules are not checked (neither passed nor failed)",
            missing.join(", ")
        )
    })
}

/// Runs one demo once and prints its status (and report and timeline on failure).
fn check_one(
    name: &str,
    transcript: &transcript::Transcript,
    transcript_path: &str,
    exe: &Path,
    options: &Options,
    colour: bool,
) -> Result<bool, DynError> {
    let scale = options.time_scale;
    let timeout = matcher::scaled(transcript.timeout.value, scale);
    let run = run::run(Command::new(exe), timeout)
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let judgement = matcher::judge(transcript, &run, scale);
    let ok = judgement.failures.is_empty();
    if ok {
        println!(
            "{} {}",
            paint(colour, "32", "ok"),
            report::stats(&run, transcript)
        );
    } else {
        println!(
            "{} {}",
            paint(colour, "1;31", "FAILED"),
            report::stats(&run, transcript)
        );
        print!(
            "{}",
            report::failure_report(transcript_path, &run, &judgement.failures)
        );
    }
    let timeline = Timeline::new(name, &run, &judgement);
    if options.timeline || !ok {
        print!("{}", timeline.text(colour));
    }
    if let Some(dir) = &options.svg {
        let path = dir.join(format!("{name}.svg"));
        fs::write(&path, svg::render(&timeline))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(ok)
}

/// `text` in an ANSI colour (`code`, e.g. `31` for red) if `colour`, else as it is.
fn paint(colour: bool, code: &str, text: &str) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// The first `//!` line of a demo's source: its one-line description.
fn description(source: &Path) -> Option<String> {
    let text = fs::read_to_string(source).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("//!"))?;
    Some(line.trim().to_owned())
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
        let o = parse(&["--timeline", "--svg", "out", "a", "--list"], None).unwrap();
        assert!(o.timeline && o.list);
        assert_eq!(o.svg, Some(PathBuf::from("out")));
        assert_eq!(o.names, ["a"]);
        assert!(parse(&["--svg"], None).unwrap_err().contains("a folder"));
    }

    #[test]
    fn prebuilt_demos_are_taken_from_a_folder() {
        let o = parse(&["--no-build", "--bin-dir", "out/release", "a"], None).unwrap();
        assert!(o.no_build);
        assert_eq!(o.bin_dir, Some(PathBuf::from("out/release")));
        assert_eq!(o.names, ["a"]);
        let o = parse(&["--no-build"], None).unwrap();
        assert_eq!((o.no_build, o.bin_dir), (true, None));
        let o = parse(&["--bin-dir=x", "--no-build"], None).unwrap();
        assert_eq!(o.bin_dir, Some(PathBuf::from("x")));
        assert!(!parse(&[], None).unwrap().no_build);
        assert!(
            parse(&["--bin-dir", "x"], None)
                .unwrap_err()
                .contains("goes with `--no-build`")
        );
        assert!(
            parse(&["--no-build", "--bin-dir"], None)
                .unwrap_err()
                .contains("needs a value")
        );

        let dir = env::temp_dir().join(format!("xtask-prebuilt-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let exe = |name: &str| dir.join(format!("{name}{}", env::consts::EXE_SUFFIX));
        fs::write(exe("a"), "").unwrap();
        fs::create_dir_all(exe("b")).unwrap(); // A folder is no executable.
        let found = prebuilt(&dir, ["a", "b", "c"].into_iter());
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(found["a"], exe("a"));
    }

    #[test]
    fn what_this_os_cannot_measure_is_noted_once() {
        assert_eq!(not_measured_note(Measured::ALL), None);
        let macos = Measured {
            cpu: true,
            ..Measured::NONE
        };
        assert_eq!(
            not_measured_note(macos).unwrap(),
            "note: not measured on this OS: cpu over time (the timeline's cpu strip), \
             threads (`threads max`), memory (`rss max`); those rules are not checked \
             (neither passed nor failed)"
        );
        assert!(
            not_measured_note(Measured::NONE)
                .unwrap()
                .contains("cpu time (`cpu max`, `cpu min`)")
        );
    }

    #[test]
    fn a_demo_is_described_by_its_first_doc_line() {
        let dir = env::temp_dir().join(format!("xtask-describe-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let source = dir.join("demo.rs");
        fs::write(
            &source,
            "//! Three calls, one second apart.\n//!\n//! More.\nfn main() {}\n",
        )
        .unwrap();
        assert_eq!(
            description(&source).as_deref(),
            Some("Three calls, one second apart.")
        );
        fs::write(&source, "fn main() {}\n").unwrap();
        assert_eq!(description(&source), None);
        fs::remove_dir_all(&dir).unwrap();
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
