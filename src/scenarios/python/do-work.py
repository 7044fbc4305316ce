"""The pool timing experiment: do_work(pool_size, items, flavour, kind), timed four ways.

The defaults are the classic run's: a pool of 50, 300 file items of about 600 KB and
2000 square items.  POOL=50  FILE_ITEMS=300  FILE_KB=600  SQUARE_ITEMS=2000
"""
import os
import tempfile
import time
from multiprocessing import Pool
from multiprocessing.pool import ThreadPool

POOL = int(os.environ.get("POOL", 50))
FILE_ITEMS = int(os.environ.get("FILE_ITEMS", 300))
FILE_KB = int(os.environ.get("FILE_KB", 600))
SQUARE_ITEMS = int(os.environ.get("SQUARE_ITEMS", 2000))

SOURCE_MS = {  # the source's figures: first machine, second machine
    ("thread", "fileio"): (455.752, 237.557),
    ("process", "fileio"): (319.279, 323.963),
    ("thread", "square"): (338.309, 232.082),
    ("process", "square"): (287.488, 282.785),
}


def fileio(number):
    """Write a buffer to a file and read it back."""
    data = bytes([number % 256]) * (FILE_KB * 1024)
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        return len(f.read())


def square(number):
    return number * number


def do_work(pool_size, items, flavour, kind):
    """Start a pool, apply_async every item, get() every result; time all of it."""
    start = time.perf_counter()
    pool_class = ThreadPool if flavour == "thread" else Pool
    task = fileio if kind == "fileio" else square
    with pool_class(pool_size) as pool:
        pending = [pool.apply_async(task, (i,)) for i in range(items)]
        results = [p.get() for p in pending]
    assert len(results) == items
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    print(f"pool {POOL}, {FILE_ITEMS} file items of {FILE_KB} KB, {SQUARE_ITEMS} square items")
    print(f"{'case':<16}{'here':>10}{'source 1':>11}{'source 2':>11}")
    for (flavour, kind), (first, second) in SOURCE_MS.items():
        items = FILE_ITEMS if kind == "fileio" else SQUARE_ITEMS
        ms = do_work(POOL, items, flavour, kind)
        print(f"{flavour + '/' + kind:<16}{ms:>8.3f} ms{first:>8.3f} ms{second:>8.3f} ms", flush=True)
