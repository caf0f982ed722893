//! An HTTP/1.1 server with keep-alive, written with `poll_loop::streams`.
//!
//! [`start_server`] runs `serve_connection` as a task for each connection. It reads a request
//! the way HTTP frames it — a request line, header lines up to a blank line
//! ([`StreamReader::readline`]), then a body of `Content-Length` bytes
//! ([`StreamReader::readexactly`]) — answers it, and reads the next request on the same
//! connection until the client closes it or asks to (`Connection: close`, or HTTP/1.0
//! without `keep-alive`). A request line longer than the reader's limit, or a peer that goes
//! away mid-request, ends the connection instead of the server.
//!
//! Two routes: `GET /` says hello, `POST /echo` sends the body back.
//!
//! Run it with `cargo run -p examples --example http_server -- 127.0.0.1:8080` and try
//! `curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/` (one connection, two requests).
//! Without an address it tests itself and exits: a std-socket client sends two requests on
//! one connection, pipelined, then `curl` (where installed) fetches two URLs over one
//! connection.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use poll_loop::EventLoop;
use poll_loop::streams::{StreamReader, StreamWriter, start_server};

/// A request, as much of it as this server looks at.
struct Request {
    method: String,
    path: String,
    keep_alive: bool,
    body: Vec<u8>,
}

/// Reads one request; `Ok(None)` when the client closed the connection between requests.
async fn read_request(reader: &mut StreamReader) -> std::io::Result<Option<Request>> {
    let line = reader.readline().await?;
    if line.is_empty() {
        return Ok(None); // end of file: the client is done
    }
    let line = String::from_utf8_lossy(&line);
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "bad request line",
        ));
    };
    // HTTP/1.1 keeps the connection open unless told not to; HTTP/1.0 closes unless told not to.
    let mut keep_alive = version == "HTTP/1.1";
    let mut length = 0;
    loop {
        let header = reader.readline().await?;
        let header = String::from_utf8_lossy(&header);
        let header = header.trim_end();
        if header.is_empty() {
            break; // the blank line ends the headers
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "bad Content-Length")
            })?;
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = value.eq_ignore_ascii_case("keep-alive");
        }
    }
    let body = reader.readexactly(length).await?;
    Ok(Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        keep_alive,
        body,
    }))
}

/// The status and body of the answer to `request`.
fn respond(request: &Request) -> (&'static str, Vec<u8>) {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/") => ("200 OK", b"hello from poll-loop\n".to_vec()),
        ("POST", "/echo") => ("200 OK", request.body.clone()),
        _ => ("404 Not Found", b"not found\n".to_vec()),
    }
}

/// One connection: requests answered in turn until the client is done.
async fn serve_connection(mut reader: StreamReader, writer: StreamWriter) {
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            Ok(None) => break,
            Err(err) => {
                eprintln!("http_server: {err}; closing the connection");
                break;
            }
        };
        let (status, body) = respond(&request);
        let connection = if request.keep_alive {
            "keep-alive"
        } else {
            "close"
        };
        writer.write(
            format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\
                 Connection: {connection}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        writer.write(&body);
        // Back-pressure: a client that sends requests faster than it reads the answers waits.
        if writer.drain().await.is_err() || !request.keep_alive {
            break;
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

fn main() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    if let Some(addr) = std::env::args().nth(1) {
        return lp.block_on(async {
            let server = start_server(serve_connection, addr.as_str()).await?;
            println!("serving HTTP on http://{}/", server.local_addr());
            server.serve_forever().await;
            Ok(())
        })?;
    }

    lp.block_on(async {
        let server = start_server(serve_connection, "127.0.0.1:0").await?;
        let addr = server.local_addr();
        let peers = lp.run_in_executor(move || outside_peers(addr).map_err(|e| e.to_string()))?;
        let result = peers.await?;
        server.close();
        server.wait_closed().await;
        result.map_err(Into::into)
    })?
}

/// The clients, on a worker thread (they block): std sockets, then curl.
fn outside_peers(addr: SocketAddr) -> Result<(), Box<dyn Error>> {
    // Two requests on one connection, the second sent before the first is answered.
    let mut conn = std::net::TcpStream::connect(addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    conn.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )?;
    let mut answers = String::new();
    BufReader::new(conn).read_to_string(&mut answers)?; // the server closes after the second
    assert!(answers.starts_with("HTTP/1.1 200 OK\r\n"), "{answers}");
    assert!(answers.contains("Connection: keep-alive\r\n\r\nhello from poll-loop\n"));
    assert!(
        answers.ends_with("Connection: close\r\n\r\nhello"),
        "{answers}"
    );
    println!("std client: two requests, one connection, answered in order");

    // A line longer than the reader's limit ends that connection, not the server.
    let mut conn = std::net::TcpStream::connect(addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    conn.write_all(&vec![b'G'; 100 * 1024])?;
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest); // closed (or reset) without an answer
    assert!(rest.is_empty());
    let mut conn = BufReader::new(std::net::TcpStream::connect(addr)?);
    conn.get_mut().write_all(b"GET /missing HTTP/1.0\r\n\r\n")?;
    let mut status = String::new();
    conn.read_line(&mut status)?;
    assert_eq!(status, "HTTP/1.1 404 Not Found\r\n");
    println!("std client: a request line over the limit is refused; the server goes on");

    // curl, where installed: two URLs, and it reuses the connection for the second.
    let url = format!("http://{addr}/");
    match Command::new("curl")
        .args(["-s", "--max-time", "5", "-w", " connects=%{num_connects}\n"])
        .args([&url, &url])
        .output()
    {
        Ok(out) => {
            let out = String::from_utf8(out.stdout)?;
            assert_eq!(
                out, "hello from poll-loop\n connects=1\nhello from poll-loop\n connects=0\n",
                "curl reuses the connection (keep-alive)"
            );
            println!("curl: two requests over one kept-alive connection");
        }
        Err(_) => println!("curl: not installed here, skipped"),
    }
    Ok(())
}
