"""stream-pipeline (seed 003), us-east-1 over 3 AZs, VPC endpoints instead of NAT.

    producers -> Kinesis (10 shards, KMS) --EFO--> validate --SQS--> enrich --SQS--> aggregate --SQS--> alert
                                                                      \\--SQS--> archive -> S3      |
        DynamoDB (aggregates, markers) <- aggregate, alert                                           v
        EventBridge custom bus -> rule -> inbox queue (retries, DLQ) <----------------------- PutEvents
    each stage: reserved concurrency, private subnets, its own DLQ; alarms -> CMK topic; one dashboard

The stage code is lambdas/pipeline/ (its README is the contract this module provides). The seed's
"optimisation" patterns are each done for real or documented as a myth in docs/DEVIATIONS.md
(003-R13..R26): the engine already parallelises independent resources, so the only explicit
``depends_on`` edges are dependencies Pulumi cannot see, each commented where it is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, config, iam_docs, transforms
from program.alarms import MetricRef
from program.blueprints import common
from program.blueprints.common import Platform, functions_key, platform
from program.components.bucket import (
    LifecycleRule,
    PrivateBucket,
    PrivateBucketArgs,
)
from program.components.event_bus import EventBus, EventBusArgs
from program.components.function import ZipCode
from program.components.monitoring import Monitoring, MonitoringArgs
from program.components.network import endpoint_placement
from program.components.pipeline_table import PipelineTable, PipelineTableArgs, table_name
from program.components.queue_stage import QueueSpec, QueueStage, QueueStageArgs, sender_statement
from program.components.stream import Stream, StreamArgs, StreamSpec
from program.components.stream_consumer import MappingSpec, StreamConsumer, StreamConsumerArgs
from program.config import ConfigError, Key, StackConfig
from program.scope import Scope

# Lambda's "Concurrent executions" quota (Service Quotas, service code lambda).
CONCURRENCY_QUOTA_CODE = "L-B99A9384"
CONCURRENCY_QUOTA_NAME = "Concurrent executions"
# "You can reserve up to the unreserved account concurrency minus 100" (Lambda guide).
UNRESERVED_MINIMUM = 100
STAGES = ("validate", "enrich", "aggregate", "archive", "alert")
SHARDS = 10
# Lambda runs up to parallelization_factor batches per shard at once: 10 x 10 shards = 100 (003-R5).
PARALLELIZATION = 10
# The stages call SQS and EventBridge through the SDK (interface endpoints) and S3/DynamoDB
# (gateway endpoints). No code calls Kinesis: validate's records come from its mapping, which
# Lambda's pollers read outside the VPC, so no kinesis-streams endpoint is paid for (003-R6).
# Active tracing sends segments to X-Ray, which without NAT only its endpoint reaches.
INTERFACE_ENDPOINTS = ("sqs", "events", "xray")
ACCESS_LOG_DAYS = 90
EVENT_SOURCE = "webstack.pipeline"
DETAIL_TYPE = "ThresholdCrossed"
ARCHIVE_PREFIX = ""  # the stage's ARCHIVE_PREFIX; objects live under <prefix>events/
# Archive lifecycle: objects are read rarely after a month, kept a year (003-R12).
ARCHIVE_TRANSITIONS = ((30, "STANDARD_IA"), (90, "GLACIER_IR"))
ARCHIVE_EXPIRE_DAYS = 365
TABLE_PURPOSE = "aggregates"
STAGE_TIMEOUT_S = 30
VALIDATE_TIMEOUT_S = 60
ALERT_LEASE_S = 120  # > the alert function's timeout, < its queue's visibility timeout
# A 10-shard provisioned stream is created in about a minute; these are ceilings (003-R18).
STREAM_TIMEOUTS = pulumi.CustomTimeouts(create="15m", update="60m", delete="15m")
STACK_REF_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$")
# What a stack named by networkStackRef must export (this blueprint exports the same names).
NETWORK_OUTPUTS = (
    "vpcId",
    "privateSubnetIds",
    "defaultSecurityGroupId",
    "endpointSecurityGroupId",
    "s3PrefixListId",
    "dynamodbPrefixListId",
)

KEYS = (
    Key("alertEmail", False, "an e-mail address for alarm notifications", "none"),
    Key(
        "tableCapacity",
        False,
        "RCU = WCU of the aggregates table, 1 to 40000 (lower it for ephemeral stacks)",
        "5000",
    ),
    Key("indexCapacity", False, "RCU = WCU of its source-minute-index GSI, 1 to 40000", "1000"),
    Key("reservedConcurrency", False, "reserved concurrency of each of the 5 stages, 2 to 1000", "100"),
    Key("countThreshold", False, "events per (source, type, minute) that raise an alert, 1 to 10^9", "1000"),
    Key("sumThreshold", False, "a decimal sum of values per minute that raises an alert", "none"),
    Key(
        "networkStackRef",
        False,
        "a stack (`org/project/stack`) exporting " + ", ".join(f"`{name}`" for name in NETWORK_OUTPUTS),
        "none: the VPC is created here",
    ),
)


@dataclass(frozen=True)
class Settings:
    alert_email: str | None = None
    table_capacity: int = 5000
    index_capacity: int = 1000
    reserved_concurrency: int = 100
    count_threshold: int = 1000
    sum_threshold: str | None = None
    network_stack_ref: str | None = None


def _decimal(values: Mapping[str, str], key: str) -> str | None:
    raw = values.get(f"{config.NAMESPACE}:{key}")
    if raw is None:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not re.fullmatch(r"-?\d{1,15}(\.\d{1,6})?", raw):
        raise config.fail(key, raw, "give a decimal number such as 2500.5 (at most 15 digits, 6 decimals)")
    return raw


def parse(values: Mapping[str, str]) -> Settings:
    ref = values.get(f"{config.NAMESPACE}:networkStackRef")
    if ref is not None and not STACK_REF_PATTERN.match(ref):
        raise config.fail("networkStackRef", ref, "give a stack name such as org/network/prod")
    return Settings(
        alert_email=config.email(values, "alertEmail"),
        table_capacity=config.integer(values, "tableCapacity", 5000, 1, 40_000),
        index_capacity=config.integer(values, "indexCapacity", 1000, 1, 40_000),
        reserved_concurrency=config.integer(values, "reservedConcurrency", 100, 2, 1000),
        count_threshold=config.integer(values, "countThreshold", 1000, 1, 10**9),
        sum_threshold=_decimal(values, "sumThreshold"),
        network_stack_ref=ref,
    )


def concurrency_needed(reserved: int, stages: int = len(STAGES)) -> int:
    """The account quota the stages' reservations need: theirs plus the 100 Lambda keeps free."""
    return reserved * stages + UNRESERVED_MINIMUM


def check_concurrency_quota(quota: float | None, reserved: int, region: str) -> None:
    """ConfigError (one line) when the account's Lambda quota cannot hold the reservations (003-R5)."""
    needed = concurrency_needed(reserved)
    if quota is None:
        raise ConfigError(
            f"Lambda quota {CONCURRENCY_QUOTA_CODE} ({CONCURRENCY_QUOTA_NAME}) in {region}: Service Quotas "
            f"gave no value; stream-pipeline needs {needed}"
        )
    if quota < needed:
        raise ConfigError(
            f"Lambda quota {CONCURRENCY_QUOTA_CODE} ({CONCURRENCY_QUOTA_NAME}) is {int(quota)} in {region}; "
            f"stream-pipeline needs {needed} ({len(STAGES)} x {reserved} reserved + {UNRESERVED_MINIMUM} "
            f"unreserved): request an increase or lower webstack:reservedConcurrency"
        )


@dataclass(frozen=True)
class NetworkView:
    """What the stages need of a VPC, from a Network built here or another stack's outputs."""

    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    default_security_group_id: pulumi.Input[str]
    endpoint_security_group_id: pulumi.Input[str]
    prefix_list_ids: Mapping[str, pulumi.Input[str]]

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """The stack outputs another stack's networkStackRef reads (NETWORK_OUTPUTS)."""
        return {
            "vpcId": self.vpc_id,
            "privateSubnetIds": list(self.private_subnet_ids),
            "defaultSecurityGroupId": self.default_security_group_id,
            "endpointSecurityGroupId": self.endpoint_security_group_id,
            "s3PrefixListId": self.prefix_list_ids["s3"],
            "dynamodbPrefixListId": self.prefix_list_ids["dynamodb"],
        }


def _item(index: int) -> Callable[[Any], str]:
    return lambda values: str(values[index])


def referenced_network(ref: pulumi.StackReference, az_count: int) -> NetworkView:
    """The VPC of the stack ``ref`` names (003-R23); a missing output fails the update by name."""
    subnets = ref.require_output("privateSubnetIds")
    return NetworkView(
        vpc_id=ref.require_output("vpcId"),
        # One Output per AZ, so each subnet can be named in the ENI grant and the function's config.
        private_subnet_ids=[subnets.apply(_item(index)) for index in range(az_count)],
        default_security_group_id=ref.require_output("defaultSecurityGroupId"),
        endpoint_security_group_id=ref.require_output("endpointSecurityGroupId"),
        prefix_list_ids={
            "s3": ref.require_output("s3PrefixListId"),
            "dynamodb": ref.require_output("dynamodbPrefixListId"),
        },
    )


def _network(stack: StackConfig, settings: Settings, base: Platform, scope: Scope) -> NetworkView:
    if settings.network_stack_ref:
        # Read only when a config key names the stack: a single-stack project has nothing to read.
        ref = pulumi.StackReference("network-ref", stack_name=settings.network_stack_ref)
        return referenced_network(ref, stack.az_count)
    network = common.network(base, interface_endpoints=INTERFACE_ENDPOINTS)
    return NetworkView(
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        default_security_group_id=network.default_security_group_id,
        endpoint_security_group_id=network.endpoint_security_group.id,
        prefix_list_ids=network.prefix_list_ids,
    )


def stage_code(stage: str) -> ZipCode:
    """The stage's handler.py and the shared pipeline_core.py at the zip root (lambdas/pipeline/README.md)."""
    return ZipCode(f"pipeline/{stage}", root_files=("pipeline/pipeline_core.py",))


def stage_metrics(purpose: str, function_name: pulumi.Input[str]) -> list[MetricRef]:
    """Throttles and concurrency beside the errors lambda_metrics graphs (003-R32)."""
    dims = {"FunctionName": function_name}
    return [
        MetricRef(f"{purpose} throttles", "AWS/Lambda", "Throttles", dims),
        MetricRef(f"{purpose} concurrency", "AWS/Lambda", "ConcurrentExecutions", dims, stat="Maximum"),
    ]


def dlq_metric(purpose: str, queue_name: pulumi.Input[str]) -> MetricRef:
    return MetricRef(
        f"{purpose} depth",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": queue_name},
        "Maximum",
    )


def build(stack: StackConfig, settings: Settings) -> Mapping[str, pulumi.Input[object]]:
    # Registered first, so it reaches every resource of the stack (003-R15, R21).
    transforms.register()
    base = platform(stack)
    scope = base.scope
    invoke = pulumi.InvokeOptions(provider=base.provider)
    quota = aws.servicequotas.get_service_quota(
        service_code="lambda", quota_code=CONCURRENCY_QUOTA_CODE, opts=invoke
    )
    check_concurrency_quota(quota.value, settings.reserved_concurrency, stack.region)

    net = _network(stack, settings, base, scope)

    access_logs = common.server_access_logs_bucket(base, ACCESS_LOG_DAYS)
    archive_bucket = PrivateBucket(
        "archive",
        PrivateBucketArgs(
            purpose="archive",
            scope=scope,
            lifecycle=(
                LifecycleRule(
                    "archive-events",
                    prefix=f"{ARCHIVE_PREFIX}events/",
                    transitions=ARCHIVE_TRANSITIONS,
                    expire_days=ARCHIVE_EXPIRE_DAYS,
                ),
                # Old versions and abandoned multipart uploads anywhere in the bucket.
                LifecycleRule("whole-bucket"),
            ),
            access_log_bucket=access_logs.name,
        ),
        opts=base.opts,
    )
    stream = Stream(
        "stream",
        StreamArgs(
            scope=scope, spec=StreamSpec(shard_count=SHARDS, retention_hours=24, timeouts=STREAM_TIMEOUTS)
        ),
        opts=base.opts,
    )
    table = PipelineTable(
        "table",
        PipelineTableArgs(
            scope=scope,
            purpose=TABLE_PURPOSE,
            read_capacity=settings.table_capacity,
            write_capacity=settings.table_capacity,
            index_read_capacity=settings.index_capacity,
            index_write_capacity=settings.index_capacity,
        ),
        opts=base.opts,
    )
    table_arn = arns.dynamodb_table(scope.region, scope.account_id, table_name(TABLE_PURPOSE, scope))
    bus = EventBus(
        "thresholds",
        EventBusArgs(
            purpose="thresholds",
            scope=scope,
            pattern={"source": [EVENT_SOURCE], "detail-type": [DETAIL_TYPE]},
        ),
        opts=base.opts,
    )

    reserved = settings.reserved_concurrency
    queue = QueueSpec(max_concurrency=reserved)
    env_key = functions_key(base, scope)

    def stage(
        purpose: str,
        gateways: Sequence[str],
        statements: list[dict[str, object]],
        env: dict[str, pulumi.Input[str]],
    ) -> QueueStage:
        return QueueStage(
            purpose,
            QueueStageArgs(
                purpose=purpose,
                scope=scope,
                code=stage_code(purpose),
                log_kms_key_arn=base.logs_key.arn,
                vpc=endpoint_placement(purpose, net, gateways, scope, base.opts),
                statements=statements,
                environment={"LOG_LEVEL": "INFO", **env},
                environment_kms_key_arn=env_key.arn,
                queue=queue,
                timeout_s=STAGE_TIMEOUT_S,
                reserved_concurrency=reserved,
                tracing=True,
            ),
            opts=base.opts,
        )

    # Built from the end of the pipeline back, so each producer gets its consumer's queue.
    alert = stage(
        "alert",
        ["dynamodb"],
        [
            iam_docs.statement(["dynamodb:UpdateItem"], [table_arn], sid="ClaimAlerts"),
            iam_docs.statement(["events:PutEvents"], [bus.known_arn], sid="PublishAlerts"),
        ],
        {
            "TABLE_NAME": table.name,
            "EVENT_BUS_NAME": bus.name,
            "EVENT_SOURCE": EVENT_SOURCE,
            "ALERT_LEASE_SECONDS": str(ALERT_LEASE_S),
        },
    )
    thresholds: dict[str, pulumi.Input[str]] = {"COUNT_THRESHOLD": str(settings.count_threshold)}
    if settings.sum_threshold is not None:
        thresholds["SUM_THRESHOLD"] = settings.sum_threshold
    aggregate = stage(
        "aggregate",
        ["dynamodb"],
        [
            # TransactWriteItems is authorised per contained action: Put -> PutItem, Update -> UpdateItem.
            iam_docs.statement(
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [table_arn], sid="Aggregate"
            ),
            sender_statement([alert.queue_arn], "SendAlertChecks"),
        ],
        {"TABLE_NAME": table.name, "ALERT_QUEUE_URL": alert.queue_url, **thresholds},
    )
    archive = stage(
        "archive",
        ["s3"],
        [
            iam_docs.statement(
                ["s3:GetObject", "s3:PutObject"],
                [f"{archive_bucket.known_arn}/{ARCHIVE_PREFIX}events/*"],
                sid="ArchiveEvents",
            )
        ],
        {"ARCHIVE_BUCKET": archive_bucket.name, "ARCHIVE_PREFIX": ARCHIVE_PREFIX},
    )
    enrich = stage(
        "enrich",
        [],
        [sender_statement([aggregate.queue_arn, archive.queue_arn], "ForwardEnriched")],
        {"AGGREGATE_QUEUE_URL": aggregate.queue_url, "ARCHIVE_QUEUE_URL": archive.queue_url},
    )
    validate = StreamConsumer(
        "validate",
        StreamConsumerArgs(
            purpose="validate",
            scope=scope,
            stream=stream,
            code=stage_code("validate"),
            log_kms_key_arn=base.logs_key.arn,
            vpc=endpoint_placement("validate", net, [], scope, base.opts),
            statements=[sender_statement([enrich.queue_arn], "ForwardValid")],
            environment={"LOG_LEVEL": "INFO", "ENRICH_QUEUE_URL": enrich.queue_url},
            environment_kms_key_arn=env_key.arn,
            mapping=MappingSpec(
                parallelization_factor=PARALLELIZATION,
                enhanced_fan_out=True,
                starting_position="TRIM_HORIZON",
            ),
            timeout_s=VALIDATE_TIMEOUT_S,
            reserved_concurrency=reserved,
            dlq_env="DLQ_URL",
            tracing=True,
        ),
        opts=base.opts,
    )
    queue_stages = {"enrich": enrich, "aggregate": aggregate, "archive": archive, "alert": alert}

    metrics: list[MetricRef] = [
        *stream.metrics,
        MetricRef(
            "validate iterator age",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": validate.function_name},
            "Maximum",
        ),
        *validate.metrics,
        *stage_metrics("validate", validate.function_name),
        dlq_metric("validate-dlq", scope.name("validate-dlq", "sqs")),
    ]
    for purpose, queue_stage in queue_stages.items():
        metrics += [
            *queue_stage.metrics,
            *stage_metrics(purpose, queue_stage.function_name),
            dlq_metric(f"{purpose}-dlq", queue_stage.dlq.name),
        ]
    metrics += [*table.metrics, *bus.metrics]
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            scope=scope,
            alarms=[
                *stream.alarms,
                *validate.alarms,
                *[spec for queue_stage in queue_stages.values() for spec in queue_stage.alarms],
                *table.alarms,
                *bus.alarms,
            ],
            metrics=metrics,
            alert_email=settings.alert_email,
        ),
        opts=base.opts,
    )

    functions = {"validate": validate.function_name} | {p: s.function_name for p, s in queue_stages.items()}
    return {
        "region": scope.region,
        "environmentSuffix": scope.suffix,
        "streamName": stream.name,
        "streamArn": stream.arn,
        "consumerArn": validate.consumer_arn or "",
        "tableName": table.name,
        "tableArn": table.arn,
        "archiveBucketName": archive_bucket.name,
        "eventBusName": bus.name,
        "eventBusArn": bus.arn,
        "thresholdInboxUrl": bus.inbox_url,
        "functionNames": functions,
        "queueUrls": {p: s.queue_url for p, s in queue_stages.items()},
        "dlqUrls": {"validate": validate.dlq_url}
        | {p: s.dlq_url for p, s in queue_stages.items()}
        | {"thresholds": bus.dlq_url},
        "snsTopicArn": monitoring.topic_arn,
        "alarmNames": monitoring.alarm_names,
        "dashboardName": monitoring.dashboard_name,
        **net.outputs(),
    }
