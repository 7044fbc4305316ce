"""A worker class: subclass Thread and override run(), or pass a target function.

STYLE=subclass|target  WORKERS=3  ITEMS=10  LATENCY_MS=10
"""
import os
import threading
import time

WORKERS = int(os.environ.get("WORKERS", 3))
COUNT = int(os.environ.get("ITEMS", 10))
PAUSE = float(os.environ.get("LATENCY_MS", 10)) / 1000
STYLE = os.environ.get("STYLE", "subclass")

seen = []  # every number in the order it was printed
seen_lock = threading.Lock()


def count_up():
    for i in range(COUNT):
        with seen_lock:
            seen.append(i)
            print(i, flush=True)
        time.sleep(PAUSE)


class Worker(threading.Thread):
    """The same work as count_up, written as a Thread subclass."""

    def run(self):
        count_up()


def main():
    if STYLE == "subclass":
        workers = [Worker() for _ in range(WORKERS)]
    else:
        workers = [threading.Thread(target=count_up) for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("order:", " ".join(str(n) for n in seen))
    print(f"{len(workers)} workers ({STYLE}) printed {len(seen)} numbers")


if __name__ == "__main__":
    main()
