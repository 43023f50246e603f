#!/usr/bin/env bash
# tests/import.sh ESMSIM SRCDIR - `esmsim import` (SPEC section 5, issue 14 items 1 and 4):
# every input format, the ugly parts included (YAML tags, anchors and merge keys, metric
# data with gaps, a PartialData page and missing statistics), becomes the exact scenario
# expected, with every value's origin in its description and what could not be mapped on
# stderr, and `esmsim check` accepts it; every bad input exits 2 naming the file and the
# JSON or YAML path, and writes nothing.  The fit and the parsers alone: test_import_parts.c.
. "$(dirname "$0")/lib.sh"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
data="$src/tests/data/import" ex="$src/examples/production"
j() { python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k, "ABSENT") if isinstance(v, dict) else "ABSENT"
print(json.dumps(v, sort_keys=True))' "$1" "$2"; }

check_ok() {   # check_ok FILE WHAT: esmsim check accepts the imported scenario
  local msg rc
  msg=$("$esmsim" check "$1" 2>&1); rc=$?
  expect_eq "$rc" 0 "$2: esmsim check accepts it ($msg)"
}

cd "$work"

# ---- the worked example: every CLI output, the SAM template, a day of metric data ----
"$esmsim" import "$ex/template.yaml" "$ex/describe-stream-summary.json" "$ex/get-event-source-mapping.json" \
  "$ex/get-function-configuration.json" "$ex/get-function-concurrency.json" "$ex/metrics.json" \
  -o orders.json > out.txt 2> err.txt; rc=$?
expect_eq "$rc" 0 "example: exit status"
expect_eq "$(cat out.txt)" "wrote orders.json" "example: what it says on stdout"
# The shipped scenario is what import makes of the shipped files, byte for byte (paths aside).
sed "s|$ex/||g" orders.json > orders-rel.json
expect_eq "$(cmp -s orders-rel.json "$ex/orders.json" && echo same)" same \
  "example: examples/production/orders.json is import's output (regenerate it with the README's command)"
check_ok orders.json "example"
expect_eq "$(j orders.json stream)" '{"consumer": "shared", "name": "orders", "retention": "24h", "shards": 4, "type": "kinesis"}' \
  "example: the stream (describe-stream-summary)"
expect_eq "$(j orders.json function.reserved_concurrency)" 8 "example: reserved concurrency (get-function-concurrency)"
expect_eq "$(j orders.json event_source_mapping.StartingPosition)" '"TRIM_HORIZON"' \
  "example: a replay starts at TRIM_HORIZON, whatever the mapping was created with"
expect_eq "$(j orders.json model)" '{"account": "111122223333", "region": "eu-west-1", "start_time": "2026-11-17T00:00:00.000Z"}' \
  "example: the identity from the function's ARN, the start from the first datapoint"
expect_eq "$(j orders.json duration)" '"1d"' "example: a day"
# The traffic: period k's IncomingRecords / 300 s from k x 5 minutes (the PartialData page
# joined to the next), checked against the metric file by hand.
expect_eq "$(python3 - "$ex/metrics.json" orders.json <<'EOF'
import json, sys, datetime
m, s = (json.load(open(f)) for f in sys.argv[1:])
pts = {}
for r in m["MetricDataResults"]:
    if r["Id"] == "incoming_records":
        pts.update(zip(r["Timestamps"], r["Values"]))
start = datetime.datetime(2026, 11, 17, tzinfo=datetime.timezone.utc)
rates = [round(pts[(start + datetime.timedelta(seconds=300 * k)).isoformat()] / 300, 4) for k in range(288)]
def secs(t):
    return float(t[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[t[-1]]
series = s["producers"][0]["rate"]["series"]
got = {int(secs(p["at"])) // 300: p["rate"] for p in series}
print(len(series), all(got.get(k, None) in (None, rates[k]) for k in range(288)), got[0] == rates[0],
      [k for k in range(1, 288) if k not in got and rates[k] != rates[k - 1]])
EOF
)" "288 True True []" "example: the rate series is IncomingRecords Sum / 300 s, period by period"
expect_eq "$(j orders.json producers.0.record_bytes)" 619 "example: record size, IncomingBytes / IncomingRecords"
expect_eq "$(j orders.json function.duration.per_invoke)" '{"distribution": "lognormal", "median": "96.371ms", "sigma": 0.419}' \
  "example: the fitted duration"
expect_eq "$(j orders.json function.failures.0)" '{"match": {"from": "850m", "to": "865m"}}' \
  "example: the outage (14:10-14:25, every invocation failed) as a from/to rule"
expect_eq "$(j orders.json function.report)" '"all-failures"' "example: ReportBatchItemFailures: a batch processor"
desc=$(j orders.json description | sed "s|$ex/||g")
expect_in "$desc" "stream.shards: describe-stream-summary.json \$.StreamDescriptionSummary.OpenShardCount" "example: origin of shards"
expect_in "$desc" "event_source_mapping.BatchSize: get-event-source-mapping.json \$.BatchSize" "example: origin of BatchSize"
expect_in "$desc" "function.timeout: get-function-configuration.json \$.Timeout" "example: origin of the timeout"
expect_in "$desc" "median 96.371ms, sigma 0.4190; the fitted statistics are within 0.03 % of the observed (the largest error at p90)" \
  "example: the description says how good the fit is"
err=$(sed "s|$ex/||g" err.txt)
expect_in "$err" "esmsim import: not mapped: get-event-source-mapping.json: not modelled: \$.UUID, \$.LastModified, \$.LastProcessingResult, \$.StateTransitionReason, \$.EventSourceMappingArn" \
  "example: the mapping's read-only fields are listed"
expect_in "$err" "esmsim import: not mapped: metrics.json: not a metric esmsim reads: its Label or Id should name IncomingRecords, IncomingBytes, Duration, Errors, Invocations, Throttles, IteratorAge or ConcurrentExecutions, then the statistic: \$.MetricDataResults[2] (Id write_throttled, Label \"WriteProvisionedThroughputExceeded Sum\")" \
  "example: an unknown metric is listed"
expect_in "$err" "esmsim import: not mapped: metrics.json: kept for esmsim compare: \$.MetricDataResults[11], \$.MetricDataResults[12]" \
  "example: IteratorAge and ConcurrentExecutions are listed, for compare"
expect_in "$err" "esmsim import: not mapped: template.yaml: not part of the mapping (AWS::DynamoDB::Table): \$.Resources.OrdersTable" \
  "example: the template's other resources are listed"
expect_in "$err" "esmsim import: note: event_source_mapping.DestinationConfig.OnFailure.Destination: \"arn:aws:sqs:eu-west-1:111122223333:orders-indexer-dlq\" from get-event-source-mapping.json \$.DestinationConfig.OnFailure.Destination (what is deployed) rather than \"arn:aws:sqs:us-east-1:123456789012:orders-indexer-dlq\" from template.yaml \$.Resources.OrdersIndexer.Properties.Events.OrdersStream.Properties.DestinationConfig.OnFailure.Destination (a template or plan)" \
  "example: what is deployed wins over the template, and it is said"

# ---- CloudFormation in YAML: every tag, anchors, merge keys, parameters, conditions ----
"$esmsim" import "$data/cfn-efo.yaml" --parameter Retries=4 -o efo.json 2> err.txt >/dev/null; rc=$?
expect_eq "$rc" 0 "cfn-efo.yaml: exit status"
check_ok efo.json "cfn-efo.yaml"
expect_eq "$(j efo.json stream)" '{"capacity_mode": "ON_DEMAND", "consumer": "efo", "name": "clicks-live", "retention": "168h", "type": "kinesis"}' \
  "cfn-efo.yaml: !Join name, ON_DEMAND, the retention from an anchor, EFO through the consumer's !Ref"
expect_eq "$(j efo.json event_source_mapping)" '{"BatchSize": 250, "BisectBatchOnFunctionError": true, "MaximumBatchingWindowInSeconds": 2, "MaximumRecordAgeInSeconds": 3600, "MaximumRetryAttempts": 4, "ParallelizationFactor": 3, "StartingPosition": "TRIM_HORIZON"}' \
  "cfn-efo.yaml: strings as numbers and booleans, !FindInMap, !If on a condition, --parameter"
expect_eq "$(j efo.json function)" '{"memory_mb": 1024, "name": "clicks-counter", "timeout": 45}' \
  "cfn-efo.yaml: !Sub with variables, !Select of !Split, the merge key's copy not deployed"
err=$(sed "s|$data/||g" err.txt)
expect_in "$err" "esmsim import: not mapped: cfn-efo.yaml: cannot be computed from the template (Fn::ImportValue is known only once deployed): \$.Resources.Mapping.Properties.DestinationConfig.OnFailure.Destination" \
  "cfn-efo.yaml: an !ImportValue is listed, not dropped"
expect_in "$err" "esmsim import: not mapped: cfn-efo.yaml: not simulated yet: \$.Resources.Mapping.Properties.FilterCriteria" \
  "cfn-efo.yaml: a filter is listed (not simulated yet)"
expect_in "$err" "esmsim import: not mapped: cfn-efo.yaml: not deployed: its Condition is false (AWS::Lambda::Function): \$.Resources.CounterCopy" \
  "cfn-efo.yaml: a resource whose condition is false"
"$esmsim" import "$data/cfn-efo.yaml" -o efo2.json 2> err.txt >/dev/null
expect_in "$(cat err.txt)" "cannot be computed from the template (the parameter Retries has no Default (--parameter Retries=VALUE gives it)): \$.Resources.Mapping.Properties.MaximumRetryAttempts" \
  "cfn-efo.yaml: a parameter without Default is listed"
expect_eq "$(j efo2.json event_source_mapping.MaximumRetryAttempts)" '"ABSENT"' "cfn-efo.yaml: ... and left at the default"

# ---- CloudFormation in JSON: a DynamoDB table's stream, two mappings and a queue's ----
msg=$("$esmsim" import "$data/cfn-dynamodb.json" -o ddb.json 2>&1); rc=$?
expect_eq "$rc" 2 "cfn-dynamodb.json without --mapping: exit status"
expect_in "$msg" "cfn-dynamodb.json: several mappings of a stream: name one with --mapping (the mappings of a stream: AuditMapping, ProjectorMapping)" \
  "cfn-dynamodb.json: the stream mappings are named, the queue's is not one"
expect_eq "$(ls ddb.json 2>/dev/null)" "" "cfn-dynamodb.json: nothing written"
"$esmsim" import "$data/cfn-dynamodb.json" --mapping AuditMapping -o ddb.json >/dev/null 2>&1
check_ok ddb.json "cfn-dynamodb.json"
expect_eq "$(j ddb.json stream)" '{"table": "accounts", "type": "dynamodb", "view_type": "NEW_IMAGE"}' "cfn-dynamodb.json: the table's stream"
expect_eq "$(j ddb.json function)" '{"memory_mb": 256, "name": "Audit", "reserved_concurrency": 5, "timeout": 10}' \
  "cfn-dynamodb.json: the function !GetAtt names, its logical id for a name CloudFormation makes up"
expect_eq "$(j ddb.json event_source_mapping)" '{"BatchSize": 50, "FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 2, "StartingPosition": "TRIM_HORIZON"}' \
  "cfn-dynamodb.json: the mapping"

# ---- AWS CLI: dynamodbstreams describe-stream, list-event-source-mappings, get-function ----
"$esmsim" import "$data/ddb-describe-stream.json" "$data/list-event-source-mappings.json" "$data/get-function.json" \
  -o carts.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "CLI DynamoDB: exit status"
check_ok carts.json "CLI DynamoDB"
expect_eq "$(j carts.json stream)" '{"shards": 2, "table": "carts", "type": "dynamodb", "view_type": "NEW_AND_OLD_IMAGES"}' \
  "CLI DynamoDB: the open shards counted (one has ended)"
expect_eq "$(j carts.json function)" '{"memory_mb": 2048, "name": "cart-projector", "reserved_concurrency": 3, "timeout": 120}' \
  "CLI DynamoDB: get-function's configuration and concurrency; the alias of the mapping's FunctionArn"
expect_eq "$(j carts.json event_source_mapping.FunctionArn)" '"arn:aws:lambda:ap-southeast-2:777788889999:function:cart-projector:live"' \
  "CLI DynamoDB: the stream mapping of the list (not the queue's)"
expect_eq "$(j carts.json model)" '{"account": "777788889999", "region": "ap-southeast-2"}' "CLI DynamoDB: the identity"

# ---- terraform show -json: a state with modules, a plan with unknown ARNs ----
"$esmsim" import "$data/tf-state.json" -o tfs.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "terraform state: exit status"
check_ok tfs.json "terraform state"
expect_eq "$(j tfs.json stream)" '{"consumer": "shared", "name": "payments", "retention": "48h", "shards": 8, "type": "kinesis"}' \
  "terraform state: the stream the mapping's ARN names"
expect_eq "$(j tfs.json function)" '{"memory_mb": 1024, "name": "payments-settler", "reserved_concurrency": -1, "timeout": 60}' \
  "terraform state: the function in a module"
expect_eq "$(j tfs.json event_source_mapping.DestinationConfig)" '{"OnFailure": {"Destination": "arn:aws:sns:us-west-2:210987654321:settle-failures"}}' \
  "terraform state: destination_config as DestinationConfig"
expect_in "$(j tfs.json description | sed "s|$data/||g")" "event_source_mapping.DestinationConfig.OnFailure.Destination: tf-state.json \$.values.root_module.child_modules[0].resources[2].values.destination_config[0].on_failure[0].destination_arn" \
  "terraform state: the origin's path"
expect_in "$(sed "s|$data/||g" err.txt)" "esmsim import: not mapped: tf-state.json: not part of the mapping (aws_sns_topic): \$.values.root_module.resources[1]" \
  "terraform state: other resources are listed"
"$esmsim" import "$data/tf-plan.json" -o tfp.json >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "terraform plan: exit status"
check_ok tfp.json "terraform plan"
expect_eq "$(j tfp.json stream)" '{"capacity_mode": "ON_DEMAND", "name": "clicks", "retention": "24h", "type": "kinesis"}' \
  "terraform plan: the stream found through the configuration's references (its ARN is unknown before apply)"
expect_eq "$(j tfp.json function)" '{"memory_mb": 128, "name": "click-counter", "reserved_concurrency": 20, "timeout": 3}' \
  "terraform plan: the function"

# ---- metric data: gaps, a PartialData page, Ids without Labels, missing statistics ----
"$esmsim" import "$data/metrics-ugly.json" -o m.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "metrics-ugly.json: exit status"
check_ok m.json "metrics-ugly.json"
expect_eq "$(j m.json producers.0.rate.series | tr -d ' ')" \
  '[{"at":"0s","rate":10},{"at":"1m","rate":20},{"at":"2m","rate":30},{"at":"3m","rate":40},{"at":"4m","rate":50},{"at":"5m","rate":60},{"at":"6m","rate":70},{"at":"7m","rate":80},{"at":"8m","rate":90},{"at":"9m","rate":100},{"at":"10m","rate":0},{"at":"12m","rate":130},{"at":"13m","rate":140},{"at":"14m","rate":150},{"at":"15m","rate":160},{"at":"16m","rate":170},{"at":"17m","rate":180},{"at":"18m","rate":190},{"at":"19m","rate":200},{"at":"20m","rate":210},{"at":"21m","rate":220},{"at":"22m","rate":230},{"at":"23m","rate":240},{"at":"24m","rate":250},{"at":"25m","rate":260},{"at":"26m","rate":270},{"at":"27m","rate":280},{"at":"28m","rate":290},{"at":"29m","rate":300}]' \
  "metrics-ugly.json: the series (two pages joined; the two minutes without a datapoint are 0)"
expect_eq "$(j m.json producers.0.record_bytes)" 250 "metrics-ugly.json: record size"
expect_eq "$(j m.json function.duration)" '{"per_invoke": {"distribution": "lognormal", "median": "50.000ms", "sigma": 0.5}, "per_record": "0ms"}' \
  "metrics-ugly.json: p50 (an Id without a Label) and the Average: the closed form, exact"
# One percentile and the Average, the mean below it: of the two lognormals that fit both exactly,
# the one with the smaller sigma (README, import: Duration Average and percentiles become a
# lognormal). The other was taken: p99 200 ms and Average 100 ms gave median 0.008ms, sigma 4.33.
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["2026-03-01T00:00:00Z","2026-03-01T00:05:00Z"],"Values":[1,2],"StatusCode":"Complete"},{"Id":"d","Label":"Duration p99","Timestamps":["2026-03-01T00:00:00Z"],"Values":[200],"StatusCode":"Complete"},{"Id":"a","Label":"Duration Average","Timestamps":["2026-03-01T00:00:00Z"],"Values":[100],"StatusCode":"Complete"}]}' > p99-mean.json
"$esmsim" import p99-mean.json -o p99-mean-s.json >/dev/null 2>&1; rc=$?
expect_eq "$rc:$(j p99-mean-s.json function.duration.per_invoke)" '0:{"distribution": "lognormal", "median": "95.010ms", "sigma": 0.32}' \
  "Duration p99 and Average: the lognormal of the smaller sigma"
expect_eq "$(j m.json function.failures)" '[{"match": {"from": "20m", "to": "23m"}}, {"match": {"probability": 8.382e-06}}]' \
  "metrics-ugly.json: the outage, and 1 - (1 - 2/2700)^(1/88.4) per record elsewhere"
expect_eq "$(j m.json function.reserved_concurrency)" 5 "metrics-ugly.json: Throttles: the highest ConcurrentExecutions"
expect_eq "$(j m.json model.start_time) $(j m.json duration)" '"2026-03-01T12:00:00.000Z" "30m"' "metrics-ugly.json: the span"
err=$(sed "s|$data/||g" err.txt)
expect_in "$err" "esmsim import: note: IncomingRecords Sum of metrics-ugly.json \$.MetricDataResults[0] (Id incoming): 2 periods without a datapoint within the series: taken as periods without records (rate 0)" \
  "metrics-ugly.json: the gaps are said"
expect_in "$err" "esmsim import: note: ConcurrentExecutions Maximum of metrics-ugly.json \$.MetricDataResults[7] (Id concurrent_executions_maximum): its last page is PartialData: the data after it is missing" \
  "metrics-ugly.json: a last page that is PartialData is said"
expect_in "$err" "esmsim import: note: CloudWatch says: metrics-ugly.json: Info: example message from CloudWatch" \
  "metrics-ugly.json: CloudWatch's messages are passed on"
expect_in "$err" "(Id m7, Label \"GetRecords.Success Sum\")" "metrics-ugly.json: an unknown metric is listed"
# Only the Average: no spread to fit, a constant (and said so).
python3 - "$data/metrics-ugly.json" avg.json <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["MetricDataResults"] = [r for r in m["MetricDataResults"] if r["Id"] != "duration_p50"]
json.dump(m, open(sys.argv[2], "w"))
EOF
"$esmsim" import avg.json -o avg-s.json >/dev/null 2>&1
expect_eq "$(j avg-s.json function.duration)" '{"per_invoke": "56.657ms", "per_record": "0ms"}' \
  "metric data with the Average only: a constant duration"
check_ok avg-s.json "Average only"

# ---- every input is UTF-8, a byte order mark first ignored (RFC 8259 lets a reader; PowerShell's
# Out-File -Encoding utf8 writes one), as the scenario loader does; UTF-16 (PowerShell 5's `>`) is
# refused by name: it was "not a format esmsim import knows" (a JSON one) or read (a YAML one) ----
for f in template.yaml get-event-source-mapping.json; do
  { printf '\xef\xbb\xbf'; cat "$ex/$f"; } > "bom-$f"
done
bad() {   # bad WHAT WANT ARGS...
  local what=$1 want=$2; shift 2
  local msg rc
  rm -f out.json
  msg=$("$esmsim" import "$@" -o out.json 2>&1); rc=$?
  msg=$(sed "s|$data/||g; s|$ex/||g" <<< "$msg")
  expect_eq "$rc" 2 "$what: exit status"
  expect_in "$msg" "$want" "$what: message"
  expect_eq "$(ls out.json 2>/dev/null)" "" "$what: nothing written"
}
printf '\xff\xfe{\0"\0B\0"\0:\0 \0001\0}\0' > u16-get-event-source-mapping.json   # {"B": 1}
printf '\xff\xfeA\0:\0 \0001\0\n\0' > u16-template.yaml                                  # A: 1
"$esmsim" import "$ex/template.yaml" "$ex/get-event-source-mapping.json" -o nobom-s.json >/dev/null 2>&1
"$esmsim" import bom-template.yaml bom-get-event-source-mapping.json -o bom-s.json >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "inputs with a UTF-8 byte order mark: exit status"
expect_eq "$(j bom-s.json event_source_mapping)" "$(j nobom-s.json event_source_mapping)" \
  "inputs with a UTF-8 byte order mark: read as without it"
bad "a UTF-16 JSON input" "esmsim import: u16-get-event-source-mapping.json: cannot read: UTF-16 text (it starts with the byte order mark FF FE): esmsim reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)" u16-get-event-source-mapping.json
bad "a UTF-16 YAML template" "esmsim import: u16-template.yaml: cannot read: UTF-16 text (it starts with the byte order mark FF FE): esmsim reads UTF-8" u16-template.yaml

# docs/scenario.md, text: a string or key with \u0000 is an error, not cut there (the JSON reader
# ends it at the NUL: "orders\u0000evil" was read as "orders", "Bat\u0000chSize" as "Bat"); and bytes
# that are not UTF-8 are refused in JSON as the YAML reader refuses them
sed 's/"FunctionName": "orders-indexer"/"FunctionName": "orders-indexer\\u0000evil"/' "$ex/get-function-configuration.json" > nul-fc.json
bad "a JSON input with \\u0000 in a string" "esmsim import: nul-fc.json: \$.FunctionName: expected text without U+0000 (\\u0000 would cut it short), got \"orders-indexer\\u0000evil\"" nul-fc.json
sed 's/"Timeout"/"Time\\u0000out"/' "$ex/get-function-configuration.json" > nul-key.json
bad "a JSON input with \\u0000 in a key" "esmsim import: nul-key.json: \$[\"Time\\u0000out\"]: expected a key in text without U+0000" nul-key.json
sed 's/"FunctionName": "orders-indexer"/"FunctionName": "orders-indexer\xff"/' "$ex/get-function-configuration.json" > ff.json
bad "a JSON input that is not UTF-8" "esmsim import: ff.json: \$.FunctionName: expected UTF-8 text, got \"orders-indexer\\xff\"" ff.json

# docs/scenario.md, number: 1e309 is beyond a double and refused, not taken as infinity (an input's
# 1e400 became null in the scenario: "$.BatchSize: expected an integer from 1 to 10000, got null")
sed 's/"BatchSize": 500/"BatchSize": 1e400/' "$ex/get-event-source-mapping.json" > inf-esm.json
bad "a JSON input with 1e400" "esmsim import: inf-esm.json: \$.BatchSize: expected a finite number, got a number too large for a double (infinite)" inf-esm.json
sed '94s/BatchSize: !Ref BatchSize/BatchSize: 1e400/' "$ex/template.yaml" > inf-template.yaml
bad "a YAML input with 1e400" "esmsim import: inf-template.yaml: \$.Resources.OrdersIndexer.Properties.Events.OrdersStream.Properties.BatchSize: expected a finite number, got a number too large for a double (infinite)" inf-template.yaml

# ---- combining files: the nearer to what runs wins; two of the same kind must agree ----
sed 's/"BatchSize": 500/"BatchSize": 100/' "$ex/get-event-source-mapping.json" > esm100.json
"$esmsim" import "$ex/template.yaml" esm100.json -o comb.json >/dev/null 2> err.txt
expect_eq "$(j comb.json event_source_mapping.BatchSize)" 100 "combined: the deployed BatchSize wins over the template's"
expect_in "$(cat err.txt)" "note: event_source_mapping.BatchSize: 100 from esm100.json \$.BatchSize (what is deployed) rather than 500 from" \
  "combined: ... and the note says so"
sed 's/"Timeout": 30/"Timeout": 60/; s/orders-indexer"/orders-indexer"/' "$ex/get-function-configuration.json" > fc60.json
msg=$("$esmsim" import "$ex/get-function-configuration.json" fc60.json -o bad.json 2>&1); rc=$?
expect_eq "$rc" 2 "two function configurations that disagree: exit status"
expect_eq "$(sed "s|$ex/||g" <<< "$msg")" "esmsim import: fc60.json: \$.Timeout: 60 disagrees with get-function-configuration.json \$.Timeout (30) on the scenario's function.timeout: the files describe different resources, or one is out of date" \
  "two function configurations that disagree: the message names both"

# ---- bad input: exit 2, the file and the path, nothing written ----
printf '{\n  "UUID": "x",\n  "BatchSize": ,\n}\n' > badjson.json
bad "invalid JSON" "esmsim import: badjson.json: invalid JSON at line 3, column 16" badjson.json
printf 'Resources:\n  A: [1, 2\n' > bad.yaml
bad "invalid YAML" "esmsim import: bad.yaml: invalid YAML at line 3, column 1: did not find expected ',' or ']'" bad.yaml
printf 'Resources:\n  A: {Type: X}\n  A: {Type: Y}\n' > dup.yaml
bad "a YAML key twice" "esmsim import: dup.yaml: invalid YAML at line 3, column 3: the key A is given twice" dup.yaml
# a template is one YAML document (CloudFormation's template formats: one template, one
# document): a second one was silently ignored, its resources lost
printf 'Resources:\n  S: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 2}}\n---\nResources:\n  T: {Type: X}\n' > two-docs.yaml
bad "two YAML documents" "esmsim import: two-docs.yaml: line 3: a second YAML document: a template is one document" two-docs.yaml
printf 'Resources:\n  S: {Type: AWS::Kinesis::Stream}\n...\n---\nResources: {}\n' > two-docs-end.yaml
bad "two YAML documents, the first ended by ..." "esmsim import: two-docs-end.yaml: line 4: a second YAML document: a template is one document" two-docs-end.yaml
printf 'Resources:\n  S: {Type: AWS::Kinesis::Stream}\n...\n]\n' > after-doc.yaml
bad "invalid YAML after the document" "esmsim import: after-doc.yaml: invalid YAML at line 4, column 1: did not find expected <document start>" after-doc.yaml
printf -- '---\nResources:\n  S: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 2}}\n...\n# the end\n' > one-doc.yaml
"$esmsim" import one-doc.yaml -o one-doc.json >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "one YAML document between --- and ...: exit status"
# Fn::Select's index is a whole number from zero (CloudFormation's Fn::Select): "1.5" was index 1
printf 'Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties: {ShardCount: !Select ["1.5", [1, 2, 3]]}\n' > select.yaml
bad "Fn::Select with an index of 1.5" \
  "esmsim import: select.yaml: \$.Resources.S.Properties.ShardCount: Fn::Select: expected a whole number as the index, got 1.5" select.yaml
# a JSON template of 100,000 resources (CloudFormation takes 500) is read at once, and each
# one not used listed (each was looked up by its id, and the list copied at each: 40,000 took 13 s)
python3 -c 'import json; print(json.dumps({"Resources": {"R%d" % i: {"Type": "X"} for i in range(100000)}}))' > many.json
"$esmsim" import many.json -o many-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "100,000 resources: exit status"
expect_in "$(cat err.txt)" "not part of the mapping (X): \$.Resources.R0, \$.Resources.R1, " "100,000 resources: listed"
expect_in "$(cat err.txt)" ", \$.Resources.R99999" "100,000 resources: the last one listed"
# -o names what is not a regular file: refused, and left as it was (the temporary file was
# renamed over it: as root, import -o /dev/null replaced the machine's /dev/null with a file)
mkfifo out-fifo
msg=$(timeout 20 "$esmsim" import "$ex/get-function-concurrency.json" -o out-fifo 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim import: -o out-fifo: not a regular file (a FIFO): -o - writes the scenario to standard output" \
  "-o a FIFO: refused"
[ -p out-fifo ] && ok || ko "-o a FIFO: the FIFO is left as it was"
# a key twice in a JSON input, as in YAML: refused, since only the first would be read (a
# resource given twice in a JSON template was silently the first; a mapping's BatchSize
# twice was said to be two files that disagree)
printf '{"Resources": {"S": {"Type": "AWS::Kinesis::Stream"}, "S": {"Type": "AWS::SQS::Queue"}}}' > dup.json
bad "a JSON key twice" "esmsim import: dup.json: \$.Resources: the key S is given twice" dup.json
sed 's/"BatchSize": 500,/"BatchSize": 500, "BatchSize": 10,/' "$ex/get-event-source-mapping.json" > dup-esm.json
bad "a JSON key twice, in an AWS CLI output" "esmsim import: dup-esm.json: \$: the key BatchSize is given twice" dup-esm.json
printf '{"Hello": "world"}\n' > unknown.json
bad "an unknown format" "esmsim import: unknown.json: not a format esmsim import knows" unknown.json
sed 's/"OpenShardCount": 4/"OpenShardCount": "four"/' "$ex/describe-stream-summary.json" > four.json
bad "a shard count that is not a number (the loader's check, at the input's path)" \
  "esmsim import: four.json: \$.StreamDescriptionSummary.OpenShardCount: expected an integer from 1 to 10000, got \"four\"" four.json
sed 's/"RetentionPeriodHours": 24/"RetentionPeriodHours": "a day"/' "$ex/describe-stream-summary.json" > ret.json
bad "a retention that is not hours" "esmsim import: ret.json: \$.StreamDescriptionSummary.RetentionPeriodHours: expected a number of hours, got a string" ret.json
sed 's/BatchSize: !Ref BatchSize/BatchSize: 0/' "$ex/template.yaml" > zero.yaml
bad "a template's BatchSize out of range" \
  "esmsim import: zero.yaml: \$.Resources.OrdersIndexer.Properties.Events.OrdersStream.Properties.BatchSize: expected an integer from 1 to 10000, got 0" zero.yaml
sed 's/Stream: !GetAtt OrdersStream.Arn/Stream: !GetAtt [OrdersStream]/' "$ex/template.yaml" > getatt.yaml
bad "a malformed !GetAtt" \
  "esmsim import: getatt.yaml: \$.Resources.OrdersIndexer.Properties.Events.OrdersStream.Properties.Stream: Fn::GetAtt takes [Resource, Attribute]" getatt.yaml
# Fn::GetAtt "Resource.Attribute" with a name of more than 255 characters lost its '.' when
# copied to a buffer of 256 and crashed (SIGSEGV); charter: bad input, a clear error, never a crash
long=$(printf 'A%.0s' $(seq 300))
printf 'Resources:\n  S: {Type: AWS::Kinesis::Stream, Properties: {Name: {"Fn::GetAtt": %s.Arn}}}\n' "$long" > getatt-long.yaml
bad "a Fn::GetAtt of a resource name longer than 255 characters" \
  "esmsim import: getatt-long.yaml: \$.Resources.S.Properties.Name: Fn::GetAtt $long.Arn: no such resource" getatt-long.yaml
# CloudFormation takes logical ids of at most 255 characters: a longer one is refused, and a name
# longer than that in Fn::Sub's ${Name} (or a Ref's) is not cut to 255, which named another
# resource: ${A...A.Arn} (256 A) read the stream A...A (255 A), exit 0
a255=$(printf 'A%.0s' $(seq 255))
printf 'Resources:\n  %s: {Type: AWS::Kinesis::Stream, Properties: {Name: orders, ShardCount: 2}}\n' "${a255}A" > id-long.yaml
bad "a logical id longer than 255 characters" \
  "esmsim import: id-long.yaml: \$.Resources.${a255:0:200}: expected a logical id of at most 255 characters (CloudFormation's limit), got one of 256" id-long.yaml
printf 'Resources:\n  %s: {Type: AWS::Kinesis::Stream, Properties: {Name: orders, ShardCount: 2}}\n  M: {Type: AWS::Lambda::EventSourceMapping, Properties: {EventSourceArn: {"Fn::Sub": "${%s.Arn}"}, FunctionName: f, StartingPosition: LATEST}}\n' \
  "$a255" "${a255}A" > sub-long.yaml
bad "Fn::Sub of a name longer than 255 characters" \
  "esmsim import: sub-long.yaml: \$.Resources.M.Properties.EventSourceArn: Fn::GetAtt ${a255}A.Arn: no such resource" sub-long.yaml
# A SAM function's Events is a map of named event sources (SAM's specification): a list of them
# was walked as if its items had names, and read a NULL name (found by fuzz_import: UBSan's
# pointer overflow in imp_path; a crash in a release build); charter: bad input, a clear error
printf 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n      - {Type: Kinesis, Properties: {Stream: x}}\n' > events-list.yaml
bad "a SAM function's Events given as a list" \
  "esmsim import: events-list.yaml: \$.Resources.Fn.Properties.Events: expected the function's events, an object of named event sources, got an array" events-list.yaml
# A resource's name property, evaluated for a Ref or Fn::GetAtt of it, is named at the JSON path
# every other message writes ($.Resources["my-queue"], a key that is no identifier in brackets):
# it was $.Resources.my-queue.Properties.QueueName
printf 'Resources:\n  my-queue: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref Nope}}\n  S: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}\n  M: {Type: AWS::Lambda::EventSourceMapping, Properties: {EventSourceArn: !GetAtt S.Arn, FunctionName: f, StartingPosition: LATEST, DestinationConfig: {OnFailure: {Destination: !GetAtt [my-queue, Arn]}}}}\n' > name-path.yaml
bad "an error in a name property reached by Fn::GetAtt" \
  "esmsim import: name-path.yaml: \$.Resources[\"my-queue\"].Properties.QueueName: Ref Nope: no such parameter or resource" name-path.yaml
sed 's/BatchSize: !Ref BatchSize/BatchSize: !Ref BatchSizes/' "$ex/template.yaml" > ref.yaml
bad "a Ref to nothing" "esmsim import: ref.yaml: \$.Resources.OrdersIndexer.Properties.Events.OrdersStream.Properties.BatchSize: Ref BatchSizes: no such parameter or resource" ref.yaml
sed 's/"EventSourceArn": "arn:aws:kinesis:eu-west-1:111122223333:stream\/orders"/"EventSourceArn": "arn:aws:sqs:eu-west-1:111122223333:jobs"/' \
  "$ex/get-event-source-mapping.json" > sqs.json
bad "a queue's mapping" "esmsim import: sqs.json: \$.EventSourceArn: expected the ARN of a Kinesis stream or of a DynamoDB table's stream" sqs.json
python3 - "$data/metrics-ugly.json" short.json bad-ts.json forbidden.json <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
a = json.loads(json.dumps(m)); a["MetricDataResults"][4]["Values"].pop()
json.dump(a, open(sys.argv[2], "w"))
b = json.loads(json.dumps(m)); b["MetricDataResults"][3]["Timestamps"][2] = "2026-03-01 12:27"
json.dump(b, open(sys.argv[3], "w"))
c = json.loads(json.dumps(m)); c["MetricDataResults"][5]["StatusCode"] = "Forbidden"
json.dump(c, open(sys.argv[4], "w"))
EOF
bad "metric data: fewer Values than Timestamps" "esmsim import: short.json: \$.MetricDataResults[4]: 30 Timestamps and 29 Values" short.json
bad "metric data: a timestamp that is not one" "esmsim import: bad-ts.json: \$.MetricDataResults[3].Timestamps[2]: expected an ISO-8601 time" bad-ts.json
bad "metric data: Forbidden" "esmsim import: forbidden.json: \$.MetricDataResults[5].StatusCode: Forbidden: CloudWatch returned no data for this query (no permission to read it)" forbidden.json
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["2024-01-01T00:00:00Z","2024-01-01T00:01:00Z","2026-01-01T00:00:00Z"],"Values":[1,2,3]}]}' > years.json
bad "metric data: a series of more periods than a rate series may hold" \
  "esmsim import: years.json: \$.MetricDataResults[0]: 1052641 periods of 60 s from the first datapoint to the last: more than 1000000, the most a rate series may hold" years.json
# README: metric data that contradicts itself is bad input: a p99 below the p50 of its period
# (it was fitted: sigma the slope's absolute value, the fit 9,900 % off, exit 0)
printf '{"MetricDataResults":[{"Id":"a","Label":"Duration p50","Timestamps":["2026-03-01T00:01:00Z","2026-03-01T00:00:00Z"],"Values":[100,90]},
  {"Id":"b","Label":"Duration p99","Timestamps":["2026-03-01T00:01:00Z","2026-03-01T00:00:00Z"],"Values":[10,200.5]}]}' > falling.json
bad "metric data: a higher percentile below a lower one" \
  "esmsim import: falling.json: \$.MetricDataResults[1] (Duration p99): 10 at 2026-03-01T00:01:00.000Z is below the 100 of Duration p50 (falling.json \$.MetricDataResults[0]) for the same period: a higher percentile cannot be lower (the metric data contradicts itself)" falling.json
# ... and more Errors than Invocations in a period (they were an outage, or a chance of failure
# above 1 where the period had no invocation)
printf '{"MetricDataResults":[{"Id":"e","Label":"Errors Sum","Timestamps":["2026-03-01T00:01:00Z","2026-03-01T00:00:00Z"],"Values":[5,1]},
  {"Id":"i","Label":"Invocations Sum","Timestamps":["2026-03-01T00:01:00Z","2026-03-01T00:00:00Z"],"Values":[4,10]}]}' > errors.json
bad "metric data: more errors than invocations" \
  "esmsim import: errors.json: \$.MetricDataResults[0] (Errors Sum): 5 errors at 2026-03-01T00:01:00.000Z, more than the 4 invocations of the period (Invocations Sum, errors.json \$.MetricDataResults[1]): the metric data contradicts itself" errors.json
# IncomingBytes under a byte a record is said as such, not as "no IncomingBytes"
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["2026-03-01T00:01:00Z","2026-03-01T00:00:00Z"],"Values":[600,600]},
  {"Id":"b","Label":"IncomingBytes Sum","Timestamps":["2026-03-01T00:01:00Z","2026-03-01T00:00:00Z"],"Values":[1,1]}]}' > tiny.json
"$esmsim" import tiny.json -o tiny-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "IncomingBytes under a byte a record: exit status"
expect_in "$(cat err.txt)" "esmsim import: note: IncomingBytes Sum of tiny.json \$.MetricDataResults[1] (Id b) / the IncomingRecords: under a byte a record: the records are esmsim's default size" \
  "IncomingBytes under a byte a record: the note"
# datapoints of no metric esmsim reads are not "no datapoint" (the note said so)
printf '{"MetricDataResults":[{"Id":"x","Label":"Duration p100","Timestamps":["2026-03-01T00:00:00Z"],"Values":[1]}]}' > p100.json
"$esmsim" import p100.json -o p100-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "no metric esmsim reads: exit status"
expect_in "$(cat err.txt)" "esmsim import: note: the metric data holds no datapoint of a metric esmsim reads: nothing taken from it" \
  "no metric esmsim reads: the note"
bad "several terraform mappings" "esmsim import: two.json: 2 event source mappings of streams: name one with --mapping ADDRESS" \
  "$(python3 - "$data/tf-state.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
m = t["values"]["root_module"]["child_modules"][0]["resources"][2]
t["values"]["root_module"]["resources"].append(dict(m, address="aws_lambda_event_source_mapping.copy"))
json.dump(t, open("two.json", "w"))
print("two.json")
EOF
)"
# the charter: a refusal names the file (found by fuzz_import: a terraform resource without a
# type said only its path)
printf '{"format_version":"1.2","values":{"root_module":{"resources":[{"address":"a.b"}]}}}' > notype.json
bad "a terraform resource without a type" \
  "esmsim import: notype.json: \$.values.root_module.resources[0]: expected a resource with a type and an address" notype.json
# the charter: a refusal names the file and the path; a value import made from one input value
# is refused there (found by fuzz_import: they were said at SCENARIO, the output)
printf '{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"FunctionName":"a\\u001cb"}}}}' > ctl.json
bad "a function name with a control character" \
  "esmsim import: ctl.json: \$.Resources.F.Properties.FunctionName: expected printable text, got \"a\\u001cb-imported\": U+001C is a control character (the scenario's name, made from it)" ctl.json
printf '{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:s3:function:f"}' > arn.json
bad "an ARN whose account is not 12 digits" \
  "esmsim import: arn.json: \$.FunctionArn: expected a string of 12 digits, got \"s3\" (the scenario's model.account, made from it)" arn.json
# metric data whose span is longer than a scenario may last is refused at the series that ends
# it (found by fuzz_import: it was said at SCENARIO, the output)
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["2026-03-01T00:00:00Z","2400-03-01T00:00:00Z"],"Values":[1,2],"StatusCode":"Complete"}]}' > span.json
bad "metric data over 374 years" \
  "esmsim import: span.json: \$.MetricDataResults[0]: expected a duration from 1us to 100000d (a number of seconds, or a string such as \"250ms\", \"90s\", \"15m\", \"2h\", \"1d\"), got \"273202d\" (the scenario's duration, made from it)" span.json
# docs/scenario.md, time: the run's end (model.start_time + duration) is at the latest
# 9999-12-31T23:59:59.999999Z; metric data ending there made a run whose events said 10000-01-01
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["9999-12-31T23:50:00Z","9999-12-31T23:55:00Z"],"Values":[1,2],"StatusCode":"Complete"}]}' > late.json
bad "metric data that ends at 10000-01-01" \
  "esmsim import: late.json: \$.MetricDataResults[0]: expected a start from which the run (duration 10m) ends by 9999-12-31T23:59:59.999999Z: at or before 9999-12-31T23:49:59.999Z, got \"9999-12-31T23:50:00.000Z\" (the scenario's model.start_time, made from it)" late.json
# a rate series the loader refuses (more memory than the machine's) is said at the
# IncomingRecords it was made from (found by fuzz_import: it was said at SCENARIO, the output)
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["2026-03-01T00:00:00Z","2026-03-01T00:05:00Z"],"Values":[1e20,1e20],"StatusCode":"Complete"}]}' > huge.json
bad "IncomingRecords of 1e20 a period" \
  "esmsim import: huge.json: \$.MetricDataResults[0]: this run needs 194 EiB of memory even if the mapping keeps up, more than the " huge.json
# README, Metric data: a statistic is Sum, Average, Maximum, Minimum, SampleCount or pNN; a result
# naming a metric with another (Duration p100, p0: CloudWatch's Maximum and Minimum) was said to be
# "not a metric esmsim reads", which Duration is
printf '{"MetricDataResults":[{"Id":"r","Label":"IncomingRecords Sum","Timestamps":["2026-03-01T00:00:00Z","2026-03-01T00:05:00Z"],"Values":[1,2],"StatusCode":"Complete"},{"Id":"d100","Label":"Duration p100","Timestamps":["2026-03-01T00:00:00Z"],"Values":[9],"StatusCode":"Complete"},{"Id":"duration_p0","Timestamps":["2026-03-01T00:00:00Z"],"Values":[1],"StatusCode":"Complete"}]}' > p100.json
"$esmsim" import p100.json -o p100-s.json > /dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "Duration p100 and p0: exit status"
expect_in "$(cat err.txt)" "esmsim import: not mapped: p100.json: not a statistic esmsim reads: Duration p100; it reads Sum, Average, Maximum, Minimum, SampleCount and the percentiles strictly between p0 and p100, to two decimals as CloudWatch gives them (p50, p99.9; p0 is the Minimum, p100 the Maximum): \$.MetricDataResults[1] (Id d100, Label \"Duration p100\")" \
  "Duration p100: the statistic named, and the percentiles esmsim reads"
expect_in "$(cat err.txt)" "esmsim import: not mapped: p100.json: not a statistic esmsim reads: Duration p0; it reads " \
  "Duration p0 (its Id): the statistic named"

# ---- Conditions decide which resources exist (README, Importing: "Conditions decide Fn::If and
# which resources exist"): a mapping, stream or function whose Condition is false is not one
# import may take (they were taken: a false one even made two mappings of one stream) ----
cat > cond.yaml <<'EOF'
Parameters:
  Stage: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsStaging: !Not [!Condition IsProd]
Resources:
  S: {Type: AWS::Kinesis::Stream, Properties: {Name: s, ShardCount: 2}}
  F: {Type: AWS::Lambda::Function, Properties: {FunctionName: f}}
  ProdMapping:
    Type: AWS::Lambda::EventSourceMapping
    Condition: IsProd
    Properties: {EventSourceArn: !GetAtt S.Arn, FunctionName: !Ref F, StartingPosition: LATEST, BatchSize: 500}
  StagingMapping:
    Type: AWS::Lambda::EventSourceMapping
    Condition: IsStaging
    Properties: {EventSourceArn: !GetAtt S.Arn, FunctionName: !Ref F, StartingPosition: LATEST, BatchSize: 10}
EOF
"$esmsim" import cond.yaml -o cond.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc" 0 "conditions: the mapping that exists is taken: exit status ($(cat err.txt))"
expect_eq "$(j cond.json event_source_mapping.BatchSize)" 500 "conditions: the mapping whose Condition is true"
expect_in "$(cat err.txt)" "esmsim import: not mapped: cond.yaml: not deployed: its Condition is false (AWS::Lambda::EventSourceMapping): \$.Resources.StagingMapping" \
  "conditions: the other is listed as not deployed"
"$esmsim" import cond.yaml --parameter Stage=staging -o cond.json >/dev/null 2>&1; rc=$?
expect_eq "$rc:$(j cond.json event_source_mapping.BatchSize)" "0:10" "conditions: --parameter Stage=staging takes the other"
bad "conditions: --mapping names a mapping not deployed" \
  "esmsim import: cond.yaml: --mapping StagingMapping: the resource is not deployed (its Condition is false)" \
  cond.yaml --mapping StagingMapping
sed 's/^  S: {Type: AWS::Kinesis::Stream,/  S: {Type: AWS::Kinesis::Stream, Condition: IsStaging,/' cond.yaml > cond-stream.yaml
bad "conditions: the mapping reads a stream not deployed" \
  "esmsim import: cond-stream.yaml: \$.Resources.ProdMapping.Properties.EventSourceArn: Fn::GetAtt S.Arn: the resource is not deployed (its Condition is false)" \
  cond-stream.yaml
sed 's/Condition: IsProd/Condition: IsLive/' cond.yaml > cond-none.yaml
bad "conditions: a Condition that names none" \
  "esmsim import: cond-none.yaml: \$.Resources.ProdMapping.Condition: no condition IsLive in Conditions" cond-none.yaml
sed 's/IsStaging: !Not \[!Condition IsProd\]/IsStaging: !Not [!Condition IsStaging]/' cond.yaml > cond-self.yaml
bad "conditions: a Condition that refers to itself" \
  "esmsim import: cond-self.yaml: \$.Conditions.IsStaging: conditions nested more than 200 deep (one refers to itself?)" cond-self.yaml

# ---- a stream or function named by the ARN a template builds (README, Importing: the stream
# it reads, the function it invokes): "arn:...:stream/${Events}" is the template's own stream, read
# from its resource; its ON_DEMAND mode and the function's Timeout were dropped as "not part of the
# mapping" (a provisioned stream of 1 shard, a 3 s timeout) ----
cat > arn-sub.yaml <<'EOF'
Transform: AWS::Serverless-2016-10-31
Resources:
  Events:
    Type: AWS::Kinesis::Stream
    Properties: {StreamModeDetails: {StreamMode: ON_DEMAND}, RetentionPeriodHours: 72}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 120
      Events:
        Ingest:
          Type: Kinesis
          Properties:
            Stream: !Sub "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/${Events}"
            StartingPosition: TRIM_HORIZON
            BatchSize: 50
EOF
"$esmsim" import arn-sub.yaml -o arn-sub.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j arn-sub.json stream)" '0:{"capacity_mode": "ON_DEMAND", "consumer": "shared", "name": "Events", "retention": "72h", "type": "kinesis"}' \
  "a SAM event's stream named by !Sub of its ARN: the template's stream"
expect_eq "$(grep -c 'not part of the mapping' err.txt)" 0 "a SAM event's stream named by !Sub of its ARN: not listed as another resource"
cat > arn-join.json <<'EOF'
{"Resources": {
  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "settle", "Timeout": 120, "MemorySize": 2048}},
  "T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "payments", "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}}},
  "M": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
    "EventSourceArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/payments/stream/2026-01-01T00:00:00.000",
    "FunctionName": {"Fn::Join": [":", ["arn:aws:lambda", {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}, "function", {"Ref": "Fn"}]]},
    "StartingPosition": "LATEST", "BatchSize": 20}}}}
EOF
"$esmsim" import arn-join.json -o arn-join-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j arn-join-s.json function)" '0:{"memory_mb": 2048, "name": "settle", "timeout": 120}' \
  "a mapping's function named by Fn::Join of its ARN: the template's function"
expect_eq "$(j arn-join-s.json stream)" '{"table": "payments", "type": "dynamodb", "view_type": "NEW_IMAGE"}' \
  "a mapping's table stream named by its ARN: the template's table"
expect_eq "$(grep -c 'not part of the mapping' err.txt)" 0 "ARNs of the template's function and table: not listed as other resources"

# ---- Parameters as CloudFormation takes them (README, Importing: parameters take --parameter or
# their Default): a --parameter the template does not declare, or a value outside AllowedValues or
# not a number for a Number, is refused as CloudFormation refuses it (they were taken silently: a
# typo kept the Default, Stage=production made the non-prod settings); a CommaDelimitedList is a
# list (Fn::Select of it was "no such index") ----
cat > params.yaml <<'EOF'
Parameters:
  Stage: {Type: String, Default: prod, AllowedValues: [dev, prod]}
  Retries: {Type: Number, Default: 3}
  Sizes: {Type: CommaDelimitedList, Default: "100,  250 "}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  S: {Type: AWS::Kinesis::Stream, Properties: {Name: s, ShardCount: 2}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt S.Arn
      FunctionName: f
      StartingPosition: LATEST
      BatchSize: !Select [1, !Ref Sizes]
      MaximumRetryAttempts: !Ref Retries
      ParallelizationFactor: !If [IsProd, 4, 1]
EOF
"$esmsim" import params.yaml --parameter Sizes=5,6 -o params.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j params.json event_source_mapping.BatchSize):$(j params.json event_source_mapping.ParallelizationFactor)" "0:6:4" \
  "a CommaDelimitedList parameter: Fn::Select of its Ref ($(cat err.txt))"
"$esmsim" import params.yaml -o params.json >/dev/null 2>&1; rc=$?
expect_eq "$rc:$(j params.json event_source_mapping.BatchSize)" "0:250" "a CommaDelimitedList's Default: its members, spaces trimmed"
bad "a --parameter the template does not declare" \
  "esmsim import: params.yaml: --parameter Retires=5: the template has no parameter Retires (its parameters: Stage, Retries, Sizes)" \
  params.yaml --parameter Retires=5
bad "a --parameter outside its AllowedValues" \
  "esmsim import: params.yaml: --parameter Stage=production: expected one of the parameter's AllowedValues (\$.Parameters.Stage.AllowedValues): dev, prod" \
  params.yaml --parameter Stage=production
bad "a --parameter of Type Number that is no number" \
  "esmsim import: params.yaml: --parameter Retries=three: expected a number (the parameter's Type is Number)" \
  params.yaml --parameter Retries=three
sed 's/Default: prod,/Default: live,/' params.yaml > params-default.yaml
bad "a Default outside its AllowedValues" \
  "esmsim import: params-default.yaml: \$.Parameters.Stage.Default: expected one of the parameter's AllowedValues (\$.Parameters.Stage.AllowedValues): dev, prod" \
  params-default.yaml
bad "a --parameter without a template" \
  "esmsim import: --parameter Stage=dev: no template among the inputs (parameters are a template's)" \
  "$ex/get-event-source-mapping.json" --parameter Stage=dev

# ---- a disabled mapping (docs/scenario.md, event_source_mapping: Enabled; AWS's State is one of
# Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting): the CLI prints its State, no
# Enabled; State Disabled imported an enabled mapping (only "not modelled: $.State"), and a
# template's Enabled false won over a mapping deployed enabled ----
sed 's/"State": "Enabled"/"State": "Disabled"/' "$ex/get-event-source-mapping.json" > disabled.json
"$esmsim" import disabled.json -o disabled-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j disabled-s.json event_source_mapping.Enabled)" "0:false" "State Disabled: the mapping is disabled"
expect_in "$(cat err.txt)" "esmsim import: note: event_source_mapping.Enabled: false (disabled.json \$.State): the mapping is disabled and never polls; --set event_source_mapping.Enabled=true replays it enabled" \
  "State Disabled: said"
expect_in "$(j disabled-s.json description)" "event_source_mapping.Enabled: disabled.json \$.State" "State Disabled: the origin"
sed 's/"State": "Enabled"/"State": "Updating"/' "$ex/get-event-source-mapping.json" > updating.json
"$esmsim" import updating.json -o updating-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j updating-s.json event_source_mapping.Enabled)" '0:"ABSENT"' "State Updating: neither"
expect_in "$(cat err.txt)" "not modelled: \$.UUID, \$.LastModified, \$.LastProcessingResult, \$.State," "State Updating: listed"
sed 's/BatchSize: !Ref BatchSize/BatchSize: !Ref BatchSize\n            Enabled: false/' "$ex/template.yaml" > disabled.yaml
"$esmsim" import disabled.yaml -o disabled-yaml.json >/dev/null 2> err.txt; rc=$?
expect_in "$rc:$(cat err.txt)" "esmsim import: note: event_source_mapping.Enabled: false (disabled.yaml \$.Resources.OrdersIndexer.Properties.Events.OrdersStream.Properties.Enabled): the mapping is disabled and never polls" \
  "a template's Enabled false: said"
"$esmsim" import disabled.yaml "$ex/get-event-source-mapping.json" -o enabled-s.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j enabled-s.json event_source_mapping.Enabled)" "0:true" "a template's Enabled false, deployed Enabled: enabled"
expect_in "$(sed "s|$ex/||g" err.txt)" "esmsim import: note: event_source_mapping.Enabled: true from get-event-source-mapping.json \$.State (what is deployed) rather than false from disabled.yaml" \
  "a template's Enabled false, deployed Enabled: said"

# ---- aws dynamodb describe-table, the table's stream as most users have it (it was "not a format
# esmsim import knows"); get-metric-statistics is refused by name, with what to run instead ----
cat > describe-table.json <<'EOF'
{"Table": {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "TableName": "carts",
  "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "TableStatus": "ACTIVE", "ItemCount": 0,
  "TableArn": "arn:aws:dynamodb:us-west-2:123456789012:table/carts",
  "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
  "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
  "LatestStreamLabel": "2025-01-01T00:00:00.000",
  "LatestStreamArn": "arn:aws:dynamodb:us-west-2:123456789012:table/carts/stream/2025-01-01T00:00:00.000"}}
EOF
"$esmsim" import describe-table.json -o dt.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j dt.json stream):$(j dt.json model)" \
  '0:{"table": "carts", "type": "dynamodb", "view_type": "NEW_IMAGE"}:{"account": "123456789012", "region": "us-west-2"}' \
  "dynamodb describe-table: the table's stream ($(cat err.txt))"
expect_in "$(j dt.json description)" "stream.view_type: describe-table.json \$.Table.StreamSpecification.StreamViewType" "dynamodb describe-table: the origin"
expect_in "$(cat err.txt)" "not modelled: \$.Table.AttributeDefinitions, \$.Table.KeySchema, \$.Table.TableStatus, \$.Table.ItemCount, \$.Table.TableArn, \$.Table.BillingModeSummary, \$.Table.LatestStreamLabel" \
  "dynamodb describe-table: the rest listed"
printf '{"Table": {"TableName": "carts", "StreamSpecification": {"StreamEnabled": false}}}' > no-stream.json
bad "dynamodb describe-table of a table without a stream" \
  "esmsim import: no-stream.json: \$.Table.StreamSpecification: the table has no stream (StreamEnabled is not true): no mapping can read it" no-stream.json
printf '{"Label": "IncomingRecords", "Datapoints": [{"Timestamp": "2026-11-17T00:00:00+00:00", "Sum": 1000.0, "Unit": "Count"}]}' > gms.json
bad "cloudwatch get-metric-statistics" \
  "esmsim import: gms.json: the output of aws cloudwatch get-metric-statistics (Label, Datapoints): esmsim import reads aws cloudwatch get-metric-data (MetricDataResults; examples/production/queries.json is a ready-made --metric-data-queries file)" gms.json

# ---- a mapping of an alias (README, Importing: the function it invokes): Ref of an
# AWS::Lambda::Alias is the alias's ARN, and SAM's "Function.Alias" (AutoPublishAlias) names one;
# the function was silently absent (its Timeout dropped as "not part of the mapping"), and
# "Worker.Alias" was "no such parameter or resource" ----
cat > alias.yaml <<'EOF'
Resources:
  S: {Type: AWS::Kinesis::Stream, Properties: {Name: s, ShardCount: 2}}
  F: {Type: AWS::Lambda::Function, Properties: {FunctionName: settle, Timeout: 30}}
  Live: {Type: AWS::Lambda::Alias, Properties: {FunctionName: !Ref F, FunctionVersion: "3", Name: live}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt S.Arn, FunctionName: !Ref Live, StartingPosition: LATEST}
EOF
"$esmsim" import alias.yaml --parameter AWS::AccountId=111122223333 -o alias.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j alias.json function):$(j alias.json event_source_mapping.FunctionArn)" \
  '0:{"name": "settle", "timeout": 30}:"arn:aws:lambda:us-east-1:111122223333:function:settle:live"' \
  "a mapping of an AWS::Lambda::Alias: its function, the alias's ARN ($(cat err.txt))"
expect_eq "$(grep -c 'not part of the mapping' err.txt)" 0 "a mapping of an AWS::Lambda::Alias: the function and the alias are part of it"
cat > sam-alias.yaml <<'EOF'
Transform: AWS::Serverless-2016-10-31
Resources:
  S: {Type: AWS::Kinesis::Stream, Properties: {Name: s, ShardCount: 2}}
  Worker: {Type: AWS::Serverless::Function, Properties: {FunctionName: worker, Timeout: 90, AutoPublishAlias: live}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt S.Arn, FunctionName: !Ref Worker.Alias, StartingPosition: LATEST}
EOF
"$esmsim" import sam-alias.yaml -o sam-alias.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j sam-alias.json function):$(j sam-alias.json event_source_mapping.FunctionArn)" \
  '0:{"name": "worker", "timeout": 90}:"arn:aws:lambda:us-east-1:123456789012:function:worker:live"' \
  "a mapping of SAM's Worker.Alias: the function, the alias's ARN ($(cat err.txt))"

# ---- a mapping of a global table's stream (AWS::DynamoDB::GlobalTable, StreamArn as a table's), or
# of a stream the template cannot tell (another stack's output): the mapping is the template's (it
# was dropped: "no event source mapping of a stream in the template", its BatchSize lost, and a
# Kinesis stream of esmsim's defaults imported, exit 0) ----
cat > global-table.yaml <<'EOF'
Resources:
  GT:
    Type: AWS::DynamoDB::GlobalTable
    Properties: {TableName: orders, StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}, Replicas: [{Region: us-east-1}]}
  F: {Type: AWS::Lambda::Function, Properties: {FunctionName: f, Timeout: 20}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt GT.StreamArn, FunctionName: !Ref F, StartingPosition: LATEST, BatchSize: 7}
EOF
"$esmsim" import global-table.yaml -o gt.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j gt.json stream):$(j gt.json event_source_mapping.BatchSize)" \
  '0:{"table": "orders", "type": "dynamodb", "view_type": "NEW_AND_OLD_IMAGES"}:7' "a global table's stream ($(cat err.txt))"
expect_in "$(cat err.txt)" "not modelled: \$.Resources.GT.Properties.Replicas" "a global table's stream: its other properties listed"
cat > other-stack.yaml <<'EOF'
Resources:
  Shared: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: https://example.com/t.yaml}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Shared.Outputs.StreamArn, FunctionName: f, StartingPosition: LATEST, BatchSize: 7}
EOF
"$esmsim" import other-stack.yaml -o other.json >/dev/null 2> err.txt; rc=$?
expect_eq "$rc:$(j other.json event_source_mapping.BatchSize):$(j other.json function.name)" '0:7:"f"' \
  "a mapping of another stack's stream: the mapping ($(cat err.txt))"
expect_in "$(cat err.txt)" "esmsim import: not mapped: other-stack.yaml: the stream cannot be told from the template: \$.Resources.M.Properties.EventSourceArn" \
  "a mapping of another stack's stream: the stream is said"

printf '{"EventSourceMappings": [{"UUID": "q", "EventSourceArn": "arn:aws:sqs:eu-west-1:111122223333:jobs"}]}' > queues.json
bad "a list without a stream's mapping (was \"0 mappings of a stream: name one with --mapping UUID\")" \
  "esmsim import: queues.json: \$.EventSourceMappings: no mapping of a stream among its 1 (esmsim simulates stream mappings)" queues.json
bad "--mapping that matches none" "esmsim import: cfn-dynamodb.json: no mapping matches --mapping" \
  "$data/cfn-dynamodb.json" --mapping Nothing
cp "$ex/get-function-concurrency.json" same.json
msg=$("$esmsim" import same.json -o same.json 2>&1); rc=$?
expect_eq "$rc" 2 "the output is an input: exit status"
expect_in "$msg" "-o same.json: is the input same.json" "the output is an input: message"
expect_eq "$(cat same.json)" "$(cat "$ex/get-function-concurrency.json")" "the output is an input: the input is untouched"
msg=$("$esmsim" import "$ex/template.yaml" 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim import: missing -o SCENARIO.json (- for standard output)" "no -o"
msg=$("$esmsim" import -o x.json 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim import: no input file (esmsim import FILE... -o SCENARIO.json)" "no input"
msg=$("$esmsim" import "$ex/template.yaml" --parameter =3 -o x.json 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim import: --parameter: expected NAME=VALUE, got \"=3\"" "a bad --parameter"
msg=$("$esmsim" import "$work/none.json" -o x.json 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim import: $work/none.json: cannot read: No such file or directory" "a missing file"
# What the inputs say is shown, never sent to the terminal: control characters as \xNN.
printf 'Resources:\n  "A\\e[31mB": {Type: "X\\e[0m"}\n' > ctl.yaml
msg=$("$esmsim" import ctl.yaml -o ctl.json 2>&1)
expect_in "$msg" 'esmsim import: not mapped: ctl.yaml: not part of the mapping (X\x1b[0m): $.Resources["A\x1b[31mB"]' \
  "control characters of an input are escaped on stderr"
out=$("$esmsim" import --help); rc=$?
expect_eq "$rc" 0 "import --help: exit status"
expect_in "$out" "usage: esmsim import FILE... -o SCENARIO.json" "import --help: usage"
finish
