# tests/lib.sh - what every test script (tests/NAME.sh ESMSIM SRCDIR) starts
# with: absolute paths of the binary and the source tree (a test may change
# directory), a work directory removed at exit, and assertions that count;
# a script ends with `finish`.
set -u
esmsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
expect_eq() { [ "$1" = "$2" ] && ok || ko "$3: got '$1', expected '$2'"; }
expect_in() { case "$1" in *"$2"*) ok ;; *) ko "$3: '$1' lacks '$2'" ;; esac; }

# The counts, and the exit status: 0 when nothing failed.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# wait_end DB MS: wait (60 s at most) until DB has committed its run up to MS of
# virtual time (runs.end_ms, written with every commit): the run is underway, its
# signal handlers in place.
wait_end() {
  local i e
  for i in $(seq 600); do
    e=$(sqlite3 "$1" "SELECT max(end_ms) FROM runs" 2>/dev/null)
    [ -n "$e" ] && [ "$e" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# wait_within PID S: wait S seconds at most for PID, a job of this script, to end,
# then SIGKILL it, so that a test fails rather than hangs; PID's exit status.
wait_within() {
  local i
  for i in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1"
}

# Whether two run logs hold the same rows for "COLUMNS FROM TABLE [WHERE ...]",
# whatever their order: same_rows DB1 DB2 '* FROM invocations'.
same_rows() {
  [ "$(sqlite3 "$1" "SELECT $3" | sort | md5sum)" = "$(sqlite3 "$2" "SELECT $3" | sort | md5sum)" ]
}
