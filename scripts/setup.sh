#!/usr/bin/env bash
# Installs what a fresh Debian machine (root) lacks to build, serve and test the playground.
# Idempotent: each step checks first and reuses what is already there at the right version.
# Nothing is downloaded outside the package registries (crates.io, npm, Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.22.1
stage() { printf '\n==> %s\n' "$*"; }
have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

stage "Rust toolchain (nightly + rust-src + wasm32, from rust-toolchain.toml)"
rustup show active-toolchain >/dev/null   # installs what rust-toolchain.toml names
rustup component add rust-src rustfmt clippy >/dev/null
rustup target add wasm32-unknown-unknown >/dev/null

stage "trunk $TRUNK_VERSION"
if have_version trunk "trunk $TRUNK_VERSION"; then
  echo "already installed"
else
  # About 12 minutes on 2 cores. trunk 0.22.1 needs rustc >= 1.96.1, hence nightly.
  cargo +nightly install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must match the crate exactly; read the version from Cargo.lock.
[ -f Cargo.lock ] || cargo generate-lockfile
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
stage "wasm-bindgen-cli $WB_VERSION"
if have_version wasm-bindgen "wasm-bindgen $WB_VERSION"; then
  echo "already installed"
else
  # Without --locked: the locked webpki-roots is not in the reachable index.
  cargo +nightly install wasm-bindgen-cli --version "$WB_VERSION"
fi

stage "npm packages (binaryen's wasm-opt, playwright-core, puppeteer-core, axe-core) from package-lock.json"
if [ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] \
   && [ -d node_modules/puppeteer-core ] \
   && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "already installed"
else
  npm ci --no-audit --no-fund
fi

stage "Chromium, chromedriver and Firefox ESR (Debian)"
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/firefox-esr ]; then
  echo "already installed: $(/usr/bin/chromium --version 2>/dev/null); $(/usr/bin/firefox-esr --version 2>/dev/null)"
else
  apt-get update -q
  # Firefox runs tests/e2e/firefox.test.mjs (puppeteer-core over WebDriver BiDi).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver firefox-esr
fi

stage "crates for native builds and for std rebuilt with atomics (primes the cache for trunk --offline)"
cargo fetch
# build-std's own dependencies (dlmalloc and friends) are not in our lockfile; a check of
# the wasm target without --offline fetches them once.
CARGO_UNSTABLE_BUILD_STD=panic_abort,std cargo check --target wasm32-unknown-unknown --bin app -q
echo "setup done"
