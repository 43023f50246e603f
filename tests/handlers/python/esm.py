"""Handlers for tests/test_realfn.c and tests/handler.sh (issue 12 items 3-6):
each drives the simulated event source mapping as a real handler does.  A
record "fails" when its data holds "poison"; what the handler then does is
the function's name, and for `report` the R7 case in $R7_CASE.  Every
handler prints one line per record it sees, so the run log's `logs` table
has something to show (and nothing that depends on wall time)."""
import base64
import json
import os
import sys
import time
import urllib.request


def records(event):
    """(sequence number, partition key, data) of each record: Kinesis or DynamoDB."""
    out = []
    for r in event["Records"]:
        if "kinesis" in r:
            k = r["kinesis"]
            out.append((k["sequenceNumber"], k["partitionKey"],
                        base64.b64decode(k["data"]).decode("utf-8", "replace")))
        else:
            d = r["dynamodb"]
            image = d.get("NewImage") or d.get("OldImage") or {}
            data = json.dumps(image)
            out.append((d["SequenceNumber"], list(d["Keys"].values())[0]["S"], data))
    return out


def poisoned(event):
    """The sequence numbers of the poison records, in order; prints each record."""
    bad = []
    for seq, key, data in records(event):
        if "poison" in data:
            bad.append(seq)
            print("poison", seq)
        else:
            print("record", seq, key)
    return bad


def post_raw(context, body):
    """Answer for ourselves, as a runtime would (the bootstrap's own answer
    that follows is refused with 403: the first answer counts)."""
    url = "http://%s/2018-06-01/runtime/invocation/%s/response" % (
        os.environ["AWS_LAMBDA_RUNTIME_API"], context.aws_request_id)
    req = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(req) as resp:
        resp.read()


# What `report` returns for a batch with poison records (first: the lowest).
CASES = {
    "first-failure": lambda bad: {"batchItemFailures": [{"itemIdentifier": bad[0]}]},
    "all-failures": lambda bad: {"batchItemFailures": [{"itemIdentifier": s} for s in bad]},
    "all-failures-reversed": lambda bad: {"batchItemFailures": [{"itemIdentifier": s} for s in reversed(bad)] * 2},
    "number": lambda bad: {"batchItemFailures": [{"itemIdentifier": int(bad[0])}]},
    "empty-list": lambda bad: {"batchItemFailures": []},
    "null-list": lambda bad: {"batchItemFailures": None},
    "empty-object": lambda bad: {},
    "null": lambda bad: None,
    "empty-identifier": lambda bad: {"batchItemFailures": [{"itemIdentifier": ""}]},
    "null-identifier": lambda bad: {"batchItemFailures": [{"itemIdentifier": None}]},
    "wrong-key": lambda bad: {"batchItemFailures": [{"ItemIdentifier": bad[0]}]},
    "wrong-list-key": lambda bad: {"BatchItemFailures": [{"itemIdentifier": s} for s in bad]},
    "unknown-sequence": lambda bad: {"batchItemFailures": [{"itemIdentifier": "999999"}]},
    "not-a-number": lambda bad: {"batchItemFailures": [{"itemIdentifier": "seq-" + bad[0]}]},
    "leading-zero": lambda bad: {"batchItemFailures": [{"itemIdentifier": "0" + bad[0]}]},
    "boolean": lambda bad: {"batchItemFailures": [{"itemIdentifier": True}]},
    "list-not-a-list": lambda bad: {"batchItemFailures": {"itemIdentifier": bad[0]}},
    "string": lambda bad: "failed " + bad[0],
    "empty-array": lambda bad: [],
    "empty-string": lambda bad: "",
    "array": lambda bad: [{"itemIdentifier": bad[0]}],
}


def report(event, context):
    """A partial batch response shaped as $R7_CASE says when a record fails;
    "not-json" and "empty-body" post the raw bytes themselves."""
    bad = poisoned(event)
    if not bad:
        return {"batchItemFailures": []}
    case = os.environ["R7_CASE"]
    if case == "not-json":
        post_raw(context, b"{batchItemFailures: oops")
        return None
    if case == "empty-body":
        post_raw(context, b"")
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return CASES[case](bad)


def throws(event, context):
    """Throws when the batch holds a poison record (the model's `throw`)."""
    bad = poisoned(event)
    if bad:
        raise ValueError("poison record " + bad[0])
    return None


def crash(event, context):
    """Exits when the batch holds a poison record: Runtime.ExitError."""
    if poisoned(event):
        sys.stdout.flush()
        os._exit(3)
    return {"batchItemFailures": []}


def hang(event, context):
    """Never answers when the batch holds a poison record: Sandbox.Timedout."""
    if poisoned(event):
        sys.stdout.flush()
        time.sleep(3600)
    return {"batchItemFailures": []}


def big(event, context):
    """Answers over 6 MB when the batch holds a poison record."""
    if poisoned(event):
        return {"batchItemFailures": [], "padding": "x" * (6 * 1024 * 1024 + 200)}
    return {"batchItemFailures": []}


def counts(event, context):
    """AWS's tumbling-window sample: the handled records counted per partition
    key in the window's state (the model's own state, R15); prints the state it
    was given.  $STATE_MODE "none" returns no state, "grow" pads it."""
    state = dict(event.get("state") or {})
    flags = [name for name, key in (("final", "isFinalInvokeForWindow"),
                                    ("early", "isWindowTerminatedEarly")) if event.get(key)]
    print("state", json.dumps(state, separators=(",", ":")), *flags)
    for seq, key, data in records(event):
        state[key] = state.get(key, 0) + 1
    mode = os.environ.get("STATE_MODE", "")
    if mode == "none":
        return {"batchItemFailures": []}
    if mode == "grow" and event["Records"]:
        state["pad" + event["Records"][0]["kinesis"]["sequenceNumber"]] = "x" * 300000
    return {"state": state, "batchItemFailures": []}
