//! Checks one run's stamped output against a parsed transcript.
//!
//! Pure: no clock, no process. The runner measures; this module judges. Its work is linear
//! in the output, except inside `unordered` groups (see [`unordered`]).

mod failure;
mod unordered;

use std::collections::BTreeSet;
use std::time::Duration;

use self::failure::describe;
pub(crate) use self::failure::{Failure, Kind};
use self::unordered::Classes;
use crate::outcome::{Exit, Run, Stamped, Survivors};
use crate::run::DRAIN_GRACE;
use crate::transcript::{Expect, Group, Item, Transcript, Window};

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

/// How many of a group's open patterns a failure lists.
const OPEN_SHOWN: usize = 5;

/// Which expectation an observed line was judged against: what the timeline draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placement {
    /// The transcript line of the expectation (of the group, for a line no member took).
    pub(crate) rule: usize,
    /// The window in seconds since the start: origin added, upper bound scaled.
    pub(crate) window: Option<(f64, f64)>,
    /// The transcript line of the `unordered` group the line fell in.
    pub(crate) group: Option<usize>,
}

/// A run judged: its failures, and each observed line's [`Placement`] (`None`: extra).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Judgement {
    pub(crate) failures: Vec<Failure>,
    pub(crate) placements: Vec<Option<Placement>>,
}

/// Checks a run against `transcript`: [`judge`], failures only (what the tests compare).
#[cfg(test)]
pub(crate) fn check(transcript: &Transcript, run: &Run, scale: f64) -> Result<(), Vec<Failure>> {
    let failures = judge(transcript, run, scale).failures;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// Judges a run against `transcript`.
///
/// A run that was not measured (`cpu: None`) skips the CPU rules; a run breaks `cpu max`
/// only when it used more than that share of its wall time *and* more than
/// [`CPU_ALLOWANCE`]. `scale` (≥ 1) multiplies every window's upper bound, every group spread
/// and the timeout; lower bounds are never scaled. A line that is not UTF-8 matches no
/// pattern.
pub(crate) fn judge(transcript: &Transcript, run: &Run, scale: f64) -> Judgement {
    let lines = &run.lines[..];
    let mut m = Matcher {
        lines,
        texts: lines
            .iter()
            .map(|l| std::str::from_utf8(&l.text).ok())
            .collect(),
        scale,
        next: 0,
        origin: None,
        failures: Vec::new(),
        placements: vec![None; lines.len()],
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

    if let Some(cap) = run.overflow {
        m.fail(None, None, Kind::TooMuchOutput { cap });
    }
    if run.left_behind {
        m.fail(
            None,
            None,
            Kind::LeftBehind {
                grace: DRAIN_GRACE,
                killed: run.cleanup.killed,
            },
        );
    }
    if run.cleanup.survivors != Survivors::None {
        m.fail(
            None,
            None,
            Kind::StillRunning {
                survivors: run.cleanup.survivors,
            },
        );
    }
    match &run.exit {
        Exit::TimedOut => m.fail(
            transcript.timeout.line,
            None,
            Kind::Timeout {
                limit: scaled(transcript.timeout.value, scale),
            },
        ),
        // Said by the failure above.
        Exit::TooMuchOutput => {}
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
    let cpu = run.cpu_use();
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

    if let (Some(max), Some(actual)) = (transcript.threads_max, run.usage.threads) {
        if actual > max.value {
            m.fail(
                max.line,
                None,
                Kind::Threads {
                    max: max.value,
                    actual,
                },
            );
        }
    }
    if let (Some(max), Some(actual)) = (transcript.rss_max, run.usage.rss_peak) {
        if actual > max.value {
            m.fail(
                max.line,
                None,
                Kind::Rss {
                    max: max.value,
                    actual,
                },
            );
        }
    }

    Judgement {
        failures: m.failures,
        placements: m.placements,
    }
}

/// `timeout` times `scale`, saturating (the transcript and option limits keep it far from
/// saturation).
pub(crate) fn scaled(timeout: Duration, scale: f64) -> Duration {
    Duration::try_from_secs_f64(timeout.as_secs_f64() * scale).unwrap_or(Duration::MAX)
}

struct Matcher<'a> {
    lines: &'a [Stamped],
    /// Each line's text, `None` if it is not UTF-8.
    texts: Vec<Option<&'a str>>,
    scale: f64,
    /// Index of the next observed line to match.
    next: usize,
    /// Arrival time and transcript line of the current origin (`None`: the process start).
    origin: Option<(Duration, usize)>,
    failures: Vec<Failure>,
    placements: Vec<Option<Placement>>,
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

    /// Records that line `index` was judged against `expect`.
    fn place(&mut self, index: usize, expect: &Expect, group: Option<usize>) {
        let origin = self.origin.map_or(0.0, |(at, _)| at.as_secs_f64());
        let window = expect.window.map(|w| {
            let w = w.scaled(self.scale);
            (origin + w.lo, origin + w.hi)
        });
        self.placements[index] = Some(Placement {
            rule: expect.line,
            window,
            group,
        });
    }

    /// Whether line `index` has `expect`'s text.
    fn text_matches(&self, expect: &Expect, index: usize) -> bool {
        self.texts[index].is_some_and(|text| expect.pattern.matches(text))
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
        self.place(index, expect, None);
        match self.texts[index] {
            None => self.fail(Some(expect.line), Some(index), Kind::NotUtf8),
            Some(text) if !expect.pattern.matches(text) => {
                let kind = Kind::Text {
                    expected: expect.pattern.to_string(),
                    actual: clip(text),
                };
                self.fail(Some(expect.line), Some(index), kind);
            }
            Some(_) => {
                if let Some(kind) = self.window_miss(expect, index) {
                    self.fail(Some(expect.line), Some(index), kind);
                }
            }
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

        let classes = Classes::new(members);
        let owner = unordered::assign(&classes, &self.texts[first..end], |class, j| {
            let expect = &members[classes.members(class)[0]];
            self.text_matches(expect, first + j) && self.window_miss(expect, first + j).is_none()
        });
        // The members no line took, in order; per class, how many of its members are
        // taken (lines go to a class's members in order, so those are its first ones).
        let mut open: BTreeSet<usize> = (0..members.len()).collect();
        let mut used = vec![0; classes.len()];
        let mut class_of_member = vec![0; members.len()];
        for class in 0..classes.len() {
            for &member in classes.members(class) {
                class_of_member[member] = class;
            }
        }
        for (j, &member) in owner.iter().enumerate() {
            if let Some(member) = member {
                open.remove(&member);
                used[class_of_member[member]] += 1;
                self.place(first + j, &members[member], Some(group.line));
            }
        }

        // Each line no member holds is a failure. If an open member matches its text, the
        // window is what failed: say so against the first such member's rule.
        for (j, owner) in owner.iter().enumerate() {
            if owner.is_some() {
                continue;
            }
            let index = first + j;
            let Some(text) = self.texts[index] else {
                self.placements[index] = Some(Placement {
                    rule: group.line,
                    window: None,
                    group: Some(group.line),
                });
                self.fail(Some(group.line), Some(index), Kind::NotUtf8);
                continue;
            };
            let timing = classes
                .candidates(text)
                .filter_map(|class| {
                    let &member = classes.members(class).get(used[class])?;
                    members[member]
                        .pattern
                        .matches(text)
                        .then_some((member, class))
                })
                .min()
                .and_then(|(member, class)| {
                    Some((member, class, self.window_miss(&members[member], index)?))
                });
            match timing {
                Some((member, class, kind)) => {
                    open.remove(&member);
                    used[class] += 1;
                    self.place(index, &members[member], Some(group.line));
                    self.fail(Some(members[member].line), Some(index), kind);
                }
                None => {
                    self.placements[index] = Some(Placement {
                        rule: group.line,
                        window: None,
                        group: Some(group.line),
                    });
                    let shown = open
                        .iter()
                        .take(OPEN_SHOWN)
                        .map(|&i| format!("{} (line {})", describe(&members[i]), members[i].line))
                        .collect();
                    let more = open.len().saturating_sub(OPEN_SHOWN);
                    self.fail(
                        Some(group.line),
                        Some(index),
                        Kind::Group { open: shown, more },
                    );
                }
            }
        }
        // The output ended inside the group: one missing line per absent line.
        let absent = members.len() - (end - first);
        for &member in open.iter().take(absent) {
            let expected = describe(&members[member]);
            self.fail(Some(members[member].line), None, Kind::Missing { expected });
        }

        if let Some(spread) = group.spread {
            if end > first {
                let limit = spread * self.scale;
                let actual = self.lines[end - 1]
                    .at
                    .saturating_sub(self.lines[first].at)
                    .as_secs_f64();
                if actual > limit {
                    self.fail(Some(group.line), None, Kind::Spread { limit, actual });
                }
            }
        }
    }
}

/// Most characters of an observed line that a message repeats.
const CLIP: usize = 200;

/// `text`, cut to [`CLIP`] characters.
fn clip(text: &str) -> String {
    match text.char_indices().nth(CLIP) {
        Some((at, _)) => format!("{}… ({} more bytes)", &text[..at], text.len() - at),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
