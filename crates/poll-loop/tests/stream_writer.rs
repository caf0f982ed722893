//! `poll_loop::streams::StreamWriter`: writes that do not wait, `drain`'s
//! back-pressure between the high- and low-water marks, `close` while a
//! task drains, `write_eof`, and a peer that goes away.
#![cfg(any(unix, windows))]

mod helpers;

use std::io::{ErrorKind, Read};
use std::net::Shutdown;
use std::rc::Rc;
use std::thread;

use helpers::sockets::stream_pair;
use helpers::{ms, without_hanging};
use poll_loop::streams::DEFAULT_HIGH_WATER;
use poll_loop::{EventLoop, sleep, spawn, timeout};

/// More than the kernel's buffers of a local connection hold.
const BIG: usize = 16 << 20;

/// Reads everything the peer is sent, on a thread, after `delay`.
fn read_all_after(
    mut peer: std::net::TcpStream,
    delay: std::time::Duration,
) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        thread::sleep(delay);
        let mut all = Vec::new();
        peer.read_to_end(&mut all).unwrap();
        all
    })
}

#[test]
fn small_writes_go_out_without_drain() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, mut peer) = stream_pair(&lp);
        writer.write(b"sent ");
        writer.writelines([&b"at "[..], b"once"]);
        assert_eq!(writer.write_buffer_size(), 0);
        let mut got = [0; 12];
        peer.read_exact(&mut got).unwrap(); // no loop runs: write sent it
        assert_eq!(&got, b"sent at once");
    });
}

/// Back-pressure: `drain` waits while the peer does not read, and returns
/// once it does, with the buffer at or below the low-water mark; the
/// background task writes out the rest.
#[test]
fn drain_waits_while_the_peer_does_not_read_and_resumes_when_it_does() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        assert_eq!(
            writer.write_buffer_limits(),
            (DEFAULT_HIGH_WATER, DEFAULT_HIGH_WATER / 4)
        );
        let data: Vec<u8> = (0..BIG).map(|i| i as u8).collect();
        let expected = data.clone();
        let got = lp
            .block_on(async move {
                writer.write(&data);
                assert!(writer.write_buffer_size() > DEFAULT_HIGH_WATER);
                // The peer does not read: drain waits.
                assert!(timeout(ms(50), writer.drain()).await.is_err());
                let reading = read_all_after(peer, ms(0));
                writer.drain().await.unwrap();
                assert!(writer.write_buffer_size() <= DEFAULT_HIGH_WATER / 4);
                writer.close();
                writer.wait_closed().await.unwrap();
                assert_eq!(writer.write_buffer_size(), 0);
                reading
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(got == expected, "the bytes arrive whole and in order");
    });
}

#[test]
fn the_water_marks_are_settable() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        writer.set_write_buffer_limits(1024, None);
        assert_eq!(writer.write_buffer_limits(), (1024, 256));
        writer.set_write_buffer_limits(2 * BIG, Some(BIG));
        let reading = lp
            .block_on(async move {
                writer.write(&vec![1; BIG]);
                // Under the high mark: drain returns at once.
                writer.drain().await.unwrap();
                assert!(writer.write_buffer_size() > 0);
                let reading = read_all_after(peer, ms(0));
                writer.close();
                writer.wait_closed().await.unwrap();
                reading
            })
            .unwrap();
        assert_eq!(reading.join().unwrap().len(), BIG);
    });
}

#[test]
#[should_panic(expected = "must be >= low")]
fn a_low_mark_above_the_high_one_is_refused() {
    let lp = EventLoop::new();
    let (_reader, writer, _peer) = stream_pair(&lp);
    writer.set_write_buffer_limits(10, Some(11));
}

/// asyncio's `test_multiple_drain`: several tasks waiting in `drain` are
/// all released.
#[test]
fn test_multiple_drain() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        lp.block_on(async move {
            let writer = Rc::new(writer);
            writer.write(&vec![0; BIG]);
            let drains: Vec<_> = (0..3)
                .map(|_| {
                    let writer = Rc::clone(&writer);
                    spawn(async move { writer.drain().await })
                })
                .collect();
            sleep(ms(20)).await;
            assert!(drains.iter().all(|d| !d.done()));
            let reading = read_all_after(peer, ms(0));
            for drain in drains {
                drain.await.unwrap().unwrap();
            }
            writer.close();
            writer.wait_closed().await.unwrap();
            assert_eq!(reading.join().unwrap().len(), BIG);
        })
        .unwrap();
    });
}

/// `close` while a task drains: the writer stops taking writes, the drain
/// is released once the buffer goes out, and the peer gets everything
/// written before `close`, then end of file.
#[test]
fn close_while_draining_writes_the_buffer_then_ends() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        let got = lp
            .block_on(async move {
                let writer = Rc::new(writer);
                writer.write(&vec![5; BIG]);
                let draining = spawn({
                    let writer = Rc::clone(&writer);
                    async move { writer.drain().await }
                });
                sleep(ms(20)).await;
                assert!(!draining.done(), "the peer does not read");
                writer.close();
                assert!(writer.is_closing());
                writer.write(b"after close: ignored");
                // The peer never reading, closing would wait for ever:
                // bounded by a timeout, it is still pending.
                assert!(timeout(ms(20), writer.wait_closed()).await.is_err());
                let reading = read_all_after(peer, ms(0));
                draining.await.unwrap().unwrap();
                writer.wait_closed().await.unwrap();
                reading
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(got.len(), BIG);
        assert!(got.iter().all(|&b| b == 5));
    });
}

/// asyncio's `test_wait_closed_on_close`: once closed, the peer reads end
/// of file, and the writer's `wait_closed` returns.
#[test]
fn test_wait_closed_on_close() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, mut peer) = stream_pair(&lp);
        lp.block_on(async move {
            writer.write(b"bye");
            assert!(!writer.is_closing());
            writer.close();
            writer.wait_closed().await.unwrap();
        })
        .unwrap();
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"bye");
    });
}

/// `write_eof` is a half-close: the peer reads end of file, and the
/// reader still reads the answer.
#[test]
fn write_eof_ends_the_writing_direction_only() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (mut reader, writer, mut peer) = stream_pair(&lp);
        let peer = thread::spawn(move || {
            let mut request = Vec::new();
            peer.read_to_end(&mut request).unwrap();
            std::io::Write::write_all(&mut peer, &request.to_ascii_uppercase()).unwrap();
        });
        let answer = lp
            .block_on(async move {
                assert!(writer.can_write_eof());
                writer.write(b"shout this");
                writer.write_eof();
                writer.write(b"ignored");
                reader.read_to_end().await
            })
            .unwrap()
            .unwrap();
        peer.join().unwrap();
        assert_eq!(answer, b"SHOUT THIS");
    });
}

/// A peer that goes away: the write error comes out of `drain` (and
/// `wait_closed`), and later writes are ignored, not buffered.
#[test]
fn a_peer_gone_makes_drain_fail() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        peer.shutdown(Shutdown::Both).unwrap();
        drop(peer);
        let err = lp
            .block_on(async move {
                for _ in 0..1000 {
                    writer.write(&[0; 64 * 1024]);
                    if let Err(err) = writer.drain().await {
                        assert_eq!(writer.write_buffer_size(), 0);
                        writer.close();
                        assert!(writer.wait_closed().await.is_err());
                        return err;
                    }
                    sleep(ms(1)).await;
                }
                panic!("writing to a closed peer never failed");
            })
            .unwrap();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
            ),
            "{err:?}"
        );
    });
}

/// A writer dropped with bytes still buffered writes them out, then ends
/// the stream.
#[test]
fn a_writer_dropped_still_writes_its_buffer() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        let reading = lp
            .block_on(async move {
                writer.write(&vec![9; BIG]);
                drop(writer);
                let reading = read_all_after(peer, ms(10));
                while !reading.is_finished() {
                    sleep(ms(5)).await;
                }
                reading
            })
            .unwrap();
        assert_eq!(reading.join().unwrap().len(), BIG);
    });
}

#[test]
fn the_addresses_are_the_socket_s() {
    without_hanging(|| {
        let lp = EventLoop::new();
        let (_reader, writer, peer) = stream_pair(&lp);
        assert_eq!(
            writer.peer_addr().unwrap().as_tcp(),
            Some(peer.local_addr().unwrap())
        );
        assert_eq!(
            writer.local_addr().unwrap().as_tcp(),
            Some(peer.peer_addr().unwrap())
        );
        assert_eq!(
            writer.peer_addr().unwrap().to_string(),
            peer.local_addr().unwrap().to_string()
        );
    });
}
