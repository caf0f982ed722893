//! How a future prints: `Display` mirrors Python's repr, address and all;
//! `Debug` is the same without the address, so it is deterministic.

use std::fmt;

use crate::future::Future;
use crate::names::short_type_name;
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
