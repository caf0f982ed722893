//! Connected sockets for the `net` and `streams` tests: ours on the loop,
//! the peer a std one, so that what is tested meets a peer it did not write.

use poll_loop::EventLoop;
use poll_loop::net::TcpStream;
use poll_loop::streams::{StreamReader, StreamWriter, from_tcp_stream};

/// A connected pair: ours on the loop, and a std one.
pub(crate) fn tcp_pair(lp: &EventLoop) -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ours = lp.block_on(TcpStream::connect(addr)).unwrap().unwrap();
    let (theirs, _) = listener.accept().unwrap();
    (ours, theirs)
}

/// A connected pair as streams: our reader and writer, and the std peer.
pub(crate) fn stream_pair(lp: &EventLoop) -> (StreamReader, StreamWriter, std::net::TcpStream) {
    let (ours, theirs) = tcp_pair(lp);
    let (reader, writer) = from_tcp_stream(ours);
    (reader, writer, theirs)
}
