//! A global allocator that counts the bytes it holds, for the tests that
//! show memory stays flat: declare it as the test binary's
//! `#[global_allocator]` and compare [`Counting::live_bytes`] before and after.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// `System`, counting the bytes it holds.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

impl Counting {
    /// The bytes allocated through it and not yet freed.
    pub fn live_bytes() -> isize {
        LIVE.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// side effect that allocates nothing.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}
