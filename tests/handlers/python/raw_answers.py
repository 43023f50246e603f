"""A runtime (the Runtime API spoken directly, its answers as raw HTTP) whose
answers a client library would not send.  "cut": each /response's head says
100 bytes, 10 come, then the runtime half-closes its connection and reads
what it is told; "trailers": each /response streams (Lambda-Runtime-Function-
Response-Mode: streaming, chunked) and reports an error after its start in
the trailers Lambda-Runtime-Function-Error-Type and -Body (base64), as the
Node.js runtime client does (its ResponseStream.js).  It goes on to its next
event either way."""
import base64
import http.client
import json
import os
import socket
import sys

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = http.client.HTTPConnection(host, int(port))
error = json.dumps({"errorType": "StreamError", "errorMessage": "stream broke"})


def answer(rid):
    path = "/2018-06-01/runtime/invocation/%s/response" % rid
    head = "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % (path, host)
    if sys.argv[1] == "cut":
        raw = head + "Content-Length: 100\r\n\r\n0123456789"
    else:
        raw = (head + "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
               "Transfer-Encoding: chunked\r\n"
               "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
               "\r\n7\r\n{\"a\":1}\r\n0\r\n"
               "Lambda-Runtime-Function-Error-Type: Function.StreamError\r\n"
               "Lambda-Runtime-Function-Error-Body: %s\r\n\r\n"
               % base64.b64encode(error.encode()).decode())
    with socket.create_connection((host, int(port))) as s:
        s.sendall(raw.encode())
        if sys.argv[1] == "cut":
            s.shutdown(socket.SHUT_WR)
        told = b""
        while True:
            got = s.recv(4096)
            if not got:
                break
            told += got
    print("%s: %r" % (sys.argv[1], told.split(b"\r\n")[0].decode()), flush=True)


while True:
    api.request("GET", "/2018-06-01/runtime/invocation/next")
    got = api.getresponse()
    got.read()
    answer(got.getheader("Lambda-Runtime-Aws-Request-Id"))
