"""A parallel list comprehension: [f(x) for x in xs] becomes pool.map(f, xs).

POOL=2  ITEMS=40  WORK=1000 (thousand steps per item)  REPEAT=3
"""
import os
import time
from multiprocessing import Pool

POOL = int(os.environ.get("POOL", 2))
ITEMS = int(os.environ.get("ITEMS", 40))
STEPS = int(os.environ.get("WORK", 1000)) * 1000
REPEAT = int(os.environ.get("REPEAT", 3))


def f(x):
    total = 0
    for i in range(STEPS):
        total += (x * i) % 7
    return total


def timed(body):
    start = time.perf_counter()
    result = body()
    return result, time.perf_counter() - start


if __name__ == "__main__":
    xs = range(ITEMS)
    with Pool(POOL) as pool:
        # Like timeit.repeat: time both ways REPEAT times; the least disturbed run counts.
        serial_time = parallel_time = float("inf")
        for _ in range(REPEAT):
            serial, took = timed(lambda: [f(x) for x in xs])
            serial_time = min(serial_time, took)
            parallel, took = timed(lambda: pool.map(f, xs))
            parallel_time = min(parallel_time, took)
            assert parallel == serial
    speedup = serial_time / parallel_time
    print(f"comprehension: {serial_time:.3f} s (best of {REPEAT})")
    print(f"pool.map({POOL}):  {parallel_time:.3f} s (best of {REPEAT})")
    print(f"same results; speedup {speedup:.2f}x, efficiency {speedup / POOL:.0%}")
