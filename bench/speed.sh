#!/usr/bin/env bash
# The speed benchmark of issue 15 (not a test: it prints figures), side by side in one run:
#   bench/speed.sh [OFF_DURATION [ON_DURATION [TWIN_SECONDS [RUNS]]]]
#                  defaults 5m, 30s, 60 and 3 runs of each (medians printed)
# - esmsim, per-record tables off, on bench/bench-16x1000.json for OFF_DURATION;
# - esmsim, tables on, for ON_DURATION, with --threads 2 (the run log's writer thread)
#   and --threads 1;
# - the raw SQLite insert of the same rows (bench/sqlite_insert.c, plain inserts +
#   indexes, the run log's own pragmas and schema, as many key names as the run);
# - the SimPy twin of the scenario (bench/twin_simpy.py), when a Python here imports
#   simpy (3/4) or SimPy (2: Debian's python3-simpy);
# then the ratios.  Times are whole-process wall seconds; records/s are records written
# to the stream a wall second, as `esmsim run` prints them.
set -euo pipefail
cd "$(dirname "$0")/.."
off=${1:-5m} on=${2:-30s} twin_s=${3:-60} runs=${4:-3}
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build esmsim bench/bench_sqlite_insert >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# esmsim DURATION ARGS...: one run; prints "WALL RECORDS_PER_S PEAK_MIB"
esmsim_once() {
  local duration=$1; shift
  rm -f "$out/run.db"*
  local t0 line t1
  t0=$(now)
  line=$(build/esmsim run bench/bench-16x1000.json -o "$out/run.db" --set duration="$duration" "$@" | head -n 1)
  t1=$(now)
  echo "$line" >&2
  local rate peak
  rate=$(sed -n 's/.* \([0-9.]*\) M records\/s.*/\1/p' <<<"$line")
  peak=$(sed -n 's/.*peak memory \([0-9]*\) MiB.*/\1/p' <<<"$line")
  echo "$(echo "$t1 - $t0" | bc) $rate $peak"
}

# case LABEL DURATION ARGS...: RUNS runs; sets wall, rate, peak to their medians
case_median() {
  local label=$1; shift
  : >"$out/figs"
  for _ in $(seq "$runs"); do esmsim_once "$@" >>"$out/figs" 2>>"$out/lines"; done
  wall=$(cut -d' ' -f1 "$out/figs" | median)
  rate=$(cut -d' ' -f2 "$out/figs" | median)
  peak=$(cut -d' ' -f3 "$out/figs" | median)
  printf '%-46s %8.2f s wall  %7.2f M records/s  peak %4s MiB\n' "$label" "$wall" "$rate" "$peak"
}

echo "== esmsim $(build/esmsim --version | cut -d' ' -f2), $(nproc) cores, $(date -u '+%F %H:%M UTC')," \
     "load $(cut -d' ' -f1-3 /proc/loadavg); medians of $runs runs"
case_median "esmsim, tables off, $off simulated" "$off" --no-record-tables
off_rate=$rate
case_median "esmsim, tables on, $on simulated, --threads 2" "$on" --threads 2
on2_wall=$wall
case_median "esmsim, tables on, $on simulated, --threads 1" "$on" --threads 1
on1_wall=$wall
rows=$(sqlite3 "$out/run.db" "SELECT (SELECT count(*) FROM records) || ' ' ||"`
      `" (SELECT count(*) FROM deliveries) || ' ' || (SELECT count(*) FROM messages)")
keys=$(sqlite3 "$out/run.db" "SELECT count(*) FROM key_names")
: >"$out/raw"
for _ in $(seq "$runs"); do
  # shellcheck disable=SC2086
  build/bench/bench_sqlite_insert --plain-only --keys "$keys" $rows "$out/raw.db" |
    sed -n 's/^plain + indexes: *\([0-9.]*\) s.*/\1/p' >>"$out/raw"
done
raw=$(median <"$out/raw")
printf '%-46s %8.2f s wall  (%s records, deliveries, messages; %s keys)\n' \
       "raw SQLite insert of the same rows (+ indexes)" "$raw" "$(tr ' ' , <<<"$rows")" "$keys"

twin_rate=""
for py in python3 /usr/bin/python3; do
  command -v "$py" >/dev/null || continue
  if "$py" -c 'import simpy' 2>/dev/null || "$py" -c 'import SimPy.Simulation' 2>/dev/null; then
    : >"$out/twin"
    for _ in $(seq "$runs"); do
      "$py" bench/twin_simpy.py "$twin_s" | tee -a "$out/lines" |
        sed -n 's/.* \([0-9.]*\) M records\/s$/\1/p' >>"$out/twin"
    done
    twin_rate=$(median <"$out/twin")
    printf '%-46s %8s        %7.3f M records/s\n' "SimPy twin, ${twin_s}s simulated ($py)" "" "$twin_rate"
    break
  fi
done
[ -n "$twin_rate" ] || echo "SimPy twin: no SimPy here (apt-get install python3-simpy, or pip install simpy)"

echo "-- ratios"
printf 'tables on / raw insert: %.2fx with --threads 2, %.2fx with --threads 1\n' \
       "$(echo "$on2_wall / $raw" | bc -l)" "$(echo "$on1_wall / $raw" | bc -l)"
[ -z "$twin_rate" ] || printf 'tables off / SimPy twin: %.1fx the records/s\n' "$(echo "$off_rate / $twin_rate" | bc -l)"
