//! A line-based chat server, written with `poll_loop::streams`.
//!
//! Each client sends its name on the first line, then messages, one a line; every message goes
//! to every other client as `name: message`. [`start_server`] runs a task per client; all of
//! them share the room (an `Rc<RefCell<…>>`: every task runs on the loop's thread, so there is
//! nothing to lock). Sending to a client is [`StreamWriter::write`], which does not wait, so
//! one slow client never holds up a message to the others; a client that reads so slowly that
//! more than a limit piles up in its buffer is dropped from the room instead of growing it.
//!
//! Run it with `cargo run -p examples --example chat_server -- 127.0.0.1:7000`, and chat with
//! `nc 127.0.0.1 7000` from two terminals. Without an address it tests itself and exits:
//! three std-socket clients join, talk and leave.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use poll_loop::EventLoop;
use poll_loop::streams::{StreamReader, StreamWriter, start_server};

/// How much may wait in a client's write buffer before it is dropped as too slow.
const SLOW_CLIENT: usize = 1 << 20;

/// The clients in the room, by number, with their writers.
#[derive(Default)]
struct Room {
    next: u64,
    members: BTreeMap<u64, (String, Rc<StreamWriter>)>,
}

impl Room {
    /// Sends `line` to every member but `from`; drops those too slow to keep up.
    fn broadcast(&mut self, from: u64, line: &str) {
        self.members.retain(|&id, (name, writer)| {
            if id == from {
                return true;
            }
            writer.write(line.as_bytes());
            let keep = writer.write_buffer_size() <= SLOW_CLIENT;
            if !keep {
                eprintln!("chat_server: {name} reads too slowly; dropped");
                writer.close();
            }
            keep
        });
    }
}

/// One client: its name, then its messages until it leaves.
async fn client(room: Rc<RefCell<Room>>, mut reader: StreamReader, writer: StreamWriter) {
    let writer = Rc::new(writer);
    writer.write(b"welcome! your name?\n");
    let mut lines = reader.lines();
    let Ok(Some(name)) = lines.next_line().await else {
        return;
    };
    let id = {
        let mut room = room.borrow_mut();
        let id = room.next;
        room.next += 1;
        let here: Vec<_> = room
            .members
            .values()
            .map(|(name, _)| name.clone())
            .collect();
        writer.write(format!("in the room: {}\n", here.join(", ")).as_bytes());
        room.members.insert(id, (name.clone(), Rc::clone(&writer)));
        room.broadcast(id, &format!("* {name} joined\n"));
        id
    };
    // A line too long or not UTF-8 ends the client's session, as its leaving does.
    while let Ok(Some(message)) = lines.next_line().await {
        room.borrow_mut()
            .broadcast(id, &format!("{name}: {message}\n"));
    }
    let mut room = room.borrow_mut();
    room.members.remove(&id);
    room.broadcast(id, &format!("* {name} left\n"));
    writer.close();
}

fn main() -> Result<(), Box<dyn Error>> {
    let lp = EventLoop::new();
    let room = Rc::new(RefCell::new(Room::default()));
    let handler = move |reader, writer| client(Rc::clone(&room), reader, writer);
    if let Some(addr) = std::env::args().nth(1) {
        return lp.block_on(async {
            let server = start_server(handler, addr.as_str()).await?;
            println!("chat on {} (try nc)", server.local_addr());
            server.serve_forever().await;
            Ok(())
        })?;
    }

    lp.block_on(async {
        let server = start_server(handler, "127.0.0.1:0").await?;
        let addr = server.local_addr();
        let peers = lp.run_in_executor(move || outside_peers(addr).map_err(|e| e.to_string()))?;
        let result = peers.await?;
        server.close();
        server.wait_closed().await;
        result.map_err(Into::into)
    })?
}

/// A std-socket client: its connection, and its lines.
struct Chatter {
    conn: TcpStream,
    lines: BufReader<TcpStream>,
}

impl Chatter {
    fn join(addr: SocketAddr, name: &str, expect_room: &str) -> Result<Chatter, Box<dyn Error>> {
        let conn = TcpStream::connect(addr)?;
        conn.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut chatter = Chatter {
            lines: BufReader::new(conn.try_clone()?),
            conn,
        };
        assert_eq!(chatter.line()?, "welcome! your name?\n");
        chatter.say(name)?;
        assert_eq!(chatter.line()?, format!("in the room: {expect_room}\n"));
        Ok(chatter)
    }

    fn say(&mut self, line: &str) -> std::io::Result<()> {
        self.conn.write_all(format!("{line}\n").as_bytes())
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        self.lines.read_line(&mut line)?;
        Ok(line)
    }
}

/// Three clients, on a worker thread (they block).
fn outside_peers(addr: SocketAddr) -> Result<(), Box<dyn Error>> {
    let mut ada = Chatter::join(addr, "ada", "")?;
    let mut bob = Chatter::join(addr, "bob", "ada")?;
    assert_eq!(ada.line()?, "* bob joined\n");
    let mut cy = Chatter::join(addr, "cy", "ada, bob")?;
    assert_eq!(ada.line()?, "* cy joined\n");
    assert_eq!(bob.line()?, "* cy joined\n");

    ada.say("hello, all")?;
    assert_eq!(bob.line()?, "ada: hello, all\n");
    assert_eq!(cy.line()?, "ada: hello, all\n");
    bob.say("hi ada")?;
    assert_eq!(ada.line()?, "bob: hi ada\n");
    assert_eq!(cy.line()?, "bob: hi ada\n");

    drop(cy); // leaves
    assert_eq!(ada.line()?, "* cy left\n");
    assert_eq!(bob.line()?, "* cy left\n");
    println!("three clients joined, talked and one left: every message reached the others");
    Ok(())
}
