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

# The fuzz targets (issue 11 item 19): a few seconds each from the seeds,
# under ASan + UBSan; any crash, leak, hang or failed property fails.
ninja -C build-fuzz tests/fuzz/fuzz_scenario tests/fuzz/fuzz_runlog tests/fuzz/fuzz_import >/dev/null
meson test -C build-fuzz --suite fuzz --no-rebuild --print-errorlogs
