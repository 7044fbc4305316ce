"""Executors and futures: the same code on threads or processes, switched by one line.

WORKERS=4  ITEMS=8  FLAVOUR=thread|process  PAYLOAD_KB=64  FAIL_ONE=1
"""
import os
import pickle
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed

WORKERS = int(os.environ.get("WORKERS", 4))
TASKS = int(os.environ.get("ITEMS", 8))
FLAVOUR = os.environ.get("FLAVOUR", "thread")
PAYLOAD_KB = int(os.environ.get("PAYLOAD_KB", 64))
FAIL_ONE = os.environ.get("FAIL_ONE", "1") == "1"

# The one line that switches between threads and processes:
Executor = ProcessPoolExecutor if FLAVOUR == "process" else ThreadPoolExecutor


def checksum(number, payload):
    if FAIL_ONE and number == 3:
        raise ValueError(f"task {number} does not like its input")
    return number, sum(payload[::4096])


REPEAT = 5  # each round trip is timed this many times; the best counts, as in timeit


def pickle_round_trip(kb):
    data = [float(i) for i in range(kb * 1024 // 9)]  # about `kb` KB once pickled
    best = float("inf")
    for _ in range(REPEAT):
        start = time.perf_counter()
        blob = pickle.dumps(data)
        pickle.loads(blob)
        best = min(best, time.perf_counter() - start)
    return len(blob), best


if __name__ == "__main__":
    # What crossing to a process costs: pickling grows with the argument.
    for kb in (max(PAYLOAD_KB // 64, 1), max(PAYLOAD_KB // 8, 1), PAYLOAD_KB):
        size, took = pickle_round_trip(kb)
        print(f"an argument of {size:>9} bytes pickles and unpickles in {took * 1000:8.3f} ms (best of {REPEAT})")

    payload = bytes(range(256)) * (PAYLOAD_KB * 4)

    with Executor(max_workers=WORKERS) as executor:
        futures = {executor.submit(checksum, n, payload): n for n in range(TASKS)}
        for future in as_completed(futures):
            number = futures[future]
            try:
                _, total = future.result()
                print(f"as_completed: task {number} -> {total}", flush=True)
            except ValueError as error:
                print(f"as_completed: task {number} raised {error!r}", flush=True)
        squares = list(executor.map(pow, range(5), [2] * 5))
        print(f"map keeps input order: {squares}")
    print(f"{FLAVOUR} executor with {WORKERS} workers")
