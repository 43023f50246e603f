#!/usr/bin/env bash
# tools/golden.sh [ESMSIM] - write tests/golden/NAME.json again: `esmsim report
# --json` of a run of each bundled scenario (scenarios/NAME.json, as it is,
# per-record tables on).  tests/golden.sh compares runs against these files,
# so that a change of behaviour shows even when every expect block still
# holds.  Run it on purpose, when behaviour is meant to change, and say why in
# the commit.  ESMSIM is the binary (default build/esmsim).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
esmsim=${1:-$root/build/esmsim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$root"/tests/golden/*.json
for s in "$root"/scenarios/*.json; do
  name=$(basename "$s" .json)
  "$esmsim" run "$s" -o "$work/$name.db" -q
  "$esmsim" report "$work/$name.db" --json | python3 -m json.tool --indent 1 > "$root/tests/golden/$name.json"
  rm -f "$work/$name".db*
  echo "tests/golden/$name.json"
done
