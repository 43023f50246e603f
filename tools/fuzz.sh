#!/usr/bin/env bash
# fuzz.sh TARGET [SECONDS] - a long run of a libFuzzer target (issue 11 item
# 19): fuzz_scenario (the scenario loader, with --set), fuzz_runlog (report,
# trace, plot's data, merge on a crafted run log) or fuzz_import (esmsim
# import of one or more files), for SECONDS (default 600)
# under ASan + UBSan, in build-fuzz/ (set up by tools/setup.sh).  The corpus
# it grows and what it finds stay in build-fuzz/fuzz/TARGET/, so the next run
# goes on from there; a finding is in build-fuzz/fuzz/TARGET/findings/ (crash-*,
# leak-*, timeout-*, oom-*), reproduced with build-fuzz/tests/fuzz/TARGET FILE.
# More libFuzzer options in FUZZ_ARGS (e.g. FUZZ_ARGS=-jobs=2).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: tools/fuzz.sh fuzz_scenario|fuzz_runlog|fuzz_import [SECONDS]" >&2; exit 2; }
target=$1 seconds=${2:-600}
[ -f build-fuzz/build.ninja ] || tools/setup.sh
ninja -C build-fuzz "tests/fuzz/$target" >/dev/null
FUZZ_WORK="build-fuzz/fuzz/$target" exec tests/fuzz/run.sh "build-fuzz/tests/fuzz/$target" "$seconds"
