"""asyncio streams on a localhost TCP echo, measured as benches/net measures its Rust peers,
an HTTP/1.1 keep-alive server on asyncio's loop or uvloop's, and a reader of lines.

Run by the benches package's `python::run` as `python3 -c <this file> MODE ARGS...`; prints
`key value` lines. In the echo modes, server and client run on one event loop, on one
thread, as the Rust peers. In the `http-*` modes this is only the server: it prints its
port, serves the load generator (another process) until every connection it accepted has
closed, then prints the requests it answered and its loop thread's CPU time.
"""

import asyncio
import os
import resource
import sys
import time


async def echo(reader, writer, size):
    try:
        while True:
            data = await reader.readexactly(size)
            writer.write(data)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def percentile(values, p):
    values = sorted(values)
    rank = max(1, min(len(values), -(-int(p * len(values) * 1000) // 1000)))
    return values[rank - 1]


async def pingpong(n, size):
    server = await asyncio.start_server(lambda r, w: echo(r, w, size), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    msg = b"x" * size
    rtts = []
    for _ in range(n):
        start = time.perf_counter_ns()
        writer.write(msg)
        await reader.readexactly(size)
        rtts.append((time.perf_counter_ns() - start) / 1000)
    writer.close()
    server.close()
    print("p50_us", percentile(rtts, 0.5))
    print("p99_us", percentile(rtts, 0.99))


async def throughput(conns, per_conn, size):
    server = await asyncio.start_server(lambda r, w: echo(r, w, size), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    msg = b"x" * size

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(per_conn):
            writer.write(msg)
            await reader.readexactly(size)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conns)))
    secs = time.perf_counter() - start
    server.close()
    print("msgs_per_s", conns * per_conn / secs)


# The same bytes as the benches package's `http` module.
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!"
REJECT = b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


async def http_server(cpu):
    """Answers GETs with RESPONSE on each connection until the client closes it."""
    if cpu >= 0:
        os.sched_setaffinity(0, {cpu})  # pid 0: this thread, the loop's
    counts = {"open": 0, "requests": 0}
    all_closed = asyncio.Event()

    async def respond(reader, writer):
        counts["open"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                get = head.startswith(b"GET ")
                close = not get or b"\r\nconnection: close\r\n" in head.lower()
                writer.write(RESPONSE if get else REJECT)
                await writer.drain()
                counts["requests"] += 1
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
            counts["open"] -= 1
            if counts["open"] == 0:
                all_closed.set()

    server = await asyncio.start_server(respond, "127.0.0.1", 0)
    print("port", server.sockets[0].getsockname()[1], flush=True)
    before = resource.getrusage(resource.RUSAGE_THREAD)
    await all_closed.wait()
    after = resource.getrusage(resource.RUSAGE_THREAD)
    server.close()
    print("requests", counts["requests"])
    print("user_us", (after.ru_utime - before.ru_utime) * 1e6)
    print("system_us", (after.ru_stime - before.ru_stime) * 1e6)
    print("preempted", after.ru_nivcsw - before.ru_nivcsw)


async def lines(port):
    """Reads lines from a feeder on `port` until end of file, one readline at a time."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    count = 0
    start = time.perf_counter_ns()
    while await reader.readline():
        count += 1
    elapsed = time.perf_counter_ns() - start
    writer.close()
    print("lines", count)
    print("ns_per_line", elapsed / max(count, 1))


def main():
    mode, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if mode == "pingpong":
        asyncio.run(pingpong(*args))
    elif mode == "throughput":
        asyncio.run(throughput(*args))
    elif mode == "lines":
        asyncio.run(lines(*args))
    elif mode == "http-asyncio":
        asyncio.run(http_server(*args))
    elif mode == "http-uvloop":
        try:
            import uvloop
        except ImportError:
            raise SystemExit("uvloop not installed (pip install uvloop)")
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(http_server(*args))
    else:
        raise SystemExit(f"unknown mode {mode}")


main()
