#!/usr/bin/env bash
# Runs every test: formatting and lints, native engine and scenario tests, the engine on
# real Web Workers in headless Chromium (wasm-bindgen-test), then the release build
# served with and without the isolation headers and driven by Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
declare -a timings=()
stage() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  printf '\n==> %s\n' "$name"
  "$@"
  timings+=("$(printf '%-34s %4ss' "$name" $(( $(date +%s) - t0 )))")
}

stage "setup (installs what is missing)" bash scripts/setup.sh
source scripts/env.sh

native_env() { env -u CARGO_UNSTABLE_BUILD_STD -u CARGO_UNSTABLE_BUILD_STD_FEATURES "$@"; }
stage "cargo fmt --check" native_env cargo fmt --all -- --check
stage "cargo clippy (native, -D warnings)" native_env cargo clippy --all-targets -q -- -D warnings
# The UI and the browser runtime only exist on wasm32: lint them there too (the
# "unstable feature atomics" note is not a lint and does not fail it).
stage "cargo clippy (wasm32, -D warnings)" cargo clippy -q --target wasm32-unknown-unknown --lib --bin app -- -D warnings
stage "cargo test (native)" native_env cargo test -q
# The link/knob parser against more than a million random inputs (1.2M property cases of
# 1 to 10 inputs each), optimised so it takes seconds, not minutes.
stage "fuzz the link parser (1.2M cases)" native_env PG_FUZZ_CASES=400000 \
  cargo test -q --profile fuzz --test scenarios -- random_ every_repair
stage "wasm-bindgen-test in Chromium" cargo test --target wasm32-unknown-unknown --test web
# The recorded runs the site ships for pages without live workers (trunk copies static/).
stage "record every scenario" native_env cargo run -q --bin playground -- record-all static/recordings
stage "trunk build --release" trunk build --release
stage "browser tests (Playwright)" node --test --test-concurrency=1 tests/e2e/

printf '\n==> stage times\n'
printf '%s\n' "${timings[@]}"
printf 'total %ss\n' $(( $(date +%s) - started ))
