"""An order consumer ported from an SQS handler: it reports a failed record
by its "messageId", which a Kinesis record does not have, so every
itemIdentifier it returns is "".  Lambda takes that as a full failure: the
whole batch is retried (the orders before the poison one are processed
again each time), then sent to the OnFailure queue whole (R7)."""
import base64
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"])
        order = json.loads(data) if data.startswith(b"{") else {}   # filler records: no fields
        if order.get("status") == "poison":
            print("failed order", order.get("id"))
            failures.append({"itemIdentifier": record.get("messageId", "")})
            break
        print("processed", record["kinesis"]["sequenceNumber"], record["kinesis"]["partitionKey"])
    return {"batchItemFailures": failures}
