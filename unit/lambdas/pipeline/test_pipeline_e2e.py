"""End to end: the five stages against moto's *server* (HTTP on 127.0.0.1), after duplicate,
redelivery and poison injections, checked in DynamoDB, S3, the DLQs and the event bus."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import boto3
import pytest

from tools.pipeline_local import BUCKET, TABLE, LocalPipeline

from .conftest import encode, event

REGION = "us-east-1"


@pytest.fixture
def server_pipeline(moto_url, pipeline_env):
    local = LocalPipeline(moto_url, count_threshold=Decimal(5), sum_threshold=None, batch_size=7)
    local.create()
    yield local
    local.close()


def test_003_R33_R36_end_to_end_exactly_once_after_duplicates_redelivery_and_poison(server_pipeline):
    pipeline = server_pipeline
    valid = [event(n, source="a", minute="12:00", value="0.1") for n in range(6)]
    valid += [event(n, source="b", type_="hum", minute="12:01", value=f"{n}.5") for n in range(6, 10)]
    lines = [encode(d) for d in valid]
    lines += lines[:3]  # producer retries: the same events again, new sequence numbers
    poison = {
        "%%%": "bad base64",
        base64.b64encode(b"\xc3\x28").decode(): "not UTF-8: invalid byte at offset 0",
        base64.b64encode(b"{oops").decode(): "not JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        encode(event(99, value="Infinity")): "non-finite number Infinity",
        encode({"eventId": "x", "source": "a"}): "missing field(s) 'type', 'timestamp', 'value' "
        "(required: eventId, source, type, timestamp, value)",
        base64.b64encode(b" " * 70000).decode(): "oversize: record larger than 65536 bytes",
        base64.b64encode(b" " * 65537).decode(): "oversize: 65537 bytes > 65536",
    }
    lines[4:4] = list(poison)  # inside a batch, between valid records

    pipeline.put_records(lines, redeliver=True)  # every batch is delivered twice
    pipeline.drain(redeliver=True)
    # And the whole input once more, as if a shard were replayed from TRIM_HORIZON.
    pipeline.put_records(lines)
    pipeline.drain()
    report = pipeline.report()

    items = {(i["source"], i["type"], i["minute"]): (i["count"], i["sum"]) for i in report["aggregates"]}
    assert items == {
        ("a", "temp", "2026-01-01T12:00"): (Decimal(6), Decimal("0.6")),
        ("b", "hum", "2026-01-01T12:01"): (Decimal(4), Decimal("32")),  # 6.5 + 7.5 + 8.5 + 9.5
    }
    # Read straight from DynamoDB, as stored.
    stored = boto3.client("dynamodb", region_name=REGION, endpoint_url=pipeline.endpoint).get_item(
        TableName=TABLE, Key={"pk": {"S": "AGG#a#temp"}, "sk": {"S": "2026-01-01T12:00"}}, ConsistentRead=True
    )["Item"]
    assert (stored["count"], stored["sum"]) == ({"N": "6"}, {"N": "0.6"})
    assert report["markers"] == 10

    expected_keys = sorted(
        f"events/{d['source']}/{d['type']}/2026-01-01/{d['timestamp'][11:13]}{d['timestamp'][14:16]}/"
        + hashlib.sha256(d["eventId"].encode()).hexdigest()
        + ".json"
        for d in valid
    )
    assert report["archive"] == expected_keys
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=pipeline.endpoint)
    assert len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 10

    # Each poison line reached the validate DLQ with its reason (3 deliveries: 2 + the replay).
    reasons = [d["reason"] for d in report["dlq"]]
    assert sorted(set(reasons)) == sorted(poison.values())
    assert {r: reasons.count(r) for r in poison.values()} == {r: 3 for r in poison.values()}
    assert {d["queue"] for d in report["dlq"]} == {"validate"}

    # count 6 >= 5 once for source a; b never reached 5: one alert.
    assert [(a["alertId"], a["value"]) for a in report["alerts"]] == [("a#temp#2026-01-01T12:00#count", 6)]

    stages = report["stages"]
    assert stages["validate"]["failed"] == 0 and stages["validate"]["poison"] == 21
    assert stages["aggregate"]["out"] == 10  # events counted, over all deliveries
    assert stages["archive"]["out"] == 10  # objects written, over all deliveries
    assert stages["alert"]["out"] == 1
