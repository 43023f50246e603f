#!/usr/bin/env bash
# The benchmark of a real handler in the loop (issue 12, Performance; not a
# test: it prints figures).
#   bench/handler.sh [RUNS]    RUNS timed runs of each command (default 5)
# (a) The Runtime API round trip: bench/roundtrip.json (36,000 invocations
#     one after the other, one small record each) with the model, then with a
#     trivial handler (bench/handlers/trivial.js, trivial.py) through
#     tools/runtimes/: the wall time between the two, per invocation, is what
#     a real handler adds (target: at most 200 us with Node).
# (b) scenarios/poison-pill-bounded.json (2 simulated hours, 38,804
#     invocations) with the model, then with bench/handlers/poison.py, the
#     same function as a real Python handler (4 instances): the ratio of the
#     wall times (target: under 10).
# Whole commands are timed with farm-bench when it is there (the median of
# RUNS, after a warm-up), else with bash's clock (the median of RUNS).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
ninja -C build esmsim > /dev/null
esmsim=$PWD/build/esmsim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The median wall seconds of RUNS runs of the command (each in a fresh
# database: a run log appends).
timed() {
  local cmd
  printf -v cmd '%q ' "$@"
  printf '#!/bin/sh\nrm -f %q/t.db\nexec %s-o %q/t.db -q\n' "$out" "$cmd" "$out" > "$out/cmd.sh"
  chmod +x "$out/cmd.sh"
  if command -v farm-bench > /dev/null; then
    farm-bench -n "$runs" --timeout 3600 -- "$out/cmd.sh" | awk '$1 == "A" && $2 == "wall" { print $4 }'
  else
    local i t s e
    for i in $(seq "$runs"); do
      s=$(date +%s%N); "$out/cmd.sh"; e=$(date +%s%N)
      echo "$(((e - s) / 1000))"
    done | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f\n", v[int((NR + 1) / 2)] / 1e6 }'
  fi
}
invocations() { sqlite3 "$out/t.db" "SELECT count(*) FROM invocations"; }

echo "== esmsim $("$esmsim" --version | cut -d' ' -f2), $(date -u +%F), $(nproc) cores," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version), $(python3 --version)"

# (a) the round trip
handler() {  # RUNTIME-COMMAND-JSON HANDLER
  printf '{"command":[%s,"%s"],"cwd":"handlers"}' "$1" "$2"
}
node_rt='"node","../../tools/runtimes/node/bootstrap.mjs"'
python_rt='"python3","../../tools/runtimes/python/bootstrap"'
model=$(timed "$esmsim" run bench/roundtrip.json --no-record-tables)
for lang in node python; do
  case $lang in node) rt=$node_rt h=trivial.handler ;; python) rt=$python_rt h=trivial.handler ;; esac
  t=$(timed "$esmsim" run bench/roundtrip.json --no-record-tables --set "function.handler=$(handler "$rt" "$h")")
  n=$(invocations)
  echo "(a) round trip, $lang: $n invocations, model ${model} s, handler ${t} s:" \
       "$(awk -v a="$t" -v b="$model" -v n="$n" 'BEGIN { printf "%.0f", (a - b) * 1e6 / n }') us an invocation"
done

# (b) the poison pill, 2 simulated hours
model=$(timed "$esmsim" run scenarios/poison-pill-bounded.json)
t=$(timed "$esmsim" run scenarios/poison-pill-bounded.json --set 'expect={}' --set 'function.failures=[]' \
      --set "function.handler={\"command\":[$python_rt,\"poison.handler\"],\"cwd\":\"../bench/handlers\",\"instances\":4}")
n=$(invocations)
echo "(b) poison-pill-bounded, 2 h: $n invocations, model ${model} s, Python handler ${t} s:" \
     "$(awk -v a="$t" -v b="$model" 'BEGIN { printf "%.1f", a / b }')x"
