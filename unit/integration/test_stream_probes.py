"""Self-tests of integration/stream_probes.py against a stand-in stream stack on moto's server.

The stand-in "pipeline" decodes, enriches, aggregates and archives with the real stage code's
functions (pipeline_core, the archive stage's key and body), so a probe that disagrees with the
stages about keys or numbers fails here. Each healthy case has a broken twin the probe must catch.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest

from integration import stream_probes as probes
from integration.probes import ProbeError
from unit.integration.stand_in import load_handler

REGION = "us-east-1"
BUDGET_S = 4.0
STREAM, TABLE, BUCKET = "stream-dev", "aggregates-dev", "archive-123456789012-dev"


class StandIn:
    """The stack's data plane on moto, with a pump that plays the five stages."""

    def __init__(self, url: str) -> None:
        self.clients = {
            name: boto3.client(name, region_name=REGION, endpoint_url=url)
            for name in ("kinesis", "dynamodb", "s3", "sqs")
        }
        kinesis, dynamodb = self.clients["kinesis"], self.clients["dynamodb"]
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        self.stream_arn = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["StreamARN"]
        self.consumer_arn = kinesis.register_stream_consumer(
            StreamARN=self.stream_arn, ConsumerName="validate-efo-dev"
        )["Consumer"]["ConsumerARN"]
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.clients["s3"].create_bucket(Bucket=BUCKET)
        self.dlq_urls = {
            stage: self.clients["sqs"].create_queue(QueueName=f"{stage}-dlq-dev")["QueueUrl"]
            for stage in ("validate", "enrich", "aggregate", "archive", "alert")
        }
        self.archive = load_handler("pipeline/archive")
        self.core = self.archive.core
        self.iterators = {
            shard["ShardId"]: kinesis.get_shard_iterator(
                StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]
        }

    def outputs(self) -> dict[str, Any]:
        return {
            "streamName": STREAM,
            "tableName": TABLE,
            "archiveBucketName": BUCKET,
            "dlqUrls": self.dlq_urls,
            "consumerArn": self.consumer_arn,
        }

    def pump(self, deliveries: int = 1) -> int:
        """Process every new record (``deliveries`` times each, as a naive non-idempotent pipeline would)."""
        kinesis, done = self.clients["kinesis"], 0
        for shard, iterator in self.iterators.items():
            response = kinesis.get_records(ShardIterator=iterator)
            self.iterators[shard] = response["NextShardIterator"]
            for record in response["Records"]:
                event = self.core.enrich(
                    self.core.decode_record(base64.b64encode(record["Data"]).decode(), 65_536)
                )
                for _ in range(deliveries):
                    self._aggregate(event)
                self.clients["s3"].put_object(
                    Bucket=BUCKET, Key=self.archive.object_key(event), Body=self.archive.archive_body(event)
                )
                done += 1
        return done

    def _aggregate(self, event: dict[str, Any]) -> None:
        self.clients["dynamodb"].update_item(
            TableName=TABLE,
            Key=self.core.aggregate_key(event["source"], event["type"], event["minute"]),
            UpdateExpression="ADD #c :one, #s :value",
            ExpressionAttributeNames={"#c": "count", "#s": "sum"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":value": {"N": str(event["value"])},
            },
        )


@pytest.fixture(scope="module")
def stand_in(moto_url: str) -> Iterator[StandIn]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield StandIn(moto_url)


def test_probe_events_follow_the_producer_contract(stand_in: StandIn) -> None:
    events = probes.probe_events(3, run="abc")
    for event in events:
        decoded = stand_in.core.decode_record(base64.b64encode(event.record()).decode(), 65_536)
        assert decoded["eventId"] == event.event_id and decoded["source"] == "probe-abc"
        enriched = stand_in.core.enrich(decoded)
        assert enriched["minute"] == event.minute
        assert stand_in.archive.object_key(enriched) == event.archive_key()
    assert probes.expected_aggregates(events) == {("probe-abc", events[0].minute): (3, Decimal("7.5"))}


def test_003_R33_round_trip_passes_when_the_pipeline_delivers_exactly_once(stand_in: StandIn) -> None:
    events = probes.probe_events(6)
    probes.put_events(stand_in.clients["kinesis"], STREAM, events)
    assert stand_in.pump() == 6
    probes.aggregates_stored(stand_in.clients["dynamodb"], TABLE, events, BUDGET_S)
    probes.archive_stored(stand_in.clients["s3"], BUCKET, events, budget_s=BUDGET_S)
    probes.dlqs_empty(stand_in.clients["sqs"], stand_in.dlq_urls)


def test_round_trip_fails_when_nothing_comes_out(stand_in: StandIn) -> None:
    events = probes.probe_events(2)
    probes.put_events(stand_in.clients["kinesis"], STREAM, events)
    with pytest.raises(ProbeError, match="aggregated"):
        probes.aggregates_stored(stand_in.clients["dynamodb"], TABLE, events, 1.0)
    with pytest.raises(ProbeError, match="not archived"):
        probes.archive_stored(stand_in.clients["s3"], BUCKET, events, budget_s=1.0)
    stand_in.pump()  # leave the stream drained for the next case


def test_round_trip_fails_when_a_redelivery_is_counted_twice(stand_in: StandIn) -> None:
    events = probes.probe_events(3)
    probes.put_events(stand_in.clients["kinesis"], STREAM, events)
    stand_in.pump(deliveries=2)
    with pytest.raises(
        ProbeError, match=r"expected \(count, sum\) \(3, Decimal\('7.5'\)\), got \(6, Decimal\('15(\.0)?'\)\)"
    ):
        probes.aggregates_stored(stand_in.clients["dynamodb"], TABLE, events, 1.0)


def test_the_whole_round_trip_against_the_stand_in(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = probes.put_events

    def put_then_pump(*args: Any) -> None:
        real_put(*args)
        stand_in.pump()

    monkeypatch.setattr(probes, "put_events", put_then_pump)
    events = probes.round_trip(stand_in.clients, stand_in.outputs(), count=4, budget_s=BUDGET_S)
    assert len(events) == 4


def test_dlqs_empty_names_the_stage_holding_messages(stand_in: StandIn) -> None:
    sqs = stand_in.clients["sqs"]
    sqs.send_message(QueueUrl=stand_in.dlq_urls["archive"], MessageBody='{"reason": "poison"}')
    try:
        with pytest.raises(ProbeError, match=r"\{'archive': 1\}"):
            probes.dlqs_empty(sqs, stand_in.dlq_urls)
    finally:
        sqs.purge_queue(QueueUrl=stand_in.dlq_urls["archive"])
    probes.dlqs_empty(sqs, stand_in.dlq_urls)


def test_003_R4_fan_out_consumer_active_and_a_missing_one_fails(stand_in: StandIn) -> None:
    kinesis = stand_in.clients["kinesis"]
    probes.fan_out_consumer_active(kinesis, stand_in.consumer_arn, BUDGET_S)
    bogus = f"{stand_in.stream_arn}/consumer/nobody:1"
    with pytest.raises(ProbeError, match=r"consumer .*/consumer/nobody:1 is not registered"):
        probes.fan_out_consumer_active(kinesis, bogus, 1.0)


def test_003_R5_reserved_concurrency_probe_reports_the_wrong_ones() -> None:
    class Lambda:
        def get_function_concurrency(self, FunctionName: str) -> dict[str, int]:  # noqa: N803 (boto3's name)
            return {"validate-dev": {"ReservedConcurrentExecutions": 100}, "enrich-dev": {}}[FunctionName]

    probes.reserved_concurrency(Lambda(), ["validate-dev"], 100)
    with pytest.raises(ProbeError, match=r"\{'enrich-dev': None\}"):
        probes.reserved_concurrency(Lambda(), ["validate-dev", "enrich-dev"], 100)
