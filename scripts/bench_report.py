"""Builds the benchmark table from target/bench/{native.jsonl,browser.json,cpython.jsonl}.

Prints `id | figure | value | goal | meets?` and writes target/bench.json and target/bench.md.
Missing inputs make rows say "n/a"; never fails because of speed.
"""
import json
import os
import sys

D = sys.argv[1] if len(sys.argv) > 1 else "target/bench"
OUT = os.path.dirname(os.path.abspath(D))


def jsonl(p):
    try:
        with open(p) as f:
            return [json.loads(l) for l in f if l.strip().startswith("{")]
    except OSError:
        return []


native = {r["name"]: r for r in jsonl(os.path.join(D, "native.jsonl"))}
cpy = jsonl(os.path.join(D, "cpython.jsonl"))
try:
    browser = json.load(open(os.path.join(D, "browser.json")))
except (OSError, ValueError):
    browser = {}
rows = []


def row(i, fig, value, goal, ok, unit=""):
    v = "n/a" if value is None else (f"{value:,.3g}{unit}" if isinstance(value, float) else f"{value}{unit}")
    rows.append({"id": i, "figure": fig, "value": v, "goal": goal,
                 "meets": "n/a" if ok is None or value is None else ("yes" if ok else "NO")})


def nv(name):
    r = native.get(name)
    return r["value"] if r else None


cores = browser.get("cores") or os.cpu_count()
# P1
cpu = browser.get("cpu", {})
t1 = cpu.get("1")
for k, t in sorted(cpu.items(), key=lambda kv: int(kv[0])):
    k = int(k)
    s = t1 / t if t1 and t else None
    if k <= cores:
        row("P1", f"browser speedup k={k}", s, f">= {0.95 * k:.2f}", s is not None and s >= 0.95 * k, "x")
    else:
        row("P1", f"browser speedup k={k} (oversubscribed)", s, f"~{cores} (info)", None, "x")
# The GIL lesson, natively (info): what the learner should see, threads ~1x, processes ~cores.
for fl in ("thread", "process"):
    row("P1", f"  native gil lesson, CPU work on 2 {fl}-flavoured workers: speedup", nv(f"native_gil_{fl}_speedup"),
        "(info)", None, "x")
# P2
w, n = browser.get("wasm_iters_per_us"), nv("native_iters_per_us")
row("P2", "per-thread speed wasm / native (sum of squares)", w / n if w and n else None, ">= 0.8", w and n and w / n >= 0.8, "x")
row("P2", "  native iterations/us", n, "(info)", None)
# P3
cp_do = {(r["method"], r["process_count"]): r for r in cpy if r.get("bench") == "do_work"}
for name, r in native.items():
    if r["id"] != "P3":
        continue
    key = (r["method"], r["count"])
    c = cp_do.get(key)
    best = min(c["thread_ms"]["median"], c["process_ms"]["median"]) if c else None
    ratio = best / r["value"] if best else None
    row("P3", f"{name} ms (CPython best {best:.1f} ms)" if best else f"{name} ms",
        r["value"], ">= 3x faster than CPython", ratio is not None and ratio >= 3, "")
    rows[-1]["value"] += f" ({ratio:.1f}x)" if ratio else ""
# P4
cp_pool = next((r for r in cpy if r.get("bench") == "pool_dispatch"), {})
cpr = cp_pool.get("mp_apply_async_tasks_per_s_median")
rayon = nv("native_rayon_spawn_channel")
for key, fl in (("dispatch", "process"), ("dispatch_thread", "thread")):
    for tr in (0, 1):
        b = browser.get(f"{key}_traced_{tr}")
        row("P4", f"browser {fl} pool apply_async+get/s, tracing {'on' if tr else 'off'}", b,
            ">= 1M/s, >= 50x CPython, >= 0.2x rayon" if not tr else "(info)",
            (b >= 1e6 and (not cpr or b >= 50 * cpr) and (not rayon or b >= 0.2 * rayon)) if (b and not tr) else None)
for fl in ("process", "thread"):
    for tr in ("false", "true"):
        v = nv(f"native_dispatch_{fl}_traced_{tr}")
        goal = ">= 1M/s, >= 50x CPython, >= 0.2x rayon" if tr == "false" else "(info)"
        ok = (v >= 1e6 and (not cpr or v >= 50 * cpr) and (not rayon or v >= 0.2 * rayon)) if (v and tr == "false") else None
        row("P4", f"native {fl} pool apply_async+get/s, traced={tr}", v, goal, ok)
row("P4", "native rayon spawn+channel/s", rayon, "(baseline)", None)
row("P4", "CPython Pool.apply_async/s", cpr, "(baseline)", None)
# P8
cq = next((r for r in cpy if r.get("bench") == "queue_roundtrip"), {})
row("P8", "browser queue hand-off round trip, median", browser.get("handoff_median_us"), "<= 60 us",
    browser.get("handoff_median_us") is not None and browser["handoff_median_us"] <= 60, " us")
row("P8", "native queue hand-off round trip, median", nv("native_handoff_median_us"), "<= 60 us",
    nv("native_handoff_median_us") is not None and nv("native_handoff_median_us") <= 60, " us")
for k, label in (("mp_queue_us", "CPython multiprocessing.Queue"), ("thr_queue_us", "CPython queue.Queue threads")):
    row("P8", label, cq.get(k, {}).get("median"), "(baseline)", None, " us")
# P5
tr = browser.get("transfer", {})
ld = browser.get("load", {})
row("P5", "page transfer size (gzip -9)", tr.get("gzip_kb"), "<= 350 KB", tr.get("gzip_kb", 1e9) <= 350, " KB")
row("P5", "load -> pool ready (first visit, served with static/_headers)", ld.get("pool_ready_ms"), "<= 300 ms", ld.get("pool_ready_ms", 1e9) <= 300, " ms")
row("P5", "load -> first run's first line (start-join ?run=1)", ld.get("first_line_ms"), "<= 1000 ms", ld.get("first_line_ms", 1e9) <= 1000, " ms")
# The page served as static/_headers says, first visit (above); for information, the same
# from a server that lets nothing be cached (every pool Worker fetches the JS glue again),
# and a returning visitor's load (the hashed files come from the cache).
for key, label in (("load_no_store", "served with Cache-Control: no-store"), ("load_repeat", "repeat visit")):
    x = browser.get(key, {})
    row("P5", f"  pool ready, {label}", x.get("pool_ready_ms"), "(info)", None, " ms")
    row("P5", f"  first line, {label}", x.get("first_line_ms"), "(info)", None, " ms")
# P6
fl = browser.get("flood", {})
if fl:
    lost = fl["expected"] - fl["lines"] + fl["dropped"]
    row("P6", f"flood check {fl['expected']:,} lines on screen: lost (dropped {fl['dropped']}, shown {fl['lines']:,})", lost, "0", lost == 0)
    row("P6", f"flood: longest main-thread task ({fl['long_tasks']} over 50 ms; worst frame gap {fl['worst_frame_gap_ms']:.0f} ms)", fl["longest_task_ms"], "<= 50 ms", fl["longest_task_ms"] <= 50, " ms")
    row("P6", "flood: p95 line-to-screen latency", fl["lat_p95_ms"], "<= 100 ms", fl["lat_p95_ms"] <= 100, " ms")
    if "cold_longest_task_ms" in fl:
        row("P6", f"  the page's first 1 s flood, V8 still compiling ({fl['cold_long_tasks']} over 50 ms)", fl["cold_longest_task_ms"], "(info)", None, " ms")
else:
    row("P6", "flood", None, "", None)
# P7
r = native.get("native_lock_traced_over_untraced")
row("P7", "native lock-heavy traced / untraced wall" + (f" ({r['traced_ms']:.0f} / {r['untraced_ms']:.0f} ms)" if r else ""),
    r and r["value"], "<= 1.25x", r is not None and r["value"] <= 1.25, "x")
for w in (1, 2):
    c = native.get(f"native_record_ns_{w}w")
    row("P7", f"  recording cost per event, {w} writer{'s' if w > 1 else ''} at once", c and c["value"], "(info)", None, " ns")

load = open("/proc/loadavg").read().split()[:3]
head = f"Load average (1/5/15 min): {' '.join(load)} on {os.cpu_count()} CPUs"
lines = ["| id | figure | value | goal | meets? |", "|---|---|---|---|---|"]
lines += [f"| {r['id']} | {r['figure']} | {r['value']} | {r['goal']} | {r['meets']} |" for r in rows]
md = head + "\n\n" + "\n".join(lines) + "\n"
if browser.get("error"):
    md += f"\nBrowser part failed: {browser['error'].splitlines()[0]}\n"
print(md)
with open(os.path.join(OUT, "bench.md"), "w") as f:
    f.write(md)
with open(os.path.join(OUT, "bench.json"), "w") as f:
    json.dump({"load": load, "rows": rows, "native": native, "browser": browser, "cpython": cpy}, f, indent=1)
