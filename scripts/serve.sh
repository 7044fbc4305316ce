#!/usr/bin/env bash
# Serve the app with live reload at http://127.0.0.1:8080 (cross-origin isolated).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# The recorded runs offered where live workers cannot start (trunk copies static/).
env -u CARGO_UNSTABLE_BUILD_STD -u CARGO_UNSTABLE_BUILD_STD_FEATURES cargo run -q --bin playground -- record-all static/recordings
exec trunk serve "$@"
