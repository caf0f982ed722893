//! An HTTP/1.1 client, written with `poll_loop::streams`.
//!
//! [`open_connection`] connects to `host:port` (the name resolved, each address tried in
//! turn); the request is one [`StreamWriter::write`]; the answer is read the way HTTP frames
//! it: the status line and the headers, a line each up to a blank line
//! ([`StreamReader::readline`]), then the body — `Content-Length` bytes
//! ([`StreamReader::readexactly`]), or `chunked` (a hexadecimal size line, then that many
//! bytes, until a size of 0), or everything up to end of file
//! ([`StreamReader::read_to_end`]). The connection is kept for the next request when the
//! server allows it (HTTP/1.1's keep-alive), so [`Client::get`] sends several requests over
//! one connection.
//!
//! Run it with `cargo run -p examples --example http_client -- 127.0.0.1:8000 /` (an
//! `http_server` example or `python3 -m http.server` listening there). Without arguments it
//! tests itself and exits, against a std-socket server that answers two requests on one
//! connection (one with `Content-Length`, one `chunked`), then, where Python is installed,
//! against `python3 -m http.server`.

use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};

use poll_loop::EventLoop;
use poll_loop::streams::{StreamReader, StreamWriter, open_connection};

/// An answer.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A connection to one server, kept between requests while the server allows it.
struct Client {
    host: String,
    connection: Option<(StreamReader, StreamWriter)>,
    /// How many connections were opened: 1 for any number of requests, with keep-alive.
    connects: usize,
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

impl Client {
    fn new(host: &str) -> Client {
        Client {
            host: host.to_string(),
            connection: None,
            connects: 0,
        }
    }

    /// `GET path`, over the kept connection if there is one.
    async fn get(&mut self, path: &str) -> std::io::Result<Response> {
        if self.connection.is_none() {
            self.connection = Some(open_connection(self.host.as_str()).await?);
            self.connects += 1;
        }
        let (reader, writer) = self.connection.as_mut().unwrap();
        writer.write(format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host).as_bytes());
        writer.drain().await?;
        let response = read_response(reader).await?;
        let close = response
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if close || response.header("content-length").is_none() && !is_chunked(&response) {
            self.connection = None; // the server ends it (or its end marks the body's)
        }
        Ok(response)
    }
}

fn is_chunked(response: &Response) -> bool {
    response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
}

/// Reads a line of the head, without its line ending.
async fn head_line(reader: &mut StreamReader) -> std::io::Result<String> {
    let line = reader.readline().await?;
    let line = String::from_utf8(line).map_err(|_| invalid("a head line not in UTF-8"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn read_response(reader: &mut StreamReader) -> std::io::Result<Response> {
    // "HTTP/1.1 200 OK"
    let status_line = head_line(reader).await?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let mut headers = Vec::new();
    loop {
        let line = head_line(reader).await?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if let Some(length) = response.header("content-length") {
        let length = length.parse().map_err(|_| invalid("bad Content-Length"))?;
        response.body = reader.readexactly(length).await?;
    } else if is_chunked(&response) {
        loop {
            let size = head_line(reader).await?;
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| invalid("bad chunk size"))?;
            if size == 0 {
                head_line(reader).await?; // the blank line after the last chunk
                break;
            }
            response.body.extend(reader.readexactly(size).await?);
            head_line(reader).await?; // the chunk's CRLF
        }
    } else {
        response.body = reader.read_to_end().await?;
    }
    Ok(response)
}

fn main() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [host, path] = &args[..] {
        let response = lp.block_on(async { Client::new(host).get(path).await })??;
        println!("{} {:?}", response.status, response.headers);
        std::io::stdout().write_all(&response.body)?;
        return Ok(());
    }

    // A std-socket server: two requests on one connection, answered two ways.
    let server = TcpListener::bind("127.0.0.1:0")?;
    let addr = server.local_addr()?;
    let std_server = std::thread::spawn(move || -> std::io::Result<()> {
        let (conn, _) = server.accept()?;
        let mut requests = BufReader::new(conn.try_clone()?);
        let mut conn = conn;
        for answer in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\n"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              7\r\nsecond \r\n6\r\nchunk\n\r\n0\r\n\r\n",
        ] {
            let mut line = String::new();
            while line != "\r\n" {
                line.clear();
                requests.read_line(&mut line)?;
            }
            conn.write_all(answer)?;
        }
        Ok(())
    });
    let (first, second, connects) = lp.block_on(async {
        let mut client = Client::new(&addr.to_string());
        let first = client.get("/one").await?;
        let second = client.get("/two").await?;
        Ok::<_, std::io::Error>((first, second, client.connects))
    })??;
    std_server.join().unwrap()?;
    assert_eq!(
        (first.status, first.body.as_slice()),
        (200, &b"first\n"[..])
    );
    assert_eq!(second.body, b"second chunk\n");
    assert_eq!(connects, 1, "both requests over one connection");
    println!("std server: Content-Length and chunked answers over one kept-alive connection");

    with_python_http_server(|python| {
        let response = lp.block_on(async {
            let host = format!("localhost:{}", python.port()); // a name, resolved
            Client::new(&host).get("/hello.txt").await
        })??;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"hello, client\n");
        println!("python3 -m http.server: fetched /hello.txt");
        Ok(())
    })
}

/// Runs `body` with the address of a `python3 -m http.server` serving a temporary folder
/// holding `hello.txt`; skips with a message if Python is not installed.
fn with_python_http_server(
    body: impl FnOnce(SocketAddr) -> Result<(), Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("http-client-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("hello.txt"), "hello, client\n")?;
    let child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        println!("python3: not installed here, skipped");
        return Ok(());
    };
    // "Serving HTTP on 127.0.0.1 port 12345 (http://127.0.0.1:12345/) ..."
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line)?;
    let port = line
        .split_whitespace()
        .skip_while(|word| *word != "port")
        .nth(1)
        .and_then(|port| port.parse::<u16>().ok());
    let result = match port {
        Some(port) => body(SocketAddr::from(([127, 0, 0, 1], port))),
        None => Err(format!("python3 -m http.server said {line:?}").into()),
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
