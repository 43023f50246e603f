"""The work AWS's sample leaves to its user ("# Process your record"): an
order is the record's data as JSON, and a poison order cannot be processed.
Generated records carry filler bytes: an order without fields."""
import base64
import json


def process(record):
    sequence_number = record["kinesis"]["sequenceNumber"]
    data = base64.b64decode(record["kinesis"]["data"])
    order = json.loads(data) if data.startswith(b"{") else {}
    if order.get("status") == "poison":
        print("failed", sequence_number, "order", order.get("id"))
        raise ValueError("order %s cannot be processed" % order.get("id"))
    print("processed", sequence_number, record["kinesis"]["partitionKey"])
