"""The bounded buffer: `empty` counts free slots, `fill` counts items, a mutex guards the buffer.

CAPACITY=4  ITEMS=20  PRODUCERS=1  CONSUMERS=2  PRODUCE_MS=10  CONSUME_MS=50
"""
import os
import threading
import time

CAPACITY = int(os.environ.get("CAPACITY", 4))
ITEMS = int(os.environ.get("ITEMS", 20))
PRODUCERS = int(os.environ.get("PRODUCERS", 1))
CONSUMERS = int(os.environ.get("CONSUMERS", 2))
PRODUCE = float(os.environ.get("PRODUCE_MS", 10)) / 1000
CONSUME = float(os.environ.get("CONSUME_MS", 50)) / 1000

buffer = [None] * CAPACITY
put_at = take_at = 0
empty = threading.Semaphore(CAPACITY)  # free slots
fill = threading.Semaphore(0)  # items ready
mutex = threading.Lock()
produced = consumed = 0


def slots():
    return "[" + " ".join("_" if x is None else str(x) for x in buffer) + "]"


def share(total, parts, index):
    """How many of `total` items worker `index` of `parts` handles."""
    return total // parts + (1 if index < total % parts else 0)


def producer(index):
    global put_at, produced
    for _ in range(share(ITEMS, PRODUCERS, index)):
        time.sleep(PRODUCE)
        empty.acquire()
        with mutex:
            produced += 1
            buffer[put_at] = produced
            put_at = (put_at + 1) % CAPACITY
            print(f"producer-{index + 1} put {produced:<3} {slots()}", flush=True)
        fill.release()


def consumer(index):
    global take_at, consumed
    for _ in range(share(ITEMS, CONSUMERS, index)):
        fill.acquire()
        with mutex:
            item = buffer[take_at]
            buffer[take_at] = None
            take_at = (take_at + 1) % CAPACITY
            consumed += 1
            print(f"consumer-{index + 1} got {item:<3} {slots()}", flush=True)
        empty.release()
        time.sleep(CONSUME)


if __name__ == "__main__":
    threads = [threading.Thread(target=producer, args=(i,)) for i in range(PRODUCERS)]
    threads += [threading.Thread(target=consumer, args=(i,)) for i in range(CONSUMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"produced {produced}, consumed {consumed}")
