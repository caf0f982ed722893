//! The operating system, below the loop: the few system calls std lacks
//! (`sys`, one file per OS family), the readiness set that waits on them
//! (epoll on Linux; `poll_set`, poll(2) behind epoll's interface, on other
//! Unixes), and the reactor, which keeps the registered descriptors and
//! turns the kernel's readiness into due callbacks and woken tasks. It
//! imports only the loop's state (`state`) from the rest of the crate.

// poll(2), where the loop waits with it: other Unixes, and Linux built with
// `--cfg poll_loop_force_poll` (to test that backend); its unit tests run
// on every build.
#[cfg(all(unix, any(not(target_os = "linux"), poll_loop_force_poll, test)))]
pub(crate) mod poll_set;
pub(crate) mod reactor;
pub(crate) mod sys;
// `WSAPoll`, where the loop waits with it: Windows.
#[cfg(windows)]
pub(crate) mod wsapoll_set;
// The bookkeeping the two share.
#[cfg(any(
    windows,
    all(unix, any(not(target_os = "linux"), poll_loop_force_poll, test))
))]
pub(crate) mod watched;
