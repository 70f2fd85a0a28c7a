"""Stream: one Kinesis stream, its known ARN, alarms and metrics (000-R8/R17/R18, 003-R1/R2/R27)."""

from __future__ import annotations

import pytest

from plan.capture import Graph
from program.components.stream import Stream, StreamArgs, StreamSpec
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-west-2")
STREAM = "aws:kinesis/stream:Stream"


def stream_graph(spec: StreamSpec | None = None) -> tuple[Graph, Stream]:
    built: list[Stream] = []

    def program() -> None:
        built.append(Stream("ingest", StreamArgs(SCOPE, spec or StreamSpec())))

    return capture_fn(program), built[0]


@pytest.fixture(scope="module")
def built() -> tuple[Graph, Stream]:
    return stream_graph()


@pytest.fixture(scope="module")
def graph(built: tuple[Graph, Stream]) -> Graph:
    return built[0]


def test_000_R8_003_R2_stream_is_kms_encrypted_and_on_demand_by_default(graph: Graph) -> None:
    stream = graph.one(STREAM).inputs
    assert stream["encryptionType"] == "KMS" and stream["kmsKeyId"] == "alias/aws/kinesis"
    assert stream["streamModeDetails"] == {"streamMode": "ON_DEMAND"} and "shardCount" not in stream
    assert stream["retentionPeriod"] == 24
    assert stream["name"] == "stream-dev"


def test_000_R17_stream_publishes_shard_level_metrics(graph: Graph) -> None:
    assert set(graph.one(STREAM).inputs["shardLevelMetrics"]) == {
        "IncomingBytes",
        "IncomingRecords",
        "OutgoingBytes",
        "OutgoingRecords",
        "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded",
        "IteratorAgeMilliseconds",
    }


def test_003_R27_stream_destroy_deregisters_consumers(graph: Graph) -> None:
    assert graph.one(STREAM).inputs["enforceConsumerDeletion"] is True
    for resource in graph.resources:
        assert resource.options.get("protect") is not True
        assert resource.options.get("retainOnDelete") is not True


def test_known_arn_is_the_arn_the_stream_gets(built: tuple[Graph, Stream]) -> None:
    graph, stream = built
    assert stream.known_arn == "arn:aws:kinesis:us-west-2:123456789012:stream/stream-dev"
    assert graph.one(STREAM).outputs["arn"] == stream.known_arn


def test_000_R18_stream_alarms_and_metrics(built: tuple[Graph, Stream]) -> None:
    _, stream = built
    assert [a.purpose for a in stream.alarms] == [
        "stream-iterator-age",
        "stream-write-throttled",
        "stream-read-throttled",
    ]
    assert {m.namespace for m in stream.metrics} == {"AWS/Kinesis"}


def test_000_R23_the_stream_is_the_components_child(graph: Graph) -> None:
    component = graph.one("webstack:stream:Stream")
    assert graph.one(STREAM).parent == component.urn
    assert graph.one(STREAM).name == "ingest"


def test_003_R1_provisioned_stream_with_ten_shards() -> None:
    graph, _ = stream_graph(StreamSpec(shard_count=10))
    stream = graph.one(STREAM).inputs
    assert stream["streamModeDetails"] == {"streamMode": "PROVISIONED"} and stream["shardCount"] == 10


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"shard_count": 0}, "shard_count"), ({"retention_hours": 12}, "retention_hours")],
)
def test_spec_rejects_what_kinesis_would_refuse(changes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StreamSpec(**changes)  # type: ignore[arg-type]
