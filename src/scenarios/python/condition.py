"""Condition: consumers wait for data on a condition; notify wakes one, notify_all wakes all.

WORKERS=3 (consumers)  ITEMS=6  NOTIFY=notify|notify_all  LATENCY_MS=100
"""
import os
import threading
import time

CONSUMERS = int(os.environ.get("WORKERS", 3))
ITEMS = int(os.environ.get("ITEMS", 6))
NOTIFY_ALL = os.environ.get("NOTIFY", "notify") == "notify_all"
PAUSE = float(os.environ.get("LATENCY_MS", 100)) / 1000

ready = threading.Condition()
items = []
finished = False
wakeups = 0
empty_wakeups = 0


def consumer(name):
    global wakeups, empty_wakeups
    while True:
        with ready:
            while not items and not finished:  # always wait in a loop on the predicate
                ready.wait()
                wakeups += 1
                if not items and not finished:
                    empty_wakeups += 1
            if not items:
                return  # finished and nothing left
            item = items.pop(0)
        print(f"{name} took item {item}", flush=True)


def producer():
    global finished
    for i in range(ITEMS):
        time.sleep(PAUSE)
        with ready:
            items.append(i)
            if NOTIFY_ALL:
                ready.notify_all()
            else:
                ready.notify()
    with ready:
        finished = True
        ready.notify_all()  # everyone must see that the work is over


if __name__ == "__main__":
    threads = [threading.Thread(target=consumer, args=(f"consumer-{i + 1}",)) for i in range(CONSUMERS)]
    threads.append(threading.Thread(target=producer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    how = "notify_all" if NOTIFY_ALL else "notify"
    print(f"{how}: {wakeups} wake-ups, {empty_wakeups} found nothing to do")
