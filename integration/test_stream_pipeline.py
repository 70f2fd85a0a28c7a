"""stream-pipeline (seed 003) against a deployed stack: records in, aggregates and archive out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from integration import stream_probes as probes


@pytest.fixture(scope="module")
def stream(outputs: dict[str, str]) -> dict[str, Any]:
    """The stack's outputs with JSON values decoded; other blueprints' stacks skip this module."""
    if "archiveBucketName" not in outputs or "consumerArn" not in outputs:
        pytest.skip("not a stream-pipeline stack")
    decoded: dict[str, Any] = dict(outputs)
    for key in ("dlqUrls", "functionNames", "queueUrls"):
        value = outputs[key]
        decoded[key] = json.loads(value) if isinstance(value, str) else value
    return decoded


def test_003_R4_the_fan_out_consumer_is_active(aws: Any, stream: dict[str, Any]) -> None:
    probes.fan_out_consumer_active(aws("kinesis"), stream["consumerArn"])


def test_003_R5_each_stage_holds_its_reservation(aws: Any, stream: dict[str, Any]) -> None:
    probes.reserved_concurrency(aws("lambda"), stream["functionNames"].values(), 100)


def test_003_R33_records_in_aggregates_and_archive_out_and_no_dead_letters(
    aws: Any, stream: dict[str, Any]
) -> None:
    clients = {name: aws(name) for name in ("kinesis", "dynamodb", "s3", "sqs")}
    probes.round_trip(clients, stream)
