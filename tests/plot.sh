#!/usr/bin/env bash
# tests/plot.sh ESMSIM SRCDIR - `esmsim plot` (SPEC section 5, R14): every
# chart is written as a valid SVG or PNG; the figures handed to gnuplot
# (--keep-data) equal SQL written here by hand over the run log; the marks
# (outages from the schedule, reshards, discards, expiries) are where the
# scenarios put them; bad input and a missing gnuplot exit 2 with a message
# and leave no file behind.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }
points() { grep -v '^$' "$1"; }        # a data file's rows, blank lines (gnuplot blocks) left out
is_svg() { head -c 5 "$1" | grep -q '<?xml' && grep -q '<svg' "$1" && tail -c 16 "$1" | grep -q '</svg>'; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# Under UBSan, undefined behaviour stops the program (and fails a case).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Temporary data files go to TMPDIR: every case checks it is left empty.
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
tmp_empty() { expect_eq "$(ls -A "$TMPDIR" | wc -l)" 0 "$1: temporary data files removed"; }

# The runs: an outage with a disabled mapping and discards (run 1) and a short
# steady state (run 2) in one database; a reshard; a day of falling behind
# (expiries) without the per-record tables.
dep="$work/dep.db" split="$work/split.db" fb="$work/fb.db"
"$esmsim" run "$src/scenarios/dependency-outage.json" -o "$dep" -q --set 'producers[0].rate=30' ||
  ko "run dependency-outage"
"$esmsim" run "$src/scenarios/steady-state.json" -o "$dep" -q --set duration=3m --no-record-tables ||
  ko "run steady-state"
"$esmsim" run "$src/scenarios/split-during-backlog.json" -o "$split" -q --set 'producers[0].rate=60' \
  --set duration=30m || ko "run split-during-backlog"
"$esmsim" run "$src/scenarios/falls-behind.json" -o "$fb" -q --no-record-tables || ko "run falls-behind"

# ---- bad input: exit 2, a message naming what was wrong, nothing written ----
cd "$work"
bad() {   # bad WHAT WANT ARGS...: exit 2 and the message has WANT
  local what=$1 want=$2; shift 2
  local msg rc
  msg=$("$esmsim" plot "$@" 2>&1); rc=$?
  expect_eq "$rc" 2 "$what: exit status"
  expect_in "$msg" "$want" "$what: message"
}
bad "unknown option" "--frobnicate" "$dep" --frobnicate
bad "missing RUN.db" "missing RUN.db"
bad "two run logs" "unexpected argument: other.db" "$dep" other.db
bad "unknown chart" '--chart: expected iterator-age, oldest, concurrency, throughput or all, got "pie"' \
  "$dep" --chart pie
# issue 13 item 1: one option parser for every command says what a value should be
bad "--chart without value" "esmsim plot: --chart needs a chart: iterator-age, oldest," "$dep" --chart
bad "bad extension" "-o chart.jpg: expected a file name ending in .svg or .png" "$dep" -o chart.jpg
bad "no extension" "-o chart: expected a file name ending in .svg or .png" "$dep" -o chart
bad "bad run id" '--run: expected a run id, a positive integer, got "0"' "$dep" --run 0
bad "unknown run" "no run 7 (the runs are 1 to 2)" "$dep" --run 7
bad "missing run log" "$work/none.db: cannot open" "$work/none.db"
echo "not a database" > "$work/text.db"
bad "not a run log" "text.db" "$work/text.db"
bad "output directory missing" "-o $work/no/such/dir/x.svg: cannot create" "$dep" -o "$work/no/such/dir/x.svg"
bad "--keep-data not a directory" "--keep-data $work/nodir: expected an existing directory" \
  "$dep" --keep-data "$work/nodir"
bad "--at unknown" '--at: expected completion or send, got "start"' "$dep" --at start
# SPEC section 5 (bad input): an output that is the input is refused, the run log kept.  Before,
# a run log named run.svg plotted -o run.svg was renamed over by its chart (exit 0), and one in
# the --keep-data directory named as a data file was written over (exit 2, the log lost).
for f in run.svg run-oldest.svg kept/iterator-age.dat kept/discards.dat; do
  mkdir -p kept && cp "$split" "$f" || ko "copying the run log to $f"
done
bad "-o the run log" "esmsim plot: -o run.svg: is the run log run.svg: write the chart to another file" \
  run.svg -o run.svg
bad "-o the run log, through ./" "esmsim plot: -o ./run.svg: is the run log run.svg: write the chart to another file" \
  run.svg -o ./run.svg
bad "--chart all -o the run log" "esmsim plot: -o run-oldest.svg: is the run log run-oldest.svg" \
  run-oldest.svg --chart all -o run.svg
bad "--keep-data over the run log" "esmsim plot: --keep-data kept: kept/iterator-age.dat is the run log kept/iterator-age.dat: keep the data in another directory" \
  kept/iterator-age.dat --keep-data kept -o kept.svg
bad "--keep-data over the run log, a mark's file" "esmsim plot: --keep-data kept: kept/discards.dat is the run log" \
  kept/discards.dat --keep-data kept -o kept.svg
for f in run.svg run-oldest.svg kept/iterator-age.dat kept/discards.dat; do
  same_rows "$split" "$f" '* FROM runs' && ok || ko "an output named as the run log $f: the log kept"
done
rm -rf run.svg run-oldest.svg kept
# SPEC section 5 (bad input): a chart is never renamed over what is not a regular file (before,
# a FIFO named x.svg became the chart, exit 0; as root, so would a device).
mkfifo out-fifo.svg
bad "-o a FIFO" "esmsim plot: -o out-fifo.svg: not a regular file (a FIFO): write the chart to a file" \
  "$dep" -o out-fifo.svg
[ -p out-fifo.svg ] && ok || ko "-o a FIFO: the FIFO kept"
rm -f out-fifo.svg
# A number edited into a text (or a real into an integer column) of a table a series is summed
# from is a damaged run log (SPEC section 5: bad input, exit 2), named, never charted as 0 or
# left out: the per-record tables of a run without its summary tables (a log of an older
# esmsim), and summary_series.
damaged() {   # damaged SQL WANT: $split edited by SQL
  rm -f dmg.svg; cp "$split" dmg.db && sqlite3 dmg.db "$1" || ko "damaged: $1"
  bad "damaged: $1" "esmsim plot: dmg.db: $2: the run log is damaged" dmg.db -o dmg.svg
  [ ! -e dmg.svg ] && ok || ko "damaged: $1: no chart written"
}
damaged "DELETE FROM summary_figures; UPDATE invocations SET iterator_age_ms = 'abc'
  WHERE rowid = (SELECT max(rowid) FROM invocations WHERE iterator_age_ms IS NOT NULL)" \
  'invocations.iterator_age_ms of run 1 holds the text "abc", expected an integer'
damaged "DELETE FROM summary_figures; UPDATE metrics SET at_ms = 60000.5
  WHERE rowid = (SELECT min(rowid) FROM metrics)" \
  "metrics.at_ms of run 1 holds the number 60000.5, expected an integer"
# NULL where esmsim always writes a number (runlog_schema.c: runlog_filled): the invocation
# was left out of every minute
damaged "DELETE FROM summary_figures; UPDATE invocations SET start_ms = NULL
  WHERE rowid = (SELECT max(rowid) FROM invocations)" \
  "invocations.start_ms of run 1 is NULL, expected an integer"
damaged "UPDATE summary_series SET x = 'abc' WHERE n = 1 AND chart = 'iterator-age'" \
  'summary_series.x of run 1 holds the text "abc", expected an integer'
# Figures whose sum overflows (only a crafted log has them): SQLite cannot read the series,
# which is bad input too (exit 2), not a chart that failed (it was exit 1).
rm -f dmg.svg; cp "$split" dmg.db && sqlite3 dmg.db "DELETE FROM summary_figures; UPDATE invocations
  SET record_count = 9223372036854775807 WHERE rowid IN (SELECT rowid FROM invocations
  WHERE outcome <> 'throttled' ORDER BY rowid LIMIT 2)" || ko "overflow: crafting"
bad "a sum past 2^63" "esmsim plot: dmg.db: reading throughput: integer overflow" dmg.db --chart throughput -o dmg.svg
[ ! -e dmg.svg ] && ok || ko "a sum past 2^63: no chart written"
bad "--at without value" "esmsim plot: --at needs completion or send" "$dep" --at
bad "--at with a chart without IteratorAge" "--at: only for the iterator-age chart" "$dep" --chart oldest --at send
expect_eq "$(ls "$work" | grep -c -E '\.(svg|png)')" 0 "bad input writes no chart"
tmp_empty "bad input"

# ---- no gnuplot on PATH: exit 2, the message, no chart and no temporary file ----
mkdir -p "$work/nognuplot"
msg=$(PATH="$work/nognuplot" "$esmsim" plot "$dep" -o "$work/nogp.svg" 2>&1); rc=$?
expect_eq "$rc" 2 "missing gnuplot: exit status"
expect_in "$msg" "gnuplot not found: install it" "missing gnuplot: message"
expect_eq "$(ls "$work" | grep -c nogp)" 0 "missing gnuplot: no chart, not even a partial one"
tmp_empty "missing gnuplot"

# ---- gnuplot failing (a broken script): exit 1, named; no chart, not even half ----
mkdir -p "$work/badplots"
printf 'set output out\nset terminal svg\nplot 1 with lines\nthis is not gnuplot\n' > "$work/badplots/iterator-age.gp"
msg=$(ESMSIM_PLOTS="$work/badplots" "$esmsim" plot "$dep" -o "$work/broken.svg" 2>&1); rc=$?
expect_eq "$rc" 1 "gnuplot failing: exit status"
expect_in "$msg" "$work/badplots/iterator-age.gp: gnuplot failed" "gnuplot failing: message names the script"
expect_eq "$(ls "$work" | grep -c broken)" 0 "gnuplot failing: no chart left behind"

# ---- a chart gnuplot could not write in full (a full disk: gnuplot exits 0 all the same): exit 1,
# named; no chart, not even the empty or half one it left (before: exit 0, "wrote", and that) ----
cut_gnuplot "$work/cutgp"
for f in cut.svg cut.png; do
  msg=$(PATH="$work/cutgp:$PATH" "$esmsim" plot "$dep" -o "$work/$f" 2>&1); rc=$?
  expect_eq "$rc" 1 "$f cut short: exit status"
  expect_eq "$msg" "esmsim plot: $work/$f: the chart gnuplot wrote is cut short (is the disk full?): not kept" \
    "$f cut short: message"
  expect_eq "$(ls "$work" | grep -c "^cut\.")" 0 "$f cut short: no chart, no temporary file"
  tmp_empty "$f cut short"
done

# ---- SPEC 5 (exit 130 interrupted): SIGTERM, SIGINT while gnuplot runs: gnuplot stopped and
# reaped, exit 130, no chart, no temporary file (a child never outlives esmsim) ----
mkdir -p "$work/slowgp"
printf '#!/bin/sh\necho $$ > "%s/gnuplot.pid"\nexec sleep 60\n' "$work" > "$work/slowgp/gnuplot"
chmod +x "$work/slowgp/gnuplot"
for sig in TERM INT; do
  rm -f "$work/gnuplot.pid"
  # SIGINT at its default, not ignored as a script's background job starts with it
  PATH="$work/slowgp:$PATH" env --default-signal=INT "$esmsim" plot "$dep" -o "$work/slow.svg" \
    2>"$work/slow.err" & pid=$!
  wait_until 30 test -s "$work/gnuplot.pid" || ko "SIG$sig: gnuplot never started"
  gp=$(cat "$work/gnuplot.pid" 2>/dev/null)
  kill "-$sig" "$pid"
  wait_within "$pid" 30; rc=$?
  expect_eq "$rc" 130 "SIG$sig during gnuplot: exit status"
  kill -0 "$gp" 2>/dev/null && { ko "SIG$sig: gnuplot (pid $gp) outlived esmsim"; kill "$gp"; } || ok
  expect_in "$(cat "$work/slow.err")" "interrupted: gnuplot stopped, iterator-age.gp not drawn" \
    "SIG$sig during gnuplot: message"
  expect_eq "$(ls "$work" | grep -c slow.svg)" 0 "SIG$sig during gnuplot: no chart"
  tmp_empty "SIG$sig during gnuplot"
done
tmp_empty "gnuplot failing"
# A gnuplot deaf to SIGTERM and SIGINT, with a child of its own deaf to them too: stopped all the
# same (SIGKILL a second after SIGTERM), its child with it (README, Ctrl-C: no child outlives
# esmsim).  Before, plot waited for it for ever.
mkdir -p "$work/deafgp"
cat > "$work/deafgp/gnuplot" <<EOF
#!/bin/sh
trap '' INT TERM
sh -c 'echo \$\$ > "$work/deafchild.pid"; exec sleep 60' &
echo \$\$ > "$work/gnuplot.pid"
wait
EOF
chmod +x "$work/deafgp/gnuplot"
for sig in TERM INT; do
  rm -f "$work/gnuplot.pid" "$work/deafchild.pid"
  PATH="$work/deafgp:$PATH" env --default-signal=INT "$esmsim" plot "$dep" -o "$work/slow.svg" \
    2>"$work/slow.err" & pid=$!
  wait_until 30 test -s "$work/gnuplot.pid" -a -s "$work/deafchild.pid" || ko "SIG$sig, deaf gnuplot: never started"
  kill "-$sig" "$pid"
  wait_within "$pid" 30; rc=$?
  expect_eq "$rc:$(cat "$work/slow.err")" "130:esmsim plot: interrupted: gnuplot stopped, iterator-age.gp not drawn" \
    "SIG$sig during a deaf gnuplot: exit status, message"
  # (killed before esmsim ends; gone a moment later, once the kernel is done with it)
  for p in "$(cat "$work/gnuplot.pid")" "$(cat "$work/deafchild.pid")"; do
    wait_until 5 ended "$p" && ok ||
      { ko "SIG$sig: gnuplot's process $p outlived esmsim"; kill -KILL "$p"; }
  done
  expect_eq "$(ls "$work" | grep -c slow.svg)" 0 "SIG$sig during a deaf gnuplot: no chart"
  tmp_empty "SIG$sig during a deaf gnuplot"
done
# esmsim killed outright (SIGKILL: a batch system's time limit) while gnuplot runs: gnuplot
# is killed with it (PR_SET_PDEATHSIG).  Before, it ran on to its end.
rm -f "$work/gnuplot.pid"
PATH="$work/slowgp:$PATH" "$esmsim" plot "$dep" -o "$work/slow.svg" 2>/dev/null & pid=$!
wait_until 30 test -s "$work/gnuplot.pid" || ko "SIGKILL: gnuplot never started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
gp=$(cat "$work/gnuplot.pid")
wait_until 5 ended "$gp" && ok || { ko "SIGKILL: gnuplot ($gp) outlived esmsim"; kill -KILL "$gp"; }
rm -f "$work"/slow.svg.* "$TMPDIR"/*   # (esmsim killed: nothing removed its temporary files)
# A gnuplot that draws its chart and leaves a process of its own running: the chart kept, the
# process stopped with it.  Before, it lived on after esmsim.
mkdir -p "$work/leavegp"
cat > "$work/leavegp/gnuplot" <<EOF
#!/bin/sh
out=\$(printf '%s' "\$2" | sed -n "s/.*out='\\([^']*\\)'.*/\\1/p")
printf '<?xml version="1.0"?>\\n<svg></svg>\\n' > "\$out"
sh -c 'echo \$\$ > "$work/leftchild.pid"; exec sleep 60' &
wait_pid=\$!
while [ ! -s "$work/leftchild.pid" ]; do sleep 0.05; done
EOF
chmod +x "$work/leavegp/gnuplot"
rm -f "$work/leftchild.pid"
PATH="$work/leavegp:$PATH" "$esmsim" plot "$dep" -o "$work/left.svg" >/dev/null 2>"$work/left.err"; rc=$?
expect_eq "$rc:$(cat "$work/left.err")" "0:" "a gnuplot that leaves a process: exit status"
left=$(cat "$work/leftchild.pid" 2>/dev/null)
[ -n "$left" ] && ok || ko "a gnuplot that leaves a process: it never started it"
wait_until 5 ended "${left:-0}" && ok ||
  { ko "a gnuplot that leaves a process: its process $left outlived esmsim"; kill -KILL "$left"; }
rm -f "$work/left.svg"

# ---- gnuplot's standard input is /dev/null (README), not esmsim's: before the twenty-third
# session it read from esmsim's (here /dev/zero); esmsim started without one gives its fd 0 to
# /dev/null at start (main.c), so gnuplot gets /dev/null there too ----
mkdir -p "$work/stdingp"
cat > "$work/stdingp/gnuplot" <<EOF
#!/bin/sh
readlink /proc/\$\$/fd/0 > "$work/stdin.of" || echo none > "$work/stdin.of"
out=\$(printf '%s' "\$2" | sed -n "s/.*out='\\([^']*\\)'.*/\\1/p")
printf '<?xml version="1.0"?>\\n<svg></svg>\\n' > "\$out"
EOF
chmod +x "$work/stdingp/gnuplot"
PATH="$work/stdingp:$PATH" "$esmsim" plot "$dep" -o "$work/stdin.svg" >/dev/null 2>&1 <&-
expect_eq "$(cat "$work/stdin.of" 2>/dev/null)" /dev/null "esmsim without fd 0: gnuplot's standard input"
PATH="$work/stdingp:$PATH" "$esmsim" plot "$dep" -o "$work/stdin.svg" >/dev/null 2>&1 </dev/zero
expect_eq "$(cat "$work/stdin.of" 2>/dev/null)" /dev/null "esmsim with an input: gnuplot's standard input"
rm -f "$work/stdin.svg" "$work/stdin.of"

# ---- README, plot's exit status 130: a Ctrl-C while gnuplot runs stops plot even in a script's
# background job, which starts with SIGINT ignored, as it stops run, sweep and merge (before:
# plot went on ignoring it, and gnuplot with it): gnuplot stopped and reaped, no process left in
# esmsim's session, no chart, no temporary file.  gnuplot itself sends the SIGINT. ----
ctrl_c_gnuplot "$work/ctrlcgp"
PATH="$work/ctrlcgp:$PATH" setsid -w env --ignore-signal=INT "$esmsim" plot "$dep" -o "$work/ctrlc.svg" \
  2>"$work/ctrlc.err" & pid=$!
wait_within "$pid" 30; rc=$?
expect_eq "$rc" 130 "SIGINT, started ignored, during gnuplot: exit status"
expect_eq "$(cat "$work/ctrlc.err")" "esmsim plot: interrupted: gnuplot stopped, iterator-age.gp not drawn" \
  "SIGINT, started ignored, during gnuplot: message"
no_gnuplot_left "$work/ctrlcgp" "SIGINT, started ignored, during gnuplot"
[ "$rc" = 130 ] || rm -f "$TMPDIR"/* "$work"/ctrlc.svg.*   # esmsim killed: not to fail the cases below
expect_eq "$(ls "$work" | grep -c ctrlc.svg)" 0 "SIGINT, started ignored, during gnuplot: no chart"
tmp_empty "SIGINT, started ignored, during gnuplot"

# ---- SIGTERM, SIGINT, SIGHUP before gnuplot starts, while plot reads a run log without its
# summary tables (as a killed run leaves it: read from the records, a second here): exit 130
# at once, no chart, no temporary file (before: killed there, its chart's temporary file left
# beside the chart and its data files in TMPDIR) ----
"$esmsim" run "$src/scenarios/steady-state.json" -o "$work/slow.db" -q --set duration=10m || ko "run slow.db"
sqlite3 "$work/slow.db" 'DELETE FROM summary_figures'
reading() { ls "$TMPDIR" | grep -q '^esmsim-plot-throughput-'; }
for sig in TERM INT HUP; do
  env --default-signal=INT,HUP "$esmsim" plot "$work/slow.db" --chart throughput -o "$work/slowread.svg" \
    2>"$work/slowread.err" & pid=$!
  wait_until 60 reading || ko "SIG$sig while reading: plot never read the throughput"
  kill "-$sig" "$pid"
  wait_within "$pid" 30; rc=$?
  expect_eq "$rc" 130 "SIG$sig while reading: exit status"
  expect_in "$(cat "$work/slowread.err")" "interrupted" "SIG$sig while reading: message"
  expect_eq "$(ls "$work" | grep -c slowread.svg)" 0 "SIG$sig while reading: no chart, no temporary file"
  tmp_empty "SIG$sig while reading"
done

# ---- every chart, SVG and PNG, named as documented ----
out=$("$esmsim" plot "$dep" --run 1 --chart all -o "$work/dep.svg" 2>&1); rc=$?
expect_eq "$rc" 0 "--chart all exit status: $out"
for c in iterator-age oldest concurrency throughput; do
  f="$work/dep-$c.svg"
  [ -s "$f" ] && ok || ko "--chart all writes $f"
  is_svg "$f" && ok || ko "$f is an SVG document"
  expect_in "$out" "wrote $f" "--chart all names $f"
  expect_in "$(cat "$f")" "dependency-outage, run 1" "$c title names the scenario and run"
  expect_in "$(cat "$f")" "simulated time (minutes)" "$c X axis label with its unit"
done
tmp_empty "--chart all"
"$esmsim" plot "$dep" --run 1 --chart all -o "$work/dep.png" >/dev/null; rc=$?
expect_eq "$rc" 0 "--chart all PNG exit status"
for c in iterator-age oldest concurrency throughput; do
  [ -s "$work/dep-$c.png" ] && is_png "$work/dep-$c.png" && ok || ko "dep-$c.png is a PNG file"
done
# the Y axis unit fits the figures: minutes for a 21-minute backlog, milliseconds
# for a steady state (run 2, the latest, is the default: 1.2 s), hours for a day
expect_in "$(cat "$work/dep-iterator-age.svg")" "IteratorAge at completion (minutes)" "Y axis in minutes"
expect_in "$(cat "$work/dep-iterator-age.svg")" "IteratorAge at completion (maximum per minute)" \
  "the title says which IteratorAge (R14, the default)"
mkdir -p "$work/cwd" && cd "$work/cwd"
"$esmsim" plot "$dep" >/dev/null; rc=$?
expect_eq "$rc" 0 "default chart exit status"
is_svg iterator-age.svg && ok || ko "default output iterator-age.svg"
expect_in "$(cat iterator-age.svg)" "steady-state, run 2" "default run is the latest"
expect_in "$(cat iterator-age.svg)" "IteratorAge at completion (milliseconds)" "Y axis in milliseconds"
"$esmsim" plot "$dep" --chart oldest >/dev/null && is_svg oldest.svg && ok || ko "default name oldest.svg"
mkdir -p "$work/cwd-all" && cd "$work/cwd-all"
"$esmsim" plot "$dep" --chart all >/dev/null 2>&1; rc=$?
expect_eq "$rc $(ls | tr '\n' ' ')" "0 concurrency.svg iterator-age.svg oldest.svg throughput.svg " \
  "--chart all without -o: CHART.svg each"
cd "$work/cwd"
"$esmsim" plot "$dep" --chart concurrency -o C.PNG >/dev/null && is_png C.PNG && ok ||
  ko "-o with an upper-case .PNG"
cd "$work"

# --help; an incomplete run says so in the title; a run without any
# invocation still gets a chart, saying it has no data.
out=$("$esmsim" plot --help); rc=$?
expect_eq "$rc" 0 "--help exit status"
expect_in "$out" "usage: esmsim plot RUN.db" "--help prints the usage"
cp "$dep" "$work/incomplete.db"
sqlite3 "$work/incomplete.db" "UPDATE runs SET complete = 0 WHERE run_id = 1"
"$esmsim" plot "$work/incomplete.db" --run 1 -o "$work/incomplete.svg" >/dev/null
expect_in "$(cat "$work/incomplete.svg")" "dependency-outage, run 1 (incomplete)" "an incomplete run is marked"
"$esmsim" run "$src/scenarios/steady-state.json" -o "$work/empty.db" -q --set duration=1s --no-record-tables
"$esmsim" plot "$work/empty.db" -o "$work/empty.svg" >/dev/null; rc=$?
expect_eq "$rc" 0 "a run without invocations: exit status"
expect_in "$(cat "$work/empty.svg")" "no data in this run" "a run without invocations: said on the chart"

# ---- the figures given to gnuplot equal SQL over the run log ----
keep="$work/keep-dep"
mkdir -p "$keep"
"$esmsim" plot "$dep" --run 1 --chart all -o "$work/k.svg" --keep-data "$keep" >/dev/null ||
  ko "--keep-data exit status"
for f in iterator-age oldest concurrency throughput reshards discards expiries disabled failing; do
  [ -f "$keep/$f.dat" ] && ok || ko "--keep-data writes $f.dat"
done
tmp_empty "--keep-data"

# R14: IteratorAge, CloudWatch's maximum per minute of what the completed
# invocations emit (throttled attempts emit none), per shard, then overall.
expect_eq "$(points "$keep/iterator-age.dat" | grep -v '^all ')" \
  "$(q "$dep" "SELECT shard_id, end_ms / 60000 AS m, max(iterator_age_ms) FROM invocations
               WHERE run_id = 1 AND outcome <> 'throttled' GROUP BY shard_id, m ORDER BY shard_id, m")" \
  "R14 IteratorAge per shard per minute"
expect_eq "$(points "$keep/iterator-age.dat" | grep '^all ')" \
  "$(q "$dep" "SELECT 'all', end_ms / 60000 AS m, max(iterator_age_ms) FROM invocations
               WHERE run_id = 1 AND outcome <> 'throttled' GROUP BY m ORDER BY m")" \
  "R14 IteratorAge over all shards per minute"
expect_eq "$(points "$keep/iterator-age.dat" | awk '$1 != "all" { if (!($2 in m) || $3 > m[$2]) m[$2] = $3 }
             END { for (k in m) print k, m[k] }' | sort -n)" \
  "$(points "$keep/iterator-age.dat" | awk '$1 == "all" { print $2, $3 }')" \
  "the overall line is the maximum of the shards' lines"
expect_eq "$(points "$keep/iterator-age.dat" | awk '$3 > m { m = $3 } END { print m }')" \
  "$(q "$dep" "SELECT CAST(max(value) AS INTEGER) FROM metrics WHERE run_id = 1 AND name = 'iterator_age_ms'")" \
  "R14 the largest IteratorAge equals the per-second metric's"
# no invocation while the mapping is disabled: no point, and the line breaks
expect_eq "$(points "$keep/iterator-age.dat" | awk '$2 >= 18 && $2 < 37' | wc -l)" 0 \
  "R16 no IteratorAge while the mapping is disabled"
expect_eq "$(awk 'NF == 0 { blank++ } NF && $1 == "shardId-000000000000" && $2 == 37 { print blank; exit }' \
             "$keep/iterator-age.dat")" 1 "R16 a blank line breaks the line across the gap"
expect_eq "$(points "$keep/oldest.dat" | grep -v '^all ')" \
  "$(q "$dep" "SELECT shard_id, at_ms / 60000 AS m, max(value) FROM metrics
               WHERE run_id = 1 AND name = 'oldest_unprocessed_age_ms' GROUP BY shard_id, m ORDER BY shard_id, m")" \
  "R14 oldest unprocessed age per shard per minute"
expect_eq "$(points "$keep/concurrency.dat")" \
  "$(q "$dep" "SELECT 'max', at_ms / 60000 AS m, max(value) FROM metrics
               WHERE run_id = 1 AND name = 'concurrent_executions' GROUP BY m ORDER BY m;
               SELECT 'mean', at_ms / 60000 AS m, avg(value) FROM metrics
               WHERE run_id = 1 AND name = 'concurrent_executions' GROUP BY m ORDER BY m")" \
  "concurrent executions, maximum and mean per minute"
# throughput: counts per minute over the 60 minutes of the run, 0 where none
expect_eq "$(points "$keep/throughput.dat" | awk '{ n[$1]++ } END { print n["written"], n["delivered"], n["succeeded"] }')" \
  "60 60 60" "throughput: a point for each of the 60 minutes"
expect_eq "$(points "$keep/throughput.dat" | awk '$1 == "written" && $3 > 0 { print $2, $3 }')" \
  "$(q "$dep" "SELECT arrival_ms / 60000 AS m, count(*) FROM records WHERE run_id = 1 GROUP BY m ORDER BY m")" \
  "records written per minute"
expect_eq "$(points "$keep/throughput.dat" | awk '$1 == "succeeded" { s += $3 } END { print s }')" \
  "$(q "$dep" "SELECT sum(record_count) FROM invocations WHERE run_id = 1 AND outcome = 'success'")" \
  "records in successful invocations, in total"
expect_eq "$(points "$keep/throughput.dat" | awk '$1 == "succeeded" && $2 >= 15 && $2 < 35 && $3 > 0' | wc -l)" 0 \
  "nothing succeeds while the function fails"
expect_eq "$(points "$keep/throughput.dat" | awk '$1 == "delivered" { s += $3 } END { print s }')" \
  "$(q "$dep" "SELECT sum(record_count) FROM invocations WHERE run_id = 1 AND outcome <> 'throttled'")" \
  "records delivered to the function, retries included, in total"

# Issue 11 item 8: --at send charts AWS's other IteratorAge, the age of the
# batch's last record when the event is sent (the invocation's start), by the
# minute of the start; the title and axis say which; the default is R14's.
keep="$work/keep-send"
mkdir -p "$keep"
"$esmsim" plot "$dep" --run 1 --at send -o "$work/send.svg" --keep-data "$keep" >/dev/null ||
  ko "--at send exit status"
expect_in "$(cat "$work/send.svg")" "IteratorAge at send (maximum per minute): dependency-outage, run 1" \
  "--at send: the title says so"
expect_in "$(cat "$work/send.svg")" "IteratorAge at send (minutes)" "--at send: the Y axis says so"
expect_eq "$(points "$keep/iterator-age.dat")" \
  "$(q "$dep" "SELECT shard_id, start_ms / 60000 AS m, max(iterator_age_at_send_ms) FROM invocations
               WHERE run_id = 1 AND outcome <> 'throttled' GROUP BY shard_id, m ORDER BY shard_id, m;
               SELECT 'all', start_ms / 60000 AS m, max(iterator_age_at_send_ms) FROM invocations
               WHERE run_id = 1 AND outcome <> 'throttled' GROUP BY m ORDER BY m")" \
  "--at send: the maximum per shard and overall per minute of the start"
"$esmsim" plot "$dep" --run 1 --at completion -o "$work/completion.svg" --keep-data "$keep" >/dev/null ||
  ko "--at completion exit status"
expect_eq "$(cat "$keep/iterator-age.dat")" "$(cat "$work/keep-dep/iterator-age.dat")" \
  "--at completion is the default chart"
# the column: NULL exactly where R14's is; the start less the arrival of the
# last record (both kept in microseconds, so within the 1 ms of rounding);
# R14's age less it is the invocation's duration
expect_eq "$(q "$dep" "SELECT count(*) FROM invocations WHERE run_id = 1
               AND (iterator_age_ms IS NULL) <> (iterator_age_at_send_ms IS NULL)")" 0 \
  "iterator_age_at_send_ms is NULL where iterator_age_ms is"
cp "$dep" "$work/dep-idx.db"   # indexed for the join
sqlite3 "$work/dep-idx.db" "CREATE INDEX records_by_seq ON records (run_id, shard_id, sequence_number)"
expect_eq "$(q "$work/dep-idx.db" "SELECT count(*), sum(abs(i.iterator_age_at_send_ms - (i.start_ms - r.arrival_ms)) <= 1),
               sum(abs(i.iterator_age_ms - i.iterator_age_at_send_ms - (i.end_ms - i.start_ms)) <= 1)
               FROM invocations i JOIN records r ON r.run_id = i.run_id AND r.shard_id = i.shard_id
               AND r.sequence_number = i.last_sequence_number
               WHERE i.run_id = 1 AND i.iterator_age_at_send_ms IS NOT NULL")" \
  "$(q "$dep" "SELECT count(*), count(*), count(*) FROM invocations
               WHERE run_id = 1 AND iterator_age_at_send_ms IS NOT NULL")" \
  "iterator_age_at_send_ms = start - arrival of the last record"
[ "$(q "$dep" "SELECT count(*) FROM invocations WHERE run_id = 1 AND iterator_age_at_send_ms IS NOT NULL")" -gt 100 ] &&
  ok || ko "--at send: the run has invocations with an age"
# A run log of an older schema version (7: before issue 13 item 4 stored a record's key
# and size only in its message, schema 8; or 2): every reader and merge refuse it, exit 2, with a message that names
# the file and its version and says what to do; nothing is written.
cp "$dep" "$work/v5.db"
"$esmsim" compare "$dep" --export "$work/v5.json" || ko "an observed series for compare"
sqlite3 "$work/v5.db" "PRAGMA user_version = 7"
old_msg="$work/v5.db: run log schema version 7, this esmsim reads version 8 only: the log was made by an older esmsim"
old_do="run the scenario again with this esmsim to make a new log"
for cmd in "plot $work/v5.db -o $work/v5.svg" "report $work/v5.db" "report $work/v5.db --json" \
           "trace $work/v5.db --key k" "logs $work/v5.db" "compare $work/v5.db $work/v5.json" \
           "merge $work/v5-merged.db $work/v5.db"; do
  msg=$("$esmsim" $cmd 2>&1); rc=$?
  expect_eq "$rc" 2 "issue 13 item 4: an older log: $cmd: exit status"
  expect_in "$msg" "$old_msg" "issue 13 item 4: an older log: $cmd: names the file and its version"
  expect_in "$msg" "$old_do" "issue 13 item 4: an older log: $cmd: says what to do"
done
[ ! -e "$work/v5.svg" ] && [ ! -e "$work/v5-merged.db" ] && ok || ko "an older log: nothing written"
# ... and the writers will not append to it (merge's output, run -o, sweep -o)
for cmd in "merge $work/v5.db $dep" "run $src/scenarios/steady-state.json --set duration=1s -q -o $work/v5.db" \
           "sweep $src/scenarios/steady-state.json --set duration=1s --vary event_source_mapping.BatchSize=10 --no-chart -o $work/v5.db"; do
  before=$(cksum < "$work/v5.db")
  msg=$("$esmsim" $cmd 2>&1); rc=$?
  expect_eq "$rc" 2 "issue 13 item 4: an older log as output: ${cmd%% *}: exit status"
  expect_in "$msg" "$work/v5.db: run log schema version 7, this esmsim writes version 8 only: write to a new file" \
    "issue 13 item 4: an older log as output: ${cmd%% *}: message"
  expect_eq "$(cksum < "$work/v5.db")" "$before" "issue 13 item 4: an older log as output: ${cmd%% *}: unchanged"
done
sqlite3 "$work/v5.db" "PRAGMA user_version = 2"
bad "schema 2 log" "run log schema version 2, this esmsim reads version 8 only" "$work/v5.db"
sqlite3 "$work/v5.db" "PRAGMA user_version = 9"
bad "a newer log" "run log schema version 9, this esmsim reads version 8 only: read the log with the newer esmsim" "$work/v5.db"
tmp_empty "--at"

# R6 discards: OnFailure messages per minute; the outage schedule of the scenario: the
# function fails from 15m to 35m, the mapping is disabled at 17m and enabled
# at 36m, each in effect 60 s later (model.mapping_update_delay).
expect_eq "$(points "$keep/discards.dat")" \
  "$(q "$dep" "SELECT 'discard', at_ms / 60000 AS m, count(*) FROM discards WHERE run_id = 1 GROUP BY m ORDER BY m")" \
  "R6 OnFailure messages per minute"
expect_eq "$(awk '{ s += $3 } END { print s }' "$keep/discards.dat")" \
  "$(q "$dep" "SELECT count(*) FROM discards WHERE run_id = 1")" "R6 every discard counted"
expect_in "$(cat "$work/k-iterator-age.svg")" \
  "OnFailure messages ($(q "$dep" "SELECT count(*) FROM discards WHERE run_id = 1"))" "R6 the legend's count"
expect_eq "$(cat "$keep/disabled.dat")" "disabled 18.000 37.000" "R16 the mapping is disabled from 18m to 37m"
expect_eq "$(cat "$keep/failing.dat")" "failing 15.000 35.000" "the function fails from 15m to 35m"
expect_eq "$(cat "$keep/reshards.dat" "$keep/expiries.dat")" "" "no reshard, no expiry in this run"

# R12 reshards: UpdateShardCount 2 -> 4 at minute 20 opens four children at once.
keep="$work/keep-split"
mkdir -p "$keep"
"$esmsim" plot "$split" -o "$work/split.png" --keep-data "$keep" >/dev/null && is_png "$work/split.png" && ok ||
  ko "split chart"
expect_eq "$(cat "$keep/reshards.dat")" "reshard 20.0" "R12 one reshard mark at 20m"
expect_eq "$(cat "$keep/failing.dat")" "failing 5.000 15.000" "a failure rule from/to is an outage"
expect_eq "$(cat "$keep/disabled.dat")" "" "never disabled"
expect_eq "$(points "$keep/iterator-age.dat" | awk '{ print $1 }' | sort -u | tr '\n' ' ')" \
  "all shardId-000000000000 shardId-000000000001 shardId-000000000002 shardId-000000000003 shardId-000000000004 shardId-000000000005 " \
  "R12 a line per shard, parents and children"

# Retention expiries, and a run without the records table: its observer counted the
# records written all the same (issue 13 item 3).
keep="$work/keep-fb"
mkdir -p "$keep"
msg=$("$esmsim" plot "$fb" --chart all -o "$work/fb.svg" --keep-data "$keep" 2>&1); rc=$?
expect_eq "$rc" 0 "falls-behind exit status"
expect_eq "$(points "$keep/throughput.dat" | awk '$1 == "written" { s += $3 } END { print s }')" \
  "$(q "$fb" "SELECT json_extract(summary_json, '$.records_written') FROM runs")" \
  "issue 13 item 3: throughput without the records table: every record written, by minute"
expect_eq "$(points "$keep/expiries.dat")" \
  "$(q "$fb" "SELECT 'expiry', at_ms / 60000 AS m, count(*) FROM checkpoints WHERE reason = 'expired' GROUP BY m ORDER BY m")" \
  "expiries per minute"
[ -s "$keep/expiries.dat" ] && ok || ko "falls-behind has expiries"
expect_in "$(cat "$work/fb-oldest.svg")" "records expired (retention)" "expiries in the legend"
expect_in "$(cat "$work/fb-oldest.svg")" "oldest unprocessed record age (hours)" "Y axis in hours"
tmp_empty "all charts"

# Issue 13 item 3: the series come from the summary tables the run's observer wrote; a log
# without them (an older esmsim's) gets the same files from its tables and its scenario.
for db in "$dep" "$split"; do
  name=$(basename "$db" .db)
  cp "$db" "$work/old-$name.db"
  sqlite3 "$work/old-$name.db" "DELETE FROM summary_figures; DELETE FROM summary_series" ||
    ko "$name: summary rows deleted"
  mkdir -p "$work/obs-$name" "$work/sql-$name"
  "$esmsim" plot "$db" --run 1 --chart all -o "$work/obs-$name.svg" --keep-data "$work/obs-$name" \
    >/dev/null || ko "$name: plot from the summary tables"
  "$esmsim" plot "$work/old-$name.db" --run 1 --chart all -o "$work/sql-$name.svg" \
    --keep-data "$work/sql-$name" >/dev/null || ko "$name: plot without the summary tables"
  for f in iterator-age oldest concurrency throughput reshards discards expiries disabled failing; do
    if cmp -s "$work/obs-$name/$f.dat" "$work/sql-$name/$f.dat"; then ok; else
      ko "$name: $f.dat from the summary tables differs from the one without them"
      diff "$work/obs-$name/$f.dat" "$work/sql-$name/$f.dat" | head -5 >&2
    fi
  done
done


# ---- the axes' labels (SPEC section 5): the X axis in minutes up to 5 hours, hours up to
# 3 days, days beyond; counts with k or M, exactly (1.5k: the format "%.0s%c" printed
# 0, 500, 1k, 2k, 2k, 2k for 0 to 2,500)
axes() {   # axes NAME DB: the throughput chart's tic labels and X label, up to the Y label
  "$esmsim" plot "$2" --run 1 --chart throughput -o "$work/axes-$1.svg" >/dev/null ||
    ko "axes: plot $1"
  svg_texts "$work/axes-$1.svg" | sed 's/|records per minute|\(simulated time ([a-z]*)\)|.*/|\1/'
}
"$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/pp.db" -q --no-record-tables ||
  ko "run poison-pill-bounded"
"$esmsim" run "$src/scenarios/steady-state.json" -o "$work/days.db" -q --no-record-tables \
  --set duration=4d --set 'producers[0].rate=1' || ko "run steady-state for 4 days"
expect_eq "$(axes pp "$work/pp.db")" \
  "0|500|1k|1.5k|2k|2.5k|0|20|40|60|80|100|120|simulated time (minutes)" "axes: 2 hours, 2.4k a minute"
expect_eq "$(axes fb "$fb")" \
  "0|200|400|600|800|1k|1.2k|1.4k|0|5|10|15|20|25|30|35|40|simulated time (hours)" \
  "axes: 40 hours (falls-behind)"
# The same points over the 4 days (5,760 minutes with data): each minute of a row, its
# neighbours and the run's first and last minute, 0 where no row (computed here with awk).
mkdir -p "$work/days-data"
"$esmsim" plot "$work/days.db" --chart throughput -o "$work/days-tp.svg" --keep-data "$work/days-data" \
  >/dev/null || ko "plot throughput of 4 days"
expect_eq "$(points "$work/days-data/throughput.dat")" \
  "$(q "$work/days.db" "SELECT series, x, value, (SELECT (coalesce(end_ms, duration_ms) - 1) / 60000 FROM runs)
      FROM summary_series WHERE chart = 'throughput'" | awk '
    { v[$1 " " $2] = $3; x[$2] = 1; last = $4 }
    END { m[0]; m[last]; for (k in x) for (d = -1; d <= 1; d++) if (k + d >= 0 && k + d <= last) m[k + d]
          split("written delivered succeeded", s, " ")
          for (i = 1; i <= 3; i++) for (k in m) print i, k, s[i], k, ((s[i] " " k) in v ? v[s[i] " " k] : 0) }' |
    sort -k1,1n -k2,2n | cut -d' ' -f3-)" "throughput of 4 days: every point as before"
expect_eq "$(points "$work/days-data/throughput.dat" | wc -l)" 17280 "throughput of 4 days: 3 x 5,760 points"

# ---- the throughput series' cost grows with the rows, not with rows x minutes: a month of
# history is minutes, and compare reads this series too (SQLite 3.40 joined every minute with
# every row: 19 s for 4 days).  Counted, not timed: SQLite's virtual machine steps for the
# query esmsim runs (its text from the binary), over K and 4K minutes with data, each with
# its neighbours empty; linear or n log n is about 4 to 5 times, a join of each with each 16.
steps() {   # steps SQL DB: the virtual machine steps of SQL over DB (?1 run 1, ?2 its last minute)
  sqlite3 "$2" ".parameter set ?1 1" ".parameter set ?2 $(q "$2" "SELECT max(m) FROM last")" \
    ".stats stmt" "SELECT count(*) FROM ($1)" | sed -n 's/^Virtual Machine Steps: *//p'
}
cost_db() {   # cost_db DB K: K minutes with data, 3 apart, in the tables both queries read
  sqlite3 "$1" "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, per_record_tables INTEGER);
    CREATE TABLE summary_series (run_id INTEGER NOT NULL, chart TEXT NOT NULL, n INTEGER NOT NULL,
      series TEXT, x INTEGER, value, PRIMARY KEY (run_id, chart, n));
    CREATE TABLE records (run_id INTEGER, arrival_ms INTEGER);
    CREATE TABLE invocations (run_id INTEGER, start_ms INTEGER, end_ms INTEGER,
    record_count INTEGER, outcome TEXT); CREATE TABLE last (m); INSERT INTO runs VALUES (1, 1);
    WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $2)
    INSERT INTO summary_series SELECT 1, 'throughput', 3 * i + o, series, 3 * i, 5
      FROM k, (SELECT 0 AS o, 'written' AS series UNION ALL SELECT 1, 'delivered'
               UNION ALL SELECT 2, 'succeeded');
    INSERT INTO records SELECT 1, x * 60000 FROM summary_series WHERE series = 'written';
    INSERT INTO invocations SELECT 1, x * 60000, x * 60000, 5, 'success' FROM summary_series
      WHERE series = 'written';
    INSERT INTO last VALUES (3 * $2);" || ko "cost_db $1"
}
cost_db "$work/cost1.db" 500
cost_db "$work/cost4.db" 2000
for from in "chart = 'throughput'" "WITH w(minute, n) AS (SELECT arrival_ms / 60000, count(*) FROM records"; do
  sql=$(strings -n 200 "$esmsim" | grep -F "$from" | head -1)
  [ -n "$sql" ] || ko "throughput ($from): the query's text in $esmsim"
  s1=$(steps "$sql" "$work/cost1.db") s4=$(steps "$sql" "$work/cost4.db")
  expect_eq "$(awk -v a="$s1" -v b="$s4" 'BEGIN { print (a > 0 && b < 6 * a) ? "linear" : "steps " a " then " b }')" \
    linear "throughput ($from): 4 times the minutes, at most 6 times the work"
done

expect_eq "$(axes days "$work/days.db")" \
  "0|10|20|30|40|50|60|70|80|90|0|0.5|1|1.5|2|2.5|3|3.5|4|simulated time (days)" "axes: 4 days"

# ---- the axes of ages (README, Charts: Axes): milliseconds under 2 seconds, then seconds, minutes
# from 2 minutes, hours from 2 hours, days from 2 days, the tics labelled exactly (before: hours
# from 2 hours on, so a shard stuck for 4 days read 0 to 110 hours; seconds under 2 minutes, so
# a steady state's 1.2 s read 0 to 1.2 seconds) ----
ages() {   # ages NAME DB RUN CHART: the chart's tic labels, Y label and X label
  "$esmsim" plot "$2" --run "$3" --chart "$4" -o "$work/ages-$1.svg" >/dev/null || ko "ages: plot $1"
  svg_texts "$work/ages-$1.svg" | sed 's/|\(simulated time ([a-z]*)\)|.*/|\1/'
}
# R14: a shard held by a record that fails forever (MaximumRetryAttempts -1, no maximum age,
# 7 days' retention), retried hourly: the age of its batch grows for the 4 days of the run
"$esmsim" run "$src/scenarios/poison-pill.json" -o "$work/stuck.db" -q --no-record-tables \
  --set duration=4d --set stream.retention=168h --set stream.shards=1 --set 'producers=[]' \
  --set model.retry_delay=1h --set 'expect={}' || ko "run poison-pill stuck for 4 days"
expect_eq "$(ages ms "$dep" 2 iterator-age)" \
  "0|200|400|600|800|1000|1200|0|0.5|1|1.5|2|2.5|3|IteratorAge at completion (milliseconds)|simulated time (minutes)" \
  "ages: 1.2 seconds (steady-state) in milliseconds"
expect_eq "$(ages s "$work/pp.db" 1 oldest)" \
  "0|0.5|1|1.5|2|2.5|3|0|20|40|60|80|100|120|oldest unprocessed record age (seconds)|simulated time (minutes)" \
  "ages: 3 seconds (poison-pill-bounded) in seconds"
expect_eq "$(ages min "$dep" 1 iterator-age)" \
  "0|5|10|15|20|0|10|20|30|40|50|60|IteratorAge at completion (minutes)|simulated time (minutes)" \
  "ages: 21 minutes (dependency-outage) in minutes"
expect_eq "$(ages h "$fb" 1 oldest)" \
  "0|5|10|15|20|25|0|5|10|15|20|25|30|35|40|oldest unprocessed record age (hours)|simulated time (hours)" \
  "ages: a day (falls-behind) in hours"
expect_eq "$(ages days "$work/stuck.db" 1 iterator-age)" \
  "0|0.5|1|1.5|2|2.5|3|3.5|4|0|0.5|1|1.5|2|2.5|3|3.5|4|IteratorAge at completion (days)|simulated time (days)" \
  "ages: 4 days (a shard stuck) in days"
expect_eq "$(ages days-oldest "$work/stuck.db" 1 oldest)" \
  "0|0.5|1|1.5|2|2.5|3|3.5|4|0|0.5|1|1.5|2|2.5|3|3.5|4|oldest unprocessed record age (days)|simulated time (days)" \
  "ages: the oldest record of a shard stuck for 4 days, in days"
# A lone point is drawn: the stuck shard completes an invocation once an hour, so each minute
# of its IteratorAge stands between two gaps, which `with lines` leaves blank; each point starting
# a line gets a dot (gnuplot's point type 7, #gpPt6 in the SVG): 96 hours, the shard and "all".
dots() { grep -o "xlink:href='#gpPt6'" "$1" | wc -l; }
expect_eq "$(dots "$work/ages-days.svg") $(sqlite3 "$work/stuck.db" "SELECT count(*) FROM summary_series
  WHERE chart = 'iterator-age'")" "192 192" "lone points: a dot for each of the stuck shard's and the overall"
expect_eq "$(dots "$work/ages-ms.svg")" 5 \
  "lone points: steady-state's lines (4 shards and all) get one dot each, where they start"

finish
