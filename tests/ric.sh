#!/usr/bin/env bash
# tests/ric.sh ESMSIM SRCDIR - AWS's Node.js runtime interface client
# (npm aws-lambda-ric 3.3.0), unmodified, against esmsim's Runtime API
# (issue 12 item 5): the AWS sample, a handler that throws and one that exits
# give the same run as under esmsim's own bootstrap, table for table; the
# thrown error's type comes from the body, as aws-lambda-ric posts errors
# without the Lambda-Runtime-Function-Error-Type header.
# Skipped (exit 77, saying so) when aws-lambda-ric is not installed, a failure
# when ESMSIM_RIC=1 asks for it (CI): its
# native part takes minutes to build, so it is opt-in:
# ESMSIM_RIC=1 tools/setup.sh (README, "Run your own handler").
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ex=$src/examples/handlers
if [ ! -e "$ex/node-ric/node_modules/.esmsim-installed" ] ||
   [ ! -x "$ex/node-ric/node_modules/.bin/aws-lambda-ric" ]; then
  # CI asks for it (ESMSIM_RIC=1): missing there is a failure, not a skip
  if [ "${ESMSIM_RIC:-0}" = 1 ]; then ko "ESMSIM_RIC=1 but aws-lambda-ric is not installed in $ex/node-ric (see tools/setup.sh's output)"; finish; exit 1; fi
  echo "SKIP: aws-lambda-ric is not installed in $ex/node-ric (ESMSIM_RIC=1 tools/setup.sh installs it)" >&2
  exit 77
fi
cd "$work" || exit 1
ric='"../node-ric/node_modules/.bin/aws-lambda-ric"'

# Runs NAME's scenario with esmsim's bootstrap and with aws-lambda-ric (the
# handler module and function: HANDLER); every table but logs the same.
same_under_ric() {  # NAME HANDLER [--set ...]
  local name=$1 handler=$2 t; shift 2
  "$esmsim" run "$ex/$name/scenario.json" -o "$name.db" -q "$@" || ko "$name with esmsim's bootstrap"
  "$esmsim" run "$ex/$name/scenario.json" -o "$name-ric.db" -q "$@" \
    --set "function.handler.command=[$ric, \"$handler\"]"; rc=$?
  expect_eq "$rc" 0 "$name under aws-lambda-ric: exit status (its expect block holds)"
  for t in invocations deliveries checkpoints discards messages windows; do
    same_rows "$name.db" "$name-ric.db" "* FROM $t" && ok || ko "$name under aws-lambda-ric: $t differ"
  done
  expect_eq "$(q "$name-ric.db" "SELECT count(*) FROM logs WHERE kind = 'init' AND
                                 text = 'Executing ''$handler'' in function directory ''$ex/$name'''")" \
    "$(q "$name-ric.db" "SELECT sum(cold_start) FROM invocations")" \
    "$name under aws-lambda-ric: its init line, once per process"
}

# the example itself: AWS's sample under AWS's runtime client
"$esmsim" run "$ex/node-ric/scenario.json" -o node-ric.db -q; rc=$?
expect_eq "$rc" 0 "node-ric: exit status (its expect block holds)"
"$esmsim" run "$ex/aws-sample-node/scenario.json" -o bootstrap.db -q || ko "aws-sample-node"
for t in invocations deliveries checkpoints discards messages windows; do
  same_rows node-ric.db bootstrap.db "* FROM $t" && ok ||
    ko "node-ric and aws-sample-node (esmsim's bootstrap): $t differ"
done

# an error posted without the header: its type from the body ("Error")
same_under_ric aws-sample-node handler.handler
same_under_ric bug-throw-after-partial-work index.handler
expect_eq "$(q bug-throw-after-partial-work-ric.db "SELECT DISTINCT error FROM invocations WHERE outcome = 'error'")" \
  Error "aws-lambda-ric: the error's type, from the body"
# process.exit(1): Runtime.ExitError, a new process each time
same_under_ric bug-exit index.handler

finish
