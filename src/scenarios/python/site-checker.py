"""A site status checker: a work queue of URLs, a done queue of results, STOP to end.

WORKERS=4  ITEMS=12 (URLs)  LATENCY_MS=150  FAIL_URLS=2  SEED=42
The checks are simulated (a sleep and a made-up status), so no network is needed.
"""
import os
import random
import time
from multiprocessing import Process, Queue, current_process

WORKERS = int(os.environ.get("WORKERS", 4))
URLS = int(os.environ.get("ITEMS", 12))
LATENCY = float(os.environ.get("LATENCY_MS", 150)) / 1000
FAILING = int(os.environ.get("FAIL_URLS", 2))
SEED = int(os.environ.get("SEED", 42))


def check(url, failing):
    """Pretend to fetch `url`: wait, then return a status or raise."""
    time.sleep(LATENCY * random.uniform(0.5, 1.5))
    if url in failing:
        raise ConnectionError(f"could not connect to {url}")
    return 200


def worker(work, done, failing):
    name = current_process().name
    for url in iter(work.get, "STOP"):
        try:
            status = check(url, failing)
            done.put(f"{name} - {url} got {status}.")
        except Exception as error:
            done.put(f"{name} failed on {url} with: {error}")


if __name__ == "__main__":
    urls = [f"http://site-{i + 1}.example" for i in range(URLS)]
    failing = set(random.Random(SEED).sample(urls, min(FAILING, len(urls))))
    work, done = Queue(), Queue()
    for url in urls:
        work.put(url)
    workers = [Process(target=worker, args=(work, done, failing)) for _ in range(WORKERS)]
    for w in workers:
        w.start()
        work.put("STOP")  # one STOP per worker
    for _ in urls:
        print(done.get(), flush=True)
    for w in workers:
        w.join()
    print(f"checked {len(urls)} URLs with {WORKERS} workers")
