//! Type names as Python's repr prints them: a type's short name, and a
//! boxed error's concrete type found at run time. A leaf: it imports
//! nothing from the rest of the crate but its public error types.

use std::any::{Any, type_name};

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
