//! How a future prints: `Display` mirrors Python's repr, address and all;
//! `Debug` is the same without the address, so it is deterministic.

use std::any::type_name;
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
            Some(Outcome::Raised(_)) => write!(f, " raised {}", short_type_name::<E>()),
            _ => Ok(()),
        }
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
            Some(Outcome::Raised(_)) => {
                out.field("raised", &format_args!("{}", short_type_name::<E>()))
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
    use super::shorten;

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
