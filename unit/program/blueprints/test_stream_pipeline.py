"""stream-pipeline blueprint (seed 003), asserted on the captured graph of stream-dev."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from plan.capture import CapturedResource, Graph
from program.config import ConfigError
from unit.conftest import REPO_ROOT, capture_fn, capture_stack

STAGES = ("validate", "enrich", "aggregate", "archive", "alert")
FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_stack("stream-dev")


def _fn(graph: Graph, stage: str) -> CapturedResource:
    return graph.one(FUNCTION, f"{stage}-fn")


def _policy(graph: Graph, stage: str) -> list[dict[str, Any]]:
    return json.loads(graph.one("aws:iam/rolePolicy:RolePolicy", f"{stage}-fn-policy").inputs["policy"])[
        "Statement"
    ]


def _grants(graph: Graph, stage: str) -> dict[str, set[str]]:
    """action -> resources, over the stage's own role policy."""
    found: dict[str, set[str]] = {}
    for statement in _policy(graph, stage):
        for action in statement["Action"]:
            found.setdefault(action, set()).update(statement["Resource"])
    return found


def _queue(graph: Graph, name: str) -> CapturedResource:
    (queue,) = [q for q in graph.by_type(QUEUE) if q.inputs["name"] == name]
    return queue


def test_003_R1_R2_R3_R27_ten_provisioned_shards_kms_retention_consumers_deleted(graph: Graph) -> None:
    """003-R1, 003-R2, 003-R3, 003-R27."""
    stream = graph.one("aws:kinesis/stream:Stream", "stream")
    assert stream.inputs["shardCount"] == 10
    assert stream.inputs["streamModeDetails"] == {"streamMode": "PROVISIONED"}
    assert stream.inputs["encryptionType"] == "KMS" and stream.inputs["kmsKeyId"] == "alias/aws/kinesis"
    assert stream.inputs["retentionPeriod"] == 24
    assert stream.inputs["enforceConsumerDeletion"] is True


def test_003_R4_only_the_enhanced_fan_out_consumer_reads_the_stream(graph: Graph) -> None:
    stream_arn = graph.one("aws:kinesis/stream:Stream", "stream").outputs["arn"]
    consumer = graph.one("aws:kinesis/streamConsumer:StreamConsumer", "validate-efo")
    assert consumer.inputs["streamArn"] == stream_arn
    sources = sorted(m.inputs["eventSourceArn"] for m in graph.by_type(MAPPING))
    assert stream_arn not in sources
    assert sources.count(consumer.outputs["arn"]) == 1
    assert sum(":sqs:" in arn for arn in sources) == 4


def test_003_R5_five_stages_of_reserved_concurrency_100_and_parallelization_10(graph: Graph) -> None:
    for stage in STAGES:
        assert _fn(graph, stage).inputs["reservedConcurrentExecutions"] == 100
    validate = graph.one(MAPPING, "validate-mapping")
    assert validate.inputs["parallelizationFactor"] == 10
    for stage in STAGES[1:]:
        mapping = graph.one(MAPPING, f"{stage}-mapping")
        assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 100}


def test_003_R5_quota_pre_flight_passes_at_600_and_fails_in_one_line_below() -> None:
    from program.blueprints.stream_pipeline import check_concurrency_quota

    check_concurrency_quota(600.0, 100, "us-east-1")
    with pytest.raises(ConfigError) as raised:
        check_concurrency_quota(599.0, 100, "us-east-1")
    message = str(raised.value)
    assert "\n" not in message
    assert "L-B99A9384 (Concurrent executions) is 599" in message and "needs 600" in message


def test_003_R5_the_graph_asks_service_quotas_and_a_too_low_quota_stops_it() -> None:
    # The offline answer is the default quota, 1000: 5 x 200 + 100 = 1100 does not fit.
    with pytest.raises(ConfigError, match=r"L-B99A9384 .* is 1000 in us-east-1; stream-pipeline needs 1100"):
        capture_stack("stream-dev", **{"webstack:reservedConcurrency": "200"})


def test_003_R6_no_nat_private_subnets_gateway_and_interface_endpoints(graph: Graph) -> None:
    assert graph.by_type("aws:ec2/natGateway:NatGateway") == []
    endpoints = {
        e.inputs["serviceName"].rsplit(".", 1)[1]: e.inputs["vpcEndpointType"]
        for e in graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert endpoints == {
        "s3": "Gateway",
        "dynamodb": "Gateway",
        "sqs": "Interface",
        "events": "Interface",
        "xray": "Interface",
    }
    private = {
        s.outputs["id"]
        for s in graph.by_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["Tier"] == "private"
    }
    assert len(private) == 3
    for stage in STAGES:
        function = _fn(graph, stage)
        assert set(function.inputs["vpcConfig"]["subnetIds"]) == private
        # Active tracing reaches X-Ray through its endpoint, not a NAT.
        assert function.inputs["tracingConfig"] == {"mode": "Active"}


def test_003_R7_least_privilege_each_stage_grants_only_its_contract(graph: Graph) -> None:
    account, region = "123456789012", "us-east-1"
    queue = f"arn:aws:sqs:{region}:{account}:"
    table = f"arn:aws:dynamodb:{region}:{account}:table/aggregates-dev"
    grants = {stage: _grants(graph, stage) for stage in STAGES}
    for stage in STAGES:
        assert grants[stage].pop("logs:CreateLogStream") and grants[stage].pop("logs:PutLogEvents")
        # X-Ray's two actions take no resource-level permission; nothing else is unscoped.
        assert grants[stage].pop("xray:PutTraceSegments") == {"*"}
        assert grants[stage].pop("xray:PutTelemetryRecords") == {"*"}
    assert grants["enrich"] == {
        "sqs:DeleteMessage": {f"{queue}enrich-dev"},
        "sqs:GetQueueAttributes": {f"{queue}enrich-dev"},
        "sqs:ReceiveMessage": {f"{queue}enrich-dev"},
        "sqs:SendMessage": {f"{queue}enrich-dlq-dev", f"{queue}aggregate-dev", f"{queue}archive-dev"},
    }
    assert grants["aggregate"]["dynamodb:PutItem"] == {table}
    assert grants["aggregate"]["sqs:SendMessage"] == {f"{queue}aggregate-dlq-dev", f"{queue}alert-dev"}
    assert set(grants["alert"]) == {
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
        "dynamodb:UpdateItem",
        "events:PutEvents",
    }
    assert grants["alert"]["events:PutEvents"] == {
        f"arn:aws:events:{region}:{account}:event-bus/thresholds-dev"
    }
    archive_objects = grants["archive"]["s3:PutObject"]
    assert archive_objects == {f"arn:aws:s3:::archive-{account}-dev/events/*"}
    validate = grants["validate"]
    assert validate["sqs:SendMessage"] == {f"{queue}validate-dlq-dev", f"{queue}enrich-dev"}
    assert validate["kinesis:GetRecords"] == {f"arn:aws:kinesis:{region}:{account}:stream/stream-dev"}
    assert all(
        r.endswith("/consumer/validate-efo-dev:1767225600") for r in validate["kinesis:SubscribeToShard"]
    )
    everything = [r for stage in STAGES for resources in grants[stage].values() for r in resources]
    assert "*" not in everything


def test_003_R8_R9_R10_R11_table_capacity_gsi_sse_ttl_pitr(graph: Graph) -> None:
    """003-R8, 003-R9, 003-R10, 003-R11, 003-R27 (no deletion protection)."""
    table = graph.one("aws:dynamodb/table:Table", "table")
    inputs = table.inputs
    assert inputs["billingMode"] == "PROVISIONED"
    assert (inputs["readCapacity"], inputs["writeCapacity"]) == (5000, 5000)
    (index,) = inputs["globalSecondaryIndexes"]
    assert index["name"] == "source-minute-index"
    assert index["keySchemas"] == [
        {"attributeName": "source", "keyType": "HASH"},
        {"attributeName": "minute", "keyType": "RANGE"},
    ]
    assert index["projectionType"] == "ALL" and "hashKey" not in index  # the deprecated form is gone
    assert (index["readCapacity"], index["writeCapacity"]) == (1000, 1000)
    assert inputs["serverSideEncryption"] == {"enabled": True}
    assert inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert inputs["pointInTimeRecovery"] == {"enabled": True}
    assert inputs["deletionProtectionEnabled"] is False
    assert (inputs["hashKey"], inputs["rangeKey"]) == ("pk", "sk")


def test_003_R8_a_config_key_lowers_capacity_for_ephemeral_stacks() -> None:
    small = capture_stack("stream-dev", **{"webstack:tableCapacity": "5", "webstack:indexCapacity": "2"})
    table = small.one("aws:dynamodb/table:Table", "table").inputs
    assert (table["readCapacity"], table["writeCapacity"]) == (5, 5)
    assert table["globalSecondaryIndexes"][0]["writeCapacity"] == 2


def test_003_R12_archive_bucket_sse_transitions_and_expiry(graph: Graph) -> None:
    lifecycle = graph.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "archive-lifecycle"
    )
    rules = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}
    events = rules["archive-events"]
    assert events["filter"] == {"prefix": "events/"}
    assert [(t["days"], t["storageClass"]) for t in events["transitions"]] == [
        (30, "STANDARD_IA"),
        (90, "GLACIER_IR"),
    ]
    assert events["expiration"] == {"days": 365}
    sse = graph.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "archive-sse",
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_003_R16_provider_retries_adaptive_with_ten_attempts(graph: Graph) -> None:
    (provider,) = graph.by_type("pulumi:providers:aws")
    assert provider.inputs["retryMode"] == "adaptive"
    assert provider.inputs["maxRetries"] == "10"
    assert provider.inputs["region"] == "us-east-1"


def test_003_R18_long_running_resources_have_custom_timeouts(graph: Graph) -> None:
    stream = graph.one("aws:kinesis/stream:Stream", "stream")
    assert stream.options["customTimeouts"] == {"create": "15m", "update": "60m", "delete": "15m"}
    table = graph.one("aws:dynamodb/table:Table", "table")
    assert table.options["customTimeouts"] == {"create": "20m", "update": "60m", "delete": "20m"}


def test_003_R19_explicit_depends_on_only_for_dependencies_pulumi_cannot_see(graph: Graph) -> None:
    """Every dependency not carried by an input is one of the commented hidden ones."""
    hidden: set[tuple[str, str]] = set()
    by_urn = {r.urn: r for r in graph.resources}
    for resource in graph.resources:
        if not resource.custom:
            continue
        carried = {urn for urns in resource.options["propertyDependencies"].values() for urn in urns}
        for urn in set(resource.options["dependencies"]) - carried:
            if urn in by_urn and by_urn[urn].urn != resource.parent:
                hidden.add((resource.type.rsplit(":", 1)[1], by_urn[urn].type.rsplit(":", 1)[1]))
    # Mapping -> the whole Function component (its role policy), Function -> its policies and log
    # group, event target -> the queue policies, bucket policy -> the public access block (bucket.py),
    # flow log -> its role's policy (CloudWatch Logs checks the role can write when it is created).
    assert hidden <= {
        ("FlowLog", "RolePolicy"),
        ("EventSourceMapping", "Function"),
        ("EventSourceMapping", "Role"),
        ("EventSourceMapping", "RolePolicy"),
        ("EventSourceMapping", "LogGroup"),
        ("Function", "RolePolicy"),
        ("Function", "LogGroup"),
        ("EventTarget", "QueuePolicy"),
        ("BucketPolicy", "BucketPublicAccessBlock"),
    }
    assert ("EventTarget", "QueuePolicy") in hidden


def test_003_R20_custom_components_encapsulate_the_stages(graph: Graph) -> None:
    components = {r.type for r in graph.resources if not r.custom}
    assert {
        "webstack:queue_stage:QueueStage",
        "webstack:stream_consumer:StreamConsumer",
        "webstack:event_bus:EventBus",
        "webstack:pipeline_table:PipelineTable",
        "webstack:stream:Stream",
    } <= components


def test_003_R21_default_tags_on_the_provider(graph: Graph) -> None:
    (provider,) = graph.by_type("pulumi:providers:aws")
    assert json.loads(provider.inputs["defaultTags"])["tags"] == {
        "Project": "webstack",
        "Environment": "dev",
        "Blueprint": "stream-pipeline",
        "ManagedBy": "pulumi",
    }


def test_003_R22_outputs_exported_for_other_stacks(graph: Graph) -> None:
    outputs = graph.stack_outputs
    for key in ("streamName", "tableName", "archiveBucketName", "eventBusName", "consumerArn", "snsTopicArn"):
        assert outputs[key]
    assert set(outputs["functionNames"]) == set(STAGES)
    assert set(outputs["dlqUrls"]) == {*STAGES, "thresholds"}
    # What networkStackRef reads from a network stack, exported here too.
    for key in (
        "vpcId",
        "privateSubnetIds",
        "defaultSecurityGroupId",
        "endpointSecurityGroupId",
        "s3PrefixListId",
        "dynamodbPrefixListId",
    ):
        assert outputs[key]


def test_003_R23_without_network_stack_ref_no_stack_reference_is_read(graph: Graph) -> None:
    assert [r for r in graph.resources if r.type == "pulumi:pulumi:StackReference"] == []
    assert len(graph.by_type("aws:ec2/vpc:Vpc")) == 1


@pytest.mark.parametrize("bad", ["a/b/c/d", "has space", ""])
def test_003_R23_network_stack_ref_must_name_a_stack(bad: str) -> None:
    from program.blueprints.stream_pipeline import parse

    with pytest.raises(ConfigError, match="webstack:networkStackRef"):
        parse({"webstack:networkStackRef": bad})


def test_003_R23_a_referenced_network_takes_each_subnet_from_the_other_stack() -> None:
    from program.blueprints.stream_pipeline import referenced_network

    exported = {
        "vpcId": "vpc-1",
        "privateSubnetIds": ["subnet-a", "subnet-b", "subnet-c"],
        "defaultSecurityGroupId": "sg-d",
        "endpointSecurityGroupId": "sg-e",
        "s3PrefixListId": "pl-s3",
        "dynamodbPrefixListId": "pl-ddb",
    }
    asked: list[str] = []

    class Ref:
        def require_output(self, name: str) -> pulumi.Output[Any]:
            asked.append(name)
            return pulumi.Output.from_input(exported[name])

    views: list[Any] = []
    capture_fn(lambda: views.append(referenced_network(Ref(), 3)))  # type: ignore[arg-type]
    assert sorted(set(asked)) == sorted(exported)
    assert len(views[0].private_subnet_ids) == 3


def test_003_R25_no_ignore_changes_anywhere(graph: Graph) -> None:
    """Nothing outside Pulumi changes a value here (no table auto scaling), so nothing is ignored."""
    assert [r.name for r in graph.resources if r.options["ignoreChanges"]] == []


def test_003_R31_every_named_resource_carries_the_suffix(graph: Graph) -> None:
    for resource in graph.resources:
        name = resource.inputs.get("name")
        if resource.custom and resource.type.startswith("aws:") and isinstance(name, str):
            assert name.endswith("-dev") or name.startswith("/aws/lambda/"), resource.urn


def test_003_R32_dashboard_graphs_iterator_age_errors_throttles_concurrency_capacity_dlqs(
    graph: Graph,
) -> None:
    body = graph.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"]
    metrics = {m[1] for w in json.loads(body)["widgets"] for m in w["properties"].get("metrics", [])}
    assert {
        "IteratorAge",
        "Errors",
        "Throttles",
        "ConcurrentExecutions",
        "ConsumedWriteCapacityUnits",
        "ConsumedReadCapacityUnits",
        "ApproximateNumberOfMessagesVisible",
    } <= metrics
    alarms = {a.inputs["name"] for a in graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {f"{stage}-dlq-depth-dev" for stage in STAGES} | {"thresholds-dlq-depth-dev"} <= alarms
    topic = graph.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"]


def test_003_R33_queues_sse_redrive_and_visibility_six_times_the_timeout(graph: Graph) -> None:
    for stage in STAGES[1:]:
        queue = _queue(graph, f"{stage}-dev")
        dlq = _queue(graph, f"{stage}-dlq-dev")
        assert queue.inputs["sqsManagedSseEnabled"] is True and dlq.inputs["sqsManagedSseEnabled"] is True
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}
        timeout = _fn(graph, stage).inputs["timeout"]
        mapping = graph.one(MAPPING, f"{stage}-mapping").inputs
        assert (
            queue.inputs["visibilityTimeoutSeconds"]
            >= 6 * timeout + mapping["maximumBatchingWindowInSeconds"]
        )
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["batchSize"] <= 100
        assert dlq.inputs["messageRetentionSeconds"] == 1_209_600
        env = _fn(graph, stage).inputs["environment"]["variables"]
        assert env["DLQ_URL"] == dlq.outputs["url"]


def test_003_R33_stage_environment_is_the_code_contract(graph: Graph) -> None:
    def env(stage: str) -> dict[str, str]:
        return dict(_fn(graph, stage).inputs["environment"]["variables"])

    queues = {stage: _queue(graph, f"{stage}-dev").outputs["url"] for stage in STAGES[1:]}
    assert env("validate")["ENRICH_QUEUE_URL"] == queues["enrich"]
    assert env("validate")["DLQ_URL"] == _queue(graph, "validate-dlq-dev").outputs["url"]
    assert (env("enrich")["AGGREGATE_QUEUE_URL"], env("enrich")["ARCHIVE_QUEUE_URL"]) == (
        queues["aggregate"],
        queues["archive"],
    )
    assert env("aggregate")["TABLE_NAME"] == "aggregates-dev"
    assert env("aggregate")["ALERT_QUEUE_URL"] == queues["alert"]
    assert env("aggregate")["COUNT_THRESHOLD"] == "1000" and "SUM_THRESHOLD" not in env("aggregate")
    assert env("archive")["ARCHIVE_BUCKET"] == "archive-123456789012-dev"
    assert env("alert")["EVENT_BUS_NAME"] == "thresholds-dev"
    assert int(env("alert")["ALERT_LEASE_SECONDS"]) > _fn(graph, "alert").inputs["timeout"]
    assert (
        int(env("alert")["ALERT_LEASE_SECONDS"])
        < _queue(graph, "alert-dev").inputs["visibilityTimeoutSeconds"]
    )


def test_003_R33_each_zip_holds_handler_and_pipeline_core_at_the_root(graph: Graph) -> None:
    from program.components.function import code_files

    for stage in STAGES:
        files = code_files(f"pipeline/{stage}", root_files=("pipeline/pipeline_core.py",))
        assert {"handler.py", "pipeline_core.py", "shared/logs.py"} <= set(files)
        assert files["pipeline_core.py"] == REPO_ROOT / "lambdas" / "pipeline" / "pipeline_core.py"
        assert _fn(graph, stage).inputs["handler"] == "handler.handler"


def test_003_R34_custom_bus_rule_with_retry_policy_and_dlq(graph: Graph) -> None:
    bus = graph.one("aws:cloudwatch/eventBus:EventBus")
    rule = graph.one("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["eventBusName"] == bus.outputs["name"] == "thresholds-dev"
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["webstack.pipeline"],
        "detail-type": ["ThresholdCrossed"],
    }
    target = graph.one("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["retryPolicy"] == {"maximumRetryAttempts": 10, "maximumEventAgeInSeconds": 3600}
    dlq = _queue(graph, "thresholds-dlq-dev")
    assert target.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    policy = json.loads(
        graph.one("aws:sqs/queuePolicy:QueuePolicy", "thresholds-dlq-policy").inputs["policy"]
    )
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == (
        "arn:aws:events:us-east-1:123456789012:rule/thresholds-dev/thresholds-rule-dev"
    )


def test_003_R36_stream_mapping_bisects_bounds_retries_and_age_with_on_failure_dlq(graph: Graph) -> None:
    mapping = graph.one(MAPPING, "validate-mapping").inputs
    assert mapping["bisectBatchOnFunctionError"] is True
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 <= mapping["maximumRetryAttempts"] <= 10
    assert 60 <= mapping["maximumRecordAgeInSeconds"] <= 86_400
    dlq = _queue(graph, "validate-dlq-dev")
    assert mapping["destinationConfig"]["onFailure"]["destinationArn"] == dlq.outputs["arn"]


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("tableCapacity", "0", "webstack:tableCapacity"),
        ("tableCapacity", "40001", "webstack:tableCapacity"),
        ("reservedConcurrency", "1", "webstack:reservedConcurrency"),
        ("sumThreshold", "1e400", "webstack:sumThreshold"),
        ("sumThreshold", "12.1234567", "webstack:sumThreshold"),
    ],
)
def test_003_R28_bad_config_is_one_line_naming_the_key(key: str, value: str, needle: str) -> None:
    from program.blueprints.stream_pipeline import parse

    with pytest.raises(ConfigError) as raised:
        parse({f"webstack:{key}": value})
    assert needle in str(raised.value) and "\n" not in str(raised.value)


def test_003_R35_the_program_entry_point_is_main() -> None:
    assert (REPO_ROOT / "program" / "__main__.py").is_file()
    assert "main: program/" in (REPO_ROOT / "Pulumi.yaml").read_text()


def test_pipeline_logs_use_the_shared_formatter_with_no_copy_left() -> None:
    import sys

    sys.path.insert(0, str(REPO_ROOT / "lambdas" / "pipeline"))
    import pipeline_core  # type: ignore[import-not-found]
    from shared import logs  # type: ignore[import-not-found]

    assert pipeline_core.JsonFormatter is logs.JsonFormatter
    assert pipeline_core.request_id is logs.REQUEST_ID
    source = (REPO_ROOT / "lambdas" / "pipeline" / "pipeline_core.py").read_text()
    assert "class JsonFormatter" not in source


def _creates_resources(node: Any) -> list[str]:
    """``aws.<...>(...)`` / ``pulumi.StackReference(...)`` calls inside ``node``."""
    import ast

    found = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            chain, func = [], call.func
            while isinstance(func, ast.Attribute):
                chain.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name) and (func.id == "aws" or chain[-1:] == ["StackReference"]):
                found.append(".".join([func.id, *reversed(chain)]))
    return found


def test_003_R13_no_resource_is_created_inside_apply() -> None:
    """003-R13: apply() batches nothing, and resources made inside it are invisible to preview."""
    import ast

    offenders = []
    for path in sorted((REPO_ROOT / "program").rglob("*.py")):
        tree = ast.parse(path.read_text())
        functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        for call in ast.walk(tree):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "apply"
            ):
                for arg in call.args:
                    body = functions.get(arg.id) if isinstance(arg, ast.Name) else arg
                    if body is not None and _creates_resources(body):
                        offenders.append(f"{path.relative_to(REPO_ROOT)}:{call.lineno}")
    assert offenders == []


def test_003_R13_the_checker_finds_a_resource_made_inside_apply() -> None:
    import ast

    tree = ast.parse("out.apply(lambda name: aws.s3.Bucket(name))")
    (call,) = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
    assert _creates_resources(call) == ["aws.s3.Bucket"]
