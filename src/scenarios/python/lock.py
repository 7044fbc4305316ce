"""Lock: garbled lines and lost updates without it, whole lines and an exact total with it.

USE_LOCK=0|1  WORKERS=4  ITEMS=10000 (increments per worker)  PART=both|print|counter
"""
import os
import sys
import threading
import time

USE_LOCK = os.environ.get("USE_LOCK", "0") == "1"
WORKERS = int(os.environ.get("WORKERS", 4))
INCREMENTS = int(os.environ.get("ITEMS", 10000))
PART = os.environ.get("PART", "both")

lock = threading.Lock()
WORDS = ["tango...", "foxtrot...", "10"]


class NoLock:
    """Stands in for the lock when it is turned off."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


guard = lock if USE_LOCK else NoLock()


def say(word, times=3):
    for _ in range(times):
        with guard:
            # One line written a character at a time; the pause lets another thread in.
            for piece in word + "\n":
                sys.stdout.write(piece)
                time.sleep(0.001)
        sys.stdout.flush()


counter = 0


def add(times):
    global counter
    for _ in range(times):
        with guard:
            current = counter  # read...
            time.sleep(0)  # ...another thread may run here...
            counter = current + 1  # ...and write back, overwriting its update


def run_all(target, args_list):
    threads = [threading.Thread(target=target, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    print(f"lock is {'on' if USE_LOCK else 'off'}")
    if PART in ("both", "print"):
        run_all(say, [(WORDS[i % len(WORDS)],) for i in range(WORKERS)])
    if PART in ("both", "counter"):
        run_all(add, [(INCREMENTS,)] * WORKERS)
        expected = WORKERS * INCREMENTS
        print(f"counter: expected {expected}, got {counter} ({expected - counter} updates lost)")
