"""Fixtures for the Lambda unit tests: fake AWS credentials, moto, and the handler modules.

The handlers are loaded from their file paths, the way Lambda loads `handler.handler` from the
root of each function's zip, so the tests exercise exactly the code that is deployed.
"""

from __future__ import annotations

import base64
import functools
import gzip
import importlib.util
import io
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

REPO_ROOT = Path(__file__).resolve().parents[2]

REGION = "us-west-2"
TABLE = "items"
STREAM = "item-events"
BUCKET = "results"


def _load(folder: str):
    path = REPO_ROOT / "lambdas" / folder / "handler.py"
    spec = importlib.util.spec_from_file_location(f"lambda_{folder}_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


API = _load("api")
CONSUMER = _load("stream_consumer")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    """Fake credentials and a fixed region; never touch a real account or local AWS config."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws(aws_env):
    with mock_aws():
        yield


class AwsCalls(list):
    """(service, operation, params) of every call made through a handler's own boto3 clients."""

    def ops(self, service: str) -> set[str]:
        return {op for svc, op, _ in self if svc == service}

    def watch(self, client) -> None:
        service = client.meta.service_model.service_name

        def record(model, params, **_):
            self.append((service, model.name, dict(params)))

        client.meta.events.register("before-parameter-build", record)


def _fresh_clients(module, monkeypatch, services) -> AwsCalls:
    """Give the module an empty client cache (clients made under this test's moto) and watch it."""
    monkeypatch.setattr(module, "_clients", {})
    calls = AwsCalls()
    for service in services:
        calls.watch(module._client(service))
    return calls


class LogCapture:
    """Swaps a handler's JSON log stream for a buffer and parses the lines."""

    def __init__(self, module, monkeypatch):
        self.buffer = io.StringIO()
        monkeypatch.setattr(module.LOG.handlers[0], "stream", self.buffer)

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]


class ApiHarness:
    """Builds API Gateway REST proxy (payload 1.0) events and calls the api handler."""

    table = TABLE
    stream = STREAM

    def __init__(self, calls: AwsCalls, logs: LogCapture):
        self.module = API
        self.calls = calls
        self.logs = logs
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.kinesis = boto3.client("kinesis", region_name=REGION)

    @staticmethod
    def event(method, path, body=None, headers=None, base64_encoded=False, base_path="") -> dict:
        """The event API Gateway sends for `path` on an API with explicit /items and /items/{id}
        resources plus a greedy /{proxy+} resource catching everything else."""
        segments = [s for s in path.split("/") if s]
        if segments == ["items"]:
            resource, parameters = "/items", None
        elif len(segments) == 2 and segments[0] == "items":
            resource, parameters = "/items/{id}", {"id": segments[1]}
        elif segments:
            resource, parameters = "/{proxy+}", {"proxy": path.strip("/")}
        else:
            resource, parameters = "/", None
        return {
            "resource": resource,
            "path": base_path + path,  # a custom domain's base-path mapping shows up here
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": None,
            "queryStringParameters": None,
            "pathParameters": parameters,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": resource,
                "httpMethod": method,
                "path": f"/prod{path}",
                "stage": "prod",
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            },
            "body": body,
            "isBase64Encoded": base64_encoded,
        }

    def raw(self, method, path, body=None, headers=None, base64_encoded=False):
        """Call with a raw body string; return (status, headers, parsed JSON body)."""
        response = self.module.handler(self.event(method, path, body, headers, base64_encoded), _Context())
        return response["statusCode"], response["headers"], json.loads(response["body"])

    def call(self, method, path, payload=None, headers=None):
        body = None if payload is None else json.dumps(payload)
        return self.raw(method, path, body, headers)

    def create(self, payload=None) -> dict:
        status, _, item = self.call("POST", "/items", payload or {"name": "widget"})
        assert status == 201, item
        return item

    @functools.cached_property
    def existing_id(self) -> str:
        """An item created on first use, for tests that need some existing id."""
        return self.create()["id"]

    def stream_records(self) -> list[dict]:
        """Everything published so far, read back with GetShardIterator/GetRecords."""
        records = []
        for shard in self.kinesis.list_shards(StreamName=STREAM)["Shards"]:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for record in self.kinesis.get_records(ShardIterator=iterator)["Records"]:
                records.append({"partitionKey": record["PartitionKey"], **json.loads(record["Data"])})
        return records


class _Context:
    aws_request_id = "test-request-id"


@pytest.fixture
def api(aws, monkeypatch) -> ApiHarness:
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("STREAM_NAME", STREAM)
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("kinesis", region_name=REGION).create_stream(StreamName=STREAM, ShardCount=1)
    calls = _fresh_clients(API, monkeypatch, ("dynamodb", "kinesis"))
    return ApiHarness(calls, LogCapture(API, monkeypatch))


class ConsumerHarness:
    """Builds Kinesis event-source-mapping events and reads back what landed in S3."""

    bucket = BUCKET
    stream = STREAM
    stream_arn = f"arn:aws:kinesis:{REGION}:123456789012:stream/{STREAM}"

    def __init__(self, calls: AwsCalls, logs: LogCapture):
        self.module = CONSUMER
        self.calls = calls
        self.logs = logs
        self.s3 = boto3.client("s3", region_name=REGION)

    def record(self, payload, seq: int, shard="shardId-000000000000", raw_data=None) -> dict:
        """One Records[] entry; payload is JSON-encoded unless raw_data (base64 text) is given."""
        data = raw_data
        if data is None:
            data = base64.b64encode(json.dumps(payload).encode()).decode()
        sequence = f"4959{seq:052d}"
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": f"pk-{seq}",
                "sequenceNumber": sequence,
                "data": data,
                "approximateArrivalTimestamp": 1700000000.0 + seq,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{sequence}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/consumer",
            "awsRegion": REGION,
            "eventSourceARN": self.stream_arn,
        }

    def invoke(self, records: list) -> dict:
        return self.module.handler({"Records": records}, _Context())

    def objects(self) -> dict[str, list[dict]]:
        """key -> decoded JSON lines, for every object in the bucket."""
        found = {}
        for entry in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            body = self.s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
            text = gzip.decompress(body).decode("utf-8")
            assert text.endswith("\n")
            found[entry["Key"]] = [json.loads(line) for line in text.splitlines()]
        return found


@pytest.fixture
def consumer(aws, monkeypatch) -> ConsumerHarness:
    monkeypatch.setenv("RESULTS_BUCKET", BUCKET)
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    calls = _fresh_clients(CONSUMER, monkeypatch, ("s3",))
    return ConsumerHarness(calls, LogCapture(CONSUMER, monkeypatch))
