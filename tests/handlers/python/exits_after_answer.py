"""A runtime (the Runtime API spoken directly) that ends its process right
after each answer, before it asks for the next event: it has answered, so
its invocation succeeded; the next one starts a new process."""
import http.client
import os
import sys

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = http.client.HTTPConnection(host, int(port))
print("starting", flush=True)
api.request("GET", "/2018-06-01/runtime/invocation/next")
got = api.getresponse()
got.read()
rid = got.getheader("Lambda-Runtime-Aws-Request-Id")
api.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, body=b"{}")
api.getresponse().read()
print("leaving", flush=True)
sys.exit(0)
