"""Stage 3, aggregate: the aggregate queue -> count and sum per (source, type, minute) in DynamoDB.

Exactly once on an at-least-once queue: events are grouped by aggregate, and each group is one
TransactWriteItems of
  - per event, a conditional Put of the marker `pk=EVENT#<eventId>, sk=EVENT`
    (`attribute_not_exists(pk)`, with the content digest and a TTL), and
  - one Update of the aggregate `pk=AGG#<source>#<type>, sk=<minute>`: ADD count, sum.
Either every marker is new and the sums move together with them, or DynamoDB cancels the whole
transaction and names the markers that exist (CancellationReasons, with the old item thanks to
ReturnValuesOnConditionCheckFailure=ALL_OLD): those events were counted by an earlier delivery,
are dropped (or sent to the DLQ when the same eventId came back with other content), and the
transaction is retried with the rest. Two concurrent deliveries of a batch therefore cannot both
count an event: DynamoDB serialises transactions on the same items (a loser gets
TransactionConflict and retries, then sees the markers).

After each group, a strongly consistent GetItem reads the aggregate; for each configured threshold
(COUNT_THRESHOLD, SUM_THRESHOLD) the aggregate has reached and whose alert is not yet `sent`, a
message goes to ALERT_QUEUE_URL. The check also runs when every event was a duplicate, so an
alert lost between the commit and the send is recovered by the redelivery.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

try:
    import pipeline_core as core  # at the zip root in Lambda
except ModuleNotFoundError:  # run from the repository (tests, tools/pipeline_local.py, bench)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pipeline_core as core

STAGE = "aggregate"
# DynamoDB allows 100 actions per transaction: 99 markers + the aggregate update.
MAX_EVENTS_PER_TRANSACTION = 99
# TransactionConflict (a concurrent delivery on the same item) and throttling are retried here,
# beyond botocore's own retries, before the messages are handed back to SQS.
TRANSACTION_ATTEMPTS = 5
# Markers must outlive every redelivery: stream retention (24 h) + the longest SQS retention on
# the path (14 days max) + a day of margin.
DEFAULT_MARKER_TTL_SECONDS = 16 * 24 * 3600
METRICS = ("count", "sum")


@dataclass(frozen=True)
class Settings:
    table: str
    alert_queue: str | None
    thresholds: dict[str, Decimal]
    marker_ttl: int
    aggregate_ttl: int

    @classmethod
    def from_env(cls) -> Settings:
        thresholds = {}
        for metric in METRICS:
            value = core.env_decimal(f"{metric.upper()}_THRESHOLD")
            if value is not None:
                thresholds[metric] = value
        return cls(
            table=core.env("TABLE_NAME"),
            alert_queue=core.env("ALERT_QUEUE_URL") if thresholds else None,
            thresholds=thresholds,
            marker_ttl=core.env_int("MARKER_TTL_SECONDS", DEFAULT_MARKER_TTL_SECONDS, minimum=1),
            aggregate_ttl=core.env_int("AGGREGATE_TTL_SECONDS", 0),
        )


def handler(event: dict, context: Any) -> dict:
    settings = Settings.from_env()
    return core.sqs_stage(
        STAGE, event, context, lambda good, summary: _process(good, summary, settings), core.ENRICHED_FIELDS
    )


def _process(good: list[tuple[str, dict, dict]], summary: core.Summary, settings: Settings) -> set[str]:
    retry: set[str] = set()
    # (source, type, minute) -> eventId -> [enriched event, messageIds...]
    groups: dict[tuple[str, str, str], dict[str, tuple[dict, list[str]]]] = {}
    for message_id, doc, origin in good:
        try:
            event = core.check_enriched(doc)
        except core.PoisonError as exc:
            if not summary.dead_letter(str(exc), core.dumps(doc), origin):
                retry.add(message_id)
            continue
        group = groups.setdefault((event["source"], event["type"], event["minute"]), {})
        seen = group.get(event["eventId"])
        if seen is None:
            group[event["eventId"]] = (event, [message_id])
        elif seen[0]["digest"] == event["digest"]:
            seen[1].append(message_id)  # the same event twice in one batch: counted once
        else:
            reason = f"eventId {event['eventId']!r} reused with different content in one batch"
            if not summary.dead_letter(reason, core.dumps(doc), origin):
                retry.add(message_id)
    for (source, type_, minute), events in groups.items():
        message_ids = [mid for _, mids in events.values() for mid in mids]
        try:
            _apply_group(source, type_, minute, events, summary, settings)
        except _RetryError:
            retry.update(message_ids)
    return retry


class _RetryError(Exception):
    """The group's messages go back to SQS (an AWS error that outlasted the retries)."""


def _apply_group(
    source: str,
    type_: str,
    minute: str,
    events: dict[str, tuple[dict, list[str]]],
    summary: core.Summary,
    settings: Settings,
) -> None:
    key = core.aggregate_key(source, type_, minute)
    pending = {event_id: entry[0] for event_id, entry in events.items()}
    ids = list(pending)
    for start in range(0, len(ids), MAX_EVENTS_PER_TRANSACTION):
        chunk = {event_id: pending[event_id] for event_id in ids[start : start + MAX_EVENTS_PER_TRANSACTION]}
        _commit(key, source, type_, minute, chunk, events, summary, settings)
    _check_thresholds(key, source, type_, minute, settings)


def _commit(
    key: dict,
    source: str,
    type_: str,
    minute: str,
    chunk: dict[str, dict],
    events: dict[str, tuple[dict, list[str]]],
    summary: core.Summary,
    settings: Settings,
) -> None:
    dynamodb = core.client("dynamodb")
    for attempt in range(TRANSACTION_ATTEMPTS):
        if not chunk:
            return
        order = list(chunk)
        try:
            dynamodb.transact_write_items(
                TransactItems=_transaction(key, source, type_, minute, chunk, settings)
            )
        except core.AWS_ERRORS as exc:
            response = getattr(exc, "response", {}) or {}
            code = response.get("Error", {}).get("Code")
            if code != "TransactionCanceledException":
                core.log(logging.ERROR, "TransactWriteItems failed", exc_info=True, stage=STAGE, code=code)
                _backoff(attempt)
                continue
            reasons = response.get("CancellationReasons") or []
            duplicates = _duplicates(order, reasons, events, summary)
            for event_id in duplicates:
                del chunk[event_id]
            if not duplicates:
                # TransactionConflict / throttling on an item: another writer; back off, try again.
                core.log(
                    logging.WARNING,
                    "transaction cancelled; retrying",
                    stage=STAGE,
                    reasons=[r.get("Code") for r in reasons],
                )
                _backoff(attempt)
            continue
        summary.out += len(chunk)
        # The same event delivered twice within this batch was counted once.
        summary.duplicates += sum(len(events[event_id][1]) - 1 for event_id in chunk)
        return
    if chunk:  # (the last attempt may have found that everything left was a duplicate)
        raise _RetryError


def _duplicates(order: list[str], reasons: list[dict], events: dict, summary: core.Summary) -> list[str]:
    """The eventIds whose marker already exists (reason i belongs to TransactItems[i])."""
    found = []
    for event_id, reason in zip(order, reasons, strict=False):
        if reason.get("Code") != "ConditionalCheckFailed":
            continue
        found.append(event_id)
        event, message_ids = events[event_id]
        old = (reason.get("Item") or {}).get("digest", {}).get("S")
        if old is None or old == event["digest"]:
            summary.duplicates += len(message_ids)
        else:
            # Counted before with other content: this one is not counted, and someone must look.
            summary.poison += len(message_ids)
            reason = f"eventId {event_id!r} already counted with different content"
            if not core.to_dlq(STAGE, reason, core.dumps(event), {"messageIds": message_ids}):
                raise _RetryError  # redelivered, it is found again and its DLQ send retried
    return found


def _transaction(
    key: dict, source: str, type_: str, minute: str, chunk: dict[str, dict], settings: Settings
) -> list[dict]:
    expires = int(time.time()) + settings.marker_ttl
    items: list[dict] = [
        {
            "Put": {
                "TableName": settings.table,
                "Item": {
                    "pk": {"S": f"EVENT#{event_id}"},
                    "sk": {"S": "EVENT"},
                    "digest": {"S": event["digest"]},
                    "expiresAt": {"N": str(expires)},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        for event_id, event in chunk.items()
    ]
    with localcontext() as ctx:
        ctx.prec = 60  # 99 values of <= 21 digits: exact
        total = sum((Decimal(event["value"]) for event in chunk.values()), Decimal(0))
    names = {"#count": "count", "#sum": "sum", "#source": "source", "#type": "type", "#minute": "minute"}
    values = {
        ":n": {"N": str(len(chunk))},
        ":s": {"N": core.decimal_text(total)},
        ":source": {"S": source},
        ":type": {"S": type_},
        ":minute": {"S": minute},
    }
    expression = "ADD #count :n, #sum :s SET #source = :source, #type = :type, #minute = :minute"
    if settings.aggregate_ttl:
        # From the minute itself, so every writer computes the same expiry.
        names["#expiresAt"] = "expiresAt"
        values[":expires"] = {"N": str(_epoch(minute) + settings.aggregate_ttl)}
        expression += ", #expiresAt = :expires"
    items.append(
        {
            "Update": {
                "TableName": settings.table,
                "Key": key,
                "UpdateExpression": expression,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
    )
    return items


def _epoch(minute: str) -> int:
    return int(core.parse_timestamp(minute + ":00Z").timestamp())


def _check_thresholds(key: dict, source: str, type_: str, minute: str, settings: Settings) -> None:
    if not settings.thresholds or settings.alert_queue is None:
        return
    try:
        item = (
            core.client("dynamodb")
            .get_item(TableName=settings.table, Key=key, ConsistentRead=True)
            .get("Item")
        )
    except core.AWS_ERRORS:
        core.log(logging.ERROR, "GetItem of the aggregate failed", exc_info=True, stage=STAGE)
        raise _RetryError from None
    if item is None:
        return
    messages = []
    for metric, threshold in settings.thresholds.items():
        current = Decimal(item.get(metric, {}).get("N", "0"))
        state = item.get(f"{metric}Alert", {}).get("M", {}).get("state", {}).get("S")
        if current >= threshold and state != "sent":
            body = core.dumps(
                {
                    "source": source,
                    "type": type_,
                    "minute": minute,
                    "metric": metric,
                    "threshold": core.decimal_text(threshold),
                    "value": core.decimal_text(current),
                }
            )
            messages.append((metric, body))
    if messages and core.send_batch(settings.alert_queue, messages):
        raise _RetryError


def _backoff(attempt: int) -> None:
    # Full jitter: concurrent deliveries that conflicted do not collide again in lockstep.
    time.sleep(random.random() * min(1.0, 0.02 * 2**attempt))
