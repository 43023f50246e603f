#!/usr/bin/env bash
# tests/readonly.sh ESMSIM SRCDIR - run logs on read-only media (issue 11 item 13): report,
# trace, plot and merge (an input) read a log in a read-only directory as they read it
# anywhere, the commits of a write-ahead log beside it included when its -shm is there too;
# a WAL without -shm, which SQLite cannot read there, and an output in a read-only
# directory are refused with a message that says the directory is read-only.  The
# directory: a tmpfs remounted read-only when run as root (chmod does not stop root),
# chmod a-w otherwise; the test is skipped (exit 77) when neither is possible.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$work" || exit 1

ro="$work/ro"
mkdir -p "$ro"
mounted=false
if [ "$(id -u)" -eq 0 ]; then
  mount -t tmpfs -o size=32m tmpfs "$ro" 2>/dev/null && mounted=true
  if ! $mounted; then
    echo "SKIP: running as root without the right to mount a tmpfs: no read-only directory to test"
    exit 77
  fi
fi
trap '$mounted && umount "$ro"; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

"$esmsim" run "$src/scenarios/steady-state.json" -o base.db --set duration=2s -q || ko "base run"
key=$(q base.db "SELECT partition_key FROM records LIMIT 1")
# A log whose last commit is still in its write-ahead log (a writer killed, or still
# running): the copy of the three files, and of the file and its -wal without -shm.
cp base.db live.db
python3 -c '
import os, sqlite3
c = sqlite3.connect("live.db")
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("UPDATE runs SET scenario = ? ", ("only-in-the-wal",))
c.commit()
os._exit(0)' || ko "a log with a write-ahead log"
[ -s live.db-wal ] && [ -e live.db-shm ] && ok || ko "live.db has its -wal and -shm"
mkdir -p "$ro/nowal"
cp base.db "$ro/"
cp live.db live.db-wal live.db-shm "$ro/"
cp live.db live.db-wal "$ro/nowal/"
if $mounted; then
  mount -o remount,ro "$ro" || { echo "SKIP: cannot remount $ro read-only"; exit 77; }
  why="Read-only file system"
else
  chmod -R a-w "$ro"
  why="Permission denied"
fi
if touch "$ro/probe" 2>/dev/null; then
  echo "SKIP: $ro is still writable (chmod does not stop this user)"
  exit 77
fi
listing=$(ls -A "$ro" "$ro/nowal")

# ---- issue 11 item 13: every reader works on a log in a read-only directory ----------------
"$esmsim" report base.db --json > rw.json 2>&1 || ko "report of the writable copy"
out=$("$esmsim" report "$ro/base.db" --json 2>&1); rc=$?
expect_eq "$rc" 0 "item 13: report on read-only media: exit status (${out:0:300})"
expect_eq "$out" "$(cat rw.json)" "item 13: report on read-only media: the same figures"
"$esmsim" trace base.db --key "$key" | tail -n +2 > rw-trace.txt
out=$("$esmsim" trace "$ro/base.db" --key "$key" 2>&1); rc=$?
expect_eq "$rc" 0 "item 13: trace on read-only media: exit status (${out:0:300})"
expect_eq "$(printf '%s\n' "$out" | tail -n +2)" "$(cat rw-trace.txt)" "item 13: trace on read-only media: the same timeline"
mkdir -p keep-rw keep-ro
"$esmsim" plot base.db --chart all -o rw.svg --keep-data keep-rw >/dev/null 2>&1 || ko "plot of the writable copy"
out=$("$esmsim" plot "$ro/base.db" --chart all -o ro.svg --keep-data keep-ro 2>&1); rc=$?
expect_eq "$rc" 0 "item 13: plot on read-only media: exit status (${out:0:300})"
expect_eq "$(cd keep-ro && cat ./*.dat | cksum)" "$(cd keep-rw && cat ./*.dat | cksum)" \
  "item 13: plot on read-only media: the same data"
out=$("$esmsim" merge m.db "$ro/base.db" "$ro/live.db" 2>&1); rc=$?
expect_eq "$rc" 0 "item 13: merge of inputs on read-only media: exit status (${out:0:300})"
expect_eq "$(q m.db 'SELECT group_concat(scenario) FROM runs')" "steady-state,only-in-the-wal" \
  "item 13: merge reads both, the commit in the WAL included"
expect_eq "$(q m.db 'SELECT count(*) FROM invocations')" "$((2 * $(q base.db 'SELECT count(*) FROM invocations')))" \
  "item 13: merge copies every row"
# The commit that is only in the write-ahead log is read (through the -shm there).
out=$("$esmsim" report "$ro/live.db" --json 2>&1); rc=$?
expect_eq "$rc" 0 "item 13: report of a log with its -wal and -shm: exit status (${out:0:300})"
expect_in "$out" '"scenario":	"only-in-the-wal"' "item 13: the WAL's commit is read"

# ---- what cannot be read or written there is said --------------------------------------------
for cmd in report trace plot; do
  args=("$ro/nowal/live.db"); [ $cmd = trace ] && args+=(--key "$key"); [ $cmd = plot ] && args+=(-o x.svg)
  out=$("$esmsim" $cmd "${args[@]}" 2>&1); rc=$?
  expect_eq "$rc" 2 "item 13: $cmd of a -wal without -shm: exit status"
  expect_in "$out" "$ro/nowal/live.db: the directory $ro/nowal is not writable ($why), and $ro/nowal/live.db-wal holds commits" \
    "item 13: $cmd of a -wal without -shm: the message says why"
done
out=$("$esmsim" merge "$ro/out.db" base.db 2>&1); rc=$?
expect_eq "$rc" 2 "item 13: merge into a read-only directory: exit status"
expect_in "$out" "$ro/out.db: cannot write to its directory $ro: $why" "item 13: merge into a read-only directory: message"
out=$("$esmsim" merge "$ro/base.db" "$work/m.db" 2>&1); rc=$?
expect_eq "$rc" 2 "item 13: merge into a log on read-only media: exit status"
expect_in "$out" "$ro/base.db: cannot write to it: $why" "item 13: merge into a log on read-only media: message"
# SPEC section 5 (bad input names what was wrong): run -o there says why, as merge does.
# Before: "unable to open database file (No such file or directory)" for a new file, and
# "open: unable to open database file" for a run log there.
out=$("$esmsim" run "$src/scenarios/latest-start.json" -o "$ro/new.db" -q 2>&1); rc=$?
expect_eq "$rc:$out" "2:esmsim: $ro/new.db: cannot write to its directory $ro: $why" \
  "run -o into a read-only directory"
out=$("$esmsim" run "$src/scenarios/latest-start.json" -o "$ro/base.db" -q 2>&1); rc=$?
expect_eq "$rc:$out" "2:esmsim: $ro/base.db: cannot write to it: $why" "run -o a log on read-only media"
expect_eq "$(ls -A "$ro" "$ro/nowal")" "$listing" "item 13: nothing was created on the read-only media"

finish
