"""Stage 5, alert: the alert queue -> one EventBridge event per threshold crossing.

A message says that the aggregate (source, type, minute) has reached a metric's threshold. The
aggregate stage may send it many times (every batch that touches the minute until the alert is
sent, and every redelivery); the alert itself is claimed once, in the aggregate item:
  1. claim: UpdateItem SET <metric>Alert = {state: pending, alertId, threshold, value, leaseUntil}
     if the item exists and the attribute does not (a concurrent claimant loses here);
  2. PutEvents to EVENT_BUS_NAME (Source EVENT_SOURCE, DetailType "ThresholdCrossed", the detail
     carries the deterministic alertId and the value stored in the claim);
  3. SET <metric>Alert.state = sent.
A failed PutEvents releases the lease and hands the message back to SQS. A claim found pending
with an expired lease (its Lambda died between 1 and 3) is taken over and published again, so
no alert is lost; only a crash after a successful PutEvents and before step 3 can publish twice,
with the same alertId for consumers to drop (EventBridge has no deduplication of its own).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

try:
    import pipeline_core as core  # at the zip root in Lambda
except ModuleNotFoundError:  # run from the repository (tests, tools/pipeline_local.py, bench)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pipeline_core as core

STAGE = "alert"
FIELDS = ("source", "type", "minute", "metric", "threshold", "value")
METRICS = ("count", "sum")
MINUTE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DETAIL_TYPE = "ThresholdCrossed"
# Longer than the function timeout: a live claimant is never overtaken. The SQS visibility
# timeout (>= 6x the function timeout) brings a retried message back after the lease expired.
DEFAULT_LEASE_SECONDS = 120


@dataclass(frozen=True)
class Settings:
    table: str
    bus: str
    source: str
    lease: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table=core.env("TABLE_NAME"),
            bus=core.env("EVENT_BUS_NAME"),
            source=os.environ.get("EVENT_SOURCE") or "webstack.pipeline",
            lease=core.env_int("ALERT_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
        )


class _RetryError(Exception):
    """Hand the message back to SQS."""


class _AlreadySentError(Exception):
    """Nothing to do: the alert was sent already."""


def handler(event: dict, context: Any) -> dict:
    settings = Settings.from_env()
    return core.sqs_stage(
        STAGE, event, context, lambda good, summary: _process(good, summary, settings), FIELDS
    )


def _process(good: list[tuple[str, dict, dict]], summary: core.Summary, settings: Settings) -> set[str]:
    retry: set[str] = set()
    for message_id, doc, origin in good:
        try:
            alert = _check(doc)
            claim = _claim(alert, settings)
            _publish(alert, claim, settings)
            summary.out += 1
        except core.PoisonError as exc:
            if not summary.dead_letter(str(exc), core.dumps(doc), origin):
                retry.add(message_id)
        except _AlreadySentError:
            summary.duplicates += 1
        except _RetryError:
            retry.add(message_id)
    return retry


def _check(doc: dict) -> dict:
    for field in ("source", "type"):
        if not isinstance(doc[field], str) or not core.NAME_RE.fullmatch(doc[field]):
            raise core.PoisonError(f"field {field!r} must match {core.NAME_RE.pattern}")
    if not isinstance(doc["minute"], str) or not MINUTE_RE.fullmatch(doc["minute"]):
        raise core.PoisonError("field 'minute' must be YYYY-MM-DDTHH:MM")
    if doc["metric"] not in METRICS:
        raise core.PoisonError(f"field 'metric' must be one of {', '.join(METRICS)}")
    numbers = {}
    for field in ("threshold", "value"):
        try:
            numbers[field] = Decimal(doc[field]) if isinstance(doc[field], str) else None
        except ArithmeticError:
            numbers[field] = None
        number = numbers[field]
        # DynamoDB's number range (38 digits, exponent within +-125); the bound also keeps the
        # canonical text exact.
        if (
            number is None
            or not number.is_finite()
            or len(number.as_tuple().digits) > 38
            or (not number.is_zero() and abs(number.adjusted()) > 125)
        ):
            raise core.PoisonError(f"field {field!r} must be decimal text a DynamoDB number can hold")
    return {**doc, **numbers, "alertId": f"{doc['source']}#{doc['type']}#{doc['minute']}#{doc['metric']}"}


def _claim(alert: dict, settings: Settings) -> dict:
    """Own the alert (or take over an expired claim); returns the stored claim."""
    dynamodb = core.client("dynamodb")
    key = core.aggregate_key(alert["source"], alert["type"], alert["minute"])
    attribute = f"{alert['metric']}Alert"
    now = int(time.time())
    claim = {
        "state": {"S": "pending"},
        "alertId": {"S": alert["alertId"]},
        "threshold": {"N": core.decimal_text(alert["threshold"])},
        "value": {"N": core.decimal_text(alert["value"])},
        "leaseUntil": {"N": str(now + settings.lease)},
    }
    try:
        response = dynamodb.update_item(
            TableName=settings.table,
            Key=key,
            UpdateExpression="SET #a = :claim",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#a)",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":claim": {"M": claim}},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return response["Attributes"][attribute]["M"]
    except core.AWS_ERRORS as exc:
        old = _condition_failed_item(exc)
    if not old:
        raise core.PoisonError("no aggregate item for this alert")
    existing = old.get(attribute, {}).get("M", {})
    if existing.get("state", {}).get("S") == "sent":
        raise _AlreadySentError
    if int(existing.get("leaseUntil", {}).get("N", "0")) > now:
        raise _RetryError  # a live claimant is publishing it; look again after the visibility timeout
    try:
        response = dynamodb.update_item(
            TableName=settings.table,
            Key=key,
            UpdateExpression="SET #a.#lease = :lease",
            ConditionExpression="#a.#state = :pending AND #a.#lease = :old",
            ExpressionAttributeNames={"#a": attribute, "#lease": "leaseUntil", "#state": "state"},
            ExpressionAttributeValues={
                ":lease": {"N": str(now + settings.lease)},
                ":pending": {"S": "pending"},
                ":old": existing.get("leaseUntil", {"N": "0"}),
            },
            ReturnValues="ALL_NEW",
        )
    except core.AWS_ERRORS as exc:
        _condition_failed_item(exc)
        raise _RetryError from None  # someone else took it over (or sent it) first
    return response["Attributes"][attribute]["M"]


def _condition_failed_item(exc: Exception) -> dict | None:
    """The old item of a ConditionalCheckFailedException; any other error means retry."""
    response = getattr(exc, "response", {}) or {}
    if response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        core.log(logging.ERROR, "UpdateItem failed", exc_info=True, stage=STAGE)
        raise _RetryError from None
    return response.get("Item")


def _publish(alert: dict, claim: dict, settings: Settings) -> None:
    detail = {
        "alertId": claim["alertId"]["S"],
        "source": alert["source"],
        "type": alert["type"],
        "minute": alert["minute"],
        "metric": alert["metric"],
        # From the claim, so a takeover publishes the same figures as the first attempt would.
        "threshold": Decimal(claim["threshold"]["N"]),
        "value": Decimal(claim["value"]["N"]),
    }
    key = core.aggregate_key(alert["source"], alert["type"], alert["minute"])
    names = {"#a": f"{alert['metric']}Alert", "#state": "state", "#lease": "leaseUntil"}
    try:
        response = core.client("events").put_events(
            Entries=[
                {
                    "Source": settings.source,
                    "DetailType": DETAIL_TYPE,
                    "Detail": core.dumps(detail),
                    "EventBusName": settings.bus,
                }
            ]
        )
        failed = response.get("FailedEntryCount", 0)
    except core.AWS_ERRORS:
        core.log(logging.ERROR, "PutEvents failed", exc_info=True, stage=STAGE)
        failed = 1
    if failed:
        try:  # release the lease, so the redelivery can publish at once
            core.client("dynamodb").update_item(
                TableName=settings.table,
                Key=key,
                UpdateExpression="SET #a.#lease = :zero",
                ConditionExpression="#a.#state = :pending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":zero": {"N": "0"}, ":pending": {"S": "pending"}},
            )
        except core.AWS_ERRORS:
            core.log(logging.WARNING, "lease release failed; the lease expires", exc_info=True, stage=STAGE)
        raise _RetryError
    try:
        core.client("dynamodb").update_item(
            TableName=settings.table,
            Key=key,
            UpdateExpression="SET #a.#state = :sent, #a.sentAt = :now",
            ExpressionAttributeNames={"#a": names["#a"], "#state": "state"},
            ExpressionAttributeValues={":sent": {"S": "sent"}, ":now": {"N": str(int(time.time()))}},
        )
    except core.AWS_ERRORS:
        # The event is out; not retrying the message avoids a second one. The claim stays
        # pending: a later check message may republish after the lease (same alertId).
        core.log(
            logging.ERROR,
            "alert published but not marked sent",
            exc_info=True,
            stage=STAGE,
            alertId=detail["alertId"],
        )
    core.log(logging.INFO, "alert published", stage=STAGE, alertId=detail["alertId"])
