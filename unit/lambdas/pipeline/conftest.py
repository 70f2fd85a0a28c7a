"""Fixtures for the pipeline stages: their resources in moto (in-process) and event builders.

The stages are loaded from their files by tools/pipeline_local.py (as Lambda loads
`handler.handler`), and the same LocalPipeline creates the queues, table, bucket and bus with the
names and settings lambdas/pipeline/README.md gives the infrastructure.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator

import boto3
import pytest

from tools.pipeline_local import LocalPipeline

REGION = "us-east-1"


@pytest.fixture
def pipeline_env(monkeypatch):
    # tools.pipeline_local works in us-east-1; the parent conftest's region is overridden.
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def pipeline(aws, pipeline_env) -> Iterator[LocalPipeline]:
    """All resources in moto in-process; count threshold 3, sum threshold 10."""
    from decimal import Decimal

    local = LocalPipeline(None, count_threshold=Decimal(3), sum_threshold=Decimal(10), batch_size=100)
    local.create()
    yield local
    local.close()


def event(n: int, value="1", source="sensor-a", type_="temp", minute="12:00", second=None, **extra) -> dict:
    """A valid producer event; value is inserted as raw JSON number text."""
    sec = n % 60 if second is None else second
    return {
        "eventId": f"evt-{n}",
        "source": source,
        "type": type_,
        "timestamp": f"2026-01-01T{minute}:{sec:02d}Z",
        "value": value,
        **extra,
    }


def encode(doc: dict) -> str:
    """base64 of the event's JSON; a str `value` is written as raw JSON text (a number: "0.1")."""
    parts = []
    for key, value in doc.items():
        text = value if key == "value" and isinstance(value, str) else json.dumps(value)
        parts.append(f"{json.dumps(key)}:{text}")
    return base64.b64encode(("{" + ",".join(parts) + "}").encode()).decode()


def sqs_records(bodies: list[str], prefix: str = "m") -> list[dict]:
    return [
        {
            "messageId": f"{prefix}-{n}",
            "receiptHandle": f"rh-{n}",
            "body": body,
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
        for n, body in enumerate(bodies)
    ]


def receive_all(url: str) -> list[dict]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
            "Messages", []
        )
        if not batch:
            return messages
        messages.extend(batch)


@pytest.fixture
def serialised_dynamodb(monkeypatch):
    """Give moto's DynamoDB the serialisability real DynamoDB has.

    moto's TransactWriteItems checks conditions and writes without a lock, and rolls back by
    restoring a deep copy of the whole table, which can erase a concurrent writer's commit. Real
    DynamoDB isolates transactions (serializable) and single-item conditional writes. A lock per
    backend call gives moto that isolation, so a concurrency test exercises the stages' handling of
    concurrent deliveries, not moto's missing locking.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "update_item", "get_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)
    return lock
