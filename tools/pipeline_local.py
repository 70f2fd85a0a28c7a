"""Run the five pipeline stages (lambdas/pipeline/) end to end against moto, on this machine.

    python -m tools.pipeline_local FILE [--redeliver] [--batch-size N]
                                   [--count-threshold X] [--sum-threshold Y]

FILE holds one base64-encoded Kinesis record per line (whitespace around it is stripped, blank
lines are skipped). The tool starts moto's server on 127.0.0.1 (a free port; stopped at exit),
creates the queues with their DLQs and redrive policies, the table (with its GSI and TTL), the
bucket and the event bus (with a rule whose target queue shows the alerts), then plays the event
source mappings:

- Kinesis -> validate: each line is one record (its `data` is the line as given, so undecodable
  base64 can be injected), in batches of --batch-size (default 100). Reported failures are
  redelivered from the lowest reported sequence number, as Lambda does for a shard (3 attempts).
- SQS -> enrich, aggregate, archive, alert: ReceiveMessage (10 at a time), invoke, delete what
  succeeded, make the reported failures visible again; after maxReceiveCount (3) the queue's
  redrive policy moves a message to its DLQ.
- --redeliver invokes every batch twice, the at-least-once delivery the stages must absorb.

It prints one JSON object: per stage the records in, out, failed (and poison, duplicates,
invocations); the DLQ messages with their reasons; the aggregate items as stored; the archive
object keys; the alerts seen on the event bus. This emulates the mappings in-process; it is not
Lambda, and moto is not AWS. Bad input (no such file, unreadable) is one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGES_DIR = ROOT / "lambdas" / "pipeline"
STAGES = ("validate", "enrich", "aggregate", "archive", "alert")
SQS_STAGES = STAGES[1:]
REGION = "us-east-1"
ACCOUNT = "123456789012"
STREAM = "pipeline-events-local"
SHARD = "shardId-000000000000"
TABLE = "pipeline-aggregates-local"
BUCKET = "pipeline-archive-local"
BUS = "pipeline-local"
MAX_RECEIVE_COUNT = 3
KINESIS_ATTEMPTS = 3
EXIT_USAGE = 2


def load_stage(name: str) -> ModuleType:
    """A stage's handler.py by file path, as Lambda loads `handler.handler` from its zip."""
    path = STAGES_DIR / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"pipeline_{name}_handler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _Summaries(logging.Handler):
    """Collects the stages' `batch summary` log lines (the counts the tool reports)."""

    def __init__(self) -> None:
        super().__init__()
        self.stages = {
            s: {"in": 0, "out": 0, "failed": 0, "poison": 0, "duplicates": 0, "invocations": 0}
            for s in STAGES
        }

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        if record.getMessage() != "batch summary" or fields.get("stage") not in self.stages:
            return
        counts = self.stages[fields["stage"]]
        counts["in"] += fields["recordsIn"]
        counts["out"] += fields["out"]
        counts["failed"] += fields["failed"]
        counts["poison"] += fields["poison"]
        counts["duplicates"] += fields["duplicates"]
        counts["invocations"] += 1


class _Context:
    def __init__(self, stage: str) -> None:
        self.aws_request_id = f"local-{stage}"


class LocalPipeline:
    """The five stages wired to AWS resources at `endpoint` (moto's server), with the mappings played."""

    def __init__(
        self,
        endpoint: str | None,
        count_threshold: Decimal | None = Decimal(100),
        sum_threshold: Decimal | None = None,
        batch_size: int = 100,
        quiet: bool = True,
    ) -> None:
        import boto3

        self.endpoint = endpoint
        self.batch_size = batch_size
        self.thresholds = {"count": count_threshold, "sum": sum_threshold}
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.sqs = session.client("sqs", endpoint_url=endpoint)
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        self.s3 = session.client("s3", endpoint_url=endpoint)
        self.events = session.client("events", endpoint_url=endpoint)
        self.modules = {name: load_stage(name) for name in STAGES}
        self.core = sys.modules["pipeline_core"]
        # Clients are cached like a warm container's; all stages here share one endpoint and
        # region, so only clients made for another endpoint (an earlier pipeline) are dropped.
        self.core._clients.clear()
        self.summaries = _Summaries()
        self.core.LOG.addHandler(self.summaries)
        self._stdout_handler = self.core.LOG.handlers[0]
        self._stdout_level = self._stdout_handler.level
        if quiet:
            self._stdout_handler.setLevel(logging.CRITICAL + 1)
        self.queues: dict[str, str] = {}
        self.dlqs: dict[str, str] = {}
        self.alerts_queue = ""
        self.sequence = 0

    def close(self) -> None:
        """Detach from the stages' logger (several pipelines may live in one test process)."""
        self.core.LOG.removeHandler(self.summaries)
        self._stdout_handler.setLevel(self._stdout_level)

    # --- resources -------------------------------------------------------------------------

    def create(self) -> None:
        for stage in STAGES:
            dlq = self.sqs.create_queue(QueueName=f"pipeline-{stage}-dlq-local")["QueueUrl"]
            self.dlqs[stage] = dlq
            if stage == "validate":
                continue  # the stream feeds validate; its DLQ also takes the ESM on-failure records
            arn = self._queue_arn(dlq)
            self.queues[stage] = self.sqs.create_queue(
                QueueName=f"pipeline-{stage}-local",
                Attributes={
                    "VisibilityTimeout": "30",
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
                    ),
                },
            )["QueueUrl"]
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "source", "minute")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "source-minute-index",
                    "KeySchema": [
                        {"AttributeName": "source", "KeyType": "HASH"},
                        {"AttributeName": "minute", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )
        self.s3.create_bucket(Bucket=BUCKET)
        self.events.create_event_bus(Name=BUS)
        self.alerts_queue = self.sqs.create_queue(QueueName="pipeline-alerts-observed-local")["QueueUrl"]
        self.events.put_rule(
            Name="threshold-crossed", EventBusName=BUS, EventPattern='{"source":["webstack.pipeline"]}'
        )
        self.events.put_targets(
            Rule="threshold-crossed",
            EventBusName=BUS,
            Targets=[{"Id": "observed", "Arn": self._queue_arn(self.alerts_queue)}],
        )

    def _queue_arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def stage_env(self, stage: str) -> dict[str, str]:
        """The environment the infrastructure gives each function (lambdas/pipeline/README.md)."""
        env = {"DLQ_URL": self.dlqs[stage]}
        if stage == "validate":
            env["ENRICH_QUEUE_URL"] = self.queues["enrich"]
        elif stage == "enrich":
            env["AGGREGATE_QUEUE_URL"] = self.queues["aggregate"]
            env["ARCHIVE_QUEUE_URL"] = self.queues["archive"]
        elif stage == "aggregate":
            env["TABLE_NAME"] = TABLE
            env["ALERT_QUEUE_URL"] = self.queues["alert"]
            for metric, value in self.thresholds.items():
                if value is not None:
                    env[f"{metric.upper()}_THRESHOLD"] = str(value)
        elif stage == "archive":
            env["ARCHIVE_BUCKET"] = BUCKET
        else:
            env["TABLE_NAME"] = TABLE
            env["EVENT_BUS_NAME"] = BUS
        return env

    @contextlib.contextmanager
    def _environment(self, stage: str) -> Iterator[None]:
        values: dict[str, str | None] = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            # None: moto in-process (mock_aws) intercepts the default endpoints.
            "AWS_ENDPOINT_URL": self.endpoint,
            **self.stage_env(stage),
        }
        saved = {name: os.environ.get(name) for name in values}
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def invoke(self, stage: str, event: dict) -> dict:
        with self._environment(stage):
            return self.modules[stage].handler(event, _Context(stage))

    # --- the mappings ----------------------------------------------------------------------

    def kinesis_records(self, lines: Sequence[str]) -> list[dict]:
        records = []
        for line in lines:
            self.sequence += 1
            sequence = f"4959{self.sequence:052d}"
            records.append(
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": f"line-{self.sequence}",
                        "sequenceNumber": sequence,
                        "data": line,
                        "approximateArrivalTimestamp": 1767225600.0 + self.sequence / 1000,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"{SHARD}:{sequence}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/pipeline-validate",
                    "awsRegion": REGION,
                    "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{STREAM}",
                }
            )
        return records

    def put_records(self, lines: Sequence[str], redeliver: bool = False) -> None:
        """Kinesis -> validate, batch by batch, with the shard checkpoint semantics of Lambda."""
        records = self.kinesis_records(lines)
        for start in range(0, len(records), self.batch_size):
            batch = records[start : start + self.batch_size]
            for _ in range(KINESIS_ATTEMPTS):
                failures = self._deliver("validate", batch, redeliver)
                if not failures:
                    break
                # Lambda resumes the shard at the lowest reported sequence number.
                lowest = min(failures)
                batch = [r for r in batch if r["kinesis"]["sequenceNumber"] >= lowest]

    def _deliver(self, stage: str, records: list[dict], redeliver: bool) -> set[str]:
        failures: set[str] = set()
        for _ in range(2 if redeliver else 1):
            response = self.invoke(stage, {"Records": records})
            failures |= {f["itemIdentifier"] for f in response.get("batchItemFailures") or []}
        return failures

    def drain(self, redeliver: bool = False) -> None:
        """Play the four SQS mappings until every stage queue is empty."""
        while True:
            moved = 0
            for stage in SQS_STAGES:
                moved += self._poll(stage, redeliver)
            if not moved:
                return

    def _poll(self, stage: str, redeliver: bool) -> int:
        url = self.queues[stage]
        handled = 0
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return handled
            handled += len(messages)
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:pipeline-{stage}-local",
                    "awsRegion": REGION,
                }
                for m in messages
            ]
            failures = self._deliver(stage, records, redeliver)
            for message in messages:
                if message["MessageId"] in failures:
                    self.sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def run(self, lines: Sequence[str], redeliver: bool = False) -> dict:
        self.put_records(lines, redeliver)
        self.drain(redeliver)
        return self.report()

    # --- what came out ---------------------------------------------------------------------

    def dlq_messages(self) -> list[dict]:
        found = []
        for stage, url in self.dlqs.items():
            for message in self._receive_all(url):
                try:
                    doc = self.core.loads(message["Body"])
                except self.core.PoisonError:
                    doc = None
                if isinstance(doc, dict) and "reason" in doc:
                    found.append({"queue": stage, **doc})
                else:
                    # Moved by the redrive policy after maxReceiveCount: SQS adds no reason.
                    found.append(
                        {
                            "queue": stage,
                            "stage": stage,
                            "reason": f"redriven by SQS after {MAX_RECEIVE_COUNT} receives",
                            "payload": message["Body"],
                        }
                    )
        return found

    def _receive_all(self, url: str) -> list[dict]:
        messages: list[dict] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=300
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)

    def aggregates(self) -> list[dict]:
        """The aggregate items as stored (markers left out), numbers as exact Decimals."""
        items = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
            for item in page["Items"]:
                if item["pk"]["S"].startswith("AGG#"):
                    items.append(plain(item))
        return sorted(items, key=lambda i: (i["pk"], i["sk"]))

    def marker_count(self) -> int:
        count = 0
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=TABLE):
            count += sum(1 for item in page["Items"] if item["pk"]["S"].startswith("EVENT#"))
        return count

    def archive_keys(self) -> list[str]:
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            keys.extend(entry["Key"] for entry in page.get("Contents", []))
        return sorted(keys)

    def archived(self, key: str) -> dict:
        return self.core.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("ascii"))

    def alerts(self) -> list[dict]:
        found = []
        for message in self._receive_all(self.alerts_queue):
            event = self.core.loads(message["Body"])
            found.append(event["detail"])
        return sorted(found, key=lambda d: d["alertId"])

    def report(self) -> dict:
        """Everything that came out. Receiving hides the DLQ and alert messages: call it once."""
        return {
            "stages": self.summaries.stages,
            "dlq": self.dlq_messages(),
            "aggregates": self.aggregates(),
            "markers": self.marker_count(),
            "archive": self.archive_keys(),
            "alerts": self.alerts(),
            "thresholds": {k: v for k, v in self.thresholds.items() if v is not None},
        }


def plain(item: dict) -> dict:
    """A DynamoDB low-level item as plain values: N -> Decimal (exact), M -> dict, S -> str."""
    return {name: _plain(value) for name, value in item.items()}


def _plain(value: dict) -> Any:
    ((kind, inner),) = value.items()
    if kind == "N":
        return Decimal(inner)
    if kind == "M":
        return plain(inner)
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "NULL":
        return None
    return inner


def _decimal_arg(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite decimal number")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 1 <= value <= 10000:
        raise argparse.ArgumentTypeError("must be 1-10000 (a Kinesis mapping's batch size)")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, exit 2 (argparse would print the usage block first).
        print(f"pipeline_local: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def read_lines(path: str) -> list[str]:
    """The file's lines, whitespace stripped, blank lines skipped. OSError for unreadable files."""
    data = Path(path).read_bytes()
    # Lines are base64 (ASCII); a non-ASCII byte cannot be base64, so it reaches validate as
    # such and is reported there as bad base64, like any other poison line.
    text = data.decode("ascii", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m tools.pipeline_local", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="one base64-encoded Kinesis record per line")
    parser.add_argument("--redeliver", action="store_true", help="deliver every batch twice")
    parser.add_argument("--batch-size", type=_positive, default=100, help="Kinesis batch size (default 100)")
    parser.add_argument(
        "--count-threshold",
        type=_decimal_arg,
        default=Decimal(100),
        help="alert when a minute's count reaches this (default 100)",
    )
    parser.add_argument(
        "--sum-threshold",
        type=_decimal_arg,
        default=None,
        help="alert when a minute's sum reaches this (default: off)",
    )
    args = parser.parse_args(argv)
    try:
        lines = read_lines(args.file)
    except OSError as exc:
        print(f"pipeline_local: error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE

    from moto.server import ThreadedMotoServer

    # Never a real account: fake credentials, and no profile or config file is read.
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    # The server's request log would bury the one JSON object this tool prints.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        pipeline = LocalPipeline(
            f"http://{host}:{port}", args.count_threshold, args.sum_threshold, args.batch_size
        )
        pipeline.create()
        report = pipeline.run(lines, args.redeliver)
    finally:
        server.stop()
    report = {"records": len(lines), "redeliver": args.redeliver, **report}
    print(pipeline.core.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
