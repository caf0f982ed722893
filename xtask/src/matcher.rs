//! Checks one run's stamped output against a parsed transcript.
//!
//! Pure: no clock, no process. The runner measures; this module judges.

use std::fmt;
use std::time::Duration;

use crate::transcript::{Expect, Group, Item, Transcript, Window};

/// An output line and when it arrived, counted from just before the process was spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamped {
    pub(crate) at: Duration,
    /// The line without its `\n` or `\r\n`.
    pub(crate) text: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The process exited with this code.
    Code(i32),
    /// The process ended without a code (on Unix: a signal), described.
    Other(String),
    /// The timeout struck and the process was killed.
    TimedOut,
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Other(how) => write!(f, "{how}"),
            Exit::TimedOut => f.write_str("killed at the timeout"),
        }
    }
}

/// The CPU time (user plus system) a run used, and its wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CpuUse {
    pub(crate) cpu: Duration,
    pub(crate) wall: Duration,
}

impl CpuUse {
    /// CPU time as a share of wall time (1.0: one core busy all the time).
    pub(crate) fn share(self) -> f64 {
        let wall = self.wall.as_secs_f64();
        if wall > 0.0 {
            self.cpu.as_secs_f64() / wall
        } else {
            0.0
        }
    }
}

/// CPU time any run may use whatever its `cpu max`: starting a process costs a few
/// milliseconds, and the measurement counts in 10 ms ticks, so a demo that finishes at once
/// would otherwise seem to use several cores.
pub(crate) const CPU_ALLOWANCE: Duration = Duration::from_millis(100);

/// How far before its lower bound a line may be stamped, in seconds. A stamp is taken when
/// the reader thread gets the line, a little after the demo wrote it; an origin's stamp can be
/// late by that much (more if the demo wrote several lines in one go), which makes the lines
/// after it look early. No timer fires 50 ms early, and what the windows must tell apart is a
/// second wide, so this blurs nothing that matters.
pub(crate) const STAMP_TOLERANCE: f64 = 0.05;

/// One way a run differs from its transcript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// 1-based transcript line of the rule that failed; `None` for a default rule or for
    /// output that no rule expects.
    pub(crate) rule: Option<usize>,
    /// Index of the observed line the failure is about, if any.
    pub(crate) observed: Option<usize>,
    pub(crate) kind: Kind,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// The line's text does not match the pattern expected at its place.
    Text { expected: String, actual: String },
    /// The line arrived outside its window (already scaled); `after` is the time since the
    /// origin, `origin` the transcript line of that origin (`None`: the process start).
    Window {
        window: Window,
        after: f64,
        origin: Option<usize>,
    },
    /// No pattern left in the group takes this line; the patterns left are listed.
    Group { open: Vec<String> },
    /// The group's last line came more than `limit` (scaled) seconds after its first.
    Spread { limit: f64, actual: f64 },
    /// The output ended before this expected line.
    Missing { expected: String },
    /// A line that no rule expects.
    Extra,
    /// The process did not exit as expected.
    Exit { expected: i32, actual: Exit },
    /// The process used more CPU than allowed; both in percent of its wall time.
    Cpu { max: f64, actual: f64 },
    /// The process used less CPU than required (`cpu min`); in percent.
    CpuBelow { min: f64, actual: f64 },
    /// The process was killed at the (scaled) timeout.
    Timeout { limit: Duration },
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Text { expected, actual } => {
                write!(f, "text mismatch: expected {expected}, got {actual:?}")
            }
            Kind::Window {
                window,
                after,
                origin,
            } => {
                write!(f, "outside its window: arrived {} after ", Seconds(*after))?;
                match origin {
                    Some(line) => write!(f, "the origin (line {line})")?,
                    None => f.write_str("the start")?,
                }
                write!(f, ", window {window}")
            }
            Kind::Group { open } => write!(
                f,
                "no pattern left in the group takes this line (left: {})",
                open.join(", ")
            ),
            Kind::Spread { limit, actual } => write!(
                f,
                "group spread exceeded: its lines arrived over {}, at most {limit:.3} s allowed",
                Seconds(*actual)
            ),
            Kind::Missing { expected } => {
                write!(f, "missing line: expected {expected}, but the output ended")
            }
            Kind::Extra => f.write_str("extra line: no rule expects it"),
            Kind::Exit { expected, actual } => {
                write!(f, "wrong exit: expected exit code {expected}, got {actual}")
            }
            Kind::Cpu { max, actual } => write!(
                f,
                "cpu over budget: used {actual:.1}% of the wall time, at most {max}% allowed"
            ),
            Kind::CpuBelow { min, actual } => write!(
                f,
                "cpu under its minimum: used {actual:.1}% of the wall time, at least {min}% required"
            ),
            Kind::Timeout { limit } => write!(
                f,
                "timeout: killed after {:.2} s (output may be cut short)",
                limit.as_secs_f64()
            ),
        }
    }
}

/// Checks a run against `transcript`.
///
/// `cpu` is what the run used (`None`: not measured, the `cpu max` rule is skipped); a run
/// breaks `cpu max` only when it used more than that share of its wall time *and* more than
/// [`CPU_ALLOWANCE`]. `scale` (≥ 1) multiplies every window's upper bound, every group spread
/// and the timeout; lower bounds are never scaled.
pub(crate) fn check(
    transcript: &Transcript,
    lines: &[Stamped],
    exit: &Exit,
    cpu: Option<CpuUse>,
    scale: f64,
) -> Result<(), Vec<Failure>> {
    let mut m = Matcher {
        lines,
        scale,
        next: 0,
        origin: None,
        failures: Vec::new(),
    };
    for item in &transcript.items {
        match item {
            Item::Line(expect) => m.line(expect),
            Item::Group(group) => m.group(group),
        }
    }
    for index in m.next..lines.len() {
        m.fail(None, Some(index), Kind::Extra);
    }

    match exit {
        Exit::TimedOut => m.fail(
            transcript.timeout.line,
            None,
            Kind::Timeout {
                limit: transcript.timeout.value.mul_f64(scale),
            },
        ),
        Exit::Code(code) if *code == transcript.exit.value => {}
        actual => m.fail(
            transcript.exit.line,
            None,
            Kind::Exit {
                expected: transcript.exit.value,
                actual: actual.clone(),
            },
        ),
    }
    if let (Some(max), Some(cpu)) = (transcript.cpu_max, cpu) {
        let actual = cpu.share() * 100.0;
        if actual > max.value && cpu.cpu > CPU_ALLOWANCE {
            m.fail(
                max.line,
                None,
                Kind::Cpu {
                    max: max.value,
                    actual,
                },
            );
        }
    }

    if let (Some(min), Some(cpu)) = (transcript.cpu_min, cpu) {
        let actual = cpu.share() * 100.0;
        if actual < min.value {
            m.fail(
                min.line,
                None,
                Kind::CpuBelow {
                    min: min.value,
                    actual,
                },
            );
        }
    }

    if m.failures.is_empty() {
        Ok(())
    } else {
        Err(m.failures)
    }
}

struct Matcher<'a> {
    lines: &'a [Stamped],
    scale: f64,
    /// Index of the next observed line to match.
    next: usize,
    /// Arrival time and transcript line of the current origin (`None`: the process start).
    origin: Option<(Duration, usize)>,
    failures: Vec<Failure>,
}

impl Matcher<'_> {
    fn fail(&mut self, rule: Option<usize>, observed: Option<usize>, kind: Kind) {
        self.failures.push(Failure {
            rule,
            observed,
            kind,
        });
    }

    /// Seconds from the current origin to the arrival of line `index`.
    fn after_origin(&self, index: usize) -> f64 {
        let origin = self.origin.map_or(Duration::ZERO, |(at, _)| at);
        self.lines[index].at.saturating_sub(origin).as_secs_f64()
    }

    /// `expect`'s scaled window, if it has one and line `index` arrived outside it.
    fn window_miss(&self, expect: &Expect, index: usize) -> Option<Kind> {
        let window = expect.window?.scaled(self.scale);
        let after = self.after_origin(index);
        let lenient = Window {
            lo: window.lo - STAMP_TOLERANCE,
            ..window
        };
        (!lenient.contains(after)).then(|| Kind::Window {
            window,
            after,
            origin: self.origin.map(|(_, line)| line),
        })
    }

    fn takes(&self, expect: &Expect, index: usize) -> bool {
        expect.pattern.matches(&self.lines[index].text) && self.window_miss(expect, index).is_none()
    }

    /// A fixed expectation takes the next line, whatever it is.
    fn line(&mut self, expect: &Expect) {
        let index = self.next;
        let Some(observed) = self.lines.get(index) else {
            return self.fail(
                Some(expect.line),
                None,
                Kind::Missing {
                    expected: describe(expect),
                },
            );
        };
        self.next += 1;
        if !expect.pattern.matches(&observed.text) {
            let kind = Kind::Text {
                expected: expect.pattern.to_string(),
                actual: observed.text.clone(),
            };
            self.fail(Some(expect.line), Some(index), kind);
        } else if let Some(kind) = self.window_miss(expect, index) {
            self.fail(Some(expect.line), Some(index), kind);
        }
        if expect.origin {
            self.origin = Some((observed.at, expect.line));
        }
    }

    /// A group takes the next `k` lines (`k` its size) in the order that matches best.
    fn group(&mut self, group: &Group) {
        let members = &group.members;
        let first = self.next;
        let end = (first + members.len()).min(self.lines.len());
        self.next = end;
        let indices: Vec<usize> = (first..end).collect();

        // Bipartite matching by augmenting paths (Kuhn's algorithm): a greedy first fit
        // fails when wildcard patterns overlap. `owner[j]` is the member holding line j.
        let mut owner: Vec<Option<usize>> = vec![None; indices.len()];
        for member in 0..members.len() {
            let mut seen = vec![false; indices.len()];
            self.augment(members, &indices, member, &mut seen, &mut owner);
        }
        let mut taken = vec![false; members.len()];
        for &member in owner.iter().flatten() {
            taken[member] = true;
        }

        // Each line no member holds is a failure. If an open member matches its text, the
        // window is what failed: say so against that member's rule.
        for (j, &index) in indices.iter().enumerate() {
            if owner[j].is_some() {
                continue;
            }
            let text = &self.lines[index].text;
            let timing = (0..members.len())
                .filter(|&i| !taken[i] && members[i].pattern.matches(text))
                .find_map(|i| Some((i, self.window_miss(&members[i], index)?)));
            match timing {
                Some((i, kind)) => {
                    taken[i] = true;
                    self.fail(Some(members[i].line), Some(index), kind);
                }
                None => {
                    let open = (0..members.len())
                        .filter(|&i| !taken[i])
                        .map(|i| format!("{} (line {})", describe(&members[i]), members[i].line))
                        .collect();
                    self.fail(Some(group.line), Some(index), Kind::Group { open });
                }
            }
        }
        // The output ended inside the group: one missing line per absent line.
        let absent = members.len() - indices.len();
        let missing: Vec<&Expect> = (0..members.len())
            .filter(|&i| !taken[i])
            .map(|i| &members[i])
            .take(absent)
            .collect();
        for expect in missing {
            let expected = describe(expect);
            self.fail(Some(expect.line), None, Kind::Missing { expected });
        }

        if let (Some(spread), Some(&a), Some(&b)) = (group.spread, indices.first(), indices.last())
        {
            let limit = spread * self.scale;
            let actual = self.lines[b]
                .at
                .saturating_sub(self.lines[a].at)
                .as_secs_f64();
            if actual > limit {
                self.fail(Some(group.line), None, Kind::Spread { limit, actual });
            }
        }
    }

    /// Tries to give `member` a line, moving other members along if that frees one.
    fn augment(
        &self,
        members: &[Expect],
        indices: &[usize],
        member: usize,
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (j, &index) in indices.iter().enumerate() {
            if seen[j] || !self.takes(&members[member], index) {
                continue;
            }
            seen[j] = true;
            let free = match owner[j] {
                None => true,
                Some(other) => self.augment(members, indices, other, seen, owner),
            };
            if free {
                owner[j] = Some(member);
                return true;
            }
        }
        false
    }
}

/// The pattern with its window, as written in a transcript.
fn describe(expect: &Expect) -> String {
    match expect.window {
        Some(w) => format!("{} at {}..{}", expect.pattern, secs(w.lo), secs(w.hi)),
        None => expect.pattern.to_string(),
    }
}

/// Seconds for a message: milliseconds shown, or microseconds when that would read `0.000 s`.
struct Seconds(f64);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 0.0005 {
            write!(f, "{:.3} s", self.0)
        } else {
            write!(f, "{:.0} µs", self.0 * 1e6)
        }
    }
}

/// Seconds as a transcript would write them: `1.0`, `1.4`, `0.25`.
fn secs(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests;
