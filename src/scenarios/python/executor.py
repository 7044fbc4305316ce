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


if __name__ == "__main__":
    payload = bytes(range(256)) * (PAYLOAD_KB * 4)
    start = time.perf_counter()
    size = len(pickle.dumps(payload))
    pickling = time.perf_counter() - start
    print(f"one argument pickles to {size} bytes in {pickling * 1000:.3f} ms "
          f"(paid per task only by processes)")

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
