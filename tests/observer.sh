#!/usr/bin/env bash
# tests/observer.sh ESMSIM SRCDIR - issue 13 item 3: one observer computes every figure.
# On every bundled scenario, shortened to a few minutes: `report --json` (the observer's
# figures, from the summary tables) equals `report --json --recompute` (SQL over the
# per-record tables), figure for figure; and the same run made with --no-record-tables has
# the very same figures (only run.per_record_tables differs).  tests/golden.sh checks the
# full-length runs against tests/golden/ both ways.
. "$(dirname "$0")/lib.sh"

for s in "$src"/scenarios/*.json; do
  name=$(basename "$s" .json)
  # 3 minutes, or 15 for a scenario with an explicit record later (the poison pills)
  short=(--set duration=3m --set 'expect={}')
  "$esmsim" check "$s" "${short[@]}" >/dev/null 2>&1 || short=(--set duration=15m --set 'expect={}')
  "$esmsim" run "$s" -o "$work/$name.db" -q "${short[@]}" || ko "$name: run"
  "$esmsim" run "$s" -o "$work/$name-nrt.db" -q "${short[@]}" --no-record-tables ||
    ko "$name: run --no-record-tables"
  "$esmsim" report "$work/$name.db" --json > "$work/$name.json" 2>"$work/err"
  expect_eq "$(cat "$work/err")" "" "$name: report reads the summary tables (no note)"
  "$esmsim" report "$work/$name.db" --json --recompute > "$work/$name-sql.json"
  if cmp -s "$work/$name.json" "$work/$name-sql.json"; then ok; else
    ko "$name: the observer's figures differ from SQL's (report --recompute)"
    diff "$work/$name-sql.json" "$work/$name.json" | head -10 >&2
  fi
  "$esmsim" report "$work/$name-nrt.db" --json > "$work/$name-nrt.json"
  expect_eq "$(python3 -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:])
print(a["run"].pop("per_record_tables"), b["run"].pop("per_record_tables"), a == b)' \
    "$work/$name.json" "$work/$name-nrt.json")" "True False True" \
    "$name: --no-record-tables, the same figures"
  rm -f "$work/$name".db* "$work/$name"-nrt.db*
done
finish
