# Sourced by the other scripts: the tool paths and the wasm build settings.
export PATH="$HOME/.cargo/bin:$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin:$PATH"
# Threads in wasm need std rebuilt with atomics; only wasm builds get this.
export CARGO_UNSTABLE_BUILD_STD=panic_abort,std
export CHROMEDRIVER=/usr/bin/chromedriver
