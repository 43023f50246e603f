"""An order consumer whose partial batch response uses the wrong key:
"BatchItemFailures" (as a PascalCase serializer, or the Go DynamoDB sample
of the seeds, writes it) instead of "batchItemFailures".  Lambda finds no
list, takes the batch as a full success and checkpoints past the failed
orders: they are lost (R7, R17)."""
import base64
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        sequence_number = record["kinesis"]["sequenceNumber"]
        data = base64.b64decode(record["kinesis"]["data"])
        order = json.loads(data) if data.startswith(b"{") else {}   # filler records: no fields
        if order.get("status") == "poison":
            print("failed", sequence_number, "order", order.get("id"))
            failures.append({"itemIdentifier": sequence_number})
        else:
            print("processed", sequence_number, record["kinesis"]["partitionKey"])
    return {"BatchItemFailures": failures}
