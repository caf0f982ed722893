//! `add_reader`/`add_writer`: level-triggered readiness callbacks, in the
//! order the rules say, safe to change from inside, and never run for a
//! descriptor that was removed or closed.
#![cfg(unix)]

mod helpers;

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::thread;

use helpers::{DropFlag, Log, drop_guard, ms, strict, without_hanging};
use poll_loop::{EventLoop, LoopHandle};

/// A connected pair of non-blocking Unix sockets.
fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

#[test]
fn a_reader_runs_once_per_iteration_while_its_fd_stays_readable() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (ours, mut theirs) = pair();
        theirs.write_all(b"x").unwrap();
        let calls = Rc::new(Cell::new(0));
        let iterations = Rc::new(Cell::new(Vec::new()));
        let (c, it, h) = (calls.clone(), iterations.clone(), lp.handle());
        let fd = ours.as_raw_fd();
        lp.add_reader(&fd, move || {
            // Never reads: level-triggered, it is called again and again.
            c.set(c.get() + 1);
            let mut seen = it.take();
            seen.push(h.stats().iterations);
            it.set(seen);
            if c.get() == 3 {
                assert!(h.remove_reader(&fd));
            }
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(calls.get(), 3);
        let seen = iterations.take();
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "one call per iteration: {seen:?}"
        );
        drop(ours);
    });
}

#[test]
fn a_reader_does_not_run_until_its_fd_is_readable() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (mut ours, theirs) = pair();
        let log = Log::new();
        let (l, h, fd) = (log.clone(), lp.handle(), ours.as_raw_fd());
        lp.add_reader(&fd, move || {
            let mut buf = [0; 8];
            let n = ours.read(&mut buf).unwrap();
            l.push(format!(
                "read {:?}",
                std::str::from_utf8(&buf[..n]).unwrap()
            ));
            h.remove_reader(&fd);
        })
        .unwrap();
        let (l, mut theirs) = (log.clone(), theirs);
        lp.call_later(ms(30), move || {
            l.push("write".to_string());
            theirs.write_all(b"hi").unwrap();
        });
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["write", r#"read "hi""#]);
        // It slept in between, rather than asking again and again.
        assert!(lp.stats().iterations < 20, "{:?}", lp.stats());
    });
}

#[test]
fn for_one_fd_the_reader_runs_before_the_writer() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (ours, mut theirs) = pair();
        theirs.write_all(b"x").unwrap(); // readable, and writable as ever
        let log = Log::new();
        let fd = ours.as_raw_fd();
        let (l, h) = (log.clone(), lp.handle());
        lp.add_writer(&fd, move || {
            l.push("writer");
            h.remove_writer(&fd);
        })
        .unwrap();
        let (l, h) = (log.clone(), lp.handle());
        lp.add_reader(&fd, move || {
            l.push("reader");
            h.remove_reader(&fd);
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["reader", "writer"]);
        drop(ours);
    });
}

#[test]
fn every_fd_ready_in_one_poll_runs_before_what_their_callbacks_schedule() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let log = Log::new();
        let mut keep = Vec::new();
        for name in ["a", "b", "c"] {
            let (ours, mut theirs) = pair();
            theirs.write_all(b"x").unwrap();
            let (l, h, fd) = (log.clone(), lp.handle(), ours.as_raw_fd());
            lp.add_reader(&fd, move || {
                l.push(name.to_string());
                h.call_soon(l.recording(format!("soon {name}")));
                h.remove_reader(&fd);
            })
            .unwrap();
            keep.push((ours, theirs));
        }
        lp.run_until_idle().unwrap();
        let events = log.events();
        let (fds, soons) = events.split_at(3);
        let mut fds = fds.to_vec();
        fds.sort();
        assert_eq!(fds, ["a", "b", "c"], "{events:?}");
        assert!(soons.iter().all(|e| e.starts_with("soon")), "{events:?}");
    });
}

#[test]
fn end_of_file_makes_the_reader_ready_and_read_returns_zero() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (mut ours, theirs) = pair();
        drop(theirs);
        let got = Rc::new(Cell::new(None));
        let (g, h, fd) = (got.clone(), lp.handle(), ours.as_raw_fd());
        lp.add_reader(&fd, move || {
            g.set(Some(ours.read(&mut [0; 8]).unwrap()));
            h.remove_reader(&fd);
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(got.get(), Some(0));
    });
}

#[test]
fn a_callback_removed_by_another_in_the_same_poll_never_runs() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (a, mut a_peer) = pair();
        let (b, mut b_peer) = pair();
        a_peer.write_all(b"x").unwrap();
        b_peer.write_all(b"x").unwrap();
        let log = Log::new();
        // Whichever runs first removes both: the other was ready in the
        // same poll, and must not run.
        let (fa, fb) = (a.as_raw_fd(), b.as_raw_fd());
        for (name, fd) in [("a", fa), ("b", fb)] {
            let (l, h) = (log.clone(), lp.handle());
            lp.add_reader(&fd, move || {
                l.push(name);
                h.remove_reader(&fa);
                h.remove_reader(&fb);
            })
            .unwrap();
        }
        lp.run_until_idle().unwrap();
        assert_eq!(log.len(), 1, "{:?}", log.events());
        drop((a, b));
    });
}

#[test]
fn a_callback_may_remove_and_re_register_its_own_fd() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (ours, mut theirs) = pair();
        theirs.write_all(b"xy").unwrap();
        let ours = Rc::new(ours);
        let log = Log::new();

        fn second(lp: &poll_loop::LoopHandle, ours: Rc<UnixStream>, log: Log<&'static str>) {
            let h = lp.clone();
            lp.add_reader(&ours.as_raw_fd(), move || {
                let mut buf = [0; 1];
                (&*ours).read_exact(&mut buf).unwrap();
                log.push("second");
                h.remove_reader(&ours.as_raw_fd());
            })
            .unwrap();
        }

        let (l, h, o) = (log.clone(), lp.handle(), ours.clone());
        lp.add_reader(&ours.as_raw_fd(), move || {
            let mut buf = [0; 1];
            (&*o).read_exact(&mut buf).unwrap();
            l.push("first");
            // Replaces this very callback (which is dropped once it
            // returns), and the new one waits for the next poll.
            assert!(h.remove_reader(&o.as_raw_fd()));
            second(&h, o.clone(), l.clone());
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(log.events(), ["first", "second"]);
    });
}

#[test]
fn a_callback_may_close_its_own_fd() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (ours, mut theirs) = pair();
        theirs.write_all(b"x").unwrap();
        let fd = ours.as_raw_fd();
        let slot = Rc::new(Cell::new(Some(ours)));
        let (s, h) = (slot.clone(), lp.handle());
        lp.add_reader(&fd, move || {
            let mut ours = s.take().unwrap();
            ours.read_exact(&mut [0; 1]).unwrap();
            h.remove_reader(&fd);
            drop(ours); // closes it
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        assert!(slot.take().is_none());
        // The peer sees it closed.
        theirs.set_nonblocking(false).unwrap();
        assert_eq!(theirs.read(&mut [0; 1]).unwrap(), 0);
    });
}

#[test]
fn a_fd_closed_while_registered_never_runs_its_callbacks_and_never_spins() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, mut theirs) = pair();
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        lp.add_reader(&ours, move || c.set(c.get() + 1)).unwrap();
        drop(ours); // closed without being removed: a bug the loop survives
        theirs.write_all(b"x").ok();
        let h = lp.handle();
        lp.call_later(ms(50), move || h.stop());
        lp.run_forever().unwrap();
        assert_eq!(calls.get(), 0);
        assert!(lp.stats().iterations < 50, "spinning: {:?}", lp.stats());
    });
}

#[test]
fn a_fd_closed_while_another_keeps_its_file_open_is_dropped_not_spun_on() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, mut theirs) = pair();
        let other = ours.try_clone().unwrap(); // keeps the file open
        let calls = Rc::new(Cell::new(0));
        let (guard, dropped) = drop_guard();
        let c = calls.clone();
        lp.add_reader(&ours, move || {
            guard.touch();
            c.set(c.get() + 1);
        })
        .unwrap();
        drop(ours);
        // Readable, and the kernel still watches the file under the old
        // registration.
        theirs.write_all(b"x").unwrap();
        let h = lp.handle();
        lp.call_later(ms(50), move || h.stop());
        lp.run_forever().unwrap();
        assert_eq!(calls.get(), 0);
        assert!(
            dropped.dropped(),
            "the dead registration's callback is dropped"
        );
        assert!(lp.stats().iterations < 50, "spinning: {:?}", lp.stats());
        drop(other);
    });
}

#[test]
fn a_number_reused_after_close_starts_a_fresh_registration() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let (old, _old_peer) = pair();
        let fd = old.as_raw_fd();
        let (guard, writer_dropped) = drop_guard();
        lp.add_writer(&fd, move || guard.touch()).unwrap();
        drop(old); // closed while its writer is registered
        let (new, mut new_peer) = pair();
        new_peer.write_all(b"x").unwrap();
        let got = Rc::new(Cell::new(false));
        let (g, h, nfd) = (got.clone(), lp.handle(), new.as_raw_fd());
        lp.add_reader(&nfd, move || {
            g.set(true);
            h.remove_reader(&nfd);
        })
        .unwrap();
        if nfd == fd {
            // The usual case (the lowest free number is reused): the
            // closed socket's writer belonged to another file, and is
            // dropped, never called.
            assert!(writer_dropped.dropped());
        } else {
            lp.remove_writer(&fd);
        }
        lp.run_until_idle().unwrap();
        assert!(got.get());
        drop(new);
    });
}

#[test]
#[cfg_attr(miri, ignore = "miri's epoll cannot watch a file at all")]
fn a_regular_file_is_refused_with_an_error_and_nothing_is_registered() {
    let lp = EventLoop::new();
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let (guard, dropped) = drop_guard();
    let err = lp.add_reader(&file, move || guard.touch()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(dropped.dropped());
    assert!(!lp.remove_reader(&file));
    lp.run_until_idle().unwrap(); // idle: nothing registered
}

#[test]
#[cfg_attr(miri, ignore = "unwinding under miri outlasts the scenario's patience")]
fn a_panicking_callback_is_reported_and_stays_registered() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, mut theirs) = pair();
        theirs.write_all(b"x").unwrap();
        let reports = Rc::new(Cell::new(0));
        let r = reports.clone();
        lp.set_exception_handler(move |_, _| r.set(r.get() + 1));
        let calls = Rc::new(Cell::new(0));
        let (c, h, fd) = (calls.clone(), lp.handle(), ours.as_raw_fd());
        lp.add_reader(&fd, move || {
            c.set(c.get() + 1);
            if c.get() == 2 {
                h.remove_reader(&fd);
            }
            panic!("reader failed");
        })
        .unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(calls.get(), 2);
        assert_eq!(reports.get(), 2);
        drop(ours);
    });
}

#[test]
#[cfg_attr(miri, ignore = "too slow under miri")]
fn ten_thousand_registered_fds_only_the_ready_ones_run() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let pairs: Vec<_> = (0..5_000)
            .map(|_| {
                UnixStream::pair().unwrap_or_else(|err| {
                    panic!("this test needs 10,000 file descriptors (ulimit -n): {err}")
                })
            })
            .collect();
        let fired = Rc::new(Cell::new(Vec::new()));
        for (i, (a, b)) in pairs.iter().enumerate() {
            for (k, fd) in [a.as_raw_fd(), b.as_raw_fd()].into_iter().enumerate() {
                let (f, h) = (fired.clone(), lp.handle());
                lp.add_reader(&fd, move || {
                    let mut seen = f.take();
                    seen.push(2 * i + k);
                    f.set(seen);
                    h.remove_reader(&fd);
                })
                .unwrap();
            }
        }
        // Make every 50th pair's second end readable.
        let mut expected = Vec::new();
        for (i, (a, _)) in pairs.iter().enumerate().step_by(50) {
            (&*a).write_all(b"x").unwrap();
            expected.push(2 * i + 1);
        }
        let (f, h, n) = (fired.clone(), lp.handle(), expected.len());
        lp.call_soon(move || {
            fn check(h: poll_loop::LoopHandle, f: Rc<Cell<Vec<usize>>>, n: usize) {
                let seen = f.take();
                let done = seen.len() >= n;
                f.set(seen);
                if done {
                    h.stop();
                } else {
                    let h2 = h.clone();
                    h.call_later(ms(1), move || check(h2, f, n));
                }
            }
            check(h, f, n);
        });
        lp.run_forever().unwrap();
        let mut seen = fired.take();
        seen.sort_unstable();
        assert_eq!(seen, expected);
        for (i, (a, b)) in pairs.iter().enumerate() {
            assert!(lp.remove_reader(a), "never readable, still registered");
            assert_eq!(lp.remove_reader(b), i % 50 != 0, "ran and removed itself");
        }
        lp.run_until_idle().unwrap(); // all removed: idle
    });
}

#[test]
fn another_thread_wakes_a_loop_blocked_in_the_os_wait() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, _theirs) = pair();
        lp.add_reader(&ours, || {}).unwrap(); // never readable
        let remote = lp.threadsafe();
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r = ran.clone();
        let sender = thread::spawn(move || {
            thread::sleep(ms(50));
            remote
                .call_soon_threadsafe(move || r.store(true, std::sync::atomic::Ordering::SeqCst))
                .unwrap();
            remote.stop();
        });
        lp.run_forever().unwrap();
        sender.join().unwrap();
        assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
        let stats = lp.stats();
        assert!(stats.sleeps >= 1 && stats.wakeups >= 1, "{stats:?}");
        assert!(stats.iterations < 20, "{stats:?}");
    });
}

#[test]
fn a_dropped_loop_drops_its_callbacks_and_what_they_own() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let mut peers = Vec::new();
        let mut flags = Vec::new();
        for _ in 0..10 {
            let (ours, theirs) = pair();
            let (guard, dropped) = drop_guard();
            let fd = ours.as_raw_fd();
            // The callback owns the socket (and a handle to the loop: a
            // cycle that closing the loop breaks).
            let h = lp.handle();
            lp.add_reader(&fd, move || {
                guard.touch();
                let _ = (&ours, &h);
            })
            .unwrap();
            peers.push(theirs);
            flags.push(dropped);
        }
        drop(lp);
        assert!(flags.iter().all(|f| f.dropped()));
        for mut peer in peers {
            peer.set_nonblocking(false).unwrap();
            // Our end was closed: end of file.
            assert_eq!(peer.read(&mut [0; 1]).unwrap(), 0);
        }
    });
}

#[test]
#[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
fn a_closed_number_reused_by_another_file_does_not_revive_the_registration() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (ours, mut theirs) = pair();
        let number = ours.as_raw_fd();
        let other = ours.try_clone().unwrap(); // keeps the old file open
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        lp.add_reader(&ours, move || c.set(c.get() + 1)).unwrap();
        drop(ours);
        // The lowest free number goes to the next file: often `number`.
        let (new, _peer) = pair();
        let reused = new.as_raw_fd() == number;
        theirs.write_all(b"x").unwrap(); // the old file is readable
        let h = lp.handle();
        lp.call_later(ms(50), move || h.stop());
        lp.run_forever().unwrap();
        assert_eq!(calls.get(), 0, "reused: {reused}");
        assert!(lp.stats().iterations < 50, "spinning: {:?}", lp.stats());
        drop((other, new));
    });
}

/// Registers (with `register`) one end of a new pair, closes it without
/// removing it, and makes a new pair one end of which gets the closed
/// socket's number: returns what `register` returned, the number, and the
/// new pair, the end with that number first. The kernel hands out the
/// lowest free number, but another test's thread may take it first; then
/// this tries again.
fn registered_closed_and_reused<T>(
    lp: &LoopHandle,
    mut register: impl FnMut(&UnixStream, &UnixStream) -> T,
) -> (T, RawFd, UnixStream, UnixStream) {
    for _ in 0..100 {
        let (old, old_peer) = pair();
        let number = old.as_raw_fd();
        let registered = register(&old, &old_peer);
        drop(old); // closed while registered
        let (a, b) = pair();
        drop(old_peer);
        if a.as_raw_fd() == number {
            return (registered, number, a, b);
        }
        if b.as_raw_fd() == number {
            return (registered, number, b, a);
        }
        lp.remove_reader(&number);
        lp.remove_writer(&number);
    }
    panic!("the number of a closed socket was never given to a new one");
}

/// A callback that counts its calls, and the flag of a guard it owns.
fn counting(calls: &Rc<Cell<u32>>) -> (impl FnMut() + 'static, DropFlag) {
    let (guard, dropped) = drop_guard();
    let calls = calls.clone();
    let callback = move || {
        guard.touch();
        calls.set(calls.get() + 1);
    };
    (callback, dropped)
}

#[test]
#[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
fn a_reader_added_for_a_reused_number_starts_afresh() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let old_calls = Rc::new(Cell::new(0));
        let (old_dropped, number, mut new, mut new_peer) =
            registered_closed_and_reused(&lp, |old, _| {
                let (callback, dropped) = counting(&old_calls);
                lp.add_reader(old, callback).unwrap();
                dropped
            });
        assert_eq!(new.as_raw_fd(), number);
        let got = Rc::new(Cell::new(Vec::new()));
        let (g, h) = (got.clone(), lp.handle());
        lp.add_reader(&number, move || {
            let mut buf = [0; 8];
            let n = new.read(&mut buf).unwrap();
            g.set(buf[..n].to_vec());
            assert!(h.remove_reader(&number));
        })
        .unwrap();
        assert!(
            old_dropped.dropped(),
            "the closed socket's reader is dropped when its number is registered again"
        );
        new_peer.write_all(b"new").unwrap();
        lp.run_until_idle().unwrap(); // idle once the new reader is removed
        assert_eq!(got.take(), b"new");
        assert_eq!(old_calls.get(), 0);
    });
}

#[test]
#[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
fn a_writer_added_for_a_reused_number_starts_afresh() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let old_calls = Rc::new(Cell::new(0));
        let (old_dropped, number, mut new, mut new_peer) =
            registered_closed_and_reused(&lp, |old, _| {
                let (callback, dropped) = counting(&old_calls);
                lp.add_writer(old, callback).unwrap();
                dropped
            });
        let wrote = Rc::new(Cell::new(false));
        let (w, h) = (wrote.clone(), lp.handle());
        lp.add_writer(&number, move || {
            new.write_all(b"new").unwrap();
            w.set(true);
            assert!(h.remove_writer(&number));
        })
        .unwrap();
        assert!(old_dropped.dropped());
        lp.run_until_idle().unwrap(); // idle once the new writer is removed
        assert!(wrote.get());
        let mut buf = [0; 3];
        new_peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"new");
        assert_eq!(old_calls.get(), 0);
    });
}

#[test]
#[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
fn a_reader_added_for_a_reused_number_never_runs_for_the_closed_files_readiness() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let old_calls = Rc::new(Cell::new(0));
        // A copy keeps the closed socket's file open, so the kernel may go
        // on reporting it under the closed registration.
        let ((old_dropped, _copy, mut old_peer), number, new, mut new_peer) =
            registered_closed_and_reused(&lp, |old, old_peer| {
                let (callback, dropped) = counting(&old_calls);
                lp.add_reader(old, callback).unwrap();
                (
                    dropped,
                    old.try_clone().unwrap(),
                    old_peer.try_clone().unwrap(),
                )
            });
        let calls = Rc::new(Cell::new(0));
        let (c, h) = (calls.clone(), lp.handle());
        lp.add_reader(&number, move || {
            c.set(c.get() + 1);
            let mut buf = [0; 8];
            assert_eq!(
                (&new).read(&mut buf).unwrap(),
                3,
                "only the new file's data"
            );
            assert!(h.remove_reader(&number));
        })
        .unwrap();
        assert!(old_dropped.dropped());
        old_peer.write_all(b"old").unwrap(); // the closed file is readable
        let h = lp.handle();
        lp.call_later(ms(50), move || h.stop());
        lp.run_forever().unwrap();
        assert_eq!(calls.get(), 0, "the new reader ran for the old file");
        assert!(lp.stats().iterations < 50, "spinning: {:?}", lp.stats());
        new_peer.write_all(b"new").unwrap();
        lp.run_until_idle().unwrap();
        assert_eq!(calls.get(), 1);
        assert_eq!(old_calls.get(), 0);
    });
}

#[test]
#[cfg(target_os = "linux")] // asks /proc/self/fd
#[cfg_attr(miri, ignore = "miri has no /proc/self/fd")]
fn adding_a_number_closed_while_registered_is_refused_and_drops_the_closed_registration() {
    without_hanging(|| {
        let lp = EventLoop::new();
        // Whether the number names an open file.
        let is_open = |fd: RawFd| std::fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_ok();
        for _ in 0..100 {
            let (old, _peer) = pair();
            let number = old.as_raw_fd();
            let old_calls = Rc::new(Cell::new(0));
            let (callback, old_dropped) = counting(&old_calls);
            lp.add_reader(&old, callback).unwrap();
            drop(old);
            let (guard, new_dropped) = drop_guard();
            match lp.add_reader(&number, move || guard.touch()) {
                Err(err) => {
                    assert_eq!(err.raw_os_error(), Some(9), "EBADF: {err}");
                    assert!(new_dropped.dropped());
                    assert!(old_dropped.dropped(), "the closed registration is gone");
                    assert!(!lp.remove_reader(&number));
                    lp.run_until_idle().unwrap(); // nothing registered
                    assert_eq!(old_calls.get(), 0);
                    return;
                }
                Ok(()) => {
                    assert!(is_open(number), "a closed number was accepted");
                    // Another test's thread opened a file at the number:
                    // try again.
                    assert!(lp.remove_reader(&number));
                }
            }
        }
        panic!("the number of a closed socket was always reused at once");
    });
}

#[test]
#[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
fn removing_a_reused_numbers_reader_drops_all_the_closed_file_had() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let old_calls = Rc::new(Cell::new(0));
        let ((reader_dropped, writer_dropped), number, _new, _new_peer) =
            registered_closed_and_reused(&lp, |old, _| {
                let (reader, reader_dropped) = counting(&old_calls);
                let (writer, writer_dropped) = counting(&old_calls);
                lp.add_reader(old, reader).unwrap();
                lp.add_writer(old, writer).unwrap();
                (reader_dropped, writer_dropped)
            });
        assert!(
            lp.remove_reader(&number),
            "the closed socket's reader, removed"
        );
        assert!(reader_dropped.dropped());
        assert!(
            writer_dropped.dropped(),
            "its writer belonged to the closed socket too, and is dropped, not moved to the new one"
        );
        assert!(!lp.remove_writer(&number));
        lp.run_until_idle().unwrap(); // nothing registered
        assert_eq!(old_calls.get(), 0);
    });
}

#[test]
#[cfg_attr(miri, ignore = "miri's fstat gives every socket the same inode")]
fn a_loop_socket_given_a_reused_number_starts_afresh() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let _strict = strict(&lp);
        let old_calls = Rc::new(Cell::new(0));
        let (old_dropped, _number, new, mut new_peer) =
            registered_closed_and_reused(&lp, |old, _| {
                let (callback, dropped) = counting(&old_calls);
                lp.add_writer(old, callback).unwrap();
                dropped
            });
        let mut new = poll_loop::net::UnixStream::from_std(new).unwrap();
        lp.call_later(ms(20), move || new_peer.write_all(b"new").unwrap());
        let got = lp
            .block_on(async move {
                let mut buf = [0; 3];
                new.read_exact(&mut buf).await.map(|()| buf)
            })
            .unwrap();
        assert_eq!(got.unwrap(), *b"new", "the socket waited and read");
        assert!(old_dropped.dropped());
        assert_eq!(old_calls.get(), 0);
    });
}
