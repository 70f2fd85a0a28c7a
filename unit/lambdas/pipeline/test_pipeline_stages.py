"""The five stages against moto in-process: forwarding, poison isolation, exactly-once effects.

Each test drives the handlers through tools.pipeline_local.LocalPipeline (the stage's own
environment, real boto3 calls into moto) and reads the result back from the queues, the table,
the bucket and the event bus's target queue.
"""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import boto3
import pytest

from tools.pipeline_local import BUCKET, TABLE

from .conftest import REGION, encode, event, receive_all, sqs_records


class Faulty:
    """A real client with one operation replaced (fault injection)."""

    def __init__(self, real, **overrides):
        self._real = real
        self._overrides = overrides

    def __getattr__(self, name):
        return self._overrides.get(name) or getattr(self._real, name)


def inject(monkeypatch, pipeline, service: str, **overrides):
    core = pipeline.core
    real_client = core.client

    def client(name):
        found = real_client(name)
        return Faulty(found, **overrides) if name == service else found

    monkeypatch.setattr(core, "client", client)


def client_error(code: str, operation: str):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


def bodies(url: str) -> list[dict]:
    return [json.loads(m["Body"]) for m in receive_all(url)]


def aggregate(pipeline, source="sensor-a", type_="temp", minute="2026-01-01T12:00") -> dict:
    items = [i for i in pipeline.aggregates() if i["pk"] == f"AGG#{source}#{type_}" and i["sk"] == minute]
    return items[0] if items else {}


def through_enrich(pipeline, docs: list[dict]) -> list[str]:
    """Enriched message bodies for producer events (validate + enrich run for real)."""
    pipeline.invoke("validate", {"Records": pipeline.kinesis_records([encode(d) for d in docs])})
    enrich_in = [m["Body"] for m in receive_all(pipeline.queues["enrich"])]
    assert pipeline.invoke("enrich", {"Records": sqs_records(enrich_in)}) == {"batchItemFailures": []}
    receive_all(pipeline.queues["archive"])  # the aggregate tests read only the aggregate queue
    return [m["Body"] for m in receive_all(pipeline.queues["aggregate"])]


# --- validate ---------------------------------------------------------------------------------


def test_003_R4_validate_forwards_each_valid_record_of_a_fan_out_batch(pipeline):
    records = pipeline.kinesis_records([encode(event(1, value="1.25")), encode(event(2))])
    assert pipeline.invoke("validate", {"Records": records}) == {"batchItemFailures": []}
    forwarded = bodies(pipeline.queues["enrich"])
    assert sorted(b["event"]["eventId"] for b in forwarded) == ["evt-1", "evt-2"]
    first = next(b for b in forwarded if b["event"]["eventId"] == "evt-1")
    assert first["event"]["value"] == "1.25"
    assert first["origin"]["shardId"] == "shardId-000000000000"


def test_003_R36_poison_goes_to_the_dlq_with_its_reason_and_never_blocks_the_shard(pipeline):
    records = pipeline.kinesis_records(
        [encode(event(1)), "%%%", encode(event(2, value="NaN")), encode(event(3))]
    )
    assert pipeline.invoke("validate", {"Records": records}) == {"batchItemFailures": []}
    assert sorted(b["event"]["eventId"] for b in bodies(pipeline.queues["enrich"])) == ["evt-1", "evt-3"]
    dead = bodies(pipeline.dlqs["validate"])
    assert sorted(d["reason"] for d in dead) == ["bad base64", "non-finite number NaN"]
    bad = next(d for d in dead if d["reason"] == "bad base64")
    assert bad["payload"] == "%%%"
    assert bad["stage"] == "validate"
    assert bad["origin"]["sequenceNumber"] == records[1]["kinesis"]["sequenceNumber"]


def test_003_R36_only_records_whose_send_failed_are_reported(monkeypatch, pipeline):
    def send_message_batch(QueueUrl, Entries):  # noqa: N803 (boto3's parameter names)
        failed = [
            {"Id": e["Id"], "Code": "InternalError", "SenderFault": False}
            for e in Entries
            if '"evt-2"' in e["MessageBody"]
        ]
        ok = [e for e in Entries if '"evt-2"' not in e["MessageBody"]]
        boto3.client("sqs", region_name=REGION).send_message_batch(QueueUrl=QueueUrl, Entries=ok)
        return {"Successful": [], "Failed": failed}

    inject(monkeypatch, pipeline, "sqs", send_message_batch=send_message_batch)
    records = pipeline.kinesis_records([encode(event(n)) for n in (1, 2, 3)])
    response = pipeline.invoke("validate", {"Records": records})
    assert response == {"batchItemFailures": [{"itemIdentifier": records[1]["kinesis"]["sequenceNumber"]}]}


def test_003_R36_a_failed_dlq_send_reports_the_poison_record(monkeypatch, pipeline):
    def send_message(**_):
        raise client_error("ServiceUnavailable", "SendMessage")

    inject(monkeypatch, pipeline, "sqs", send_message=send_message)
    records = pipeline.kinesis_records([encode(event(1)), "%%%"])
    response = pipeline.invoke("validate", {"Records": records})
    assert response == {"batchItemFailures": [{"itemIdentifier": records[1]["kinesis"]["sequenceNumber"]}]}


def test_missing_configuration_is_one_line_naming_the_variable(pipeline, monkeypatch):
    monkeypatch.setattr(pipeline, "stage_env", lambda stage: {"DLQ_URL": "x", "ENRICH_QUEUE_URL": ""})
    with pytest.raises(
        pipeline.core.ConfigError, match=r"^environment variable ENRICH_QUEUE_URL is required$"
    ):
        pipeline.invoke("validate", {"Records": []})


# --- enrich -----------------------------------------------------------------------------------


def test_003_R33_enrich_fans_out_identical_bytes_to_aggregate_and_archive(pipeline):
    pipeline.invoke("validate", {"Records": pipeline.kinesis_records([encode(event(7, value="2.50"))])})
    message = receive_all(pipeline.queues["enrich"])
    twice = sqs_records([message[0]["Body"]] * 2)
    assert pipeline.invoke("enrich", {"Records": twice}) == {"batchItemFailures": []}
    to_aggregate = [m["Body"] for m in receive_all(pipeline.queues["aggregate"])]
    to_archive = [m["Body"] for m in receive_all(pipeline.queues["archive"])]
    assert len(set(to_aggregate)) == 1 and set(to_aggregate) == set(to_archive)
    enriched = json.loads(to_aggregate[0])
    assert enriched["minute"] == "2026-01-01T12:00"
    assert enriched["timestamp"] == "2026-01-01T12:00:07.000000Z"
    assert enriched["value"] == "2.5"


def test_003_R33_enrich_sends_a_foreign_message_to_its_dlq_and_deletes_it(pipeline):
    response = pipeline.invoke(
        "enrich", {"Records": sqs_records(["not json", '{"event": {"eventId": "x"}}'])}
    )
    assert response == {"batchItemFailures": []}
    reasons = sorted(d["reason"] for d in bodies(pipeline.dlqs["enrich"]))
    assert reasons == [
        "missing field(s) 'source', 'type', 'timestamp', 'value' "
        "(required: eventId, source, type, timestamp, value)",
        "not JSON: Expecting value: line 1 column 1 (char 0)",
    ]


# --- aggregate --------------------------------------------------------------------------------


def test_003_R33_a_batch_delivered_twice_is_counted_once(pipeline):
    messages = through_enrich(
        pipeline, [event(1, value="0.1"), event(2, value="0.2"), event(3, value="-0.05")]
    )
    for _ in range(2):
        assert pipeline.invoke("aggregate", {"Records": sqs_records(messages)}) == {"batchItemFailures": []}
    item = aggregate(pipeline)
    assert item["count"] == Decimal(3)
    assert item["sum"] == Decimal("0.25")  # exact: 0.1 + 0.2 - 0.05, no float on the way
    assert (item["source"], item["type"], item["minute"]) == ("sensor-a", "temp", "2026-01-01T12:00")


def test_003_R33_a_duplicate_inside_one_batch_is_counted_once(pipeline):
    messages = through_enrich(pipeline, [event(1, value="5")])
    assert pipeline.invoke("aggregate", {"Records": sqs_records(messages * 3)}) == {"batchItemFailures": []}
    assert (aggregate(pipeline)["count"], aggregate(pipeline)["sum"]) == (Decimal(1), Decimal(5))


def test_003_R33_retry_after_a_partial_failure_counts_nothing_twice(monkeypatch, pipeline):
    docs = [event(1, minute="12:00"), event(2, minute="12:00"), event(3, minute="12:01")]
    messages = through_enrich(pipeline, docs)
    real = pipeline.core.client("dynamodb")

    def transact_write_items(TransactItems):  # noqa: N803
        if any(
            i.get("Update", {}).get("Key", {}).get("sk", {}).get("S") == "2026-01-01T12:01"
            for i in TransactItems
        ):
            raise client_error("ProvisionedThroughputExceededException", "TransactWriteItems")
        return real.transact_write_items(TransactItems=TransactItems)

    inject(monkeypatch, pipeline, "dynamodb", transact_write_items=transact_write_items)
    monkeypatch.setattr(pipeline.modules["aggregate"], "_backoff", lambda attempt: None)
    response = pipeline.invoke("aggregate", {"Records": sqs_records(messages)})
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    minute_of = {r["messageId"]: json.loads(r["body"])["minute"] for r in sqs_records(messages)}
    assert {minute_of[m] for m in failed} == {"2026-01-01T12:01"}
    monkeypatch.undo()
    # The whole batch comes back (Kinesis-style), not only the failed message.
    assert pipeline.invoke("aggregate", {"Records": sqs_records(messages)}) == {"batchItemFailures": []}
    assert aggregate(pipeline, minute="2026-01-01T12:00")["count"] == Decimal(2)
    assert aggregate(pipeline, minute="2026-01-01T12:01")["count"] == Decimal(1)


def test_003_R33_two_concurrent_deliveries_of_one_batch_count_once(
    pipeline, serialised_dynamodb, monkeypatch
):
    module = pipeline.modules["aggregate"]
    for name, value in pipeline.stage_env("aggregate").items():
        monkeypatch.setenv(name, value)
    core = pipeline.core
    core._clients.clear()
    (
        core.client("dynamodb"),
        core.client("sqs"),
    )  # created before the threads (client creation is not thread-safe)
    for round_ in range(3):
        docs = [event(round_ * 100 + n, minute=f"12:0{n % 3}", value="0.5") for n in range(24)]
        messages = through_enrich(pipeline, docs)
        monkeypatch.setattr(core, "_clients", dict(core._clients))
        core.client("dynamodb"), core.client("sqs")
        barrier = threading.Barrier(2)
        results = []

        def deliver(barrier, results, messages):
            barrier.wait()
            results.append(module.handler({"Records": sqs_records(messages)}, None))

        threads = [threading.Thread(target=deliver, args=(barrier, results, messages)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [{"batchItemFailures": []}] * 2
        for n in range(3):
            item = aggregate(pipeline, minute=f"2026-01-01T12:0{n}")
            assert item["count"] == Decimal(8 * (round_ + 1))
            assert item["sum"] == Decimal(4 * (round_ + 1))


def test_eventid_reused_with_other_content_is_not_counted_and_goes_to_the_dlq(pipeline):
    first = through_enrich(pipeline, [event(1, value="1")])
    pipeline.invoke("aggregate", {"Records": sqs_records(first)})
    other = through_enrich(pipeline, [event(1, value="99")])
    assert pipeline.invoke("aggregate", {"Records": sqs_records(other, "n")}) == {"batchItemFailures": []}
    assert (aggregate(pipeline)["count"], aggregate(pipeline)["sum"]) == (Decimal(1), Decimal(1))
    assert [d["reason"] for d in bodies(pipeline.dlqs["aggregate"])] == [
        "eventId 'evt-1' already counted with different content"
    ]


def test_a_group_larger_than_one_transaction_is_split_and_counted_exactly(pipeline):
    docs = [event(n, second=n % 60, value="0.001") for n in range(110)]
    messages = through_enrich(pipeline, docs)
    # One batch of 110 (an SQS mapping's batch can hold up to 10,000): 99 + 11 markers.
    for prefix in ("first", "again"):
        assert pipeline.invoke("aggregate", {"Records": sqs_records(messages, prefix)}) == {
            "batchItemFailures": []
        }
    item = aggregate(pipeline)
    assert (item["count"], item["sum"]) == (Decimal(110), Decimal("0.11"))


def test_003_R11_markers_expire_after_the_redelivery_window(pipeline):
    messages = through_enrich(pipeline, [event(1)])
    before = int(time.time())
    pipeline.invoke("aggregate", {"Records": sqs_records(messages)})
    marker = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=TABLE, Key={"pk": {"S": "EVENT#evt-1"}, "sk": {"S": "EVENT"}}
    )["Item"]
    assert before + 16 * 86400 <= int(marker["expiresAt"]["N"]) <= int(time.time()) + 16 * 86400


def test_003_R9_aggregates_are_queryable_by_source_and_minute_on_the_gsi(pipeline):
    messages = through_enrich(
        pipeline, [event(1, minute="12:00"), event(2, minute="12:05"), event(3, source="b")]
    )
    pipeline.invoke("aggregate", {"Records": sqs_records(messages)})
    found = boto3.client("dynamodb", region_name=REGION).query(
        TableName=TABLE,
        IndexName="source-minute-index",
        KeyConditionExpression="#s = :s AND #m BETWEEN :a AND :b",
        ExpressionAttributeNames={"#s": "source", "#m": "minute"},
        ExpressionAttributeValues={
            ":s": {"S": "sensor-a"},
            ":a": {"S": "2026-01-01T12:00"},
            ":b": {"S": "2026-01-01T12:59"},
        },
    )["Items"]
    assert [(i["minute"]["S"], i["count"]["N"]) for i in found] == [
        ("2026-01-01T12:00", "1"),
        ("2026-01-01T12:05", "1"),
    ]


# --- archive ----------------------------------------------------------------------------------


def archive_messages(pipeline, docs):
    pipeline.invoke("validate", {"Records": pipeline.kinesis_records([encode(d) for d in docs])})
    pipeline.invoke(
        "enrich", {"Records": sqs_records([m["Body"] for m in receive_all(pipeline.queues["enrich"])])}
    )
    receive_all(pipeline.queues["aggregate"])
    return [m["Body"] for m in receive_all(pipeline.queues["archive"])]


def test_003_R12_each_event_is_archived_once_under_a_deterministic_key(pipeline):
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    messages = archive_messages(pipeline, [event(1, value="0.1", attributes={"k": 1.0})])
    for _ in range(3):
        assert pipeline.invoke("archive", {"Records": sqs_records(messages)}) == {"batchItemFailures": []}
    versions = s3.list_object_versions(Bucket=BUCKET)["Versions"]
    key = (
        "events/sensor-a/temp/2026-01-01/1200/" + __import__("hashlib").sha256(b"evt-1").hexdigest() + ".json"
    )
    assert [v["Key"] for v in versions] == [key]  # one version: written once, never overwritten
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    stored = json.loads(body)
    assert body.endswith("}\n")
    # Exact numbers in canonical form: value 0.1 as a number, attribute 1.0 as 1.
    assert '"value":0.1}' in body and '"attributes":{"k":1}' in body
    assert stored["minute"] == "2026-01-01T12:00" and stored["eventId"] == "evt-1"


def test_003_R12_an_eventid_archived_with_other_content_goes_to_the_dlq(pipeline):
    pipeline.invoke("archive", {"Records": sqs_records(archive_messages(pipeline, [event(1, value="1")]))})
    response = pipeline.invoke(
        "archive", {"Records": sqs_records(archive_messages(pipeline, [event(1, value="2")]))}
    )
    assert response == {"batchItemFailures": []}
    [dead] = bodies(pipeline.dlqs["archive"])
    assert dead["reason"].startswith(
        "eventId 'evt-1' already archived with different content (events/sensor-a/"
    )
    assert len(pipeline.archive_keys()) == 1


def test_003_R12_a_failed_put_is_retried_not_lost(monkeypatch, pipeline):
    messages = archive_messages(pipeline, [event(1), event(2)])

    def put_object(**_):
        raise client_error("SlowDown", "PutObject")

    inject(monkeypatch, pipeline, "s3", put_object=put_object)
    records = sqs_records(messages)
    response = pipeline.invoke("archive", {"Records": records})
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == ["m-0", "m-1"]
    monkeypatch.undo()
    assert pipeline.invoke("archive", {"Records": records}) == {"batchItemFailures": []}
    assert len(pipeline.archive_keys()) == 2


# --- alert ------------------------------------------------------------------------------------


def run_aggregate(pipeline, docs, prefix):
    messages = through_enrich(pipeline, docs)
    assert pipeline.invoke("aggregate", {"Records": sqs_records(messages, prefix)}) == {
        "batchItemFailures": []
    }


def test_003_R34_one_event_per_threshold_crossing(pipeline):
    run_aggregate(pipeline, [event(1), event(2)], "a")  # count 2 < 3: nothing
    assert receive_all(pipeline.queues["alert"]) == []
    run_aggregate(pipeline, [event(3), event(4)], "b")  # count 4 >= 3: the crossing
    checks = [m["Body"] for m in receive_all(pipeline.queues["alert"])]
    assert [json.loads(c)["metric"] for c in checks] == ["count"]
    # The check arrives three times (redeliveries): one alert.
    for n in range(3):
        pipeline.invoke("alert", {"Records": sqs_records(checks, f"c{n}")})
    run_aggregate(pipeline, [event(5)], "d")  # count 5, alert already sent: no new check
    assert receive_all(pipeline.queues["alert"]) == []
    assert pipeline.alerts() == [
        {
            "alertId": "sensor-a#temp#2026-01-01T12:00#count",
            "metric": "count",
            "minute": "2026-01-01T12:00",
            "source": "sensor-a",
            "threshold": 3,
            "type": "temp",
            "value": 4,
        }
    ]
    assert aggregate(pipeline)["countAlert"]["state"] == "sent"


def test_003_R34_sum_threshold_alerts_with_the_exact_value(pipeline):
    run_aggregate(pipeline, [event(1, value="9.99"), event(2, value="0.01")], "a")
    checks = [m["Body"] for m in receive_all(pipeline.queues["alert"])]
    pipeline.invoke("alert", {"Records": sqs_records(checks)})
    [alert] = pipeline.alerts()
    assert (alert["metric"], alert["value"], alert["threshold"]) == ("sum", 10, 10)


def test_003_R34_concurrent_checks_publish_one_event(pipeline, serialised_dynamodb, monkeypatch):
    run_aggregate(pipeline, [event(n) for n in range(3)], "a")
    checks = [m["Body"] for m in receive_all(pipeline.queues["alert"])]
    for name, value in pipeline.stage_env("alert").items():
        monkeypatch.setenv(name, value)
    core = pipeline.core
    core._clients.clear()
    core.client("dynamodb"), core.client("events"), core.client("sqs")
    barrier = threading.Barrier(4)
    results = []

    def deliver(n):
        barrier.wait()
        results.append(pipeline.modules["alert"].handler({"Records": sqs_records(checks, f"t{n}")}, None))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pipeline.alerts()) == 1
    # A loser that found the claim live hands its message back; none failed otherwise.
    assert all(len(r["batchItemFailures"]) <= 1 for r in results)


def test_003_R34_failed_put_events_releases_the_claim_and_the_retry_publishes_once(monkeypatch, pipeline):
    run_aggregate(pipeline, [event(n) for n in range(3)], "a")
    checks = sqs_records([m["Body"] for m in receive_all(pipeline.queues["alert"])])
    inject(
        monkeypatch,
        pipeline,
        "events",
        put_events=lambda **_: {
            "FailedEntryCount": 1,
            "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}],
        },
    )
    assert pipeline.invoke("alert", {"Records": checks}) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    claim = aggregate(pipeline)["countAlert"]
    assert (claim["state"], claim["leaseUntil"]) == ("pending", Decimal(0))
    monkeypatch.undo()
    assert pipeline.invoke("alert", {"Records": checks}) == {"batchItemFailures": []}
    assert pipeline.invoke("alert", {"Records": checks}) == {"batchItemFailures": []}
    assert [a["value"] for a in pipeline.alerts()] == [3]


def test_003_R34_a_live_claim_is_not_overtaken_and_an_expired_one_is(pipeline):
    run_aggregate(pipeline, [event(n) for n in range(3)], "a")
    checks = sqs_records([m["Body"] for m in receive_all(pipeline.queues["alert"])])
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    key = {"pk": {"S": "AGG#sensor-a#temp"}, "sk": {"S": "2026-01-01T12:00"}}

    def claim(lease_until):
        dynamodb.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET countAlert = :c",
            ExpressionAttributeValues={
                ":c": {
                    "M": {
                        "state": {"S": "pending"},
                        "alertId": {"S": "sensor-a#temp#2026-01-01T12:00#count"},
                        "threshold": {"N": "3"},
                        "value": {"N": "3"},
                        "leaseUntil": {"N": str(lease_until)},
                    }
                }
            },
        )

    claim(int(time.time()) + 600)  # another invocation is publishing right now
    assert pipeline.invoke("alert", {"Records": checks}) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert pipeline.alerts() == []
    claim(int(time.time()) - 1)  # that invocation died before marking the alert sent
    assert pipeline.invoke("alert", {"Records": checks}) == {"batchItemFailures": []}
    assert [a["alertId"] for a in pipeline.alerts()] == ["sensor-a#temp#2026-01-01T12:00#count"]


def test_003_R34_alert_poison_goes_to_its_dlq(pipeline):
    bad = json.dumps(
        {
            "source": "s",
            "type": "t",
            "minute": "2026-01-01T12:00",
            "metric": "max",
            "threshold": "1",
            "value": "2",
        }
    )
    missing = json.dumps(
        {
            "source": "nobody",
            "type": "t",
            "minute": "2026-01-01T12:00",
            "metric": "count",
            "threshold": "1",
            "value": "2",
        }
    )
    assert pipeline.invoke("alert", {"Records": sqs_records([bad, missing])}) == {"batchItemFailures": []}
    assert sorted(d["reason"] for d in bodies(pipeline.dlqs["alert"])) == [
        "field 'metric' must be one of count, sum",
        "no aggregate item for this alert",
    ]


def test_003_R36_kinesis_retry_from_the_failed_record_counts_nothing_twice(monkeypatch, pipeline):
    """A shard resumes at the lowest reported sequence number: later records come again."""
    core = pipeline.core
    real_send = core.send_batch
    failed_once = []

    def send_batch(queue_url, bodies):
        if queue_url == pipeline.queues["enrich"] and not failed_once:
            failed_once.append(True)
            keep = [b for b in bodies if '"evt-2"' not in b[1]]
            return real_send(queue_url, keep) | {k for k, b in bodies if '"evt-2"' in b}
        return real_send(queue_url, bodies)

    monkeypatch.setattr(core, "send_batch", send_batch)
    pipeline.put_records([encode(event(n, value="0.5")) for n in (1, 2, 3, 4)])
    pipeline.drain()
    stages = pipeline.summaries.stages
    assert (stages["validate"]["invocations"], stages["validate"]["in"]) == (2, 7)  # 4, then evt-2..4 again
    item = aggregate(pipeline)
    assert (item["count"], item["sum"]) == (Decimal(4), Decimal(2))
    assert stages["aggregate"]["duplicates"] == 2  # evt-3, evt-4 arrived twice
    assert len(pipeline.archive_keys()) == 4


def test_003_R34_alert_numbers_out_of_dynamodb_range_are_poison(pipeline):
    huge = json.dumps(
        {
            "source": "s",
            "type": "t",
            "minute": "2026-01-01T12:00",
            "metric": "sum",
            "threshold": "1",
            "value": "1E+999999999",
        }
    )
    assert pipeline.invoke("alert", {"Records": sqs_records([huge])}) == {"batchItemFailures": []}
    assert [d["reason"] for d in bodies(pipeline.dlqs["alert"])] == [
        "field 'value' must be decimal text a DynamoDB number can hold"
    ]
