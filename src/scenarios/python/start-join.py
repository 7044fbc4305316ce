"""Start and join: named workers, default names, is_alive, exit codes, daemons.

Sizes come from the environment, e.g. WORKERS=3 LATENCY_MS=10 python3 start-join.py
"""
import os
import time
from multiprocessing import Process, current_process

WORKERS = int(os.environ.get("WORKERS", 5))
LATENCY = float(os.environ.get("LATENCY_MS", 50)) / 1000
DAEMON = os.environ.get("DAEMON", "0") == "1"
JOIN_TIMEOUT = float(os.environ.get("JOIN_TIMEOUT_MS", 0)) / 1000 or None


def worker(number):
    time.sleep(LATENCY)
    print(f"Worker: {number} ({current_process().name})", flush=True)


def doubler(number):
    result = number * 2
    print(f"{number} doubled to {result} by process id: {os.getpid()}", flush=True)


def main():
    workers = [Process(target=worker, args=(i,), daemon=DAEMON) for i in range(WORKERS)]
    for w in workers:
        w.start()

    service = Process(target=doubler, args=(5,), name="my_service")
    service.start()
    print(f"started {service.name}; alive: {service.is_alive()}", flush=True)

    for w in workers + [service]:
        w.join(JOIN_TIMEOUT)
        state = "still running" if w.is_alive() else f"exit code {w.exitcode}"
        print(f"joined {w.name}: {state}", flush=True)
    # A daemon that is still running is terminated when the main process exits.
    print(f"main is {current_process().name}; done", flush=True)


if __name__ == "__main__":
    main()
