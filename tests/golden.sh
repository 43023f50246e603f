#!/usr/bin/env bash
# tests/golden.sh ESMSIM SRCDIR - issue 13 item 6: every bundled scenario, run as
# it is (per-record tables on), meets its expect block and gives the very
# `esmsim report --json` kept in tests/golden/NAME.json.  A change of
# behaviour inside the expect bounds shows here; when it is meant,
# tools/golden.sh writes the files again (say why in the commit).  Issue 13
# item 3: `report` reads the figures the run's observer computed (the summary
# tables), `report --recompute` computes them in SQL over the per-record
# tables: both give the golden file, figure for figure.
. "$(dirname "$0")/lib.sh"

for s in "$src"/scenarios/*.json; do
  name=$(basename "$s" .json)
  golden="$src/tests/golden/$name.json"
  [ -f "$golden" ] || { ko "$name: no tests/golden/$name.json (tools/golden.sh writes it)"; continue; }
  msg=$("$esmsim" run "$s" -o "$work/$name.db" -q 2>&1); rc=$?
  expect_eq "$rc" 0 "$name: the run meets its expect block ($msg)"
  "$esmsim" report "$work/$name.db" --json | python3 -m json.tool --indent 1 > "$work/$name.json"
  if cmp -s "$golden" "$work/$name.json"; then ok; else
    ko "$name: report --json differs from tests/golden/$name.json (first lines of the diff below)"
    diff "$golden" "$work/$name.json" | head -20 >&2
  fi
  "$esmsim" report "$work/$name.db" --json --recompute | python3 -m json.tool --indent 1 \
    > "$work/$name-sql.json"
  if cmp -s "$golden" "$work/$name-sql.json"; then ok; else
    ko "$name: report --json --recompute differs from tests/golden/$name.json (the observer's" \
       "figures and SQL's disagree: first lines of the diff below)"
    diff "$golden" "$work/$name-sql.json" | head -20 >&2
  fi
  rm -f "$work/$name".db*
done
finish
