#!/usr/bin/env bash
# tests/compare.sh ESMSIM SRCDIR - `esmsim compare` (SPEC section 5, issue 14 item 3):
# a run compared with its own metrics (--export, in get-metric-data's format) is a perfect
# match; the exported figures are the run log's by SQL written here; a changed observed
# series gives the exact figures of agreement; the time axis follows model.start_time,
# else the first observed time; bad input exits 2 and names what is wrong.
. "$(dirname "$0")/lib.sh"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
cd "$work"
q() { sqlite3 -separator ' ' "$1" "$2"; }
js() {   # js KEY...: a line per metric of compare --json, numbers as %.10g
  python3 -c 'import json, sys; d = json.load(sys.stdin)
f = lambda v: "%.10g" % v if isinstance(v, (int, float)) else json.dumps(v)
for m in d["metrics"]:
    print(m["metric"], m["stat"], m["periods"], *(f(m.get(k)) for k in sys.argv[1:]))' "$@"; }

# A run with an outage, a disabled mapping, discards and a drain (every figure moves).
"$esmsim" run "$src/scenarios/dependency-outage.json" -o run.db -q --set 'producers[0].rate=30' || ko "run"

# ---- --export: the run's metrics as get-metric-data prints them ----
"$esmsim" compare run.db --export own.json; rc=$?
expect_eq "$rc" 0 "--export: exit status"
expect_eq "$(python3 -c 'import json; d = json.load(open("own.json"))
print(sorted(d), [(r["Id"], r["Label"], r["StatusCode"], len(r["Timestamps"]) == len(r["Values"])) for r in d["MetricDataResults"]])')" \
  "['Messages', 'MetricDataResults'] [('iterator_age_max', 'IteratorAge Maximum', 'Complete', True), ('concurrent_executions_max', 'ConcurrentExecutions Maximum', 'Complete', True), ('incoming_records_sum', 'IncomingRecords Sum', 'Complete', True), ('invocations_sum', 'Invocations Sum', 'Complete', True), ('errors_sum', 'Errors Sum', 'Complete', True), ('throttles_sum', 'Throttles Sum', 'Complete', True), ('duration_average', 'Duration Average', 'Complete', True)]" \
  "--export: get-metric-data's shape, one result per figure"
exported() {   # exported ID: "MINUTE VALUE" rows, oldest first (timestamps from model.start_time)
  python3 -c 'import json, sys, datetime
d = json.load(open("own.json"))
r = [r for r in d["MetricDataResults"] if r["Id"] == sys.argv[1]][0]
t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
for t, v in sorted(zip(r["Timestamps"], r["Values"])):
    m = (datetime.datetime.fromisoformat(t.replace("Z", "+00:00")) - t0).total_seconds() / 60
    print("%d %s" % (m, ("%.10g" % v)))' "$1"; }
expect_eq "$(exported iterator_age_max)" \
  "$(q run.db "SELECT end_ms / 60000, max(iterator_age_ms) FROM invocations WHERE iterator_age_ms IS NOT NULL GROUP BY 1")" \
  "--export: IteratorAge, the maximum per minute of the ages at completion (R14), minutes without one left out"
expect_eq "$(exported incoming_records_sum | awk '$2 > 0')" \
  "$(q run.db "SELECT arrival_ms / 60000, count(*) FROM records GROUP BY 1")" \
  "--export: IncomingRecords, the records written per minute"
expect_eq "$(exported invocations_sum | awk '$2 > 0')" \
  "$(q run.db "SELECT start_ms / 60000, count(*) FROM invocations WHERE outcome <> 'throttled' GROUP BY 1")" \
  "--export: Invocations, per minute of their start, throttled attempts not counted"
expect_eq "$(exported errors_sum | awk '$2 > 0')" \
  "$(q run.db "SELECT start_ms / 60000, count(*) FROM invocations WHERE outcome IN ('error', 'timeout') GROUP BY 1")" \
  "--export: Errors, function errors and timeouts"
expect_eq "$(exported concurrent_executions_max)" \
  "$(q run.db "SELECT at_ms / 60000, printf('%.10g', max(value)) FROM metrics WHERE name = 'concurrent_executions' AND at_ms < 3600000 GROUP BY 1")" \
  "--export: ConcurrentExecutions, the maximum of the per-second samples (the one at the end of the run is past its last minute)"
expect_eq "$(exported invocations_sum | wc -l)" 60 "--export: a Sum has a datapoint for every minute of the run"

# ---- a run against its own metrics: a perfect match ----
"$esmsim" compare run.db own.json --json > own-cmp.json; rc=$?
expect_eq "$rc" 0 "perfect match: exit status"
expect_eq "$(js peak_error area_ratio peak_time_difference_s mean_absolute_error < own-cmp.json)" \
"IteratorAge Maximum $(q run.db "SELECT count(DISTINCT end_ms / 60000) FROM invocations WHERE iterator_age_ms IS NOT NULL") 0 1 0 0
ConcurrentExecutions Maximum 60 0 1 0 0
IncomingRecords Sum 60 0 1 0 0
Invocations Sum 60 0 1 0 0
Errors Sum 60 0 1 0 0
Throttles Sum 60 null null 0 0
Duration Average $(q run.db "SELECT count(DISTINCT start_ms / 60000) FROM invocations WHERE outcome <> 'throttled'") 0 1 0 0" \
  "perfect match: every figure (issue 14 item 3)"
expect_eq "$(python3 -c 'import json; d = json.load(open("own-cmp.json")); print(d["align"], d["start_time"], d["run_id"])')" \
  "start_time 2026-01-01T00:00:00.000Z 1" "perfect match: aligned by model.start_time"
# In 5-minute periods too: the run's minutes are gathered as CloudWatch gathers them.
"$esmsim" compare run.db --export own5.json --period 300
"$esmsim" compare run.db own5.json --json > own5-cmp.json
expect_eq "$(js peak_error area_ratio mean_absolute_error < own5-cmp.json | awk '{print $1, $3, $4, $5, $6}')" \
"IteratorAge 9 0 1 0
ConcurrentExecutions 12 0 1 0
IncomingRecords 12 0 1 0
Invocations 12 0 1 0
Errors 12 0 1 0
Throttles 12 null null 0
Duration 9 0 1 0" "perfect match in periods of 300 s"
expect_eq "$(python3 -c 'import json; d = json.load(open("own5.json"))
r = [r for r in d["MetricDataResults"] if r["Id"] == "iterator_age_max"][0]
print(max(r["Values"]))')" "$(q run.db "SELECT max(iterator_age_ms) FROM invocations")" \
  "--period 300: IteratorAge, the maximum of the period"

# ---- an observed series that differs: the exact figures ----
# IteratorAge observed at half the run's, its peak one minute later; Invocations missing
# three datapoints, minutes 10 to 12 (a Sum without a datapoint is 0).
python3 - own.json half.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["MetricDataResults"]:
    if r["Id"] == "iterator_age_max":
        pts = sorted(zip(r["Timestamps"], r["Values"]))
        peak = max(range(len(pts)), key=lambda i: pts[i][1])
        vals = [v / 2 for _, v in pts]
        vals[peak], vals[peak + 1] = vals[peak + 1], vals[peak]
        r["Timestamps"], r["Values"] = [t for t, _ in pts], vals
    if r["Id"] == "invocations_sum":
        keep = [i for i, t in enumerate(r["Timestamps"]) if t[14:16] not in ("10", "11", "12")]
        r["Timestamps"], r["Values"] = [r["Timestamps"][i] for i in keep], [r["Values"][i] for i in keep]
d["MetricDataResults"] = [r for r in d["MetricDataResults"] if r["Id"] in ("iterator_age_max", "invocations_sum")]
json.dump(d, open(sys.argv[2], "w"))
EOF
"$esmsim" compare run.db half.json --json > half-cmp.json
expect_eq "$(js peak_error area_ratio peak_time_difference_s < half-cmp.json | head -1)" \
  "IteratorAge Maximum $(q run.db "SELECT count(DISTINCT end_ms / 60000) FROM invocations WHERE iterator_age_ms IS NOT NULL") 1 2 -60" \
  "a changed series: peak error +100 %, area ratio 2, the run's peak a minute before the observed"
expect_eq "$(js mean_absolute_error < half-cmp.json | tail -1)" \
  "Invocations Sum 60 $(q run.db "SELECT printf('%.10g', count(*) / 60.0) FROM invocations WHERE outcome <> 'throttled' AND start_ms / 60000 BETWEEN 10 AND 12")" \
  "three minutes without a datapoint: observed 0 (a Sum), the error is the run's invocations then / 60"
out=$("$esmsim" compare run.db half.json); rc=$?
expect_eq "$rc" 0 "text: exit status"
expect_in "$out" "compare: run 1 of run.db (dependency-outage) beside half.json; CloudWatch's time = the run's time + 2026-01-01T00:00:00.000Z (model.start_time)" \
  "text: the heading says how the times line up"
expect_in "$out" "+100.0 %      -60 s       2" "text: the IteratorAge figures"

# ---- the time axis ----
python3 - own.json later.json <<'EOF'
import json, sys, datetime
d = json.load(open(sys.argv[1]))
for r in d["MetricDataResults"]:
    r["Timestamps"] = [(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")) + datetime.timedelta(days=3)).isoformat()
                       for t in r["Timestamps"]]
json.dump(d, open(sys.argv[2], "w"))
EOF
"$esmsim" compare run.db later.json --json > later-cmp.json 2> err.txt; rc=$?
expect_eq "$rc" 0 "observed 3 days later: exit status"
expect_eq "$(cat err.txt)" "esmsim compare: no observed datapoint falls within the run from its model.start_time: the first observed time, 2026-01-04T00:00:00.000Z, is taken as the run's 0" \
  "observed 3 days later: the first observed time is the run's 0, and it is said"
expect_eq "$(js area_ratio < later-cmp.json | awk '{print $4}' | sort -u | tr '\n' ' ')" "1 null " \
  "observed 3 days later: still a perfect match"
msg=$("$esmsim" compare run.db later.json --align start-time 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim compare: --align start-time: no observed datapoint falls within run 1 of run.db from its model.start_time" \
  "--align start-time when nothing lines up: exit 2"
"$esmsim" compare run.db own.json --align first --json | js area_ratio | awk '{print $4}' | sort -u > first.txt
expect_eq "$(tr '\n' ' ' < first.txt)" "1 null " "--align first"

# ---- the chart ----
"$esmsim" compare run.db own5.json -o cmp.png > out.txt; rc=$?
expect_eq "$rc" 0 "chart: exit status"
expect_eq "$(head -c 8 cmp.png | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a "chart: a PNG"
expect_in "$(cat out.txt)" "wrote cmp.png" "chart: named"
"$esmsim" compare run.db own.json -o cmp.svg >/dev/null
expect_eq "$(grep -c '</svg>' cmp.svg)" 1 "chart: an SVG"
# A chart gnuplot could not write in full (a full disk; gnuplot exits 0): exit 1, nothing kept.
cut_gnuplot "$work/cutgp"
msg=$(PATH="$work/cutgp:$PATH" "$esmsim" compare run.db own.json -o cut.svg 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 1 "a chart cut short: exit status"
expect_eq "$msg" "esmsim compare: cut.svg: the chart gnuplot wrote is cut short (is the disk full?): not kept" \
  "a chart cut short: message"
expect_eq "$(ls | grep -c '^cut\.svg')" 0 "a chart cut short: no chart, no temporary file"
# A reader gone (`| head -1`): the chart drawn whole before SIGPIPE ends esmsim, nothing
# temporary left beside it or in TMPDIR (the write before gnuplot started used to kill it there).
st=$(closed_pipe "$esmsim" compare run.db own.json -o piped.svg)
expect_eq "$st" -13 "compare into a closed pipe: ended by SIGPIPE"
expect_eq "$(ls | grep '^piped\.svg')" "piped.svg" "compare into a closed pipe: the chart, no temporary file"
expect_eq "$(grep -c '</svg>' piped.svg 2>/dev/null)" 1 "compare into a closed pipe: the chart drawn whole"
expect_eq "$(ls -A "$TMPDIR" | wc -l)" 0 "compare into a closed pipe: the data file removed"
expect_eq "$(ls "$TMPDIR" | wc -l)" 0 "chart: no temporary data file left"
# README, compare's exit status 130 (Ctrl-C, nothing left): a Ctrl-C while gnuplot draws, even in
# a script's background job, which starts with SIGINT ignored (before: compare went on ignoring
# it, and gnuplot with it): gnuplot stopped and reaped, no process left in esmsim's session, no
# chart, no temporary file.  gnuplot itself sends the SIGINT.
ctrl_c_gnuplot "$work/ctrlcgp"
PATH="$work/ctrlcgp:$PATH" setsid -w env --ignore-signal=INT "$esmsim" compare run.db own.json -o ctrlc.svg \
  >/dev/null 2>ctrlc.err & pid=$!
wait_within "$pid" 30; rc=$?
expect_eq "$rc:$(cat ctrlc.err)" "130:esmsim compare: interrupted: gnuplot stopped, compare.gp not drawn" \
  "SIGINT, started ignored, during gnuplot: exit status, message"
no_gnuplot_left "$work/ctrlcgp" "SIGINT, started ignored, during gnuplot"
expect_eq "$(ls | grep -c '^ctrlc\.svg')" 0 "SIGINT, started ignored, during gnuplot: no chart, no temporary file"
expect_eq "$(ls -A "$TMPDIR" | wc -l)" 0 "SIGINT, started ignored, during gnuplot: the data file removed"
[ "$rc" = 130 ] || rm -f "$TMPDIR"/*   # esmsim killed: not to fail the cases below

# ---- the chart's axes (README, compare: the run's time and ages as `esmsim plot` draws them,
# plots/axes.gp): the X axis in minutes up to 5 hours, hours up to 3 days, days beyond; ages in
# milliseconds to days (before: hours past 3 hours without end, so 4 days read 0 to 90 hours,
# and IteratorAge 0 to 90 h; a 4-hour run was in hours) ----
chart_axes() {   # chart_axes NAME DB: the IteratorAge and Duration panels' tic labels and axis labels
  "$esmsim" compare "$2" --export "$1-own.json" || ko "axes: export $1"
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
d["MetricDataResults"] = [r for r in d["MetricDataResults"] if r["Id"] in ("iterator_age_max", "duration_average")]
json.dump(d, open(sys.argv[1], "w"))' "$1-own.json"
  "$esmsim" compare "$2" "$1-own.json" -o "$1-axes.svg" >/dev/null || ko "axes: compare $1"
  svg_texts "$1-axes.svg" | sed 's/^[^|]*|[^|]*||//'
}
# R14: a shard held by a record that fails forever (MaximumRetryAttempts -1, no maximum age,
# 7 days' retention), retried hourly: the age of its batch grows for the whole run
stuck() {   # stuck DB DURATION
  "$esmsim" run "$src/scenarios/poison-pill.json" -o "$1" -q --no-record-tables --set duration="$2" \
    --set stream.retention=168h --set stream.shards=1 --set 'producers=[]' --set model.retry_delay=1h \
    --set 'expect={}' || ko "run poison-pill stuck for $2"
}
stuck stuck4h.db 4h
stuck stuck40h.db 40h
stuck stuck4d.db 4d
expect_eq "$(chart_axes outage run.db)" \
  "0|5|10|15|20|0|10|20|30|40|50|60|IteratorAge|Maximum (min)|esmsim run|CloudWatch (observed)|0|50|100|150|200|250|0|10|20|30|40|50|60|Duration|Average (ms)|the run's time (minutes)|" \
  "chart axes: an hour (dependency-outage), IteratorAge in minutes"
expect_eq "$(chart_axes 4h stuck4h.db)" \
  "0|0.5|1|1.5|2|2.5|3|0|50|100|150|200|IteratorAge|Maximum (h)|esmsim run|CloudWatch (observed)|0|50|100|150|200|250|0|50|100|150|200|Duration|Average (ms)|the run's time (minutes)|" \
  "chart axes: 4 hours in minutes, as plot draws them"
expect_eq "$(chart_axes 40h stuck40h.db)" \
  "0|5|10|15|20|25|30|35|40|0|5|10|15|20|25|30|35|40|IteratorAge|Maximum (h)|esmsim run|CloudWatch (observed)|0|50|100|150|200|250|0|5|10|15|20|25|30|35|40|Duration|Average (ms)|the run's time (hours)|" \
  "chart axes: 40 hours in hours"
expect_eq "$(chart_axes 4d stuck4d.db)" \
  "0|0.5|1|1.5|2|2.5|3|3.5|4|4.5|0|0.5|1|1.5|2|2.5|3|3.5|4|IteratorAge|Maximum (days)|esmsim run|CloudWatch (observed)|0|50|100|150|200|250|0|0.5|1|1.5|2|2.5|3|3.5|4|Duration|Average (ms)|the run's time (days)|" \
  "chart axes: 4 days in days, IteratorAge in days"
# Counts are labelled as plot labels them (count_label of plots/axes.gp): 20k, not 20000.
chart_counts() {   # chart_counts NAME DB: the IncomingRecords panel's tic labels and axis labels
  "$esmsim" compare "$2" --export "$1-own.json" || ko "counts: export $1"
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
d["MetricDataResults"] = [r for r in d["MetricDataResults"] if r["Id"] == "incoming_records_sum"]
json.dump(d, open(sys.argv[1], "w"))' "$1-own.json"
  "$esmsim" compare "$2" "$1-own.json" -o "$1-counts.svg" >/dev/null || ko "counts: compare $1"
  svg_texts "$1-counts.svg" | sed 's/^[^|]*|[^|]*||//'
}
"$esmsim" run "$src/scenarios/steady-state.json" -o counts.db -q --no-record-tables --set duration=5m ||
  ko "run steady-state for 5 minutes"
expect_eq "$(chart_counts steady counts.db)" \
  "0|20k|40k|60k|80k|100k|120k|0|1|2|3|4|5|IncomingRecords|Sum (records)|the run's time (minutes)|esmsim run|CloudWatch (observed)|" \
  "chart counts: IncomingRecords of 2,000 records/s in thousands (k), as plot's"
# Lone points are drawn, as plot draws them (axes.gp's line_start): an observed IteratorAge of
# every other hour after the first two is a point between two gaps, which `with lines` leaves
# blank; each point starting a line gets a dot (#gpPt6): the run's line 1, the observed line
# of hours 0 and 1 1, and its 47 lone hours.
python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
r = [r for r in d["MetricDataResults"] if r["Id"] == "iterator_age_max"][0]
pts = [p for i, p in enumerate(sorted(zip(r["Timestamps"], r["Values"]))) if i < 2 or i % 2 == 1]
r["Timestamps"], r["Values"] = [p[0] for p in pts], [p[1] for p in pts]
d["MetricDataResults"] = [r]
json.dump(d, open(sys.argv[2], "w"))' 4d-own.json lone.json || ko "lone.json"
"$esmsim" compare stuck4d.db lone.json -o lone.svg >/dev/null || ko "compare lone.json"
expect_eq "$(grep -o "xlink:href='#gpPt6'" lone.svg | wc -l)" 49 \
  "chart: lone observed points marked (1 run line, 1 observed line, 47 lone hours)"

# ---- IncomingRecords from the summary tables (README, compare: plot's `written`) ----
# The observer's records written per minute (summary_series) are the records table's, minute
# by minute; the run's figures read from its summary tables are those read from the per-record
# tables (the run log of an older esmsim: summary tables emptied), every figure, every minute.
expect_eq "$(q run.db "SELECT x, value FROM summary_series WHERE chart = 'throughput' AND series = 'written' AND value > 0 ORDER BY x")" \
  "$(q run.db "SELECT arrival_ms / 60000, count(*) FROM records GROUP BY 1 ORDER BY 1")" \
  "summary tables: records written per minute, the records table's"
cp run.db old.db && sqlite3 old.db "DELETE FROM summary_figures; DELETE FROM summary_series" || ko "old.db"
"$esmsim" compare old.db --export old.json; rc=$?
expect_eq "$rc" 0 "without summary tables: --export exit status"
expect_eq "$(cat old.json)" "$(cat own.json)" \
  "--export: the same figures from the summary tables as from the per-record tables"
# A run with --no-record-tables (the same run): IncomingRecords is compared, a perfect match.
"$esmsim" run "$src/scenarios/dependency-outage.json" -o norec.db -q --set 'producers[0].rate=30' --no-record-tables
"$esmsim" compare norec.db own.json --json > norec-cmp.json 2>norec.err; rc=$?
expect_eq "$rc:$(cat norec.err)" "0:" "no records table: exit status, nothing said"
expect_eq "$(js peak_error area_ratio mean_absolute_error < norec-cmp.json | grep IncomingRecords)" \
  "IncomingRecords Sum 60 0 1 0" "no records table: IncomingRecords compared from the summary tables"
"$esmsim" compare norec.db --export norec.json || ko "no records table: --export"
expect_eq "$(cat norec.json)" "$(cat own.json)" "no records table: --export, incoming_records_sum included"

# ---- what cannot be compared ----
# Neither records table nor summary tables (a run that never ended, or an older esmsim's).
cp norec.db norec-old.db && sqlite3 norec-old.db "DELETE FROM summary_figures; DELETE FROM summary_series" ||
  ko "norec-old.db"
msg=$("$esmsim" compare norec-old.db own.json 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 0 "no records table, no summary tables: exit status"
expect_eq "$msg" "esmsim compare: not compared: own.json: \$.MetricDataResults[2] (IncomingRecords Sum): the run has no records table (--no-record-tables) and no summary tables (it never ended, or an older esmsim wrote it)" \
  "no records table, no summary tables: IncomingRecords is not compared, and it is said"
msg=$("$esmsim" compare run.db "$src/tests/data/import/metrics-ugly.json" 2>&1 >/dev/null)
expect_in "$msg" "not compared: $src/tests/data/import/metrics-ugly.json: \$.MetricDataResults[9] (Id m7): not a metric esmsim knows" \
  "an unknown metric is said"
expect_in "$msg" "(Duration p50): the run has no such figure" "a statistic the run has not is said"

# ---- bad input: exit 2 and what is wrong ----
bad() {   # bad WHAT WANT ARGS...
  local what=$1 want=$2; shift 2
  local msg rc
  msg=$("$esmsim" compare "$@" 2>&1); rc=$?
  expect_eq "$rc" 2 "$what: exit status"
  expect_in "$msg" "$want" "$what: message"
}
bad "no OBSERVED.json" "esmsim compare: missing OBSERVED.json (what aws cloudwatch get-metric-data prints)" run.db
bad "no RUN.db" "esmsim compare: missing RUN.db"
bad "not metric data" "esmsim compare: $src/scenarios/steady-state.json: not get-metric-data output" run.db "$src/scenarios/steady-state.json"
printf '{"MetricDataResults": [' > broken.json
bad "invalid JSON" "esmsim compare: broken.json: invalid JSON at line 1" run.db broken.json
printf '{"MetricDataResults":[{"Id":"m","Label":"Invocations Sum","Timestamps":["2026-01-01T00:00:00Z","2026-01-01T00:00:30Z"],"Values":[1,2]}]}' > p30.json
bad "a period of 30 s" "esmsim compare: p30.json: \$.MetricDataResults[0] (Invocations Sum): a period of 30 s: compare reads whole minutes" run.db p30.json
printf '{"MetricDataResults":[{"Id":"m","Label":"Duration p99","Timestamps":["2026-01-01T00:00:00Z","2026-01-01T00:01:00Z"],"Values":[1,2]}]}' > p99.json
bad "nothing to compare" "esmsim compare: nothing to compare: the observed files hold none of" run.db p99.json
# README, compare: the run's figures are per minute of its time (the summary tables keep no
# finer one): periods that start within a minute are refused, not shifted to the minute.
printf '{"MetricDataResults":[{"Id":"m","Label":"IncomingRecords Sum","Timestamps":["2026-01-01T00:00:30Z","2026-01-01T00:01:30Z"],"Values":[1,2]}]}' > off.json
bad "periods within a minute" "esmsim compare: off.json: \$.MetricDataResults[0] (IncomingRecords Sum): its periods start 30.000 s into a minute of the run (2026-01-01T00:00:30.000Z, the run's 0 being 2026-01-01T00:00:00.000Z): compare sums the run's whole minutes; expected periods on whole minutes from the run's 0 (model.start_time, or with --align first the first observed time)" run.db off.json
expect_eq "$("$esmsim" compare run.db off.json --align first --json 2>/dev/null | js area_ratio)" \
  "IncomingRecords Sum 2 $(q run.db "SELECT printf('%.10g', count(*) / 3.0) FROM records WHERE arrival_ms < 120000")" \
  "periods within a minute, --align first: on the run's minutes from the first observed time"
# Only metrics esmsim does not know: nothing to compare, and no time axis to speak of (it
# said that the first observed time, 1970-01-01T00:00:00.000Z, was taken as the run's 0).
printf '{"MetricDataResults":[{"Id":"m7","Timestamps":["2026-01-01T00:01:00Z"],"Values":[1]}]}' > unknown.json
msg=$("$esmsim" compare run.db unknown.json 2>&1); rc=$?
expect_eq "$rc" 2 "only unknown metrics: exit status"
expect_eq "$msg" "esmsim compare: not compared: unknown.json: \$.MetricDataResults[0] (Id m7): not a metric esmsim knows
esmsim compare: nothing to compare: the observed files hold none of IteratorAge Maximum, ConcurrentExecutions Maximum, IncomingRecords Sum, Invocations Sum, Errors Sum, Throttles Sum, Duration Average (named in each result's Label or Id)" \
  "only unknown metrics: the message, no time axis"
# README, Metric data: a metric with a statistic compare does not read is said as that, not as an
# unknown metric
printf '{"MetricDataResults":[{"Id":"m","Label":"Duration p100","Timestamps":["2026-01-01T00:01:00Z"],"Values":[1]}]}' > p100.json
msg=$("$esmsim" compare run.db p100.json 2>&1)
expect_in "$msg" "esmsim compare: not compared: p100.json: \$.MetricDataResults[0] (Id m): not a statistic esmsim reads: Duration p100; it reads Sum, " \
  "Duration p100: the statistic named"
# docs/scenario.md, text: \u0000 in a string is refused as the loader refuses it, not cut there
printf '{"MetricDataResults":[{"Id":"m\\u0000x","Label":"Invocations Sum","Timestamps":["2026-01-01T00:01:00Z"],"Values":[1]}]}' > nul.json
bad "an observed file with \\u0000" "esmsim compare: nul.json: \$.MetricDataResults[0].Id: expected text without U+0000 (\\u0000 would cut it short), got \"m\\u0000x\"" run.db nul.json
bad "a bad --align" "esmsim compare: --align: expected start-time or first, got \"middle\"" run.db own.json --align middle
bad "--export with observed files" "esmsim compare: --export writes the run's metrics: it takes no OBSERVED.json" run.db own.json --export x.json
# README, compare: --period SECONDS goes with --export; the observed periods are the observed
# files' own, so beside them --period would change nothing: refused, as run's --dump-limit
# without --dump-events and plot's --at with another chart are.
bad "--period without --export" "esmsim compare: --period goes with --export (compared, the periods are the observed files' own)" run.db own.json --period 300
bad "a bad --period" "esmsim compare: --period: expected seconds, a multiple of 60 up to 86400, got \"90\"" run.db --export x.json --period 90
bad "a chart that is neither SVG nor PNG" "esmsim compare: -o c.jpg: expected a file name ending in .svg or .png" run.db own.json -o c.jpg
# SPEC section 5 (bad input): an output that is an input is refused, the input kept.  Before,
# --export run.db replaced the run log with the export (exit 0), and a chart named as the run
# log or as an observed file was renamed over it.
cp run.db copy.db && cp run.db run.svg && cp own.json own.svg || ko "the inputs named as outputs"
bad "--export over the run log" "esmsim compare: --export run.db: is the run log run.db: write the metrics to another file" \
  run.db --export run.db
bad "--export over the run log, through ./" "esmsim compare: --export ./run.db: is the run log run.db" \
  run.db --export ./run.db
bad "-o over the run log" "esmsim compare: -o run.svg: is the run log run.svg: write the chart to another file" \
  run.svg own.json -o run.svg
bad "-o over an observed file" "esmsim compare: -o own.svg: is the observed file own.svg: write the chart to another file" \
  run.db own.json own.svg -o own.svg
same_rows copy.db run.db '* FROM runs' && same_rows copy.db run.svg '* FROM runs' && ok ||
  ko "an output named as the run log: the log kept"
expect_eq "$(cmp own.json own.svg && echo same)" same "an output named as an observed file: the file kept"
rm -f copy.db run.svg own.svg
# SPEC section 5 (bad input): an output that is not a regular file is refused and left as it
# was.  Before, the export's or chart's temporary file was renamed over it (exit 0): a FIFO
# became a file, and as root `--export /dev/null` replaced the machine's /dev/null.
mkfifo out.fifo out-fifo.svg
bad "--export a FIFO" "esmsim compare: --export out.fifo: not a regular file (a FIFO): write the metrics to a file (- is standard output)" \
  run.db --export out.fifo
bad "-o a FIFO" "esmsim compare: -o out-fifo.svg: not a regular file (a FIFO): write the chart to a file" \
  run.db own.json -o out-fifo.svg
[ -p out.fifo ] && [ -p out-fifo.svg ] && ok || ko "an output that is a FIFO: the FIFO kept"
rm -f out.fifo out-fifo.svg
# A number edited into a text (or a real into an integer column) of a table the run's minutes
# are summed from is a damaged run log (SPEC section 5: bad input, exit 2), named, never summed
# as 0 (its invocation counted in minute 0) or truncated.  record_rows is read only without the
# summary tables (old.db).
damaged() {   # damaged SQL WANT [DB]: DB (run.db) edited by SQL, compared and exported
  cp "${3:-run.db}" dmg.db && sqlite3 dmg.db "$1" || ko "damaged: $1"
  bad "damaged: $1" "esmsim compare: dmg.db: $2: the run log is damaged" dmg.db own.json
  bad "damaged: $1, --export" "esmsim compare: dmg.db: $2: the run log is damaged" dmg.db --export dmg.json
}
damaged "UPDATE invocations SET start_ms = 'abc' WHERE rowid = (SELECT max(rowid) FROM invocations)" \
  'invocations.start_ms of run 1 holds the text "abc", expected an integer'
damaged "UPDATE record_rows SET arrival_ms = 60000.5 WHERE sequence_number = (SELECT min(sequence_number) FROM record_rows)" \
  "record_rows.arrival_ms of run 1 holds the number 60000.5, expected an integer" old.db
damaged "UPDATE summary_series SET x = 'abc' WHERE chart = 'throughput' AND n = 1" \
  'summary_series.x of run 1 holds the text "abc", expected an integer'
# NULL where esmsim always writes a number (runlog_schema.c: runlog_filled) is damaged too: a
# NULL start_ms dropped the invocation from every minute, a NULL arrival_ms its record from
# "written".
damaged "UPDATE invocations SET start_ms = NULL WHERE rowid = (SELECT max(rowid) FROM invocations)" \
  "invocations.start_ms of run 1 is NULL, expected an integer"
damaged "UPDATE record_rows SET arrival_ms = NULL WHERE sequence_number = (SELECT min(sequence_number) FROM record_rows)" \
  "record_rows.arrival_ms of run 1 is NULL, expected an integer" old.db
bad "an unknown run" "no run 9 (the runs are 1 to 1)" run.db own.json --run 9
bad "an unknown option (issue 13 item 1: one option parser)" "esmsim compare: unknown option: --frob" run.db own.json --frob
mkdir -p nognuplot
msg=$(PATH="$work/nognuplot" "$esmsim" compare run.db own.json -o nogp.svg 2>&1); rc=$?
expect_eq "$rc" 2 "no gnuplot: exit status"
expect_in "$msg" "gnuplot not found" "no gnuplot: message"
expect_eq "$(ls | grep -c nogp)" 0 "no gnuplot: no chart, not even a partial one"
out=$("$esmsim" compare --help); rc=$?
expect_eq "$rc" 0 "compare --help: exit status"
expect_in "$out" "usage: esmsim compare RUN.db OBSERVED.json..." "compare --help: usage"
finish
