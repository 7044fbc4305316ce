# Sourced by the other scripts: the tool paths and the wasm build settings.
export PATH="$HOME/.cargo/bin:$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin:$PATH"
# Threads in wasm need std rebuilt with atomics; only wasm builds get this.
export CARGO_UNSTABLE_BUILD_STD=panic_abort,std
# ... with std's "optimize_for_size" feature: smaller algorithms, chiefly sorting (heapsort
# and a small merge sort instead of ipnsort/driftsort, still O(n log n)). That cut the page's
# sort code from 50 KB to 5 KB before wasm-opt, 15 KB of its gzip size (issue 7, P5). It only
# applies where build-std does, so native builds and tests are unchanged.
export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
export CHROMEDRIVER=/usr/bin/chromedriver
