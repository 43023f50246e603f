"""An order consumer that waits for the payment of each order with no
deadline of its own (it never looks at context.get_remaining_time_in_millis).
The poison order's payment never comes: the invocation runs into the
function's timeout, and Lambda retries the batch, again and again: with the
default MaximumRetryAttempts (-1) the shard is stuck until the record
expires, and everything behind it waits."""
import base64
import json
import time


def payment_confirmed(order):
    return order.get("status") != "poison"   # the poison order's never is


def handler(event, context):
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"])
        order = json.loads(data) if data.startswith(b"{") else {}   # filler records: no fields
        while not payment_confirmed(order):
            time.sleep(0.05)
        print("processed", record["kinesis"]["sequenceNumber"], record["kinesis"]["partitionKey"])
    return {"batchItemFailures": []}
