"""A runtime (the Runtime API spoken directly) that reports errors as the
runtime clients do, each its own way: the body is $ESMSIM_ERROR_BODY, the
Lambda-Runtime-Function-Error-Type header $ESMSIM_ERROR_TYPE (none when
unset).  AWS's own example posts "Unhandled" in the header and the type in
the body (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, "Invocation
error"), as the Rust runtime does ("unhandled"); aws-lambda-ric 3 and older
awslambdaric (its /init/error) post no header.  With "init" as its argument
it fails its init (/init/error) and ends; with "mode" each invocation posts
its /response with the Lambda-Runtime-Function-Response-Mode header
$ESMSIM_RESPONSE_MODE; otherwise each invocation fails (/error)."""
import http.client
import os
import sys

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = http.client.HTTPConnection(host, int(port))
headers = {}
if "ESMSIM_ERROR_TYPE" in os.environ:
    headers["Lambda-Runtime-Function-Error-Type"] = os.environ["ESMSIM_ERROR_TYPE"]
body = os.environ["ESMSIM_ERROR_BODY"].encode()


def post(path):
    api.request("POST", "/2018-06-01/runtime/" + path, body=body, headers=headers)
    answered = api.getresponse()
    answered.read()   # read whole, or the connection's next request raises
    print("%s: %d" % (path, answered.status), flush=True)


answer = "error"
if sys.argv[1:] == ["mode"]:
    headers["Lambda-Runtime-Function-Response-Mode"] = os.environ["ESMSIM_RESPONSE_MODE"]
    answer = "response"
if sys.argv[1:] == ["init"]:
    post("init/error")
    sys.exit(1)
while True:
    api.request("GET", "/2018-06-01/runtime/invocation/next")
    got = api.getresponse()
    got.read()
    post("invocation/%s/%s" % (got.getheader("Lambda-Runtime-Aws-Request-Id"), answer))
