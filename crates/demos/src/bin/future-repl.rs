//! Example 2a: a future made by hand, printed before and after `set_result`, then read.
//!
//! The tutorial shows a Python REPL session, and a REPL echoes every value as its repr: the
//! future as `<Future at 0x… state=pending>`, and the string `result()` returns as
//! `'Hello World'`, quotes included. Every line this demo prints is that repr, so its output is
//! the tutorial's lines exactly. A Rust program would print the bare string (`Hello World`) or
//! its `Debug` form (`"Hello World"`), but neither is what the tutorial shows; the future's
//! `Display` already mirrors Python's repr, so the string does too, through `python_repr`.

use std::error::Error;
use std::process::ExitCode;

use simple_future::Future;

/// Python's repr of a `str`: single quotes, unless the text holds a `'` and no `"`; the chosen
/// quote, backslashes and control characters escaped.
fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut repr = String::with_capacity(text.len() + 2);
    repr.push(quote);
    for c in text.chars() {
        match c {
            '\\' => repr.push_str("\\\\"),
            '\n' => repr.push_str("\\n"),
            '\r' => repr.push_str("\\r"),
            '\t' => repr.push_str("\\t"),
            c if c == quote => {
                repr.push('\\');
                repr.push(c);
            }
            c if c.is_control() => repr.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => repr.push(c),
        }
    }
    repr.push(quote);
    repr
}

fn run() -> Result<(), Box<dyn Error>> {
    // >>> fut = Future()
    let fut: Future<&'static str> = Future::new();
    println!("{fut}");

    // >>> fut.set_result("Hello World")
    fut.set_result("Hello World")?;
    println!("{fut}");

    // >>> fut.result()
    let result = fut.result()?;
    println!("{}", python_repr(result));
    Ok(())
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(run())
}
