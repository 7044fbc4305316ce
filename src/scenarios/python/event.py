"""Event: workers wait for the main program's go; an impatient wait times out with False.

WORKERS=3  SET_AFTER_MS=500  TIMEOUT_MS=200
"""
import os
import sys
import threading
import time

WORKERS = int(os.environ.get("WORKERS", 3))
SET_AFTER = float(os.environ.get("SET_AFTER_MS", 500)) / 1000
TIMEOUT = float(os.environ.get("TIMEOUT_MS", 200)) / 1000

go = threading.Event()


def say(line):
    sys.stdout.write(line + "\n")  # one write per line, so lines never merge


def patient(name):
    go.wait()
    say(f"{name}: got the go-ahead")


def impatient(name):
    if go.wait(TIMEOUT):
        say(f"{name}: wait returned True")
    else:
        say(f"{name}: gave up after {TIMEOUT:.3f} s, wait returned False")


if __name__ == "__main__":
    threads = [threading.Thread(target=patient, args=(f"waiter-{i + 1}",)) for i in range(WORKERS)]
    threads.append(threading.Thread(target=impatient, args=("impatient",)))
    for t in threads:
        t.start()
    time.sleep(SET_AFTER)
    print("main: setting the event", flush=True)
    go.set()
    for t in threads:
        t.join()
    go.clear()
    print(f"after clear(): is_set() is {go.is_set()}")
