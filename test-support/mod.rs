//! Test helpers shared by the behaviour tests of cb-timer, simple-future and
//! poll-loop: a `tracing` subscriber that records what it sees, a counter, a drop
//! guard, waiting without hanging, and an allocator that counts.
//!
//! This folder is not a crate. Each library crate's `tests/helpers/support/` holds
//! symbolic links to these files, so there is one source, and `cargo package`
//! copies their contents into each crate's package: a published crate's tests
//! build from its own `.crate`, with no unpublished dev-dependency.

// Each test binary uses a subset, and the items are `pub` for the test crate's
// own helpers to re-export.
#![allow(dead_code, unused_imports, unreachable_pub)]

mod counting;
mod tracking;
mod waiting;

pub use counting::Counting;
pub use tracking::{Counter, DropFlag, DropGuard, drop_guard};
pub use waiting::{wait_until, without_hanging};

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One `tracing` event or span, as the [`Collector`] saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The event's or span's level.
    pub level: Level,
    /// The event's message, or the span's name.
    pub message: String,
    /// True for a span, false for an event.
    pub is_span: bool,
    /// Every other field, as `name=value` (strings without quotes).
    pub fields: Vec<String>,
}

impl Seen {
    /// The value of the field `name`, as text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
    }
}

/// A subscriber that records every event and span; clones share one record.
///
/// Install it for a thread (`tracing::subscriber::with_default`) or, when the
/// code under test emits from its own threads, for the process
/// (`tracing::subscriber::set_global_default`, once per test binary).
#[derive(Clone, Debug, Default)]
pub struct Collector {
    seen: Arc<Mutex<Vec<Seen>>>,
    next_span: Arc<AtomicU64>,
}

impl Collector {
    /// Everything recorded so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().clone()
    }

    /// The events whose message contains `message`, in order.
    pub fn events(&self, message: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| !s.is_span && s.message.contains(message))
            .collect()
    }

    /// The spans named `name`, in order.
    pub fn spans(&self, name: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.is_span && s.message == name)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Seen>> {
        // A test that panicked while recording still leaves whole records.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Fields<'a>(&'a mut Seen);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0.message = format!("{value:?}");
        } else {
            self.0.fields.push(format!("{}={value:?}", field.name()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

impl Subscriber for Collector {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut seen = Seen {
            level: *span.metadata().level(),
            message: span.metadata().name().to_owned(),
            is_span: true,
            fields: Vec::new(),
        };
        span.record(&mut Fields(&mut seen));
        self.lock().push(seen);
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut seen = Seen {
            level: *event.metadata().level(),
            message: String::new(),
            is_span: false,
            fields: Vec::new(),
        };
        event.record(&mut Fields(&mut seen));
        self.lock().push(seen);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
