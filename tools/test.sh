#!/usr/bin/env bash
# Every test: the optimised build, then the same tests under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ninja -C build-asan >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C build --print-errorlogs
meson test -C build-asan --print-errorlogs --timeout-multiplier 4
