#!/usr/bin/env bash
# tests/faults.sh ESMSIM SRCDIR - what faults do to a run and its log (issue 11 items
# 11, 12, 14, 16 and the fault tests of item 19): SIGINT, SIGTERM and SIGHUP in the middle of
# heavy stretches of virtual time stop the run within a second of its CPU time (exit
# 130, complete = 0);
# SIGKILL leaves whole events up to runs.end_ms, which `esmsim report` states, with no
# false order violation; a full disk (a small tmpfs, when run as root) and another
# process's write lock stop the run with a clear message; a second run into a database
# waits for the first and succeeds; a refused output database keeps its bytes.  Every
# database left behind passes PRAGMA integrity_check.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 "$1" "$2"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
scn="$src/scenarios"

mnt=""
trap '[ -n "$mnt" ] && umount "$mnt" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1

# report's times (fmt_span_ms): 1d01h02m03.004s, 1h02m03.004s, 2m03.004s, 3.004s
fmt_ms() {
  local ms=$1 d h m s
  d=$((ms / 86400000)) h=$((ms / 3600000 % 24)) m=$((ms / 60000 % 60)) s=$((ms / 1000 % 60))
  if [ "$d" -gt 0 ]; then printf '%dd%02dh%02dm%02d.%03ds' "$d" "$h" "$m" "$s" $((ms % 1000))
  elif [ "$h" -gt 0 ]; then printf '%dh%02dm%02d.%03ds' "$h" "$m" "$s" $((ms % 1000))
  elif [ "$m" -gt 0 ]; then printf '%dm%02d.%03ds' "$m" "$s" $((ms % 1000))
  else printf '%d.%03ds' "$s" $((ms % 1000)); fi
}

# prefix DB WHAT: the run of DB stopped early and its log is a consistent prefix
# (issue 11 item 14): valid, complete = 0, no row past end_ms, every invocation
# logged with all its deliveries, no message row for what was still in flight.
prefix() {
  local db=$1 what=$2
  expect_eq "$(q "$db" 'PRAGMA integrity_check')" ok "$what: integrity"
  expect_eq "$(q "$db" 'SELECT complete FROM runs')" 0 "$what: complete = 0"
  expect_eq "$(q "$db" "SELECT end_ms > 0
      AND (SELECT coalesce(max(arrival_ms), 0) FROM records) <= end_ms
      AND (SELECT coalesce(max(end_ms), 0) FROM invocations) <= end_ms
      AND (SELECT coalesce(max(at_ms), 0) FROM checkpoints) <= end_ms
      AND (SELECT coalesce(max(at_ms), 0) FROM metrics) <= end_ms
      AND (SELECT coalesce(max(at_ms), 0) FROM discards) <= end_ms FROM runs")" 1 \
    "$what: no row past end_ms"
  expect_eq "$(q "$db" "SELECT count(*) FROM invocations LEFT JOIN (SELECT invocation_id,
      count(*) AS n FROM deliveries GROUP BY invocation_id) USING (invocation_id)
      WHERE outcome <> 'throttled' AND (SELECT per_record_tables FROM runs)
      AND record_count <> coalesce(n, 0)")" 0 "$what: invocations whole"
  expect_eq "$(q "$db" "SELECT count(*) FROM messages WHERE fate = 'pending'")" 0 \
    "$what: no message row for what was in flight"
}

# python3 -c "$CPU_AFTER_SIGNAL" OUT CMD...: run CMD as the child of a Python process
# that forwards it SIGINT, SIGTERM and SIGHUP (at their default in CMD, whatever this
# script ignores: a background job's SIGINT, nohup's SIGHUP) and writes to OUT the CPU
# time in ms (user + system, of all CMD's threads and of the children it reaped) CMD
# used from the first signal to its exit: /proc/PID/stat's fields 14-17 (the thread
# group's totals) just before the signal, wait4's once it ended.  The status is CMD's
# (128 + N when signal N ended it); CMD dies with this process (a hung test's SIGKILL).
CPU_AFTER_SIGNAL='
import ctypes, os, signal, sys
pid, before = None, None
def forward(sig, _):
    global before
    if before is None:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        before = sum(map(int, f[11:15])) / os.sysconf("SC_CLK_TCK")
    os.kill(pid, sig)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, forward)   # caught here: at its default in the child, after its exec
pid = os.fork()
if pid == 0:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG: killed with this process
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
if before is not None:
    open(sys.argv[1], "w").write("%d\n" % round((ru.ru_utime + ru.ru_stime - before) * 1000))
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
'

# stop SIGNAL DB WHAT ARGS...: run ARGS into DB, send SIGNAL once a first commit is
# in, expect exit 130 after a bounded amount of the run's own work (issue 11 item 11):
# the CPU time it takes from the signal to its exit, which load does not stretch as it
# does wall time (a 1-second wall bound failed at 1075 ms under ASan with tests running
# in parallel on 2 cores).  The run reads the signal after every event, then commits
# what its writer has queued (at most ~4 MiB) and ends: 70-90 ms in release and
# 160-260 ms under ASan on the 1 us samples (load 12 on 2 cores), 10-40 ms on the
# resends.  Slices too long to stop in fail by seconds: 1-second ones took 3.4-3.8 s
# on the samples, the old 10-second ones 12 s on the samples and 2.4 s on the resends
# (release).  1000 ms leaves ASan about 4 times what it takes.
stop() {
  local sig=$1 db=$2 what=$3 pid rc ms
  shift 3
  rm -f "$db" "$db-wal" "$db-shm" "$db.cpu"
  python3 -c "$CPU_AFTER_SIGNAL" "$db.cpu" "$esmsim" run "$@" -o "$db" -q 2>"$db.err" &
  pid=$!
  wait_end "$db" "$START_MS" || ko "$what: no commit seen"
  kill "-$sig" "$pid"
  wait_within "$pid" 60; rc=$?
  ms=$(cat "$db.cpu" 2>/dev/null)
  expect_eq "$rc" 130 "$what: exit status"
  [ -n "$ms" ] && [ "$ms" -lt 1000 ] && ok ||
    ko "$what: the run used ${ms:-?} ms of CPU time after SIG$sig, expected under 1000 ms"
  expect_in "$(cat "$db.err")" "esmsim: interrupted: $db run 1 is marked incomplete" "$what: message"
  prefix "$db" "$what"
}

# ---- SIGINT, SIGTERM: a heavy stretch of virtual time (issue 11 item 11) -------------

# A sample every microsecond: the old 10-second slices held ten million events.
START_MS=1
stop INT sample.db "SIGINT, 1 us samples" "$scn/steady-state.json" --set model.sample_interval=1us
# A producer resending a throttled request at once, up to a million times (base 0):
# from its burst at 5s, the shard's limit throttles it for minutes.
START_MS=5000
stop TERM resend.db "SIGTERM, a million resends" "$scn/producer-retries.json" \
  --set 'producers[0].put.retry={"mode":"all","max_attempts":1000000,"backoff":"constant","base":0}' \
  --set 'producers[0].bursts=[{"at":"5s","for":"2m","multiplier":2}]'

# SIGHUP (the terminal closed) stops a run as SIGTERM does (before, it killed the run unfinished:
# complete = 0 without the summary, as SIGKILL does); ignored, as nohup leaves it, the run goes on.
START_MS=1
stop HUP hup.db "SIGHUP, 1 us samples" "$scn/steady-state.json" --set model.sample_interval=1us
rm -f nohup.db
env --ignore-signal=HUP "$esmsim" run "$scn/steady-state.json" -o nohup.db -q --set duration=30m \
  --set 'expect={}' & pid=$!
wait_end nohup.db 1 || ko "SIGHUP ignored: no commit seen"
kill -HUP "$pid"
wait_within "$pid" 120; rc=$?
expect_eq "$rc" 0 "SIGHUP ignored (nohup): the run goes on, exit status"
expect_eq "$(q nohup.db 'SELECT complete FROM runs')" 1 "SIGHUP ignored (nohup): the run complete"

# ---- SIGKILL: whole events up to end_ms, and report says so (issue 11 item 14) -------

db=kill.db
"$esmsim" run "$scn/steady-state.json" -o "$db" -q 2>/dev/null &
pid=$!
wait_end "$db" 30000 || ko "SIGKILL: no commit seen"
kill -KILL "$pid"
{ wait "$pid"; rc=$?; } 2>/dev/null
expect_eq "$rc" 137 "SIGKILL: killed"
prefix "$db" "SIGKILL"
end=$(q "$db" 'SELECT end_ms FROM runs')
expect_eq "$(q "$db" 'SELECT wall_seconds IS NULL FROM runs')" 1 "SIGKILL: the run never ended"
# records of messages still in flight: they have no message row
[ "$(q "$db" 'SELECT count(*) FROM records WHERE message_id NOT IN (SELECT message_id FROM messages)')" -gt 0 ] \
  && ok || ko "SIGKILL: records of messages in flight expected"
out=$("$esmsim" report "$db" 2>"$work/err"); rc=$?
expect_eq "$rc" 0 "SIGKILL: report exit status"
expect_in "$out" "$db, run 1: steady-state (seed 42), killed (or still running) at $(fmt_ms "$end") of 1h00m00.000s simulated; the figures cover that prefix" \
  "SIGKILL: report states how far the run got"
expect_in "$out" "WARNING: this run is incomplete (interrupted, killed, stopped by an error, or still running): the figures cover what was logged up to $(fmt_ms "$end") of virtual time; messages still in flight then have no row, so no fate" \
  "SIGKILL: report warns"
expect_eq "$(cat "$work/err")" "esmsim report: warning: $db run 1 is incomplete" "SIGKILL: report on stderr"
"$esmsim" report "$db" --json 2>/dev/null > kill.json
expect_eq "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print(r["run"]["end_ms"], r["run"]["complete"], r["order"]["by_sequence"]["violations"],
      r["order"]["by_producer"]["violations"], r["messages"]["pending"])' kill.json)" \
  "$end False 0 0 0" "SIGKILL: end_ms, complete, no false order violation (R3, SPEC 1.3), no pending"

# ---- a full disk (issue 11 item 19) -------------------------------------------------

mkdir small
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=16m tmpfs small 2>/dev/null; then
  mnt="$work/small"
  "$esmsim" run "$scn/steady-state.json" -o small/full.db -q --set duration=30m 2>full.err; rc=$?
  expect_eq "$rc" 1 "disk full: exit status"
  expect_eq "$(cat full.err)" "esmsim: run stopped: small/full.db: commit: database or disk is full" \
    "disk full: message"
  prefix small/full.db "disk full"
  # What reads a run log and writes a file, into the full disk: exit 1, said, and nothing left
  # there (before: an export cut short, an empty chart with exit 0, a report lost with exit 0).
  msg=$("$esmsim" compare kill.db --export small/e.json 2>&1); rc=$?
  expect_eq "$rc:$msg" "1:esmsim compare: --export small/e.json: cannot write: No space left on device" \
    "disk full: compare --export"
  if command -v gnuplot >/dev/null; then
    msg=$("$esmsim" plot kill.db -o small/p.svg 2>&1); rc=$?
    expect_eq "$rc:$msg" "1:esmsim plot: small/p.svg: the chart gnuplot wrote is cut short (is the disk full?): not kept" \
      "disk full: plot"
  fi
  msg=$("$esmsim" report kill.db 2>&1 >small/report.txt); rc=$?
  expect_eq "$rc:$msg" "1:esmsim report: warning: kill.db run 1 is incomplete
esmsim report: standard output: No space left on device" "disk full: report > FILE"
  rm -f small/report.txt
  expect_eq "$(ls small | grep -v '^full\.db')" "" "disk full: nothing left but the run log"
  umount small && mnt=""
else
  echo "faults.sh: disk full: skipped (mounting a small tmpfs needs root)"
fi

# --dump-events on a full disk, filled at each of its files in turn (a tmpfs of 33 to 41 pages, an
# invocation's two files a page each, index.jsonl's lines 239 bytes): every file left is whole, and
# index.jsonl lists the invocations the message says were written (README, --dump-events: a file
# cut short is removed). index.jsonl was buffered: on a full disk it kept none of its lines (or
# some, the last cut short) while the message said 16 invocations were written.
mkdir tiny
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=132k tmpfs tiny 2>/dev/null; then
  umount tiny
  for pages in $(seq 33 41); do
    mount -t tmpfs -o size=$((pages * 4))k tmpfs tiny && mnt="$work/tiny"
    msg=$("$esmsim" run "$scn/steady-state.json" -o tiny.db -q --no-record-tables --set duration=10s \
      --set event_source_mapping.BatchSize=1 --set 'expect={}' --dump-events tiny/d 2>&1); rc=$?
    n=$(sed -n 's/.*: No space left on device (\([0-9]*\) invocations written)$/\1/p' <<< "$msg")
    expect_eq "$rc:${n:+said}" "1:said" "dump, disk full at $pages pages: exit status and message ($msg)"
    expect_eq "$(python3 -c 'import json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
lines = open(os.path.join(d, "index.jsonl")).read().split("\n")
ok = lines.pop() == "" and len(lines) == n   # each line ends with its newline
for l in lines:
    e = json.loads(l)
    ok = ok and os.path.exists(os.path.join(d, e["event_file"])) and os.path.exists(os.path.join(d, e["response_file"]))
for f in os.listdir(d):
    if f != "index.jsonl":
        json.loads(open(os.path.join(d, f)).read())   # whole
print(ok)' tiny/d "${n:-0}" 2>&1)" True "dump, disk full at $pages pages: every file whole, index.jsonl lists the $n invocations written"
    umount tiny && mnt=""
    rm -f tiny.db*
  done
else
  echo "faults.sh: dump on a full disk: skipped (mounting a small tmpfs needs root)"
fi

# ---- a new output that cannot be made in full (a full disk, a file-size limit) -------

# A file esmsim created and could not make a run log of, or begin its run in, is removed:
# exit 2, the message, and nothing left (before: a file of 0 bytes, or of no table, and its
# -wal and -shm).  A file that was there before is never removed.  `limited KIB CMD...`
# runs CMD under a file-size limit of KIB KiB with SIGXFSZ ignored, so that a write past
# it fails (EFBIG) as on a full disk, for any user, with no mount; KIB sizes where the open
# fails at its first writes (4), its begin (16) and its commit (64).
limited() { (trap '' XFSZ; ulimit -f "$1" && shift && "$@"); }
for kib in 4 16 64; do
  rm -f new.db*
  msg=$(limited "$kib" "$esmsim" run "$scn/latest-start.json" -o new.db -q 2>&1); rc=$?
  expect_eq "$rc" 2 "run -o, $kib KiB limit: exit status"
  expect_in "$msg" "esmsim: new.db: " "run -o, $kib KiB limit: message"
  expect_eq "$(ls new.db* 2>/dev/null)" "" "run -o, $kib KiB limit: nothing left"
done
msg=$(limited 64 "$esmsim" merge new.db kill.db 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim merge: new.db: commit: disk I/O error" "merge, 64 KiB limit"
expect_eq "$(ls new.db* 2>/dev/null)" "" "merge, 64 KiB limit: nothing left"
: > had.db
msg=$(limited 16 "$esmsim" run "$scn/latest-start.json" -o had.db -q 2>&1); rc=$?
expect_eq "$rc" 2 "run -o into an empty file of the user's, 16 KiB limit: exit status"
[ -e had.db ] && ok || ko "run -o into an empty file of the user's: removed"

# ---- another process holds the write lock (issue 11 item 19) -------------------------

# hold DB SECONDS: a process that takes DB's write lock as soon as it is free (a look
# every millisecond), writes "locked" to DB.lock, and keeps it SECONDS; it gives up
# after 60 s without the lock (hold then fails), so that it never outlives the test.
# Its output goes to files, not to the test's pipes, which it would hold open.
hold() {
  rm -f "$1.lock"
  python3 - "$1" "$2" > "$1.lock" 2> "$1.hold.err" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
give_up = time.monotonic() + 60
while True:
    try:
        con.execute("BEGIN IMMEDIATE")
        break
    except sqlite3.OperationalError:
        if time.monotonic() > give_up:
            sys.exit(1)
        time.sleep(0.001)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("ROLLBACK")
PY
  holder=$!
  wait_until 60 grep -qs locked "$1.lock"
}

# Locked when the run opens the file: exit 2 after the wait, nothing written.
db=locked.db
"$esmsim" run "$scn/latest-start.json" -o "$db" -q --set duration=1m >/dev/null 2>&1 || ko "locked: first run"
hold "$db" 30 || ko "locked: the holder never got the lock"
t0=$(now_ms)
ESMSIM_BUSY_TIMEOUT_MS=300 "$esmsim" run "$scn/latest-start.json" -o "$db" -q 2>locked.err; rc=$?
ms=$(( $(now_ms) - t0 ))
kill "$holder"; wait "$holder" 2>/dev/null
expect_eq "$rc" 2 "locked at open: exit status"
expect_eq "$(cat locked.err)" "esmsim: $db: begin transaction: database is locked (another process held its write lock for more than 300 ms)" \
  "locked at open: message"
[ "$ms" -ge 300 ] && [ "$ms" -lt 10000 ] && ok || ko "locked at open: gave up after $ms ms, expected 300 ms"
expect_eq "$(q "$db" 'PRAGMA integrity_check')" ok "locked at open: integrity"
expect_eq "$(q "$db" 'SELECT count(*) FROM runs')" 1 "locked at open: nothing written"

# Locked in the middle of a run: the run stops, exit 1, a valid prefix.
db=midlock.db
ESMSIM_BUSY_TIMEOUT_MS=500 "$esmsim" run "$scn/steady-state.json" -o "$db" -q 2>midlock.err &
pid=$!
wait_end "$db" 10000 || ko "locked mid-run: no commit seen"
hold "$db" 2 || ko "locked mid-run: the holder never got the lock"
wait_within "$pid" 120; rc=$?
wait_within "$holder" 60
expect_eq "$rc" 1 "locked mid-run: exit status"
expect_eq "$(cat midlock.err)" "esmsim: run stopped: $db: begin transaction: database is locked (another process held its write lock for more than 500 ms)" \
  "locked mid-run: message"
prefix "$db" "locked mid-run"

# Ctrl-C while waiting for the lock: no waiting it out (issue 11 item 11).
db=intlock.db
"$esmsim" run "$scn/steady-state.json" -o "$db" -q 2>intlock.err &
pid=$!
wait_end "$db" 10000 || ko "interrupted lock wait: no commit seen"
hold "$db" 30 || ko "interrupted lock wait: the holder never got the lock"
# Most likely the run waits for the lock by now (it begins a transaction with its next
# row).  Nothing outside can see that wait, so this is a pause, not a ready-check; a
# SIGINT that comes before the wait meets the same busy handler (it reads the flag at
# its first look): the same exit status, message and timing (sent with no pause: 3 of 3).
sleep 0.5
t0=$(now_ms)
kill -INT "$pid"
wait_within "$pid" 60; rc=$?
ms=$(( $(now_ms) - t0 ))
kill "$holder"; wait "$holder" 2>/dev/null
expect_eq "$rc" 130 "interrupted lock wait: exit status"
# the holder keeps the lock 30 s: a stop within 10 s did not wait it out (a bound far
# from any machine's timing, not a speed check)
[ "$ms" -lt 10000 ] && ok || ko "interrupted lock wait: stopped $ms ms after SIGINT, expected at once (the lock is held 30 s)"
expect_eq "$(cat intlock.err)" "esmsim: run stopped: $db: begin transaction: database is locked (interrupted while another process held its write lock)" \
  "interrupted lock wait: message"
prefix "$db" "interrupted lock wait"

# ---- two runs into one database at once (issue 11 item 16) ---------------------------

# The first writes few rows (no per-record tables, 5-minute batches, hourly samples):
# without a commit on time it would hold the write lock until its end.  It must outlast
# RUNLOG_COMMIT_MS (1 s of wall time) several times over however fast the simulator
# gets: 8 simulated hours took 4.4 s in the sixth session (2 hours took 0.95 s, too
# close to that second: the first run ended before it ever let the lock go).
db=two.db
"$esmsim" run "$scn/steady-state.json" -o "$db" -q --no-record-tables --set duration=8h \
  --set model.sample_interval=1h --set event_source_mapping.BatchSize=10000 \
  --set event_source_mapping.MaximumBatchingWindowInSeconds=300 --set 'expect={}' &
first=$!
# its runs row is in: it writes its shards under the lock now
one_run() { [ -s "$1" ] && [ "$(q "$1" 'SELECT count(*) FROM runs' 2>/dev/null)" = 1 ]; }
wait_until 60 one_run "$db" || ko "two runs: the first run's runs row never came"
ESMSIM_BUSY_TIMEOUT_MS=3000 "$esmsim" run "$scn/latest-start.json" -o "$db" -q --set duration=2m 2>two.err; rc=$?
kill -0 "$first" 2>/dev/null && ok || ko "two runs: the second ended only after the first"
expect_eq "$rc" 0 "two runs: the second waits and succeeds: $(cat two.err)"
wait "$first"; rc=$?   # a finite run, no signal or lock to lose: bounded by itself
expect_eq "$rc" 0 "two runs: the first succeeds"
expect_eq "$(q "$db" 'SELECT group_concat(run_id || scenario || complete) FROM runs')" \
  "1steady-state1,2latest-start1" "two runs: both complete"
expect_eq "$(q "$db" 'PRAGMA integrity_check')" ok "two runs: integrity"

# ---- a refused output database keeps its bytes (issue 11 item 12) --------------------

# state FILE: its checksum, mtime (ns), journal mode and side files
state() {
  echo "$(sha256sum < "$1") $(stat -c %.9Y "$1") $(ls "$1-wal" "$1-shm" 2>/dev/null)"
}
"$esmsim" run "$scn/latest-start.json" -o in.db -q --set duration=1m || ko "refused: input run"
sqlite3 invoices.db 'CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1)'
cp in.db old.db
sqlite3 old.db 'PRAGMA user_version = 2; PRAGMA journal_mode = DELETE' >/dev/null
version=$(q in.db 'PRAGMA user_version')
for f in invoices.db old.db; do
  before=$(state "$f")
  mode=$(q "$f" 'PRAGMA journal_mode')
  sleep 0.05
  if [ "$f" = invoices.db ]; then
    want="$f: not an esmsim run log (a SQLite database with other tables)"
  else
    want="$f: run log schema version 2, this esmsim writes version $version only: write to a new file (a log of version 2 takes no runs of this esmsim)"
  fi
  "$esmsim" run "$scn/latest-start.json" -o "$f" -q 2>err; rc=$?
  expect_eq "$rc:$(cat err)" "2:esmsim: $want" "refused by run -o: $f"
  "$esmsim" merge "$f" in.db 2>err; rc=$?
  expect_eq "$rc:$(cat err)" "2:esmsim merge: $want" "refused by merge: $f"
  "$esmsim" sweep "$scn/latest-start.json" --vary seed=1,2 --no-chart -o "$f" >/dev/null 2>err; rc=$?
  expect_eq "$rc:$(cat err)" "2:esmsim sweep: $want" "refused by sweep -o: $f"
  expect_eq "$(state "$f")" "$before" "refused: $f keeps its bytes, mtime, no side file"
  expect_eq "$(q "$f" 'PRAGMA journal_mode')" "$mode" "refused: $f keeps its journal mode"
done

# ---- merge stopped: a new output is made whole or not at all ---------------------------

# SIGINT, SIGTERM or a write that fails (a file-size limit, as a full disk) in the middle
# of a merge: exit 130 (1 for the write), the input being copied is not appended (one
# transaction), and an output the merge would have created is not made, with the runs
# appended to it before (SPEC section 3: nothing is left that does not say it is
# incomplete; before: a run log of no run, or of some inputs, and exit 0 for SIGINT's
# death); an existing output keeps what it had and the inputs appended before.  A new
# output is made as new.db.merge-XXXXXX and linked as new.db once whole.  The signal
# comes once the copy is underway: the new output has its tables (or its first input),
# the existing one's WAL has pages.
"$esmsim" run "$scn/steady-state.json" -o big.db -q --set duration=5m || ko "merge stopped: input"
cp big.db big2.db
has_runs() { [ -e "$1" ] && [ "$(q "$1" 'SELECT count(*) FROM runs' 2>/dev/null)" = "$2" ]; }
# making N: the merge's new output new.db, made as new.db.merge-XXXXXX, holds N runs
making() {
  local f
  for f in new.db.merge-??????; do has_runs "$f" "$1" && return 0; done
  return 1
}
for sig in INT TERM; do
  rm -f new.db*
  "$esmsim" merge new.db big.db big2.db >merge.out 2>merge.err & pid=$!
  wait_until 60 making 0 || ko "SIG$sig, merge into a new output: no output seen"
  kill -"$sig" "$pid"
  wait_within "$pid" 60; rc=$?
  expect_eq "$rc:$(cat merge.out)" "130:" "SIG$sig, merge into a new output: exit status, nothing appended"
  expect_eq "$(cat merge.err)" "esmsim merge: interrupted: big.db not appended (nothing of it was written to new.db)
esmsim merge: new.db not made (a new output is made whole or not at all)" \
    "SIG$sig, merge into a new output: message"
  expect_eq "$(ls new.db* 2>/dev/null)" "" "SIG$sig, merge into a new output: nothing left"
done
rm -f new.db*
"$esmsim" merge new.db big.db big2.db >merge.out 2>merge.err & pid=$!
wait_until 60 making 1 || ko "SIGTERM after a first input: its run never came"
kill -TERM "$pid"
wait_within "$pid" 60; rc=$?
expect_eq "$rc:$(cat merge.out)" "130:" "SIGTERM after a first input: exit status, nothing said appended"
expect_eq "$(cat merge.err)" "esmsim merge: interrupted: big2.db not appended (nothing of it was written to new.db)
esmsim merge: new.db not made (a new output is made whole or not at all)" \
  "SIGTERM after a first input: message"
expect_eq "$(ls new.db* 2>/dev/null)" "" "SIGTERM after a first input: nothing left"
cp in.db had-runs.db
"$esmsim" merge had-runs.db big.db >merge.out 2>merge.err & pid=$!
wait_until 60 test -s had-runs.db-wal || ko "SIGINT, merge into an existing output: no copy seen"
kill -INT "$pid"
wait_within "$pid" 60; rc=$?
expect_eq "$rc:$(cat merge.err)" "130:esmsim merge: interrupted: big.db not appended (nothing of it was written to had-runs.db)" \
  "SIGINT, merge into an existing output: exit status, message"
expect_eq "$(q had-runs.db 'PRAGMA integrity_check')" ok "SIGINT, merge into an existing output: integrity"
same_rows in.db had-runs.db '* FROM runs' && ok || ko "SIGINT, merge into an existing output: its runs changed"
# Ctrl-C while merge waits for another process's write lock on its output: no waiting
# it out (up to 60 s), as a run does not; the output as it was.  Nothing outside can
# see that wait begin: a pause long enough for the check of a one-minute input.
hold had-runs.db 30 || ko "merge's lock wait: the holder never got the lock"
"$esmsim" merge had-runs.db in.db >merge.out 2>merge.err & pid=$!
sleep 1.5
t0=$(now_ms)
kill -INT "$pid"
wait_within "$pid" 60; rc=$?
ms=$(( $(now_ms) - t0 ))
kill "$holder"; wait "$holder" 2>/dev/null
expect_eq "$rc:$(cat merge.err)" "130:esmsim merge: had-runs.db: begin transaction: database is locked (interrupted while another process held its write lock)" \
  "SIGINT in merge's lock wait: exit status, message"
[ "$ms" -lt 10000 ] && ok || ko "SIGINT in merge's lock wait: stopped $ms ms after it, expected at once (the lock is held 30 s)"
same_rows in.db had-runs.db '* FROM runs' && ok || ko "SIGINT in merge's lock wait: its runs changed"
rm -f new.db*
msg=$(limited 1024 "$esmsim" merge new.db big.db 2>&1); rc=$?
expect_eq "$rc" 1 "merge, 1 MiB limit mid-copy: exit status"
expect_in "$msg" "(nothing of it was written to new.db)
esmsim merge: new.db not made (a new output is made whole or not at all)" "merge, 1 MiB limit mid-copy: message"
expect_eq "$(ls new.db* 2>/dev/null)" "" "merge, 1 MiB limit mid-copy: nothing left"

# SIGKILL in the middle of a merge into a new output (the OOM killer, a batch job's time
# limit): no new.db at all.  Before, new.db held the inputs appended before the kill,
# complete runs that `report` showed with no warning, and the same merge again appended
# them a second time.  Left: new.db.merge-XXXXXX, its WAL and its lock file
# new.db.merge-XXXXXX.lock (as a killed sweep leaves its runs' files); the same merge again
# removes them, says so (README, merge), and makes new.db whole.  Before, they stayed
# forever: no merge could tell them from those of a merge still going.
rm -f new.db*
"$esmsim" merge new.db big.db big2.db >merge.out 2>merge.err & pid=$!
wait_until 60 eval 'making 1 || has_runs new.db 1' || ko "SIGKILL mid-merge: the first input never came"
kill -KILL "$pid"
{ wait "$pid"; rc=$?; } 2>/dev/null
expect_eq "$rc:$(cat merge.out)" "137:" "SIGKILL mid-merge: killed, nothing said"
[ ! -e new.db ] && ok || ko "SIGKILL mid-merge: new.db left with $(q new.db 'SELECT count(*) FROM runs') run(s) of 2"
killed=$(ls new.db* | grep -E '^new\.db\.merge-[A-Za-z0-9]{6}$')
expect_eq "$(ls new.db* | grep -c '\.lock$'):$(ls new.db* | grep -c -- '-wal$')" "1:1" \
  "SIGKILL mid-merge: its temporary output, its WAL and its lock file left"
"$esmsim" merge new.db big.db big2.db >merge.out 2>merge.err; rc=$?
expect_eq "$rc:$(cat merge.out)" "0:big.db: 1 run appended to new.db as run 1
big2.db: 1 run appended to new.db as run 2" "SIGKILL mid-merge: the same merge again"
expect_eq "$(cat merge.err)" "esmsim merge: removed the temporary output a killed merge left beside new.db" \
  "SIGKILL mid-merge: the same merge again says what it removed"
expect_eq "$(ls new.db*)" "new.db" "SIGKILL mid-merge: the same merge again, only new.db left"
expect_eq "$(q new.db 'SELECT group_concat(run_id || scenario || complete) FROM runs')" \
  "1steady-state1,2steady-state1" "SIGKILL mid-merge: new.db holds the 2 runs, once each"
[ ! -e "$killed" ] && ok || ko "SIGKILL mid-merge: $killed still there"

# A merge still going holds the lock of its temporary output: another merge into the same
# new.db removes only what no process holds (here a killed merge's files, made by hand, with
# a lock file no one holds) and leaves the user's files whose names merge does not give.
# The first merge is held (SIGSTOP) with its first input in while the second runs; once
# continued it finds new.db made and appends its runs to it.  Before, nothing was removed.
rm -f new.db*
"$esmsim" merge new.db big.db big2.db >merge.out 2>merge.err & pid=$!
wait_until 60 making 1 || ko "merge held: its first input never came"
kill -STOP "$pid"
: > new.db.merge-dead01; : > new.db.merge-dead01-wal; : > new.db.merge-dead01.lock
: > new.db.merge-notes; : > new.db.merge-dead1.lock
held=$(ls -li new.db.merge-* | grep -v -e dead -e notes)
expect_eq "$(echo "$held" | grep -c '\.lock$')" 1 "merge held: its lock file is there"
"$esmsim" merge new.db in.db >merge2.out 2>merge2.err; rc=$?
expect_eq "$rc:$(cat merge2.out)" "0:in.db: 1 run appended to new.db as run 1" "merge while another is held: the merge"
expect_eq "$(cat merge2.err)" "esmsim merge: removed the temporary output a killed merge left beside new.db" \
  "merge while another is held: says what it removed"
expect_eq "$(ls -li new.db.merge-* | grep -v -e dead -e notes)" "$held" \
  "merge while another is held: the held merge's files left as they were"
expect_eq "$(ls new.db.merge-* | grep -e dead -e notes)" "new.db.merge-dead1.lock
new.db.merge-notes" "merge while another is held: the killed merge's files removed, the user's left"
kill -CONT "$pid"
wait_within "$pid" 60; rc=$?
expect_eq "$rc:$(cat merge.out)$(cat merge.err)" "0:big.db: 1 run appended to new.db as run 2
big2.db: 1 run appended to new.db as run 3" "merge held, then continued: appended to the new.db made meanwhile"
expect_eq "$(ls new.db*)" "new.db
new.db.merge-dead1.lock
new.db.merge-notes" "merge held, then continued: its own files removed"
# Into an existing output (appended in place: no temporary file) too: a merge killed after
# it linked its output, or one whose output a run made meanwhile, leaves files beside it.
# Only regular files are removed: a symlink of the name (the user's) stays.
: > new.db.merge-dead02; : > new.db.merge-dead02.lock
ln -s in.db new.db.merge-dead03; : > new.db.merge-dead03.lock
"$esmsim" merge new.db in.db >merge.out 2>merge.err; rc=$?
expect_eq "$rc:$(cat merge.out)" "0:in.db: 1 run appended to new.db as run 4" "merge into an existing output: the merge"
expect_eq "$(cat merge.err)" "esmsim merge: removed the temporary outputs 2 killed merges left beside new.db" \
  "merge into an existing output: says what it removed"
expect_eq "$(ls new.db*)" "new.db
new.db.merge-dead03
new.db.merge-dead1.lock
new.db.merge-notes" "merge into an existing output: the killed merges' files removed, the symlink left"
[ -L new.db.merge-dead03 ] && [ -s in.db ] && ok || ko "merge into an existing output: the symlink or its target changed"

# A run into new.db while a merge makes it (README, "Several writers"): the run makes
# new.db, and the merge appends to it, whole, when done; the merge says the ids its
# inputs got there.  The merge is stopped (SIGSTOP) with its first input in, until the run
# is done.  Before, new.db was there from the merge's start, with its first input: the
# run waited for the stopped merge's write lock.
rm -f new.db*
"$esmsim" merge new.db big.db big2.db >merge.out 2>merge.err & pid=$!
wait_until 60 eval 'making 1 || has_runs new.db 1' || ko "run during a merge: the first input never came"
kill -STOP "$pid"
[ ! -e new.db ] && ok || ko "run during a merge: new.db there before the merge is done"
ESMSIM_BUSY_TIMEOUT_MS=1000 "$esmsim" run "$scn/latest-start.json" -o new.db -q --set duration=1m 2>run.err
expect_eq "$?:$(cat run.err)" "0:" "run during a merge: the run"
kill -CONT "$pid"
wait_within "$pid" 60; rc=$?
expect_eq "$rc:$(cat merge.out)$(cat merge.err)" "0:big.db: 1 run appended to new.db as run 2
big2.db: 1 run appended to new.db as run 3" "run during a merge: the merge, its ids"
expect_eq "$(q new.db 'SELECT group_concat(run_id || scenario || complete) FROM runs')" \
  "1latest-start1,2steady-state1,3steady-state1" "run during a merge: new.db"
expect_eq "$(q new.db 'PRAGMA integrity_check')" ok "run during a merge: integrity"
expect_eq "$(ls new.db*)" "new.db" "run during a merge: nothing else left"

# ---- a new file its maker removes while another run has it open ------------------------

# Two runs into one new file at once (README, "Several writers"): the one that made new.db
# fails to make it (its tables, under a 64 KiB file-size limit: a full disk) while the other
# has opened it and waits for its write lock to write its run.  The maker removes a file it
# could not make, but not one another process has open: SQLite's shared lock says so (WAL
# mode: held from a connection's first read to its close).  Before, it removed it, and the
# other run wrote its run into the unlinked file, exit 130 "new.db run 1 is marked
# incomplete" of a file that was gone.  The maker is held by gdb at its first CREATE TABLE,
# in its transaction (the write lock its own); the other run is stopped (SIGSTOP) once it holds
# its shared lock (/proc/locks) until the maker is done, and is a long one, stopped by
# SIGINT once its run is in.  Needs gdb on x86-64 (the breakpoint reads the SQL in %rsi).
shared_lock() {   # shared_lock PID FILE: PID holds a read lock on FILE
  awk -v p="$1" -v i=":$(stat -c %i "$2")$" '$4 == "READ" && $5 == p && $6 ~ i { f = 1 }
    END { exit !f }' /proc/locks
}
has_run() { [ -s "$1" ] && [ "$(q "$1" "SELECT count(*) FROM runs WHERE scenario = '$2'" 2>/dev/null)" = 1 ]; }
# gdb that can run a program here (a container may forbid ptrace: then skipped, as without gdb)
gdb_runs() { command -v gdb >/dev/null && gdb -q -batch -ex run --args /bin/true 2>&1 | grep -q "exited normally"; }
if [ "$(uname -m)" = x86_64 ] && gdb_runs; then
  what="two runs make new.db at once, the maker fails"
  rm -f new.db* held go
  # "CREATE T", little-endian
  (trap '' XFSZ; ulimit -f 64; exec gdb -q -batch -ex 'set breakpoint pending on' \
    -ex 'handle SIGXFSZ nostop noprint pass' \
    -ex 'break sqlite3_exec if *(unsigned long *)$rsi == 0x5420455441455243' -ex run \
    -ex 'shell touch held; while [ ! -e go ]; do sleep 0.05; done' -ex delete -ex continue \
    --args "$esmsim" run "$scn/latest-start.json" -o new.db -q) >gdb.out 2>&1 & gpid=$!
  wait_until 60 test -e held || ko "$what: the maker never came to its tables"
  "$esmsim" run "$scn/latest-start.json" -o new.db -q --set duration=100d 2>run.err & rpid=$!
  wait_until 60 shared_lock "$rpid" new.db || ko "$what: the other run never opened new.db"
  kill -STOP "$rpid"
  touch go
  wait_within "$gpid" 60
  kill -CONT "$rpid"
  wait_until 60 has_run new.db latest-start || ko "$what: the other run's run never came"
  kill -INT "$rpid"
  wait_within "$rpid" 60; rc=$?
  expect_in "$(cat gdb.out)" "esmsim: new.db: commit: disk I/O error" "$what: the maker's failure"
  expect_eq "$rc:$(cat run.err)" "130:esmsim: interrupted: new.db run 1 is marked incomplete" \
    "$what: the other run"
  expect_eq "$(q new.db 'SELECT group_concat(scenario || complete) FROM runs' 2>&1)" \
    latest-start0 "$what: its run is in new.db"
  expect_eq "$(q new.db 'PRAGMA integrity_check')" ok "$what: integrity"
else
  echo "faults.sh: two runs make new.db at once: skipped (needs gdb that can run a program, on x86-64)"
fi

finish
