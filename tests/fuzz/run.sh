#!/usr/bin/env bash
# run.sh FUZZER SECONDS - run a libFuzzer target of tests/fuzz (issue 11 item
# 19) for SECONDS from its seeds, under the sanitizers it was built with.
# Exit 0 when nothing was found, else 1 (never 77, meson's skip), with the input that
# failed saved and named.  The seed directories are only read; new inputs go
# to a scratch corpus.  FUZZ_WORK=DIR keeps the scratch corpus, the log and the
# findings in DIR (tools/fuzz.sh: a long run goes on from the corpus it grew),
# else a temporary directory is used, removed when nothing was found.
# FUZZ_SEED: libFuzzer's random seed (the tests fix it, so that a run is the
# same run each time); FUZZ_ARGS: more libFuzzer options (-fork=2, ...).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FUZZER SECONDS" >&2; exit 2; }
fuzzer=$1 seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
name=$(basename "$fuzzer")
case $name in   # the seeds: the target's corpus, and the test files it reads
  fuzz_scenario) seeds=("$here/corpus/scenario" "$src/scenarios" "$src/tests/data/bad") ;;
  fuzz_runlog) seeds=("$here/corpus/runlog" "$src/tests/data/report") ;;
  fuzz_import) seeds=("$here/corpus/import" "$src/tests/data/import" "$src/examples/production") ;;
  *) echo "$0: unknown fuzz target $name" >&2; exit 2 ;;
esac
# and the findings fixed since, kept as regression inputs
[ ! -d "$here/crashes/${name#fuzz_}" ] || seeds+=("$here/crashes/${name#fuzz_}")
work=${FUZZ_WORK:-}
keep=1
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/esmsim-$name-XXXXXX")
  keep=0
fi
mkdir -p "$work/corpus" "$work/findings"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1
# -timeout: an input running this long is a hang; -rss_limit_mb: more memory
# is a finding too; -max_len: above the largest seed (a 35 KB run log).
set +e
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-20}" -rss_limit_mb=2048 \
  -max_len=65536 -dict="$here/${name#fuzz_}.dict" -print_final_stats=1 \
  -artifact_prefix="$work/findings/" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_ARGS:-} "$work/corpus" "${seeds[@]}" \
  2>"$work/$name.log"
rc=$?
set -e
# with -fork and -ignore_crashes libFuzzer goes on, and exits 0, after a finding
[ $rc -ne 0 ] || [ -z "$(ls -A "$work/findings")" ] || rc=1
if [ $rc -ne 0 ]; then
  tail -n 60 "$work/$name.log" >&2
  echo "$name: FAILED (libFuzzer exit status $rc): the input is in $work/findings:" >&2
  ls -l "$work/findings" >&2
  echo "reproduce: $fuzzer FILE (ESMSIM_FUZZ_VERBOSE=1 shows esmsim's messages)" >&2
  echo "0 passed, 1 failed"
  exit 1   # not libFuzzer's status: its 77 (-error_exitcode) is meson's "skipped"
fi
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$name.log" || true
[ $keep -eq 1 ] || rm -rf "$work"
echo "1 passed, 0 failed"
