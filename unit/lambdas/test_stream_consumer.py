"""Unit tests for lambdas/stream_consumer/handler.py, against moto's S3.

Seed rows: 000-R9/001-R11 (the consumer processes the stream and writes to S3), 000-R12 (it
only needs s3:PutObject on the bucket), 000-R19 (encryption is left to bucket defaults).
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from botocore.exceptions import ClientError

SHARD = "shardId-000000000000"


def event(n: int, **extra) -> dict:
    return {"type": "item.created", "id": f"id-{n}", "version": 1, **extra}


def data_key(consumer, records, prefix="data", shard=SHARD) -> str:
    first, last = records[0]["kinesis"]["sequenceNumber"], records[-1]["kinesis"]["sequenceNumber"]
    return f"{prefix}/{consumer.stream}/{shard}/{first}-{last}.jsonl.gz"


def fail_puts(consumer, monkeypatch, key_prefix: str) -> None:
    """Make the handler's PutObject fail for keys starting with key_prefix."""
    client = consumer.module._client("s3")
    real_put = client.put_object

    def put_object(**params):
        if params["Key"].startswith(key_prefix):
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "503"}}, "PutObject")
        return real_put(**params)

    monkeypatch.setattr(client, "put_object", put_object)


def test_000_R9_001_R11_writes_one_gzip_jsonl_object_per_batch(consumer):
    records = [consumer.record(event(n, item={"n": n, "name": "ü"}), seq=n) for n in range(3)]

    assert consumer.invoke(records) == {"batchItemFailures": []}

    assert consumer.objects() == {
        data_key(consumer, records): [
            {
                **event(n, item={"n": n, "name": "ü"}),
                "_sequenceNumber": records[n]["kinesis"]["sequenceNumber"],
                "_partitionKey": f"pk-{n}",
                "_arrival": 1700000000.0 + n,
            }
            for n in range(3)
        ]
    }
    assert consumer.calls.ops("s3") == {"PutObject"}
    assert len(consumer.calls) == 1


def test_same_batch_twice_overwrites_the_same_key(consumer):
    records = [consumer.record(event(n), seq=n) for n in range(5)]
    consumer.invoke(records)
    first_body = consumer.s3.get_object(Bucket=consumer.bucket, Key=data_key(consumer, records))
    consumer.invoke(records)

    assert list(consumer.objects()) == [data_key(consumer, records)]
    keys = [params["Key"] for _, _, params in consumer.calls]
    assert keys == [data_key(consumer, records)] * 2
    second_body = consumer.s3.get_object(Bucket=consumer.bucket, Key=data_key(consumer, records))
    assert second_body["ETag"] == first_body["ETag"]  # byte-identical: gzip mtime is fixed


def test_metadata_fields_override_same_named_record_fields(consumer):
    records = [consumer.record(event(1, _partitionKey="spoofed"), seq=1)]
    consumer.invoke(records)
    (lines,) = consumer.objects().values()
    assert lines[0]["_partitionKey"] == "pk-1"


MALFORMED = [
    pytest.param("not base64 at all!", "undecodable", id="bad-base64"),
    pytest.param(base64.b64encode(b"\xff\xfe").decode(), "utf-8", id="not-utf8"),
    pytest.param(base64.b64encode(b"{not json").decode(), "undecodable", id="bad-json"),
    pytest.param(base64.b64encode(b'{"type":"t","id":"i","n":NaN}').decode(), "NaN", id="nan"),
    pytest.param(base64.b64encode(b"[1]").decode(), "not a JSON object (list)", id="array"),
    pytest.param(base64.b64encode(b'"s"').decode(), "not a JSON object (str)", id="string"),
    pytest.param(base64.b64encode(b'{"id":"i"}').decode(), "'type' is missing", id="no-type"),
    pytest.param(base64.b64encode(b'{"type":"t","id":1}').decode(), "'id' is missing", id="int-id"),
    pytest.param(base64.b64encode(b"[" * 100_000 + b"]" * 100_000).decode(), "depth", id="deep"),
    # Issue 9 C: valid JSON whose number overflows a double would be archived as Infinity.
    pytest.param(
        base64.b64encode(b'{"type":"t","id":"i","n":1e400}').decode(), "out of a double's range", id="1e400"
    ),
    pytest.param(
        base64.b64encode(b'{"type":"t","id":"i","n":[-1e400]}').decode(),
        "out of a double's range",
        id="-1e400",
    ),
]


def strict_lines(consumer) -> dict[str, list[dict]]:
    """Every object's lines parsed as RFC 8259 JSON: NaN and Infinity are refused."""

    def refuse(name: str):
        raise AssertionError(f"{name} is not JSON")

    found = {}
    for entry in consumer.s3.list_objects_v2(Bucket=consumer.bucket).get("Contents", []):
        body = consumer.s3.get_object(Bucket=consumer.bucket, Key=entry["Key"])["Body"].read()
        lines = gzip.decompress(body).decode("ascii").splitlines()
        found[entry["Key"]] = [json.loads(line, parse_constant=refuse) for line in lines]
    return found


def _without(record: dict, *path: str) -> dict:
    target = record
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return record


BROKEN = [
    pytest.param(lambda r: _without(r, "kinesis", "data"), "kinesis.data is missing", id="no-data"),
    pytest.param(
        lambda r: {**r, "kinesis": {**r["kinesis"], "data": None}}, "kinesis.data is null", id="null-data"
    ),
    pytest.param(
        lambda r: _without(r, "kinesis", "approximateArrivalTimestamp"),
        "kinesis.approximateArrivalTimestamp is missing",
        id="no-arrival",
    ),
    pytest.param(
        lambda r: _without(r, "kinesis", "partitionKey"), "kinesis.partitionKey is missing", id="no-key"
    ),
    pytest.param(
        lambda r: {**r, "kinesis": {**r["kinesis"], "data": 42}}, "kinesis.data is int", id="int-data"
    ),
    pytest.param(lambda r: {**r, "kinesis": "junk"}, "kinesis.data is missing", id="kinesis-not-object"),
]


@pytest.mark.parametrize("breaking, reason", BROKEN)
def test_a_structurally_broken_record_goes_to_errors_and_the_batch_succeeds(consumer, breaking, reason):
    """Issue 9 C: a record missing data or its arrival time, or with data null, used to raise a
    KeyError or TypeError and fail the whole batch; now it alone goes to errors/."""
    records = [
        consumer.record(event(0), seq=0),
        consumer.record(event(1), seq=1),
        consumer.record(event(2), seq=2),
    ]
    records[1] = breaking(records[1])
    assert consumer.invoke(records) == {"batchItemFailures": []}
    objects = strict_lines(consumer)
    assert [line["id"] for line in objects[data_key(consumer, records)]] == ["id-0", "id-2"]
    (error,) = objects[data_key(consumer, records, prefix="errors")]
    assert reason in error["reason"]


def test_a_record_without_sequence_number_or_event_id_is_isolated_too(consumer):
    records = [consumer.record(event(0), seq=0), consumer.record(event(1), seq=1)]
    del records[1]["kinesis"]["sequenceNumber"]
    del records[1]["eventID"]
    assert consumer.invoke(records) == {"batchItemFailures": []}
    objects = strict_lines(consumer)
    # Without an eventID the record cannot be placed in its shard: it gets an object of its own.
    assert [line["id"] for line in objects[data_key(consumer, records[:1])]] == ["id-0"]
    unknown = [key for key in objects if key.startswith(f"errors/{consumer.stream}/unknown/")]
    assert unknown == [f"errors/{consumer.stream}/unknown/unknown-unknown.jsonl.gz"]
    assert "kinesis.sequenceNumber is missing" in objects[unknown[0]][0]["reason"]


def test_archived_lines_are_strict_json_even_for_huge_numbers(consumer):
    """1e400 is isolated; 1e308 (a finite double) is archived as a number, never as Infinity."""
    payload = base64.b64encode(b'{"type":"t","id":"big","n":1e308}').decode()
    records = [consumer.record(None, seq=0, raw_data=payload)]
    assert consumer.invoke(records) == {"batchItemFailures": []}
    (line,) = strict_lines(consumer)[data_key(consumer, records)]
    assert line["n"] == 1e308


@pytest.mark.parametrize("raw_data, reason", MALFORMED)
def test_malformed_records_are_isolated_in_errors(consumer, raw_data, reason):
    records = [
        consumer.record(event(0), seq=0),
        consumer.record(None, seq=1, raw_data=raw_data),
        consumer.record(event(2), seq=2),
    ]

    assert consumer.invoke(records) == {"batchItemFailures": []}  # never blocks the shard

    objects = consumer.objects()
    assert [line["id"] for line in objects[data_key(consumer, records)]] == ["id-0", "id-2"]
    (error,) = objects[data_key(consumer, records, prefix="errors")]
    assert error["data"] == raw_data
    assert error["_sequenceNumber"] == records[1]["kinesis"]["sequenceNumber"]
    assert error["_partitionKey"] == "pk-1"
    assert reason in error["reason"]


def test_batch_of_only_malformed_records_writes_only_errors(consumer):
    records = [consumer.record(None, seq=n, raw_data="!!") for n in range(2)]
    assert consumer.invoke(records) == {"batchItemFailures": []}
    assert list(consumer.objects()) == [data_key(consumer, records, prefix="errors")]
    assert [(line["level"], line["malformed"]) for line in consumer.logs.lines()] == [("WARNING", 2)]


def test_failed_data_put_reports_every_record(consumer, monkeypatch):
    monkeypatch.setenv("RESULTS_BUCKET", "no-such-bucket")
    records = [consumer.record(event(n), seq=n) for n in range(4)]

    response = consumer.invoke(records)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in records]
    }
    assert consumer.logs.lines()[0]["level"] == "ERROR"


def test_failed_errors_put_reports_every_record(consumer, monkeypatch):
    fail_puts(consumer, monkeypatch, "errors/")
    records = [consumer.record(event(0), seq=0), consumer.record(None, seq=1, raw_data="!!")]

    response = consumer.invoke(records)

    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in records
    ]


def test_empty_batch_puts_nothing(consumer):
    assert consumer.invoke([]) == {"batchItemFailures": []}
    assert consumer.module.handler({}, None) == {"batchItemFailures": []}
    assert consumer.calls == []


def test_records_from_several_shards_get_one_object_each(consumer, monkeypatch):
    other = "shardId-000000000001"
    shard_a = [consumer.record(event(n), seq=n) for n in range(2)]
    shard_b = [consumer.record(event(n), seq=n, shard=other) for n in range(10, 13)]
    interleaved = [shard_a[0], shard_b[0], shard_a[1], shard_b[1], shard_b[2]]

    assert consumer.invoke(interleaved) == {"batchItemFailures": []}
    objects = consumer.objects()
    assert sorted(objects) == sorted([data_key(consumer, shard_a), data_key(consumer, shard_b, shard=other)])
    assert [line["id"] for line in objects[data_key(consumer, shard_b, shard=other)]] == [
        "id-10",
        "id-11",
        "id-12",
    ]

    # A failure in one shard reports only that shard's records.
    fail_puts(consumer, monkeypatch, f"data/{consumer.stream}/{other}/")
    response = consumer.invoke(interleaved)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in shard_b
    ]


def test_000_R12_000_R19_consumer_only_calls_put_object_without_sse_params(consumer, monkeypatch):
    """000-R12: s3:PutObject on the results bucket is all it needs; 000-R19: bucket default SSE."""
    consumer.invoke([consumer.record(event(0), seq=0), consumer.record(None, seq=1, raw_data="!")])
    consumer.invoke([])
    monkeypatch.setenv("RESULTS_BUCKET", "no-such-bucket")
    consumer.invoke([consumer.record(event(2), seq=2)])

    assert consumer.calls.ops("s3") == {"PutObject"}
    assert {service for service, _, _ in consumer.calls} == {"s3"}
    for _, _, params in consumer.calls:
        assert set(params) == {"Bucket", "Key", "Body", "ContentType"}


def test_a_put_is_tried_3_times_in_all_before_the_batch_is_handed_back(consumer):
    """botocore's retries.max_attempts counts retries after the first try; total_max_attempts all."""
    assert consumer.module._BOTO_CONFIG.retries == {"mode": "standard", "total_max_attempts": 3}
