//! Workspace automation, run as `cargo xtask <task>` (see the `cargo-xtask` pattern).
//!
//! # Tasks
//!
//! - `verify [NAME…] [--repeat N] [--time-scale X] [--timeline] [--svg DIR] [--list]
//!   [--no-build [--bin-dir DIR]]`: builds the binaries of the `demos`
//!   package in release mode, runs each demo (or the named ones), and checks what it prints
//!   on stdout, and when, against the transcript next to it (`crates/demos/src/bin/NAME.rs`
//!   is checked by `NAME.transcript` beside it; `bin/NAME/main.rs` by
//!   `bin/NAME/NAME.transcript`). Each line is stamped with its arrival time, each run has a
//!   hard timeout, and the demo's CPU time, threads and peak memory are measured with each
//!   OS's own facility (Linux: `/proc`; other Unixes: `getrusage`, CPU time only; Windows:
//!   the process handle and a Toolhelp snapshot); what an OS cannot give is reported as "not
//!   measured on this OS", and the rules about it as not checked. A demo without a transcript,
//!   or a transcript without a demo, fails. `--repeat N` runs every demo N times, so that
//!   races in the order of lines show up; `--time-scale X` (default 1, or
//!   `$XTASK_TIME_SCALE`) multiplies every upper time bound, group spread and timeout by X,
//!   for slow machines — lower bounds never move, since a timer never fires early. A run is
//!   held to limits (its process group, on Windows its job object, killed at the timeout,
//!   output capped, what it left running killed when it ends): see `xtask/TRANSCRIPTS.md`.
//!   `--timeline` draws each run's lines on a time axis ([`timeline`]), `--svg DIR` writes
//!   that as `DIR/NAME.svg` ([`svg`]), `--list` lists the demos. `--no-build` runs demos
//!   built beforehand, from `--bin-dir DIR` (default `target/release`): under Wine, which has
//!   no Windows cargo, `xtask.exe verify --no-build --bin-dir
//!   target/x86_64-pc-windows-gnu/release` runs the demos cross-built for Windows
//!   (`.ci/wine verify`).
//! - `layers`: checks the library crates' module graphs ([`layers`]): imports go only
//!   downward through poll-loop's layers, and no circle of imports holds more than three
//!   files or crosses a folder.
//! - `pictures`: copies the timelines of `docs/timelines/` into the crates' front pages
//!   ([`pictures`]), where rustdoc shows them inlined; `--check` only compares.
//! - `help`: prints the tasks and their options.
//!
//! The transcript language is described in the [`transcript`] module, whose text is
//! `xtask/TRANSCRIPTS.md`.
//!
//! # Layout
//!
//! [`verify`] drives the task: [`demos`] finds the demos and transcripts, [`transcript`]
//! parses a transcript, [`build`] builds the demos, [`run`] runs one demo within its limits
//! and stamps its lines (each OS's measures in `run/sys/`) into an [`outcome`], [`matcher`]
//! judges a run against its transcript (pure, so it is unit-tested with made-up runs), and
//! [`report`] prints the verdict; [`usage`] samples a running demo's threads, memory and CPU time while it runs.

mod build;
#[cfg(target_os = "linux")]
mod cpu;
mod demos;
mod layers;
mod matcher;
mod outcome;
mod pattern;
mod pictures;
mod report;
mod run;
mod svg;
mod timeline;
mod transcript;
mod usage;
mod verify;

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Error type of the tasks: anything that stops a task, with a message for the user.
type DynError = Box<dyn std::error::Error>;

/// The help text, with the limits a run is held to.
fn help() -> String {
    format!(
        "\
Usage: cargo xtask <TASK> [OPTIONS]

Tasks:
  verify [NAME...]    build the demos (release), run each one (or the NAMEd ones) and check
                      its output, and when it arrived, against its transcript
  layers              check that the library crates import only downward: a layer (a
                      folder of poll-loop's src/) never imports one above it, and no
                      circle of imports holds more than 3 files or crosses a folder
  pictures [--check]  copy docs/timelines/*.svg into the crates' front pages (after
                      `verify --svg docs/timelines ...`), or only check that they match
  help                print this help

Options of verify:
  --list              print the demos with their one-line descriptions, and stop
  --timeline          after each verdict, draw the run's lines on a time axis: arrival
                      time, a bar scaled to the run with the line's window ([===]) and
                      its arrival (* or X), and its text (a failure's is always drawn)
  --svg DIR           write each run's timeline as DIR/NAME.svg
  --repeat N          run each selected demo N times (default 1); the summary names
                      the runs that failed
  --time-scale X      multiply every window's upper bound, every group spread and every
                      timeout by X (a number from 1 to {max_scale}; default 1, or
                      $XTASK_TIME_SCALE); lower bounds are never scaled
  --no-build          do not build: run the demos already built in --bin-dir
  --bin-dir DIR       where --no-build finds them (NAME, NAME.exe on Windows; default
                      target/release, or $CARGO_TARGET_DIR/release); e.g. under Wine:
                      wine xtask.exe verify --no-build --bin-dir
                      target/x86_64-pc-windows-gnu/release

Limits of a run: a demo runs in a process group of its own (on Windows, in a job object
that also holds what it starts), and the whole group is killed at its timeout (at most
{max_timeout} s), when its stdout passes {lines} lines or {mib} MiB (\"too much output\"; the
report shows the head), and {grace} s after the demo exits if anything it started still
holds stdout (\"left behind\"). When the demo has ended, what it left running is killed:
its group, and on Linux (where xtask adopts orphans as a child subreaper) also what left
the group (setsid); on Windows its job. The report says if anything may still be running
(\"still running\"). Output must be UTF-8; a last line without a
newline counts as a line, and the report says so.

Measures: on Linux, each demo's CPU time, threads and peak memory are sampled every 5 ms
from /proc (`cpu max`, `cpu min`, `threads max`, `rss max`); on Windows from the process
handle (GetProcessTimes, K32GetProcessMemoryInfo) and a Toolhelp snapshot; on other Unixes
only the CPU time (getrusage). What an OS cannot give is reported as \"not measured on this
OS\" and its rules as not checked: never passed, never failed. Under Wine the CPU time is
not measured (Wine answers GetProcessTimes for another process with the caller's own times).
Colour only on a terminal (and not with $NO_COLOR).

Transcripts: see xtask/TRANSCRIPTS.md.
",
        max_scale = verify::MAX_TIME_SCALE,
        max_timeout = transcript::MAX_TIMEOUT.as_secs(),
        lines = run::MAX_LINES,
        mib = run::MAX_BYTES >> 20,
        grace = run::DRAIN_GRACE.as_secs_f64(),
    )
}

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<ExitCode, DynError> {
    let mut args = env::args().skip(1);
    let task = args.next();
    match task.as_deref() {
        Some("verify") => verify::verify(args.collect(), &cargo(), &project_root()),
        Some("layers") => layers::layers(&project_root()),
        Some("pictures") => pictures::pictures(args.collect(), &project_root()),
        Some("help" | "--help" | "-h") => {
            print!("{}", help());
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => {
            eprintln!("unknown task `{other}`\n\n{}", help());
            Ok(ExitCode::FAILURE)
        }
        None => {
            eprintln!("no task given\n\n{}", help());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The cargo that runs us, so that toolchain overrides carry over.
fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The workspace root: the parent of `xtask/`.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(1)
        .expect("xtask lives in a folder of the workspace")
        .to_path_buf()
}
