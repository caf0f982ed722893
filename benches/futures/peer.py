"""Python's concurrent.futures.Future, measured the way benches/futures measures its Rust peers.

Run by the benches package's `python::run` as `python3 -c <this file> MODE ARGS...`; prints `key value` lines.
"""

import sys
import threading
import time
from concurrent.futures import Future


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def lifecycle(iters, rounds):
    """Create, complete and read one future at a time; ns per future."""
    samples = []
    for _ in range(rounds + 1):
        start = time.perf_counter_ns()
        for i in range(iters):
            f = Future()
            f.set_result(i)
            f.result()
        samples.append((time.perf_counter_ns() - start) / iters)
    print("ns_per_future", median(samples[1:]))  # the first round warms up


def handoff(n, rounds):
    """Ping-pong: each side blocks in result() on the future the other completes."""
    samples = []
    for _ in range(rounds):
        ping = [Future() for _ in range(n)]
        pong = [Future() for _ in range(n)]
        ready = threading.Barrier(2)

        def echo():
            ready.wait()
            for i in range(n):
                pong[i].set_result(ping[i].result())

        thread = threading.Thread(target=echo)
        thread.start()
        ready.wait()
        start = time.perf_counter_ns()
        for i in range(n):
            ping[i].set_result(i)
            pong[i].result()
        samples.append((time.perf_counter_ns() - start) / n)
        thread.join()
    print("round_trip_ns", median(samples))


def with_callback(slots, i):
    f = Future()
    f.add_done_callback(lambda f, i=i: slots.__setitem__(i, f.result()))
    return f


def callbacks(n):
    """n futures with one done-callback each, completed from two threads."""
    slots = [0] * n
    start = time.perf_counter_ns()
    futures = [with_callback(slots, i) for i in range(n)]
    setup_ns = (time.perf_counter_ns() - start) / n
    spans = [None, None]
    ready = threading.Barrier(2)

    def complete(k, lo, hi):
        ready.wait()
        begin = time.perf_counter_ns()
        for i in range(lo, hi):
            futures[i].set_result(i + 1)
        spans[k] = (begin, time.perf_counter_ns())

    threads = [
        threading.Thread(target=complete, args=(0, 0, n // 2)),
        threading.Thread(target=complete, args=(1, n // 2, n)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = max(end for _, end in spans) - min(begin for begin, _ in spans)
    if any(slots[i] != i + 1 for i in range(n)):
        raise SystemExit("a callback did not run")
    print("setup_ns", setup_ns)
    print("per_sec", n / took * 1e9)


def status_kb(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {key} in /proc/self/status")


def heap(kind, n):
    """Peak resident-set growth per future while n of them are held."""
    held = [None] * n
    slots = [0] * n
    before = status_kb("VmRSS")
    for i in range(n):
        if kind == "done":
            f = Future()
            f.set_result(i)
        else:
            f = with_callback(slots, i)
        held[i] = f
    print("bytes_per_future", (status_kb("VmHWM") - before) * 1024 / n)


def main():
    mode, args = sys.argv[1], [int(arg) for arg in sys.argv[2:]]
    if mode == "lifecycle":
        lifecycle(*args)
    elif mode == "handoff":
        handoff(*args)
    elif mode == "callbacks":
        callbacks(*args)
    elif mode == "heap_done":
        heap("done", *args)
    elif mode == "heap_callbacks":
        heap("callbacks", *args)
    else:
        raise SystemExit(f"unknown mode {mode}")


main()
