"""A runtime (the Runtime API spoken directly) that opens a new connection
for each request and never closes the old ones: two more each invocation.
AWS serves it; esmsim serves 64 connections per environment at most, so its
33rd invocation cannot fetch its event."""
import http.client
import os

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
held = []


def request(method, path, body=None):
    api = http.client.HTTPConnection(host, int(port))
    held.append(api)
    api.request(method, "/2018-06-01/runtime/" + path, body=body)
    got = api.getresponse()
    got.read()
    return got


while True:
    rid = request("GET", "invocation/next").getheader("Lambda-Runtime-Aws-Request-Id")
    request("POST", "invocation/%s/response" % rid, b"{}")
