"""Stage 1, validate: Kinesis (enhanced fan-out event source mapping) -> the enrich queue.

Each record's data is decoded (base64 -> UTF-8 -> JSON, numbers as Decimal) and checked against
the event schema. Valid events go to ENRICH_QUEUE_URL, one SQS message each; poison records
(bad base64, not UTF-8, not JSON, non-finite numbers, wrong schema, oversize) go to DLQ_URL with
their reason and are *not* reported, so they never block the shard. Only an AWS failure (the SQS
send, or the DLQ send) reports the record in batchItemFailures (itemIdentifier = sequence
number); Lambda then resumes the shard from the lowest one reported, which redelivers later
records too: the stages after this one make that harmless (see README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

try:
    import pipeline_core as core  # at the zip root in Lambda
except ModuleNotFoundError:  # run from the repository (tests, tools/pipeline_local.py, bench)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pipeline_core as core

STAGE = "validate"


def handler(event: dict, context: Any) -> dict:
    core.request_id.set(getattr(context, "aws_request_id", None))
    queue_url = core.env("ENRICH_QUEUE_URL")
    max_bytes = core.env_int("MAX_EVENT_BYTES", core.DEFAULT_MAX_EVENT_BYTES, minimum=1)
    summary = core.Summary(STAGE)
    records = event.get("Records") or []
    summary.records_in = len(records)
    failed: list[str] = []
    outgoing: list[tuple[str, str]] = []
    for record in records:
        kinesis = record["kinesis"]
        sequence = kinesis["sequenceNumber"]
        origin = {
            "shardId": record.get("eventID", "").partition(":")[0],
            "sequenceNumber": sequence,
            "partitionKey": kinesis.get("partitionKey"),
        }
        try:
            checked = core.decode_record(kinesis.get("data"), max_bytes)
        except core.PoisonError as exc:
            if not summary.dead_letter(str(exc), str(kinesis.get("data")), origin):
                failed.append(sequence)
            continue
        # core.dumps, not json.dumps: numbers in attributes are Decimals and keep their exact text.
        outgoing.append((sequence, core.dumps({"event": checked, "origin": origin})))
    not_sent = core.send_batch(queue_url, outgoing)
    failed.extend(seq for seq, _ in outgoing if seq in not_sent)
    summary.out = len(outgoing) - len(not_sent)
    summary.failed = len(failed)
    summary.emit()
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}
