"""Pool: a queue of jobs with only k running at once while the others wait.

POOL=4  ITEMS=12  METHOD=map|apply|apply_async|imap|imap_unordered  CHUNKSIZE=1  LATENCY_MS=100  SEED=42
"""
import os
import random
import time
from multiprocessing import Pool, current_process

POOL = int(os.environ.get("POOL", 4))
ITEMS = int(os.environ.get("ITEMS", 12))
METHOD = os.environ.get("METHOD", "map")
CHUNKSIZE = int(os.environ.get("CHUNKSIZE", 1))
LATENCY = float(os.environ.get("LATENCY_MS", 100)) / 1000
SEED = int(os.environ.get("SEED", 42))


def job(task):
    number, pause = task
    time.sleep(pause)  # tasks take different times, so they finish out of order
    print(f"{current_process().name} finished job {number}", flush=True)
    return number * number


if __name__ == "__main__":
    rng = random.Random(SEED)
    tasks = [(n, rng.uniform(0, LATENCY)) for n in range(ITEMS)]
    start = time.perf_counter()
    with Pool(POOL) as pool:
        if METHOD == "map":
            results = pool.map(job, tasks, chunksize=CHUNKSIZE)  # input order
        elif METHOD == "apply":
            results = [pool.apply(job, (t,)) for t in tasks]  # one at a time
        elif METHOD == "apply_async":
            pending = [pool.apply_async(job, (t,)) for t in tasks]
            results = [p.get(timeout=60) for p in pending]
        elif METHOD == "imap":
            results = list(pool.imap(job, tasks, chunksize=CHUNKSIZE))
        else:
            results = list(pool.imap_unordered(job, tasks, chunksize=CHUNKSIZE))  # completion order
    elapsed = time.perf_counter() - start
    print(f"{METHOD}: {results}")
    print(f"{ITEMS} jobs on a pool of {POOL} in {elapsed:.3f} s")
