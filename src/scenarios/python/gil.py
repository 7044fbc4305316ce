"""Threads vs processes and the GIL: CPU work and I/O work, timed both ways.

WORKERS=2  WORK=25 (factorial of WORK thousand)  LATENCY_MS=300  REPEAT=3
"""
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

WORKERS = int(os.environ.get("WORKERS", 2))
N = int(os.environ.get("WORK", 25)) * 1000
LATENCY = float(os.environ.get("LATENCY_MS", 300)) / 1000
REPEAT = int(os.environ.get("REPEAT", 3))


def cpu_task(n):
    return math.factorial(n).bit_length()


def io_task(_):
    time.sleep(LATENCY)  # the GIL is released while sleeping
    return 0


def timed(label, run):
    """Like timeit.repeat: time it REPEAT times and keep the best (least disturbed) run."""
    best = float("inf")
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<22} {best:8.3f} s", flush=True)
    return best


def compare(kind, task, arg):
    serial = timed(f"{kind} one after another", lambda: [task(arg) for _ in range(WORKERS)])
    for name, executor in (("threads", ThreadPoolExecutor), ("processes", ProcessPoolExecutor)):
        with executor(WORKERS) as pool:
            list(pool.map(abs, range(WORKERS)))  # start the workers before timing
            took = timed(f"{kind} on {WORKERS} {name}", lambda: list(pool.map(task, [arg] * WORKERS)))
        print(f"  speedup with {name}: {serial / took:.2f}x", flush=True)


if __name__ == "__main__":
    print(f"{WORKERS} tasks of factorial({N}), {os.cpu_count()} cores")
    compare("cpu", cpu_task, N)
    compare("io", io_task, None)
