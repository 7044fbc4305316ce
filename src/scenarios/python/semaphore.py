"""Semaphore: at most k workers inside at once; a bounded semaphore refuses an extra release.

WORKERS=8  SLOTS=3  LATENCY_MS=100  BOUNDED=1  OVER_RELEASE=0
"""
import os
import threading
import time

WORKERS = int(os.environ.get("WORKERS", 8))
SLOTS = int(os.environ.get("SLOTS", 3))
STAY = float(os.environ.get("LATENCY_MS", 100)) / 1000
BOUNDED = os.environ.get("BOUNDED", "1") == "1"
OVER_RELEASE = os.environ.get("OVER_RELEASE", "0") == "1"

connections = threading.BoundedSemaphore(SLOTS) if BOUNDED else threading.Semaphore(SLOTS)
count_lock = threading.Lock()
inside = 0
most_inside = 0


def use_connection(name):
    global inside, most_inside
    with connections:
        with count_lock:
            inside += 1
            most_inside = max(most_inside, inside)
            print(f"{name} in ({inside} inside)", flush=True)
        time.sleep(STAY)
        with count_lock:
            inside -= 1


if __name__ == "__main__":
    threads = [threading.Thread(target=use_connection, args=(f"worker-{i + 1}",)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"most inside at once: {most_inside} (limit {SLOTS})")
    if OVER_RELEASE:
        try:
            connections.release()  # one release too many
            print("the semaphore accepted an extra release: now k+1 can get in")
        except ValueError as error:
            print(f"BoundedSemaphore refused an extra release: {error}")
