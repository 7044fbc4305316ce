"""Producer and consumers on a queue, stopped by one sentinel per consumer.

WORKERS=2 (consumers)  ITEMS=3  CAPACITY=0 (unbounded)  FORGET_SENTINEL=0  LATENCY_MS=20
"""
import os
import queue
import threading
import time

CONSUMERS = int(os.environ.get("WORKERS", 2))
ITEMS = int(os.environ.get("ITEMS", 3))
CAPACITY = int(os.environ.get("CAPACITY", 0))  # 0 means unbounded
FORGET_SENTINEL = os.environ.get("FORGET_SENTINEL", "0") == "1"
WORK = float(os.environ.get("LATENCY_MS", 20)) / 1000
SENTINEL = -1


def make_items(count):
    first = [5, 10, 13]
    return first[:count] + [13 + 3 * i for i in range(1, count - len(first) + 1)]


def producer(jobs):
    for item in make_items(ITEMS):
        jobs.put(item)  # blocks while a bounded queue is full
        print(f"producer put {item}", flush=True)
    sentinels = CONSUMERS - 1 if FORGET_SENTINEL else CONSUMERS
    for _ in range(sentinels):
        jobs.put(SENTINEL)


def consumer(jobs, name, consumed):
    while True:
        item = jobs.get()
        if item == SENTINEL:
            print(f"{name} read the sentinel and stops", flush=True)
            return
        time.sleep(WORK)
        print(f"{name} doubled {item} to {item * 2}", flush=True)
        consumed.append(item)


if __name__ == "__main__":
    jobs = queue.Queue(maxsize=CAPACITY)
    consumed = []
    # Daemon consumers, so a consumer left waiting cannot keep the program alive.
    consumers = [
        threading.Thread(
            target=consumer, args=(jobs, f"consumer-{i + 1}", consumed), name=f"consumer-{i + 1}", daemon=True
        )
        for i in range(CONSUMERS)
    ]
    for c in consumers:
        c.start()
    producer(jobs)
    for c in consumers:
        # A plain join() would wait forever for a consumer whose sentinel never comes
        # (the playground's run does, and names the stuck consumer); the script gives up.
        c.join(timeout=2.0)
    waiting = [c.name for c in consumers if c.is_alive()]
    print(f"produced {ITEMS}, consumed {len(consumed)}")
    for name in waiting:
        print(f"{name} is still blocked in get(): its sentinel was never put")
