"""Probes for a live stream-pipeline stack (seed 003): records in, aggregates and archive out.

Each probe is a plain function over boto3 clients and the stack's outputs, like probes.py (the
self-tests point them at moto's server). The round trip puts a batch of events with a source of
its own (so nothing else touches its aggregates), then waits, within a budget, for the
per-minute count and sum in DynamoDB and one archive object per event in S3, keyed the way the
archive stage keys them (lambdas/pipeline/README.md). Then every DLQ must be empty and the
enhanced fan-out consumer ACTIVE.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integration.probes import ProbeError, eventually

# Five stages, each with a batching window, SQS long polls and a cold start in a VPC.
DEFAULT_BUDGET_S = float(os.environ.get("WEBSTACK_STREAM_PROBE_BUDGET_S", "300"))
EVENT_TYPE = "probe"


@dataclass(frozen=True)
class ProbeEvent:
    event_id: str
    source: str
    timestamp: str  # ISO-8601 UTC, as the producer contract requires
    value: str  # decimal text: the pipeline adds exactly

    def record(self) -> bytes:
        body = (
            f'{{"eventId": {json.dumps(self.event_id)}, "source": {json.dumps(self.source)}, '
            f'"type": "{EVENT_TYPE}", "timestamp": "{self.timestamp}", "value": {self.value}}}'
        )
        return body.encode()

    @property
    def minute(self) -> str:
        return self.timestamp[:16]

    def archive_key(self, prefix: str = "") -> str:
        """events/<source>/<type>/<YYYY-MM-DD>/<HHMM>/<sha256(eventId)>.json (the archive stage's key)."""
        day, clock = self.timestamp[:10], self.timestamp[11:16].replace(":", "")
        digest = hashlib.sha256(self.event_id.encode()).hexdigest()
        return f"{prefix}events/{self.source}/{EVENT_TYPE}/{day}/{clock}/{digest}.json"


def probe_events(count: int, now: datetime | None = None, run: str | None = None) -> list[ProbeEvent]:
    """``count`` events in one minute, from a source no other run uses; values 1.5, 2.5, ..."""
    moment = (now or datetime.now(UTC)).replace(second=1, microsecond=0)
    run = run or uuid.uuid4().hex[:12]
    source = f"probe-{run}"
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return [ProbeEvent(f"{source}-{index}", source, stamp, f"{index}.5") for index in range(1, count + 1)]


def put_events(kinesis: Any, stream_name: str, events: Sequence[ProbeEvent]) -> None:
    """PutRecords in one call; any failed record is a probe failure (the stream must take them all)."""
    response = kinesis.put_records(
        StreamName=stream_name,
        Records=[{"Data": event.record(), "PartitionKey": event.event_id} for event in events],
    )
    if response.get("FailedRecordCount"):
        codes = sorted({r.get("ErrorCode") for r in response["Records"] if r.get("ErrorCode")})
        raise ProbeError(f"PutRecords to {stream_name}: {response['FailedRecordCount']} failed ({codes})")


def expected_aggregates(events: Iterable[ProbeEvent]) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """(source, minute) -> (count, sum) the aggregate stage must store."""
    found: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for event in events:
        count, total = found.get((event.source, event.minute), (0, Decimal(0)))
        found[(event.source, event.minute)] = (count + 1, total + Decimal(event.value))
    return found


def aggregates_stored(
    dynamodb: Any, table: str, events: Sequence[ProbeEvent], budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """Every (source, type, minute) of the events has exactly their count and sum (exactly once)."""
    expected = expected_aggregates(events)

    def check() -> None:
        for (source, minute), (count, total) in expected.items():
            item = dynamodb.get_item(
                TableName=table,
                Key={"pk": {"S": f"AGG#{source}#{EVENT_TYPE}"}, "sk": {"S": minute}},
                ConsistentRead=True,
            ).get("Item")
            seen = None if item is None else (int(item["count"]["N"]), Decimal(item["sum"]["N"]))
            if seen != (count, total):
                raise ProbeError(
                    f"aggregate {source}/{minute}: expected (count, sum) {(count, total)}, got {seen}"
                )

    eventually(check, f"{len(events)} events are aggregated in {table}", budget_s)


def archive_stored(
    s3: Any, bucket: str, events: Sequence[ProbeEvent], prefix: str = "", budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """One object per event under its key, whose body names the event."""

    def check() -> None:
        missing = []
        for event in events:
            try:
                body = s3.get_object(Bucket=bucket, Key=event.archive_key(prefix))["Body"].read()
            except s3.exceptions.NoSuchKey:
                missing.append(event.event_id)
                continue
            if json.loads(body).get("eventId") != event.event_id:
                raise ProbeError(f"s3://{bucket}/{event.archive_key(prefix)} holds another event")
        if missing:
            raise ProbeError(f"{len(missing)} of {len(events)} events not archived yet, e.g. {missing[0]}")

    eventually(check, f"{len(events)} events are archived in {bucket}", budget_s)


def dlqs_empty(sqs: Any, dlq_urls: Mapping[str, str]) -> None:
    """No stage gave anything up: every DLQ holds no message, visible or in flight."""
    holding = {}
    for stage, url in sorted(dlq_urls.items()):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        count = sum(int(value) for value in attributes.values())
        if count:
            holding[stage] = count
    if holding:
        raise ProbeError(f"dead-letter queues hold messages: {holding}")


def fan_out_consumer_active(kinesis: Any, consumer_arn: str, budget_s: float = DEFAULT_BUDGET_S) -> None:
    """The validate stage's enhanced fan-out consumer is registered and ACTIVE (003-R4)."""

    def check() -> None:
        try:
            described = kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)
        except kinesis.exceptions.ResourceNotFoundException as error:
            raise ProbeError(f"consumer {consumer_arn} is not registered") from error
        status = described["ConsumerDescription"]["ConsumerStatus"]
        if status != "ACTIVE":
            raise ProbeError(f"consumer {consumer_arn} is {status}")

    eventually(check, "the fan-out consumer is ACTIVE", budget_s)


def reserved_concurrency(lambda_client: Any, functions: Iterable[str], expected: int) -> None:
    """Each stage holds its reservation (003-R5)."""
    wrong = {}
    for name in functions:
        reserved = lambda_client.get_function_concurrency(FunctionName=name).get(
            "ReservedConcurrentExecutions"
        )
        if reserved != expected:
            wrong[name] = reserved
    if wrong:
        raise ProbeError(f"reserved concurrency is not {expected}: {wrong}")


def round_trip(
    clients: Mapping[str, Any],
    outputs: Mapping[str, Any],
    count: int = 20,
    budget_s: float = DEFAULT_BUDGET_S,
) -> list[ProbeEvent]:
    """Records in, aggregates and archive out within the budget, then no DLQ holds anything."""
    events = probe_events(count)
    put_events(clients["kinesis"], str(outputs["streamName"]), events)
    aggregates_stored(clients["dynamodb"], str(outputs["tableName"]), events, budget_s)
    archive_stored(clients["s3"], str(outputs["archiveBucketName"]), events, budget_s=budget_s)
    dlqs_empty(clients["sqs"], dict(outputs["dlqUrls"]))
    return events
