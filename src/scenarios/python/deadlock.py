"""Deadlock: two threads take two locks in opposite orders; detect the cycle, then fix it.

OPPOSITE_ORDER=1  HOLD_MS=50  TIMEOUT_MS=1000
Each thread gives up on its second lock after TIMEOUT_MS, so the program always ends
(the playground's 0, "wait for ever", becomes 1000 ms here: nothing could stop the script).
"""
import os
import threading
import time

OPPOSITE = os.environ.get("OPPOSITE_ORDER", "1") == "1"
HOLD = float(os.environ.get("HOLD_MS", 50)) / 1000
TIMEOUT = (float(os.environ.get("TIMEOUT_MS", 0)) or 1000) / 1000

locks = {"A": threading.Lock(), "B": threading.Lock()}
waiting_for = {}  # thread name -> (lock it holds, lock it waits for)
report_lock = threading.Lock()


def transfer(first, second):
    name = threading.current_thread().name
    with locks[first]:
        print(f"{name} holds lock {first}", flush=True)
        time.sleep(HOLD)  # long enough for the other thread to take its first lock
        with report_lock:
            waiting_for[name] = (first, second)
        if locks[second].acquire(timeout=TIMEOUT):
            try:
                print(f"{name} holds {first} and {second}: done", flush=True)
            finally:
                locks[second].release()
        else:
            print(f"{name} gave up waiting for lock {second}", flush=True)
            return False
    return True


def report_cycle():
    edges = sorted(waiting_for.items())
    for name, (held, wanted) in edges:
        for other, (other_held, other_wanted) in edges:
            if other != name and other_held == wanted and other_wanted == held:
                print(f"cycle: {name} holds {held} and waits for {wanted}; "
                      f"{other} holds {other_held} and waits for {other_wanted}")
                return


if __name__ == "__main__":
    second_order = ("B", "A") if OPPOSITE else ("A", "B")
    finished = []
    t1 = threading.Thread(target=lambda: finished.append(transfer("A", "B")), name="Thread-1")
    t2 = threading.Thread(target=lambda: finished.append(transfer(*second_order)), name="Thread-2")
    for t in (t1, t2):
        t.start()
    for t in (t1, t2):
        t.join()
    if all(finished):
        print("no deadlock: both threads took the locks in the same order")
    else:
        print("deadlock: each thread held one lock and waited for the other")
        report_cycle()
