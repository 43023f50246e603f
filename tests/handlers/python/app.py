"""Handlers for tests/test_handler.c (issue 12 items 2 and 5): each does one
thing a real handler does, right or wrong, on a Kinesis event."""
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request

print("init: app imported")   # before START: a cold start's init output
calls = 0                      # lives as long as the process: warm or cold


def partial(event, context):
    """AWS's partial batch response: the records whose data holds "poison"."""
    global calls
    calls += 1
    failures = []
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        if "poison" in data:
            print("failed", record["kinesis"]["sequenceNumber"], file=sys.stderr)
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        else:
            print("handled", record["kinesis"]["sequenceNumber"])
    return {"batchItemFailures": failures}


def counter(event, context):
    """How many invocations this process has served."""
    global calls
    calls += 1
    return {"calls": calls, "pid": os.getpid()}


def throws(event, context):
    print("about to throw")
    raise ValueError("bad record " + event["Records"][0]["kinesis"]["sequenceNumber"])


def crash(event, context):
    print("crashing", flush=True)
    os._exit(3)


def hang(event, context):
    print("hanging")
    time.sleep(3600)


def big(event, context):
    return "x" * (6 * 1024 * 1024 + 200)


def context_info(event, context):
    names = ["_HANDLER", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
             "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "TZ",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
             "ESMSIM_TEST_VAR", "_X_AMZN_TRACE_ID", "AWS_LAMBDA_INITIALIZATION_TYPE"]
    remaining = context.get_remaining_time_in_millis()
    return {
        "env": {n: os.environ.get(n) for n in names},
        "cwd": os.getcwd(),
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "remaining_ok": 0 < remaining <= 3000,
    }


def probe(event, context):
    """Raw requests to this environment's own Runtime API while its
    invocation runs: the status each gets."""
    base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]

    def status(method, path, body=None):
        req = urllib.request.Request(base + path, data=body, method=method)
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code

    return {
        "unknown_path": status("GET", "/2018-06-01/runtime/nothing"),
        "unknown_id": status("POST", "/2018-06-01/runtime/invocation/no-such-id/response", b"{}"),
        "get_response": status("GET", "/2018-06-01/runtime/invocation/%s/response" % context.aws_request_id),
        "init_error_late": status("POST", "/2018-06-01/runtime/init/error", b"{}"),
    }


def twice(event, context):
    """Answers for itself, then the runtime answers again (403)."""
    base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
    req = urllib.request.Request(
        base + "/2018-06-01/runtime/invocation/%s/response" % context.aws_request_id,
        data=b'{"first":true}', method="POST")
    with urllib.request.urlopen(req) as resp:
        print("first answer:", resp.status)
    return {"second": True}


def barrier(event, context):
    """Arrives, then waits until three invocations have: only environments
    running in parallel get past it."""
    folder = os.environ["ESMSIM_BARRIER_DIR"]
    open(os.path.join(folder, context.aws_request_id), "w").close()
    while len(os.listdir(folder)) < 3:
        time.sleep(0.01)
    return {"arrived": len(os.listdir(folder))}


def arrive_and_hang(event, context):
    """Says it runs (a file in $ESMSIM_BARRIER_DIR), then never answers."""
    open(os.path.join(os.environ["ESMSIM_BARRIER_DIR"], context.aws_request_id), "w").close()
    time.sleep(3600)


def detach_arrive_and_hang(event, context):
    """Starts a process in a session of its own that would live 5 minutes,
    then does as arrive_and_hang."""
    import subprocess
    subprocess.Popen(["sleep", "300"], start_new_session=True)
    arrive_and_hang(event, context)


def detach(event, context):
    """Starts a process that leaves its process group (a session of its own,
    as Node's detached spawn does) and outlives the handler by far, and one
    whose parent ends at once (an orphan) and that ends a moment later."""
    import subprocess
    subprocess.Popen(["sleep", "300"], start_new_session=True)
    subprocess.Popen(["sh", "-c", "sleep 0.2 &"])
    return {"detached": True}
