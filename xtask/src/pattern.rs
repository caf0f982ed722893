//! The text of an expected line: literal characters and `{*}` wildcards.

use std::fmt;

/// A pattern that a whole output line must match.
///
/// Built from the unescaped contents of a quoted string: `{*}` matches any run of characters
/// (including none), `{{` is a literal `{`, and every other character stands for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// The unescaped text between the quotes, kept for messages.
    text: String,
    /// Literal pieces; a wildcard sits between each two neighbours. One piece means no
    /// wildcard at all.
    pieces: Vec<String>,
}

impl Pattern {
    /// Parses the unescaped contents of a quoted string.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = vec![String::new()];
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '{' {
                pieces.last_mut().expect("never empty").push(c);
                continue;
            }
            match chars.next() {
                Some('{') => pieces.last_mut().expect("never empty").push('{'),
                Some('*') if chars.peek() == Some(&'}') => {
                    chars.next();
                    pieces.push(String::new());
                }
                _ => {
                    return Err(
                        "a `{` must start the wildcard `{*}`; write `{{` for a literal `{`".into(),
                    );
                }
            }
        }
        Ok(Self {
            text: text.to_owned(),
            pieces,
        })
    }

    /// The pattern as written between the quotes, unescaped.
    pub(crate) fn source(&self) -> &str {
        &self.text
    }

    /// The one line this pattern matches, if it has no wildcard.
    pub(crate) fn literal(&self) -> Option<&str> {
        match &self.pieces[..] {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Whether `line` matches the pattern from its first character to its last.
    pub(crate) fn matches(&self, line: &str) -> bool {
        let (first, rest) = self.pieces.split_first().expect("never empty");
        let Some((last, middle)) = rest.split_last() else {
            return line == first;
        };
        let Some(mut rest) = line.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some(inner) = rest.strip_suffix(last.as_str()) else {
            return false;
        };
        rest = inner;
        // With only "any run" wildcards, taking each middle piece at its leftmost place is
        // never worse than a later place, so no backtracking is needed.
        for piece in middle {
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

impl fmt::Display for Pattern {
    /// Writes the pattern as it would be written in a transcript, quotes included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.text.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn literal_matches_exactly() {
        assert!(p("First Call").matches("First Call"));
        assert!(!p("First Call").matches("First Call "));
        assert!(!p("First Call").matches("first Call"));
        assert!(p("").matches(""));
        assert!(!p("").matches(" "));
    }

    #[test]
    fn wildcard_matches_any_run_including_empty() {
        let pat = p("Result is : {*}");
        assert!(pat.matches("Result is : 9"));
        assert!(pat.matches("Result is : "));
        assert!(!pat.matches("Result is :"));
        assert!(p("{*}").matches(""));
        assert!(p("{*}").matches("anything at all"));
        assert!(p("a{*}b{*}c").matches("abc"));
        assert!(p("a{*}b{*}c").matches("a-b-b-c"));
        assert!(!p("a{*}b{*}c").matches("a-c-b"));
        // Prefix and suffix must not share characters.
        assert!(!p("ab{*}ba").matches("aba"));
        assert!(p("{*}: 9}").matches("{'Value': 3, 'Result': 9}"));
    }

    #[test]
    fn only_a_pattern_without_wildcards_is_a_literal() {
        assert_eq!(p("a {{b}").literal(), Some("a {b}"));
        assert_eq!(p("").literal(), Some(""));
        assert_eq!(p("a{*}").literal(), None);
        assert_eq!(p("a{*}").source(), "a{*}");
    }

    #[test]
    fn double_brace_is_a_literal_brace() {
        let pat = p("{{'Value': {*}}");
        assert!(pat.matches("{'Value': 3}"));
        assert!(!pat.matches("'Value': 3}"));
        assert!(p("}").matches("}"));
    }

    #[test]
    fn lone_brace_is_rejected() {
        assert!(Pattern::parse("{'Value': 3}").is_err());
        assert!(Pattern::parse("{*").is_err());
        assert!(Pattern::parse("end {").is_err());
    }

    #[test]
    fn display_escapes_quotes_and_backslashes() {
        assert_eq!(p(r#"say "hi" \ {*}"#).to_string(), r#""say \"hi\" \\ {*}""#);
    }
}
