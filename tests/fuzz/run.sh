#!/usr/bin/env bash
# run.sh FUZZER SECONDS SEED_DIR... - run a libFuzzer target of tests/fuzz
# (issue 11 item 19) for SECONDS from its seed corpora, under the sanitizers
# it was built with; exit 0 when nothing was found, else libFuzzer's status
# with the input that failed saved and named.  New inputs go to a scratch
# corpus: the seed directories are only read.  FUZZ_WORK=DIR keeps the
# scratch corpus and the findings in DIR (tools/fuzz.sh), else a temporary
# directory is used and removed when nothing was found.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 FUZZER SECONDS SEED_DIR..." >&2; exit 2; }
fuzzer=$1 seconds=$2
shift 2
work=${FUZZ_WORK:-}
keep=1
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/esmsim-fuzz-run-XXXXXX")
  keep=0
fi
name=$(basename "$fuzzer")
dict="$(dirname "$0")/${name#fuzz_}.dict"   # the target's dictionary, beside this script
mkdir -p "$work/corpus" "$work/findings"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1
# -timeout: one input running this long is a hang; -rss_limit_mb: a finding
# too (libFuzzer's default); -max_len: the run-log seeds are 14 to 35 KB.
set +e
"$fuzzer" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-20}" -rss_limit_mb=2048 \
  -max_len=65536 -dict="$dict" -print_final_stats=1 -artifact_prefix="$work/findings/" \
  "$work/corpus" "$@" 2>"$work/$name.log"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  tail -n 60 "$work/$name.log" >&2
  echo "$name: FAILED (libFuzzer exit status $rc): the input is in $work/findings:" >&2
  ls -l "$work/findings" >&2
  echo "reproduce: $fuzzer FILE (ESMSIM_FUZZ_VERBOSE=1 shows esmsim's messages)" >&2
  echo "0 passed, 1 failed"
  exit $rc
fi
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$name.log" || true
[ $keep -eq 1 ] || rm -rf "$work"
echo "1 passed, 0 failed"
