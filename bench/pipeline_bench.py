"""Benchmark of the five pipeline stages (not a test: it prints figures and asserts nothing).

    python bench/pipeline_bench.py

- end-to-end records/s through validate -> enrich -> aggregate + archive -> alert, in-process,
  with every AWS call answered by an in-memory fake (FakeAws below: SQS lists, a dict-backed
  DynamoDB that honours the stages' conditions, an S3 dict with If-None-Match, a counting
  EventBridge). That is the stages' own CPU cost, **not** AWS latency;
- the same input delivered a second time (every event a duplicate: the idempotency path);
- a raw base64 + json.loads loop over the same records, the floor any decoder pays;
- each stage's deployment zip size;
- apart, a small run against moto in-process (LocalPipeline), whose time is dominated by moto
  and botocore serialisation: a smoke figure, not a prediction of AWS.

The floor printed beside the pipeline figure: one Kinesis shard accepts at most 1,000 records/s,
so one process must sustain that for the stage logic never to be what limits a shard.
Times are CPU seconds of this process (time.process_time), so other load on a shared machine
does not inflate them; rates are records per CPU second.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import random
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.pipeline_local import STAGES, load_stage  # noqa: E402

RECORDS = 20_000
KINESIS_BATCH = 100
SQS_BATCH = 10
SHARD_FLOOR = 1_000


class FakeSqs:
    def __init__(self):
        self.queues: dict[str, list[str]] = {}

    def send_message_batch(self, QueueUrl, Entries):  # noqa: N803 (boto3's names)
        self.queues.setdefault(QueueUrl, []).extend(e["MessageBody"] for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def send_message(self, QueueUrl, MessageBody, **_):  # noqa: N803
        self.queues.setdefault(QueueUrl, []).append(MessageBody)
        return {}


def _cancelled(reasons):
    error = ClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}}, "TransactWriteItems"
    )
    error.response["CancellationReasons"] = reasons
    return error


class FakeDynamoDb:
    """Just the operations and expressions the stages send, with their conditions honoured."""

    def __init__(self):
        self.items: dict[tuple[str, str], dict] = {}

    @staticmethod
    def _key(key):
        return key["pk"]["S"], key["sk"]["S"]

    def transact_write_items(self, TransactItems):  # noqa: N803
        reasons, failed = [], False
        for entry in TransactItems:
            put = entry.get("Put")
            if put and self._key(put["Item"]) in self.items:
                reasons.append({"Code": "ConditionalCheckFailed", "Item": self.items[self._key(put["Item"])]})
                failed = True
            else:
                reasons.append({"Code": "None"})
        if failed:
            raise _cancelled(reasons)
        for entry in TransactItems:
            if "Put" in entry:
                self.items[self._key(entry["Put"]["Item"])] = dict(entry["Put"]["Item"])
            else:
                update = entry["Update"]
                values = update["ExpressionAttributeValues"]
                item = self.items.setdefault(self._key(update["Key"]), dict(update["Key"]))
                for name, placeholder in (("count", ":n"), ("sum", ":s")):
                    old = Decimal(item.get(name, {"N": "0"})["N"])
                    item[name] = {"N": str(old + Decimal(values[placeholder]["N"]))}
                for name in ("source", "type", "minute"):
                    item[name] = values[f":{name}"]
        return {}

    def get_item(self, TableName, Key, ConsistentRead=False):  # noqa: N803
        item = self.items.get(self._key(Key))
        return {"Item": item} if item else {}

    def update_item(self, TableName, Key, UpdateExpression, ExpressionAttributeNames, **params):  # noqa: N803
        item = self.items.get(self._key(Key))
        attribute = ExpressionAttributeNames["#a"]
        values = params.get("ExpressionAttributeValues", {})
        if UpdateExpression == "SET #a = :claim":
            if item is None or attribute in item:
                error = ClientError(
                    {"Error": {"Code": "ConditionalCheckFailedException", "Message": "x"}}, "U"
                )
                error.response["Item"] = item
                raise error
            item[attribute] = values[":claim"]
        elif UpdateExpression.startswith("SET #a.#state = :sent"):
            item[attribute]["M"]["state"] = {"S": "sent"}
        else:
            raise NotImplementedError(UpdateExpression)
        return {"Attributes": item}


class FakeS3:
    def __init__(self):
        self.objects: dict[str, tuple[bytes, dict]] = {}
        # A real client's model (no call is made): the archive stage checks it for IfNoneMatch.
        self.meta = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        ).meta

    def put_object(self, Bucket, Key, Body, Metadata, IfNoneMatch=None, **_):  # noqa: N803
        if IfNoneMatch == "*" and Key in self.objects:
            raise ClientError({"Error": {"Code": "PreconditionFailed", "Message": "x"}}, "PutObject")
        self.objects[Key] = (Body, Metadata)
        return {}

    def head_object(self, Bucket, Key):  # noqa: N803
        return {"Metadata": self.objects[Key][1]}


class FakeEvents:
    def __init__(self):
        self.entries: list[dict] = []

    def put_events(self, Entries):  # noqa: N803
        self.entries.extend(Entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": str(len(self.entries))}]}


class FakeAws:
    def __init__(self):
        self.clients = {"sqs": FakeSqs(), "dynamodb": FakeDynamoDb(), "s3": FakeS3(), "events": FakeEvents()}


ENV = {
    "validate": {"ENRICH_QUEUE_URL": "enrich", "DLQ_URL": "validate-dlq"},
    "enrich": {"AGGREGATE_QUEUE_URL": "aggregate", "ARCHIVE_QUEUE_URL": "archive", "DLQ_URL": "enrich-dlq"},
    "aggregate": {
        "TABLE_NAME": "t",
        "ALERT_QUEUE_URL": "alert",
        "COUNT_THRESHOLD": "40",
        "DLQ_URL": "aggregate-dlq",
    },
    "archive": {"ARCHIVE_BUCKET": "b", "DLQ_URL": "archive-dlq"},
    "alert": {"TABLE_NAME": "t", "EVENT_BUS_NAME": "bus", "DLQ_URL": "alert-dlq"},
}


def make_records(count: int) -> list[dict]:
    """Events over 50 (source, type) pairs and 10 minutes (~40 per aggregate), 1% poison."""
    rng = random.Random(3)
    records = []
    for n in range(count):
        if n % 100 == 99:
            data = base64.b64encode(b'{"eventId": "broken", "value": NaN}').decode()
        else:
            doc = {
                "eventId": f"evt-{n:08d}",
                "source": f"sensor-{rng.randrange(25)}",
                "type": rng.choice(("temp", "hum")),
                "timestamp": f"2026-01-01T12:{rng.randrange(10):02d}:{rng.randrange(60):02d}."
                f"{rng.randrange(1000):03d}Z",
                "value": round(rng.uniform(-50, 50), 3),
                "attributes": {"firmware": "1.2.3", "rssi": -rng.randrange(90)},
            }
            data = base64.b64encode(json.dumps(doc).encode()).decode()
        sequence = f"4959{n:052d}"
        records.append(
            {
                "kinesis": {
                    "partitionKey": str(n),
                    "sequenceNumber": sequence,
                    "data": data,
                    "approximateArrivalTimestamp": 1767268800.0,
                },
                "eventID": f"shardId-000000000000:{sequence}",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/bench",
            }
        )
    return records


def sqs_event(bodies: list[str], offset: int) -> dict:
    return {"Records": [{"messageId": f"m{offset + n}", "body": b} for n, b in enumerate(bodies)]}


def run_pipeline(modules, core, aws: FakeAws, records: list[dict], timings: dict[str, float]) -> None:
    import os

    sqs = aws.clients["sqs"]

    def invoke(stage, event):
        os.environ.update(ENV[stage])
        start = time.process_time()
        response = modules[stage].handler(event, None)
        timings[stage] = timings.get(stage, 0.0) + time.process_time() - start
        assert not response["batchItemFailures"], (stage, response)

    for start in range(0, len(records), KINESIS_BATCH):
        invoke("validate", {"Records": records[start : start + KINESIS_BATCH]})
    for stage in ("enrich", "aggregate", "archive", "alert"):
        queue = sqs.queues.pop(stage, [])
        for start in range(0, len(queue), SQS_BATCH):
            invoke(stage, sqs_event(queue[start : start + SQS_BATCH], start))


def moto_smoke(count: int) -> tuple[float, int]:
    """(seconds, records) for a small run through LocalPipeline against moto in-process."""
    import os

    from moto import mock_aws

    from tools.pipeline_local import LocalPipeline

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    lines = [r["kinesis"]["data"] for r in make_records(count)]
    with mock_aws():
        local = LocalPipeline(None)
        local.create()
        start = time.process_time()
        local.put_records(lines)
        local.drain()
        elapsed = time.process_time() - start
        local.close()
    return elapsed, count


def zip_size(stage: str) -> tuple[int, str]:
    """(deflated bytes, what it holds) of the stage's deployment zip: the files the program ships
    (function.code_files for the blueprint's stage_code), so the figure cannot drift from the deploy."""
    from program.blueprints.stream_pipeline import stage_code
    from program.components.function import code_files

    code = stage_code(stage)
    files = code_files(code.folder, root_files=code.root_files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files.items():
            archive.write(path, name)
    tops = sorted({name.split("/", 1)[0] + ("/" if "/" in name else "") for name in files})
    return len(buffer.getvalue()), f"{len(files)} files: {', '.join(tops)}; deflated"


def main() -> None:
    modules = {name: load_stage(name) for name in STAGES}
    core = sys.modules["pipeline_core"]
    core.LOG.disabled = True  # the summary lines would flood the output
    records = make_records(RECORDS)

    start = time.process_time()
    for record in records:
        with contextlib.suppress(ValueError):  # the NaN records
            json.loads(base64.b64decode(record["kinesis"]["data"]))
    raw = time.process_time() - start

    aws = FakeAws()
    core._clients.clear()
    core._clients.update(aws.clients)
    first: dict[str, float] = {}
    run_pipeline(modules, core, aws, records, first)
    again: dict[str, float] = {}
    run_pipeline(modules, core, aws, records, again)  # every record delivered a second time
    total, total_again = sum(first.values()), sum(again.values())
    dynamodb, s3, events = aws.clients["dynamodb"], aws.clients["s3"], aws.clients["events"]
    aggregates = [i for k, i in dynamodb.items.items() if k[0].startswith("AGG#")]
    counted = sum(int(i["count"]["N"]) for i in aggregates)

    moto_seconds, moto_records = moto_smoke(100)

    rows = [
        (
            "raw base64 + json.loads loop",
            f"{RECORDS / raw:,.0f} rec/s",
            f"{raw * 1000:.0f} ms for {RECORDS:,}",
        ),
        (
            "five stages, AWS faked in memory",
            f"{RECORDS / total:,.0f} rec/s",
            f"{total / raw:.1f}x raw; floor {SHARD_FLOOR:,} rec/s (one shard's write limit)",
        ),
    ]
    for stage in STAGES:
        rows.append(
            (f"  {stage}", f"{first[stage] * 1000:,.0f} ms", f"{first[stage] / total:.0%} of the run")
        )
    rows += [
        (
            "same records again (all duplicates)",
            f"{RECORDS / total_again:,.0f} rec/s",
            "markers/412s absorb them",
        ),
        (
            "effects after both runs",
            f"{counted:,} counted",
            f"{len(s3.objects):,} objects, {len(aggregates)} aggregates, {len(events.entries)} alerts, "
            f"{len(aws.clients['sqs'].queues.get('validate-dlq', [])):,} poison in the DLQ",
        ),
        (
            "moto in-process (not AWS)",
            f"{moto_records / moto_seconds:,.0f} rec/s",
            f"{moto_records} records in {moto_seconds:.1f} CPU s: moto + botocore dominate",
        ),
    ]
    for stage in STAGES:
        size, holds = zip_size(stage)
        rows.append((f"zip {stage}", f"{size:,} B", holds))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(
        f"Pipeline benchmark: {RECORDS:,} Kinesis records (1% poison), batches of {KINESIS_BATCH}/"
        f"{SQS_BATCH}; in-memory fake AWS, not a measurement of AWS; rates per CPU second"
    )
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>{value_width}}  {note}".rstrip())


if __name__ == "__main__":
    main()
