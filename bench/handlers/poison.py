"""The function of scenarios/poison-pill-bounded.json as a real handler
(bench/handler.sh): it throws at the first record whose data holds "poison",
as the model's `throw` style does; every other record is decoded."""
import base64


def handler(event, context):
    for record in event["Records"]:
        if b"poison" in base64.b64decode(record["kinesis"]["data"]):
            raise ValueError("poison record " + record["kinesis"]["sequenceNumber"])
    return None
