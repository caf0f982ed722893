//! A TCP proxy, written with `poll_loop::streams`.
//!
//! For each client, [`start_server`] runs `proxy`, which connects to the upstream server with
//! [`open_connection`] and copies bytes both ways at once: the client-to-upstream direction in
//! a task of its own, the other in the handler's task. That needs the reading and the writing
//! side of each connection apart, which is what the streams give (a [`StreamReader`] and a
//! [`StreamWriter`] per connection). When one side ends its writing, the proxy passes the end
//! of file on ([`StreamWriter::write_eof`]) and goes on copying the other way until it ends
//! too: a half-closed connection stays usable through the proxy. [`StreamWriter::drain`]
//! makes a fast sender wait for a slow receiver instead of filling the proxy's memory.
//!
//! Run it with `cargo run -p examples --example tcp_proxy -- 127.0.0.1:8081 127.0.0.1:8080`
//! (listen, upstream). Without addresses it tests itself and exits: a std-socket client sends
//! a megabyte through it to a std echo server and reads it all back; then, where Python and
//! `curl` are installed, `curl` fetches a file from `python3 -m http.server` through it.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use poll_loop::streams::{StreamReader, StreamWriter, open_connection, start_server};
use poll_loop::{EventLoop, spawn};

/// How much one read takes from a side at most.
const CHUNK: usize = 64 * 1024;

/// Copies `from` to `to` until `from` ends, then passes the end on. Returns how many bytes.
async fn copy(mut from: StreamReader, to: StreamWriter) -> std::io::Result<u64> {
    let mut total = 0;
    loop {
        let data = from.read(CHUNK).await?;
        if data.is_empty() {
            break;
        }
        total += data.len() as u64;
        to.write(&data);
        to.drain().await?; // waits while the receiver is behind
    }
    to.close(); // end of file, once what is buffered is written
    to.wait_closed().await?;
    Ok(total)
}

/// One client: a connection upstream, and a copy each way.
async fn proxy(upstream: SocketAddr, client_reader: StreamReader, client_writer: StreamWriter) {
    let (upstream_reader, upstream_writer) = match open_connection(upstream).await {
        Ok(streams) => streams,
        Err(err) => {
            eprintln!("tcp_proxy: upstream {upstream}: {err}");
            client_writer.close();
            return;
        }
    };
    let up = spawn(copy(client_reader, upstream_writer));
    let down = copy(upstream_reader, client_writer).await;
    match (up.await, down) {
        (Ok(Ok(up)), Ok(down)) => eprintln!("tcp_proxy: done, {up} bytes up, {down} down"),
        (Ok(Err(err)), _) | (_, Err(err)) => eprintln!("tcp_proxy: {err}"),
        (Err(err), _) => eprintln!("tcp_proxy: the upward copy: {err}"),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [listen, upstream] = &args[..] {
        let upstream: SocketAddr = upstream.parse()?;
        return lp.block_on(async {
            let server = start_server(move |r, w| proxy(upstream, r, w), listen.as_str()).await?;
            println!("proxying {} to {upstream}", server.local_addr());
            server.serve_forever().await;
            Ok(())
        })?;
    }

    // An upstream that is not the crate: a std echo server on a thread.
    let echo = TcpListener::bind("127.0.0.1:0")?;
    let echo_addr = echo.local_addr()?;
    std::thread::spawn(move || {
        for conn in echo.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut reader = conn.try_clone().unwrap();
                let _ = std::io::copy(&mut reader, &mut conn);
                let _ = conn.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    lp.block_on(async {
        let server = start_server(move |r, w| proxy(echo_addr, r, w), "127.0.0.1:0").await?;
        let addr = server.local_addr();
        let peers = lp.run_in_executor(move || outside_peers(addr).map_err(|e| e.to_string()))?;
        let result = peers.await?;
        server.close();
        server.wait_closed().await;
        result?;
        Ok::<_, Box<dyn Error>>(())
    })??;

    // Python's http.server upstream and curl through the proxy, where both are installed.
    with_python_http_server(|upstream| {
        lp.block_on(async {
            let server = start_server(move |r, w| proxy(upstream, r, w), "127.0.0.1:0").await?;
            let addr = server.local_addr();
            let curl = lp.run_in_executor(move || curl_through(addr).map_err(|e| e.to_string()))?;
            let result = curl.await?;
            server.close();
            server.wait_closed().await;
            result.map_err(Into::into)
        })?
    })
}

/// A megabyte up and back down, with a half-close: the client ends its writing, and still
/// reads everything the echo server sends back.
fn outside_peers(proxy: SocketAddr) -> Result<(), Box<dyn Error>> {
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut conn = TcpStream::connect(proxy)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut writer = conn.try_clone()?;
    let sent = data.clone();
    let sending = std::thread::spawn(move || {
        writer.write_all(&sent)?;
        writer.shutdown(std::net::Shutdown::Write) // half-close
    });
    let mut back = Vec::new();
    conn.read_to_end(&mut back)?;
    sending.join().unwrap()?;
    assert!(back == data, "the echo came back whole through the proxy");
    println!("std client: 1 MiB through the proxy to an echo server and back, half-closed");
    Ok(())
}

/// Runs `body` with the address of a `python3 -m http.server` serving a temporary folder
/// holding `hello.txt`; skips with a message if Python is not installed.
fn with_python_http_server(
    body: impl FnOnce(SocketAddr) -> Result<(), Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("tcp-proxy-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("hello.txt"), "hello through the proxy\n")?;
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
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line)?;
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

/// `curl` fetches the file through the proxy; skipped if curl is not installed.
fn curl_through(proxy: SocketAddr) -> Result<(), Box<dyn Error>> {
    let url = format!("http://{proxy}/hello.txt");
    match Command::new("curl")
        .args(["-s", "--max-time", "5", &url])
        .output()
    {
        Ok(out) => {
            assert_eq!(String::from_utf8(out.stdout)?, "hello through the proxy\n");
            println!("curl: a file from Python's http.server, through the proxy");
        }
        Err(_) => println!("curl: not installed here, skipped"),
    }
    Ok(())
}
