"""asyncio streams on a localhost TCP echo, measured as benches/net measures its Rust peers.

Run by the benches package's `python::run` as `python3 -c <this file> MODE ARGS...`; prints
`key value` lines. Server and client run on one event loop, on one thread, as the Rust peers.
"""

import asyncio
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


def main():
    mode, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if mode == "pingpong":
        asyncio.run(pingpong(*args))
    elif mode == "throughput":
        asyncio.run(throughput(*args))
    else:
        raise SystemExit(f"unknown mode {mode}")


main()
