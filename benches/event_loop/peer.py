"""asyncio's event loop, measured the way benches/event_loop measures its Rust peers.

Run by the benches package's `python::run` as `python3 -c <this file> MODE ARGS...`; prints `key value` lines.
"""

import asyncio
import sys
import time

MASK = (1 << 64) - 1


def splitmix64(i):
    """The i-th pseudo-random number, as benches::splitmix64."""
    z = (0x5EED + ((i + 1) * 0x9E3779B97F4A7C15)) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def ready(n, rounds):
    """n callbacks queued up front, then n callbacks each queueing the next; ns each."""
    upfront, chained = [], []
    for _ in range(rounds):
        loop = asyncio.new_event_loop()
        total = [0]

        def add(i):
            total[0] += i

        start = time.perf_counter_ns()
        for i in range(n):
            loop.call_soon(add, i)
        loop.call_soon(loop.stop)
        loop.run_forever()
        upfront.append((time.perf_counter_ns() - start) / n)

        def step(i):
            total[0] += i
            if i + 1 < n:
                loop.call_soon(step, i + 1)
            else:
                loop.stop()

        start = time.perf_counter_ns()
        loop.call_soon(step, 0)
        loop.run_forever()
        chained.append((time.perf_counter_ns() - start) / n)
        loop.close()
        if total[0] != n * (n - 1):
            raise SystemExit("a callback did not run")
    print("upfront_ns", median(upfront))
    print("chained_ns", median(chained))


def timers(n, max_delay_ns):
    """n timers with random delays: scheduling time, and lateness of those due after it."""
    loop = asyncio.new_event_loop()
    delays = [splitmix64(i) % (max_delay_ns + 1) / 1e9 for i in range(n)]
    fired = [None] * n
    whens = [0.0] * n
    left = [n]

    def fire(i):
        fired[i] = loop.time()
        left[0] -= 1
        if left[0] == 0:
            loop.stop()

    start = time.perf_counter_ns()
    for i in range(n):
        whens[i] = loop.call_later(delays[i], fire, i).when()
    took = time.perf_counter_ns() - start
    ended = loop.time()
    loop.run_forever()
    loop.close()
    late = sorted(fired[i] - whens[i] for i in range(n) if whens[i] > ended)
    print("schedule_ms", took / 1e6)
    if late:
        print("p50_ms", late[(len(late) - 1) // 2] * 1e3)
        print("p99_ms", late[max(0, -(-len(late) * 99 // 100) - 1)] * 1e3)
        print("max_ms", late[-1] * 1e3)


def main():
    mode, args = sys.argv[1], [int(arg) for arg in sys.argv[2:]]
    if mode == "ready":
        ready(*args)
    elif mode == "timers":
        timers(*args)
    else:
        raise SystemExit(f"unknown mode {mode}")


main()
