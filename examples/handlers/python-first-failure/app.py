"""An order consumer with a partial batch response, the pattern of AWS's
samples: handle the records in order, and at the first one that fails
return its sequence number; Lambda retries from there (R7)."""
import base64
import json

print("orders-consumer: loading")   # a new process's init, before its first START


def process(order):
    if order.get("status") == "poison":
        raise ValueError("order %s cannot be processed" % order.get("id"))


def handler(event, context):
    for record in event["Records"]:
        sequence_number = record["kinesis"]["sequenceNumber"]
        data = base64.b64decode(record["kinesis"]["data"])
        try:
            # generated records carry filler bytes: an order without fields
            order = json.loads(data) if data.startswith(b"{") else {}
            process(order)
            print("processed", sequence_number, record["kinesis"]["partitionKey"])
        except Exception as e:
            print("failed", sequence_number, e)
            return {"batchItemFailures": [{"itemIdentifier": sequence_number}]}
    return {"batchItemFailures": []}
