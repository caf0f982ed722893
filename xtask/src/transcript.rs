#![doc = include_str!("../TRANSCRIPTS.md")]

use std::fmt;
use std::time::Duration;

use crate::pattern::Pattern;

/// A parsed transcript: what one run of a demo must look like.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transcript {
    /// Expected exit code.
    pub(crate) exit: Directive<i32>,
    /// Hard limit on the run's wall time, before time scaling.
    pub(crate) timeout: Directive<Duration>,
    /// Largest CPU time allowed, in percent of the run's wall time.
    pub(crate) cpu_max: Option<Directive<f64>>,
    /// Smallest CPU time required, in percent of the run's wall time: for a
    /// demo whose point is that it spins.
    pub(crate) cpu_min: Option<Directive<f64>>,
    /// Most threads the demo's process may have at once.
    pub(crate) threads_max: Option<Directive<usize>>,
    /// Most memory the demo's process may hold (peak resident set), in bytes.
    pub(crate) rss_max: Option<Directive<u64>>,
    /// The expectations, in order.
    pub(crate) items: Vec<Item>,
}

/// A header value and the line that set it (`None`: the default applies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Directive<T> {
    pub(crate) value: T,
    pub(crate) line: Option<usize>,
}

/// One step of the expected output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// The next observed line.
    Line(Expect),
    /// The next `members.len()` observed lines, in any order.
    Group(Group),
}

/// One expected line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expect {
    pub(crate) pattern: Pattern,
    /// When the line must arrive, counted from the current origin.
    pub(crate) window: Option<Window>,
    /// Whether this line's arrival becomes the origin of later windows.
    pub(crate) origin: bool,
    /// 1-based line in the transcript.
    pub(crate) line: usize,
}

/// An `unordered` group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub(crate) members: Vec<Expect>,
    /// Most seconds allowed between the group's first and last line, before time scaling.
    pub(crate) spread: Option<f64>,
    /// 1-based line of the `unordered` keyword.
    pub(crate) line: usize,
}

/// An arrival window in seconds after the origin, both ends included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

impl Window {
    /// The window with its upper bound widened by `scale`. The lower bound stays: a timer
    /// never fires early, however slow the machine.
    pub(crate) fn scaled(self, scale: f64) -> Self {
        Self {
            lo: self.lo,
            hi: self.hi * scale,
        }
    }

    /// Whether `secs` lies inside the window.
    pub(crate) fn contains(self, secs: f64) -> bool {
        self.lo <= secs && secs <= self.hi
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}..{:.3} s", self.lo, self.hi)
    }
}

/// A malformed transcript: what is wrong and on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// 1-based line.
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Default `timeout` when the header sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest `timeout` a transcript may set. A demo runs for seconds; a longer timeout is a
/// typo, and this bound keeps every scaled deadline representable.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The UTF-8 byte-order mark some editors put at the start of a file.
const BOM: char = '\u{feff}';

/// Parses a transcript. The first problem found is returned.
///
/// A UTF-8 byte-order mark at the very start is skipped; anywhere else, outside quotes, it is
/// an error that names it.
pub(crate) fn parse(source: &str) -> Result<Transcript, ParseError> {
    let source = source.strip_prefix(BOM).unwrap_or(source);
    let mut parser = Parser {
        transcript: Transcript {
            exit: Directive {
                value: 0,
                line: None,
            },
            timeout: Directive {
                value: DEFAULT_TIMEOUT,
                line: None,
            },
            cpu_max: None,
            cpu_min: None,
            threads_max: None,
            rss_max: None,
            items: Vec::new(),
        },
        group: None,
    };
    for (index, text) in source.lines().enumerate() {
        let line = index + 1;
        let tokens = tokenize(text).map_err(|message| ParseError { line, message })?;
        parser
            .line(line, tokens)
            .map_err(|message| ParseError { line, message })?;
    }
    if let Some(group) = parser.group {
        return Err(ParseError {
            line: group.line,
            message: "this `unordered` group is never closed with `}`".into(),
        });
    }
    let t = &parser.transcript;
    if let (Some(min), Some(max)) = (t.cpu_min, t.cpu_max) {
        if min.value > max.value {
            let (min_line, max_line) = (min.line.unwrap_or(0), max.line.unwrap_or(0));
            return Err(ParseError {
                line: min_line.max(max_line),
                message: format!(
                    "`cpu min {}%` (line {min_line}) is above `cpu max {}%` (line {max_line}): \
                     no run can pass",
                    min.value, max.value
                ),
            });
        }
    }
    Ok(parser.transcript)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Escaped, so that an invisible character (a stray byte-order mark, a control
            // character) shows in the message.
            Token::Word(w) if w.contains(BOM) => write!(
                f,
                "`{}` (it holds a UTF-8 byte-order mark, U+FEFF)",
                w.escape_debug()
            ),
            Token::Word(w) => write!(f, "`{}`", w.escape_debug()),
            Token::Str(s) => write!(f, "the string {s:?}"),
            Token::Open => f.write_str("`{`"),
            Token::Close => f.write_str("`}`"),
        }
    }
}

/// Splits one line into tokens, dropping a `#` comment outside quotes.
fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '#' => break,
            c if c.is_whitespace() => {
                chars.next();
            }
            '{' => {
                chars.next();
                tokens.push(Token::Open);
            }
            '}' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string: a closing `\"` is missing".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => s.push(e),
                            Some(e) => {
                                return Err(format!(
                                    "unknown escape `\\{e}` (only `\\\"` and `\\\\` exist)"
                                ));
                            }
                            None => return Err("unterminated string: it ends in `\\`".into()),
                        },
                        Some(c) => s.push(c),
                    }
                }
                tokens.push(Token::Str(s));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '#' | '"' | '{' | '}') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    transcript: Transcript,
    /// The `unordered` group being read, if any.
    group: Option<Group>,
}

impl Parser {
    fn line(&mut self, line: usize, tokens: Vec<Token>) -> Result<(), String> {
        let mut tokens = tokens.into_iter();
        let Some(first) = tokens.next() else {
            return Ok(());
        };
        match first {
            Token::Word(w)
                if matches!(w.as_str(), "exit" | "timeout" | "cpu" | "threads" | "rss") =>
            {
                self.directive(line, &w, &mut tokens)?;
            }
            Token::Word(w) if w == "origin" => {
                if self.group.is_some() {
                    return Err("`origin` cannot appear inside an `unordered` group".into());
                }
                let Some(Token::Str(text)) = tokens.next() else {
                    return Err("`origin` must be followed by a quoted line".into());
                };
                let mut expect = expectation(line, &text, &mut tokens)?;
                expect.origin = true;
                self.transcript.items.push(Item::Line(expect));
            }
            Token::Str(text) => {
                let expect = expectation(line, &text, &mut tokens)?;
                match &mut self.group {
                    Some(group) => group.members.push(expect),
                    None => self.transcript.items.push(Item::Line(expect)),
                }
            }
            Token::Word(w) if w == "unordered" => {
                if let Some(group) = &self.group {
                    return Err(format!(
                        "groups do not nest (the group opened at line {} is still open)",
                        group.line
                    ));
                }
                let mut spread = None;
                let mut next = tokens.next();
                if next == Some(Token::Word("spread".into())) {
                    let Some(Token::Word(s)) = tokens.next() else {
                        return Err(
                            "`spread` must be followed by seconds, e.g. `spread 0.5`".into()
                        );
                    };
                    spread = Some(seconds(&s)?);
                    next = tokens.next();
                }
                if next != Some(Token::Open) {
                    return Err("expected `{` at the end of the `unordered` line".into());
                }
                end(&mut tokens, "`{`")?;
                self.group = Some(Group {
                    members: Vec::new(),
                    spread,
                    line,
                });
            }
            Token::Close => {
                let Some(group) = self.group.take() else {
                    return Err("`}` without an open `unordered` group".into());
                };
                end(&mut tokens, "`}` (it must stand on its own line)")?;
                if group.members.is_empty() {
                    return Err(format!("the group opened at line {} is empty", group.line));
                }
                self.transcript.items.push(Item::Group(group));
            }
            other => {
                return Err(format!(
                    "unexpected {other}: a line holds a quoted expectation, `origin`, \
                     `unordered`, `}}`, or a header directive (`exit`, `timeout`, `cpu max`, `cpu min`, \
                     `threads max`, `rss max`)"
                ));
            }
        }
        Ok(())
    }

    fn directive(
        &mut self,
        line: usize,
        name: &str,
        tokens: &mut impl Iterator<Item = Token>,
    ) -> Result<(), String> {
        if !self.transcript.items.is_empty() || self.group.is_some() {
            return Err(format!(
                "`{name}` is a header directive: it must come before the first expectation"
            ));
        }
        let arg = |tokens: &mut dyn Iterator<Item = Token>, what: &str| match tokens.next() {
            Some(Token::Word(w)) => Ok(w),
            _ => Err(format!("`{name}` must be followed by {what}")),
        };
        // `cpu` takes its bound first, so that `cpu max` and `cpu min` are
        // two directives.
        let name = match name {
            "cpu" => match arg(tokens, "`max` or `min`, as in `cpu max 20%`")?.as_str() {
                "max" => "cpu max",
                "min" => "cpu min",
                _ => {
                    return Err(
                        "`cpu` must be followed by `max` or `min`, as in `cpu max 20%`".into(),
                    );
                }
            },
            "threads" | "rss" => {
                let example = if name == "threads" {
                    "`threads max 1`"
                } else {
                    "`rss max 64MiB`"
                };
                match arg(tokens, &format!("`max`, as in {example}"))?.as_str() {
                    "max" if name == "threads" => "threads max",
                    "max" => "rss max",
                    _ => {
                        return Err(format!(
                            "`{name}` must be followed by `max`, as in {example}"
                        ));
                    }
                }
            }
            other => other,
        };
        let t = &mut self.transcript;
        let earlier = match name {
            "exit" => t.exit.line,
            "timeout" => t.timeout.line,
            "cpu max" => t.cpu_max.and_then(|d| d.line),
            "threads max" => t.threads_max.and_then(|d| d.line),
            "rss max" => t.rss_max.and_then(|d| d.line),
            _ => t.cpu_min.and_then(|d| d.line),
        };
        if let Some(earlier) = earlier {
            return Err(format!("duplicate `{name}` (first set at line {earlier})"));
        }
        let line = Some(line);
        match name {
            "exit" => {
                let code = arg(tokens, "an exit code, e.g. `exit 0`")?;
                let value = code
                    .parse::<i32>()
                    .map_err(|_| format!("`{code}` is not an exit code"))?;
                if !(0..=255).contains(&value) {
                    return Err(format!(
                        "`exit {code}` can never pass: a process exits with a code from 0 to 255"
                    ));
                }
                t.exit = Directive { value, line };
            }
            "timeout" => {
                let d = arg(tokens, "a duration, e.g. `timeout 15s` or `timeout 500ms`")?;
                t.timeout = Directive {
                    value: duration(&d)?,
                    line,
                };
            }
            "threads max" => {
                let n = arg(tokens, "a number of threads, e.g. `threads max 1`")?;
                let value = match n.parse::<usize>() {
                    Ok(0) => {
                        return Err("`threads max 0` can never pass: a process has a thread".into());
                    }
                    Ok(value) => value,
                    Err(_) => return Err(format!("`{n}` is not a number of threads")),
                };
                t.threads_max = Some(Directive { value, line });
            }
            "rss max" => {
                let size = arg(tokens, "a size, e.g. `rss max 64MiB`")?;
                t.rss_max = Some(Directive {
                    value: bytes(&size)?,
                    line,
                });
            }
            _ => {
                let p = arg(tokens, "a percentage, e.g. `cpu max 20%`")?;
                let Some(number) = p.strip_suffix('%') else {
                    return Err(format!("`{p}` is not a percentage like `20%`"));
                };
                let value = decimal(number).ok_or_else(|| format!("`{p}` is not a percentage"))?;
                let directive = Some(Directive { value, line });
                if name == "cpu max" {
                    t.cpu_max = directive;
                } else {
                    t.cpu_min = directive;
                }
            }
        }
        end(tokens, &format!("`{name}`"))
    }
}

/// Reads the rest of an expectation line after its quoted text.
fn expectation(
    line: usize,
    text: &str,
    tokens: &mut impl Iterator<Item = Token>,
) -> Result<Expect, String> {
    let pattern = Pattern::parse(text)?;
    let mut window = None;
    match tokens.next() {
        None => {}
        Some(Token::Word(w)) if w == "at" => {
            let Some(Token::Word(range)) = tokens.next() else {
                return Err("`at` must be followed by a window, e.g. `at 1.0..1.4`".into());
            };
            window = Some(parse_window(&range)?);
            end(tokens, "the window")?;
        }
        Some(other) => {
            return Err(format!(
                "unexpected {other} after the quoted line (expected `at A..B` or nothing)"
            ));
        }
    }
    Ok(Expect {
        pattern,
        window,
        origin: false,
        line,
    })
}

/// Fails if any token is left on the line.
fn end(tokens: &mut impl Iterator<Item = Token>, after: &str) -> Result<(), String> {
    match tokens.next() {
        None => Ok(()),
        Some(t) => Err(format!("unexpected {t} after {after}")),
    }
}

fn parse_window(range: &str) -> Result<Window, String> {
    let bad = || format!("`{range}` is not a window like `1.0..1.4` (seconds, low..high)");
    let (lo, hi) = range.split_once("..").ok_or_else(bad)?;
    let (lo, hi) = (decimal(lo).ok_or_else(bad)?, decimal(hi).ok_or_else(bad)?);
    if lo > hi {
        return Err(format!(
            "window `{range}` is empty: its low end is above its high end"
        ));
    }
    Ok(Window { lo, hi })
}

fn seconds(s: &str) -> Result<f64, String> {
    decimal(s).ok_or_else(|| format!("`{s}` is not a number of seconds like `0.5`"))
}

/// `15s`, `1.5s` or `500ms`; never zero.
fn duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration like `15s` or `500ms`");
    let secs = if let Some(ms) = s.strip_suffix("ms") {
        decimal(ms).ok_or_else(bad)? / 1000.0
    } else if let Some(secs) = s.strip_suffix('s') {
        decimal(secs).ok_or_else(bad)?
    } else {
        return Err(bad());
    };
    if secs <= 0.0 {
        return Err(format!("timeout `{s}` must be longer than zero"));
    }
    // `try_from` fails only for durations far beyond the maximum.
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d.is_zero() => Err(format!("timeout `{s}` must be longer than zero")),
        Ok(d) if d <= MAX_TIMEOUT => Ok(d),
        _ => Err(format!(
            "timeout `{s}` is too long: at most {}s (a day) is allowed",
            MAX_TIMEOUT.as_secs()
        )),
    }
}

/// `512KiB`, `64MiB` or `1GiB` (a whole number), in bytes; never zero.
fn bytes(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a size like `64MiB` (a whole number of KiB, MiB or GiB)");
    let (number, shift) = [("KiB", 10), ("MiB", 20), ("GiB", 30)]
        .into_iter()
        .find_map(|(unit, shift)| Some((s.strip_suffix(unit)?, shift)))
        .ok_or_else(bad)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
    {
        Some(0) => Err(format!(
            "`rss max {s}` can never pass: a process holds some memory"
        )),
        Some(value) => Ok(value),
        None => Err(format!("`{s}` is too large")),
    }
}

/// A plain non-negative decimal: digits with at most one `.`, and finite. (`f64::from_str`
/// alone would also take `inf`, `NaN` and `1e3`, and turns 400 digits into infinity.)
fn decimal(s: &str) -> Option<f64> {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let dots = s.chars().filter(|&c| c == '.').count();
    if digits == 0 || dots > 1 || digits + dots != s.len() {
        return None;
    }
    s.parse().ok().filter(|x: &f64| x.is_finite())
}

#[cfg(test)]
mod tests;
