#!/usr/bin/env bash
# Benchmarks: the engine natively, the site in headless Chromium, and CPython's anchors
# (../shared/bench), side by side in one table (target/bench.md, target/bench.json).
# Figures are goals, not tests: this never fails because of speed.
# BENCH_REPS (default 5) sets the repetitions; BENCH_SKIP_BUILD=1 reuses dist/.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
OUT=target/bench
SHARED=${BENCH_SHARED:-/work/shared/bench}
mkdir -p "$OUT"
rm -f "$OUT"/native.jsonl "$OUT"/cpython.jsonl "$OUT"/browser.json
stage() { echo "== $* ($(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }

stage "build: native example, release site"
# Native builds use the toolchain's own std: the rebuilt, size-optimised one is for wasm.
env -u CARGO_UNSTABLE_BUILD_STD -u CARGO_UNSTABLE_BUILD_STD_FEATURES \
  cargo build --profile release-native --example bench_native || exit 1
if [ -z "${BENCH_SKIP_BUILD:-}" ] || [ ! -f dist/index.html ]; then
  trunk build --release || exit 1
fi

stage "native engine"
target/release-native/examples/bench_native > "$OUT/native.jsonl" || echo "native part failed" >&2

stage "CPython"
if command -v python3 >/dev/null && [ -d "$SHARED" ]; then
  scratch="$PWD/target/bench/py-scratch"; mkdir -p "$scratch"
  ( cd "$scratch" && export BENCH_NO_WAIT=1 &&
    python3 "$SHARED/py_do_work.py" --reps "${BENCH_PY_REPS:-3}" --counts "50,$(nproc)" --no-wait &&
    python3 "$SHARED/py_dispatch.py" --part pools --reps "${BENCH_PY_REPS:-3}" &&
    python3 "$SHARED/py_dispatch.py" --part queues ) > "$OUT/cpython.jsonl" || echo "CPython part failed" >&2
  rm -rf "$scratch/test"
else
  echo "no python3 or $SHARED: CPython columns left empty" >&2
fi

stage "browser (headless Chromium)"
node scripts/bench-browser.mjs "$OUT/browser.json" || echo "browser part failed" >&2

stage "table"
python3 scripts/bench_report.py "$OUT"
exit 0
