//! Example 1b over a real socket with `async fn`: the request is awaited on a `poll_loop::net::TcpStream`.
//!
//! `socket-request` with the callbacks gone: the server and the three requests are tasks on
//! one `poll-loop` event loop, on the program's only thread, and each step that would block —
//! `accept`, `connect`, `read`, `write` — is an `.await` the loop resumes when the kernel says
//! the socket is ready. The server answers each request one second after it arrives
//! (`poll_loop::sleep`). The wire format is one line each way: `3\n`, answered by `9\n`.

use std::process::ExitCode;

mod over_sockets {
    use std::error::Error;
    use std::io;
    use std::net::SocketAddr;

    use demos::tasks::gather;
    use demos::{DELAY, Response};
    use poll_loop::net::{TcpListener, TcpStream};
    use poll_loop::{EventLoop, LoopHandle, sleep};

    /// Reads until end of file.
    async fn read_to_end(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        let mut chunk = [0; 64];
        loop {
            match stream.read(&mut chunk).await? {
                0 => return Ok(all),
                n => all.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Reads one line.
    async fn read_line(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let mut byte = [0; 1];
        while stream.read(&mut byte).await? == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        Ok(line)
    }

    /// Answers one connection's request, one second after it arrived, and closes it.
    async fn answer(mut conn: TcpStream) -> io::Result<()> {
        let request = read_line(&mut conn).await?;
        let number: i64 = String::from_utf8_lossy(&request)
            .trim()
            .parse()
            .unwrap_or(0);
        sleep(DELAY).await; // the pretend work
        conn.write_all(format!("{}\n", number * number).as_bytes())
            .await
    }

    /// The server: a task per connection, for `count` connections.
    async fn serve(listener: TcpListener, count: usize) -> io::Result<()> {
        let lp = LoopHandle::current().expect("runs on the loop");
        let mut handlers = Vec::new();
        for _ in 0..count {
            let (conn, _) = listener.accept().await?;
            handlers.push(lp.spawn(async move {
                if let Err(e) = answer(conn).await {
                    eprintln!("server: {e}");
                }
            }));
        }
        gather(handlers)
            .await
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(())
    }

    /// The tutorial's request, for real: connects, sends `number`, and awaits the answer.
    async fn async_network_request(server: SocketAddr, number: i32) -> io::Result<Response> {
        let mut stream = TcpStream::connect(server).await?;
        stream.write_all(format!("{number}\n").as_bytes()).await?;
        let answer = read_to_end(&mut stream).await?;
        let result = String::from_utf8_lossy(&answer).trim().parse().unwrap_or(0);
        Ok(Response {
            value: number,
            result,
        })
    }

    /// Sends the request and prints its response.
    async fn request_and_print(server: SocketAddr, number: i32) {
        match async_network_request(server, number).await {
            Ok(response) => println!("{response}"),
            Err(e) => eprintln!("request {number}: {e}"),
        }
    }

    async fn requests(lp: &LoopHandle) -> Result<(), Box<dyn Error>> {
        let numbers = [3, 4, 5];
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let server_addr = listener.local_addr()?;
        let server = lp.spawn(async move {
            if let Err(e) = serve(listener, numbers.len()).await {
                eprintln!("server: {e}");
            }
        });

        println!("Start Async");
        let tasks: Vec<_> = numbers
            .into_iter()
            .map(|n| lp.spawn(request_and_print(server_addr, n)))
            .collect();
        println!("End Async");

        gather(tasks).await?;
        server.await?;
        Ok(())
    }

    pub(crate) fn run() -> Result<(), Box<dyn Error>> {
        let lp = EventLoop::new();
        lp.block_on(requests(&lp))?
    }
}

fn main() -> ExitCode {
    demos::init_tracing();
    demos::exit_code(over_sockets::run())
}
