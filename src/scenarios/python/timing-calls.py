"""Timing a call, k at a time: latency per call and throughput as k grows.

REPEATS=10  WORKERS=4  LATENCY_MS=50
The "request" is simulated with a sleep, so no server is needed.
"""
import os
import time
import timeit
from concurrent.futures import ThreadPoolExecutor

REPEATS = int(os.environ.get("REPEATS", 10))
WORKERS = int(os.environ.get("WORKERS", 4))
LATENCY = float(os.environ.get("LATENCY_MS", 50)) / 1000


def request():
    time.sleep(LATENCY)  # stands in for a round trip to a server
    return 200


if __name__ == "__main__":
    total = timeit.timeit(request, number=REPEATS)
    print(f"1 at a time: {REPEATS} calls in {total:.3f} s, "
          f"{total / REPEATS * 1000:.1f} ms per call, {REPEATS / total:.1f} calls/s")

    for k in sorted({1, 2, WORKERS}):
        latencies = []

        def timed_request(_):
            start = time.perf_counter()
            request()
            latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        with ThreadPoolExecutor(k) as pool:
            list(pool.map(timed_request, range(REPEATS * k)))
        wall = time.perf_counter() - start
        mean = sum(latencies) / len(latencies)
        print(f"{k} at a time: {mean * 1000:.1f} ms per call, {len(latencies) / wall:.1f} calls/s")
