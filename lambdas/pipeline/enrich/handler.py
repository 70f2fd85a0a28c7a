"""Stage 2, enrich: the enrich queue -> the aggregate queue and the archive queue (fan-out).

Adds what every later stage keys on, derived only from the event itself so that a redelivered
event is enriched to identical bytes: the UTC timestamp normalised (microseconds, 'Z'), its
`minute` (YYYY-MM-DDTHH:MM) and `digest` (SHA-256 of the canonical event, to tell a duplicate
from a reused eventId). A message that is not a validated event (someone wrote to the queue by
hand, a version skew) goes to DLQ_URL with its reason and is deleted. A message is reported in
batchItemFailures only if one of its two sends failed; SQS redelivers it after the visibility
timeout and both sends are repeated, which the aggregate and archive stages absorb.
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

STAGE = "enrich"


def handler(event: dict, context: Any) -> dict:
    targets = (core.env("AGGREGATE_QUEUE_URL"), core.env("ARCHIVE_QUEUE_URL"))
    return core.sqs_stage(
        STAGE, event, context, lambda good, summary: _process(good, summary, targets), ("event",)
    )


def _process(good: list[tuple[str, dict, dict]], summary: core.Summary, targets: tuple[str, str]) -> set[str]:
    outgoing: list[tuple[str, str]] = []
    for message_id, doc, origin in good:
        try:
            enriched = core.enrich(core.check_forwarded(doc["event"]))
        except core.PoisonError as exc:
            if not summary.dead_letter(str(exc), core.dumps(doc), origin):
                outgoing.append((message_id, ""))  # only to be reported below
            continue
        outgoing.append((message_id, core.dumps(enriched)))
    retry = {mid for mid, body in outgoing if not body}
    sendable = [(mid, body) for mid, body in outgoing if body]
    for queue_url in targets:
        retry |= core.send_batch(queue_url, sendable)
    summary.out = sum(1 for mid, _ in sendable if mid not in retry)
    return retry
