#!/usr/bin/env bash
# tools/readme-chart.sh [ESMSIM] - regenerate docs/iterator-age.png, the
# IteratorAge chart shown in the README's `esmsim plot` section: a run of the
# bundled scenarios/dependency-outage.json (an outage, batches discarded, the
# mapping disabled, then the catch-up), drawn by `esmsim plot`.  ESMSIM is
# the esmsim binary (default build/esmsim).  The run is deterministic, so the
# image changes only when the simulation or the chart does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
esmsim=${1:-$root/build/esmsim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$esmsim" run "$root/scenarios/dependency-outage.json" -o "$work/run.db" --no-record-tables -q
"$esmsim" plot "$work/run.db" --chart iterator-age -o "$root/docs/iterator-age.png"
