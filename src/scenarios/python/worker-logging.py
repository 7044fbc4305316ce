"""Logging from workers: every record carries its worker's name and a timestamp, one sink.

WORKERS=3  ITEMS=5 (records per worker)  LEVEL=DEBUG|INFO|WARNING
"""
import logging
import logging.handlers
import os
from multiprocessing import Process, Queue

WORKERS = int(os.environ.get("WORKERS", 3))
RECORDS = int(os.environ.get("ITEMS", 5))
LEVEL = getattr(logging, os.environ.get("LEVEL", "INFO"))


def worker(records, number):
    # In the worker: send every record to the shared queue instead of writing it.
    log = logging.getLogger("playground")
    log.handlers[:] = [logging.handlers.QueueHandler(records)]
    log.setLevel(LEVEL)
    for i in range(RECORDS):
        log.debug("step %d: details", i)
        log.info("step %d of worker %d", i, number)
    log.warning("worker %d is done", number)


if __name__ == "__main__":
    records = Queue()
    sink = logging.StreamHandler()
    sink.setFormatter(logging.Formatter("%(asctime)s %(processName)-10s %(levelname)-7s %(message)s"))
    listener = logging.handlers.QueueListener(records, sink)  # the one writer
    listener.start()
    workers = [Process(target=worker, args=(records, i + 1)) for i in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    listener.stop()
