"""Stage 4, archive: the archive queue -> one S3 object per valid event, written once.

The key is a function of the event alone:
    <ARCHIVE_PREFIX>events/<source>/<type>/<YYYY-MM-DD>/<HHMM>/<sha256(eventId)>.json
(the hash keeps any eventId key-safe; source and type are already a key-safe charset), and the
body is the enriched event's canonical JSON, so a redelivery computes the same key and bytes.
The PUT is conditional (`If-None-Match: *`): the first delivery creates the object; a later one
gets 412 PreconditionFailed, then HeadObject compares the stored `digest` metadata: equal means
a duplicate (done), different means the eventId was reused with other content (DLQ, reason).

Why conditional rather than an idempotent overwrite of identical bytes: an overwrite would also
be harmless for true duplicates, but on a reused eventId the *last* writer would win while the
aggregate stage keeps the *first*, and every overwrite makes a new version (versioned buckets)
and fires object-created notifications again. "Written once" is then literally true.
A 409 ConditionalRequestConflict (two writers racing on one key) or any other error hands the
message back to SQS.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import botocore

try:
    import pipeline_core as core  # at the zip root in Lambda
except ModuleNotFoundError:  # run from the repository (tests, tools/pipeline_local.py, bench)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pipeline_core as core

STAGE = "archive"


def handler(event: dict, context: Any) -> dict:
    bucket = core.env("ARCHIVE_BUCKET")
    prefix = os.environ.get("ARCHIVE_PREFIX", "")
    return core.sqs_stage(
        STAGE,
        event,
        context,
        lambda good, summary: _process(good, summary, bucket, prefix),
        core.ENRICHED_FIELDS,
    )


def object_key(event: dict, prefix: str = "") -> str:
    minute = event["minute"]
    name = hashlib.sha256(event["eventId"].encode("utf-8")).hexdigest()
    day, hhmm = minute[:10], minute[11:13] + minute[14:16]
    return f"{prefix}events/{event['source']}/{event['type']}/{day}/{hhmm}/{name}.json"


def archive_body(event: dict) -> bytes:
    """The enriched event's canonical JSON with `value` a JSON number again (between the stages it
    travels as decimal text). `value` sorts after every other key, so it is appended to the
    canonical JSON of the rest: the same bytes as core.dumps with a Decimal, at C-encoder speed."""
    rest = {k: v for k, v in event.items() if k != "value"}
    assert all(k < "value" for k in rest)
    return (core.dumps(rest)[:-1] + ',"value":' + event["value"] + "}\n").encode("ascii")


def _require_conditional_put(s3: Any) -> None:
    # A botocore older than S3 conditional writes (August 2024) would reject IfNoneMatch on every
    # PUT; one clear error names the cause instead (every message then goes back to SQS).
    members = s3.meta.service_model.operation_model("PutObject").input_shape.members
    if "IfNoneMatch" not in members:
        raise core.ConfigError(
            f"botocore {botocore.__version__} has no PutObject IfNoneMatch (S3 conditional writes): "
            "use a runtime with a newer boto3 or bundle one"
        )


def _process(good: list[tuple[str, dict, dict]], summary: core.Summary, bucket: str, prefix: str) -> set[str]:
    retry: set[str] = set()
    s3 = core.client("s3")
    _require_conditional_put(s3)
    for message_id, doc, origin in good:
        try:
            event = core.check_enriched(doc)
        except core.PoisonError as exc:
            if not summary.dead_letter(str(exc), core.dumps(doc), origin):
                retry.add(message_id)
            continue
        key = object_key(event, prefix)
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=archive_body(event),
                ContentType="application/json",
                Metadata={"digest": event["digest"]},
                IfNoneMatch="*",
            )
            summary.out += 1
            continue
        except core.AWS_ERRORS as exc:
            code = (getattr(exc, "response", {}) or {}).get("Error", {}).get("Code")
            if code not in ("PreconditionFailed", "412"):
                core.log(logging.ERROR, "PutObject failed", exc_info=True, stage=STAGE, key=key, code=code)
                retry.add(message_id)
                continue
        try:
            stored = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("digest")
        except core.AWS_ERRORS:
            core.log(logging.ERROR, "HeadObject failed", exc_info=True, stage=STAGE, key=key)
            retry.add(message_id)
            continue
        if stored == event["digest"]:
            summary.duplicates += 1
            continue
        reason = f"eventId {event['eventId']!r} already archived with different content ({key})"
        if not summary.dead_letter(reason, core.dumps(doc), origin):
            retry.add(message_id)
    return retry
