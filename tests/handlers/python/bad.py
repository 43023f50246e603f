"""Handlers that misbehave on the Runtime API or on their output, for
tests/handler_bad.sh (issue 12 item 6, bad inputs): each through the
Python bootstrap, on a batch whose records hold "poison" or not (esm.py)."""
import os
import sys
import time
import urllib.error
import urllib.request

from esm import poisoned


def post(path, body):
    """A raw POST to this environment's Runtime API: its HTTP status."""
    url = "http://%s/2018-06-01/runtime/%s" % (os.environ["AWS_LAMBDA_RUNTIME_API"], path)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST")) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def garbage(event, context):
    """Prints bytes that are no text: NUL, escape sequences, bytes that are
    not UTF-8, a carriage return, a 100 kB line, and a last line without its
    newline, on stdout and stderr; then answers success."""
    poisoned(event)
    out = sys.stdout.buffer
    out.write(b"nul\x00byte\n")
    out.write(b"\x1b[31mred\x1b[0m \x07bell\n")
    out.write(b"latin-1 \xe9t\xe9, cut \xc3, bad \xff\xfe\n")
    out.write(b"carriage\rreturn\n")
    out.write(b"long " + b"y" * 100000 + b"\n")
    out.flush()
    sys.stderr.buffer.write(b"stderr \x01\x02\x03 no newline")
    sys.stderr.buffer.flush()
    return {"batchItemFailures": []}


def unknown_id(event, context):
    """Answers for a request id that is not its invocation's (400), then
    answers its own."""
    bad = poisoned(event)
    print("unknown id:", post("invocation/no-such-request-id/response", b"{}"))
    return {"batchItemFailures": [{"itemIdentifier": s} for s in bad]}


def twice(event, context):
    """Answers for itself (the partial batch response of its poison
    records), then the bootstrap answers again with a success (403): the
    first answer counts."""
    bad = poisoned(event)
    body = ('{"batchItemFailures":[%s]}' % ",".join('{"itemIdentifier":"%s"}' % s for s in bad))
    print("first answer:", post("invocation/%s/response" % context.aws_request_id, body.encode()))
    return {"batchItemFailures": []}


def silenced(event, context):
    """On a poison batch, sends its stdout and stderr to /dev/null (as a
    wrapper's `exec >/dev/null 2>&1` does: the pipe esmsim reads reaches end
    of file while the process lives on), then works 3 s; answers its
    partial batch response."""
    bad = poisoned(event)
    if bad:
        print("going quiet", flush=True)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
        time.sleep(3)
    return {"batchItemFailures": [{"itemIdentifier": s} for s in bad]}


def detaches(event, context):
    """On a poison batch, starts a process in a session of its own (Node's
    detached spawn, Python's start_new_session) that would live 5 minutes,
    its command line marked as the handler's (the bootstrap's last
    argument); answers its partial batch response at once."""
    bad = poisoned(event)
    if bad:
        import subprocess
        subprocess.Popen(["sh", "-c", "sleep 300", sys.argv[-1]], start_new_session=True)
    return {"batchItemFailures": [{"itemIdentifier": s} for s in bad]}


def open_files(event, context):
    """Prints the limit of open files it was given (RLIMIT_NOFILE's soft
    limit); answers success."""
    import resource
    print("open files:", resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    return {}


def detaches_and_hangs(event, context):
    """Starts a process in a session of its own that would live 5 minutes,
    which writes its pid to $DETACHED_PID, its command line marked as the
    handler's; then never answers (the run is under way when esmsim is
    killed)."""
    import subprocess
    subprocess.Popen(["sh", "-c", 'echo $$ > "$DETACHED_PID.tmp" && mv "$DETACHED_PID.tmp" '
                      '"$DETACHED_PID" && exec sleep 300', sys.argv[-1]], start_new_session=True)
    time.sleep(3600)
