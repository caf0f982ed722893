//! How a future prints: `Display` mirrors Python's repr, address and all;
//! `Debug` is the same without the address, so it is deterministic.

use std::any::{Any, type_name};
use std::fmt;

use crate::future::Future;
use crate::observer::Observer;
use crate::shared::Outcome;

impl<T, E> Observer<T, E> {
    /// `state=…` and, when finished, `returned T` / `raised E`.
    fn write_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared();
        // One read of the state: the outcome only counts if that read saw
        // it done, or a completion in between prints `running returned …`.
        let state = shared.state();
        write!(f, "state={state}")?;
        match shared.outcome().filter(|_| state.is_done()) {
            Some(Outcome::Returned(_)) => write!(f, " returned {}", short_type_name::<T>()),
            Some(Outcome::Raised(error)) => write!(f, " raised {}", self.exception_name(error)),
            _ => Ok(()),
        }
    }

    /// The exception's type: its own, for a boxed error.
    fn exception_name(&self, error: &E) -> String {
        self.shared()
            .exception_name(error)
            .unwrap_or_else(short_type_name::<E>)
    }
}

/// Python's repr: `<Future at 0x7f… state=pending>`, then
/// `state=finished returned str` (the value's type, without its path),
/// `state=finished raised …`, `state=cancelled`, and, beyond Python,
/// `state=running` and `state=abandoned`.
impl<T, E> fmt::Display for Observer<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Future at {:p} ", self.shared().address())?;
        self.write_state(f)?;
        f.write_str(">")
    }
}

/// The same text as [`Observer`]'s: the handle kind does not change what
/// the future is.
impl<T, E> fmt::Display for Future<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T, E> Observer<T, E> {
    fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared();
        let mut out = f.debug_struct(name);
        let state = shared.state();
        out.field("state", &state);
        match shared.outcome().filter(|_| state.is_done()) {
            Some(Outcome::Returned(_)) => {
                out.field("returned", &format_args!("{}", short_type_name::<T>()))
            }
            Some(Outcome::Raised(error)) => {
                out.field("raised", &format_args!("{}", self.exception_name(error)))
            }
            _ => &mut out,
        };
        out.finish()
    }
}

/// `Observer { state: Finished, returned: str }`: no address and no value
/// (so no `T: Debug` bound), and it never blocks.
impl<T, E> fmt::Debug for Observer<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("Observer", f)
    }
}

/// `Future { state: Pending }`, like [`Observer`]'s.
impl<T, E> fmt::Debug for Future<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("Future", f)
    }
}

/// The concrete type's name of a boxed error (`E` is
/// [`Exception`](crate::Exception)), found at run time: `None` for any other
/// `E`, whose static name is the answer.
///
/// A `dyn Error` does not know its type's name, so this asks it in two
/// ways: a downcast to this crate's exceptions and to `std::io::Error`, and
/// otherwise the head of its `Debug` text, which a derived `Debug` starts
/// with the type's name (`TimeoutError`, `ParseIntError { kind: … }`). An
/// error whose `Debug` does not start with a name (the string errors of
/// `"text".into()` print as a quoted string) keeps the static name.
pub(crate) fn dynamic_type_name<E: 'static>(error: &E) -> Option<String> {
    let error: &(dyn std::error::Error + 'static) =
        &**(error as &dyn Any).downcast_ref::<crate::Exception>()?;
    if error.is::<crate::Panicked>() {
        return Some("Panicked".to_owned());
    }
    if error.is::<crate::Broken>() {
        return Some("Broken".to_owned());
    }
    if error.is::<std::io::Error>() {
        return Some("io::Error".to_owned());
    }
    debug_head(&format!("{error:?}"))
}

/// The type name a derived `Debug` text starts with, without its path.
fn debug_head(debug: &str) -> Option<String> {
    let end = debug
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(debug.len());
    let name = last_path_segment(&debug[..end]);
    let starts_like_a_type = name.starts_with(|c: char| c.is_uppercase());
    starts_like_a_type.then(|| name.to_owned())
}

/// A type's name without module paths or a leading reference:
/// `alloc::string::String` is `String`, `&'static str` is `str`,
/// `alloc::vec::Vec<core::option::Option<u8>>` is `Vec<Option<u8>>`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    shorten(type_name::<T>())
}

fn shorten(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    for (i, c) in full.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            continue;
        }
        out.push_str(last_path_segment(&full[segment_start..i]));
        out.push(c);
        segment_start = i + c.len_utf8();
    }
    out.push_str(last_path_segment(&full[segment_start..]));
    strip_reference(&out).to_owned()
}

fn last_path_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn strip_reference(name: &str) -> &str {
    let Some(rest) = name.strip_prefix('&') else {
        return name;
    };
    let rest = match rest.strip_prefix('\'') {
        // `&'a T`: skip the lifetime and its space.
        Some(lifetime) => lifetime.split_once(' ').map_or(rest, |(_, t)| t),
        None => rest,
    };
    rest.strip_prefix("mut ").unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::{debug_head, shorten};

    #[test]
    fn takes_the_type_name_from_the_head_of_a_debug_text() {
        assert_eq!(debug_head("TimeoutError").as_deref(), Some("TimeoutError"));
        assert_eq!(
            debug_head("ParseIntError { kind: InvalidDigit }").as_deref(),
            Some("ParseIntError")
        );
        assert_eq!(debug_head("Wrapped(3)").as_deref(), Some("Wrapped"));
        assert_eq!(debug_head("my::errors::Late").as_deref(), Some("Late"));
        assert_eq!(debug_head("\"plain text\""), None);
        assert_eq!(debug_head("lowercase"), None);
        assert_eq!(debug_head(""), None);
    }

    #[test]
    fn shortens_type_names() {
        assert_eq!(shorten("alloc::string::String"), "String");
        assert_eq!(shorten("&str"), "str");
        assert_eq!(shorten("&'static str"), "str");
        assert_eq!(shorten("&mut [u8]"), "[u8]");
        assert_eq!(shorten("i32"), "i32");
        assert_eq!(
            shorten("alloc::vec::Vec<core::option::Option<u8>>"),
            "Vec<Option<u8>>"
        );
        assert_eq!(
            shorten(
                "alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>"
            ),
            "Box<dyn Error + Send + Sync>"
        );
        assert_eq!(shorten("(i32, alloc::string::String)"), "(i32, String)");
    }
}
