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

# Whether two run logs hold the same rows for "COLUMNS FROM TABLE [WHERE ...]",
# whatever their order: same_rows DB1 DB2 '* FROM invocations'.
same_rows() {
  [ "$(sqlite3 "$1" "SELECT $3" | sort | md5sum)" = "$(sqlite3 "$2" "SELECT $3" | sort | md5sum)" ]
}
