"""Shared state: shared memory, a manager's proxy, and message passing, with their costs.

WORKERS=4  ITEMS=1000 (updates per worker)  METHOD=all|value|array|manager|messages
"""
import os
import time
from multiprocessing import Array, Manager, Process, Queue, Value

WORKERS = int(os.environ.get("WORKERS", 4))
OPS = int(os.environ.get("ITEMS", 1000))
METHOD = os.environ.get("METHOD", "all")


def add_to_value(total):
    for _ in range(OPS):
        with total.get_lock():  # Value carries its own lock
            total.value += 1


def add_to_array(slots, index):
    for _ in range(OPS):
        with slots.get_lock():
            slots[index] += 1


def add_by_dict_keys(shared, index):
    # Every get and set is a round trip to the manager process. `shared[k] += 1` is two
    # of them and not atomic, so each worker counts under its own key.
    for _ in range(OPS):
        shared[index] = shared.get(index, 0) + 1


def send_ones(outbox):
    for _ in range(OPS):
        outbox.put(1)


def run(target, args_for):
    workers = [Process(target=target, args=args_for(i)) for i in range(WORKERS)]
    for w in workers:
        w.start()
    return workers


def timed(label, body):
    start = time.perf_counter()
    total = body()
    elapsed = time.perf_counter() - start
    per_op = elapsed / (WORKERS * OPS) * 1e6
    print(f"{label:<9} total {total:>7}  {elapsed:7.3f} s  {per_op:8.2f} us per operation", flush=True)


def with_value():
    total = Value("i", 0)
    for w in run(add_to_value, lambda i: (total,)):
        w.join()
    return total.value


def with_array():
    slots = Array("i", WORKERS)
    for w in run(add_to_array, lambda i: (slots, i)):
        w.join()
    return sum(slots)


def with_manager():
    with Manager() as manager:
        shared = manager.dict()
        for w in run(add_by_dict_keys, lambda i: (shared, i)):
            w.join()
        return sum(shared.values())


def with_messages():
    inbox = Queue()
    workers = run(send_ones, lambda i: (inbox,))
    total = sum(inbox.get() for _ in range(WORKERS * OPS))
    for w in workers:
        w.join()
    return total


if __name__ == "__main__":
    print(f"{WORKERS} workers x {OPS} updates; the exact total is {WORKERS * OPS}")
    methods = {"value": with_value, "array": with_array, "manager": with_manager, "messages": with_messages}
    for name, body in methods.items():
        if METHOD in ("all", name):
            timed(name, body)
