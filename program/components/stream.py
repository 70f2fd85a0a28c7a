"""Stream: one Kinesis data stream, the ARN it will have, and its alarms and metrics.

SSE-KMS encrypted (000-R8/R19), on-demand or provisioned (003-R1), with shard-level metrics
(Kinesis writes no logs: 000-R17). Consumers are separate components (stream_consumer.py), so a
blueprint feeds one stream to one consumer (serverless-app) or to five (stream-pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from program import arns
from program.alarms import AlarmSpec, MetricRef, stream_alarms, stream_metrics
from program.scope import Scope

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


@dataclass(frozen=True)
class StreamSpec:
    """The Kinesis stream: on-demand unless a shard count is given."""

    purpose: str = "stream"
    shard_count: int | None = None
    retention_hours: int = 24
    # A CMK for the stream; None uses the AWS-managed alias/aws/kinesis key.
    kms_key_arn: pulumi.Input[str] | None = None
    # Ceilings for the long create/update/delete of a provisioned stream (003-R18); None: the provider's.
    timeouts: pulumi.CustomTimeouts | None = None

    def __post_init__(self) -> None:
        if self.shard_count is not None and self.shard_count < 1:
            raise ValueError(f"shard_count {self.shard_count}: give 1 or more, or None for on-demand")
        if not 24 <= self.retention_hours <= 8760:
            raise ValueError(f"retention_hours {self.retention_hours}: Kinesis keeps 24 to 8760 hours")


@dataclass(frozen=True)
class StreamArgs:
    scope: Scope
    spec: StreamSpec = field(default_factory=StreamSpec)


def stream_name(purpose: str, scope: Scope) -> str:
    """The stream's physical name; producers and consumers grant on the ARN built from it."""
    return scope.name(purpose, "kinesis")


class Stream(pulumi.ComponentResource):
    """A Kinesis data stream (the child carries the component's name)."""

    def __init__(self, name: str, args: StreamArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:stream:Stream", name, None, opts)
        spec, scope = args.spec, args.scope
        physical = stream_name(spec.purpose, scope)
        self.spec = spec
        self.stream = aws.kinesis.Stream(
            name,
            name=physical,
            shard_count=spec.shard_count,
            stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(
                stream_mode="ON_DEMAND" if spec.shard_count is None else "PROVISIONED"
            ),
            retention_period=spec.retention_hours,
            encryption_type="KMS",
            kms_key_id=spec.kms_key_arn or AWS_MANAGED_STREAM_KEY,
            shard_level_metrics=list(SHARD_LEVEL_METRICS),
            # Destroy deregisters enhanced fan-out consumers instead of failing on them (003-R27).
            enforce_consumer_deletion=True,
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=spec.timeouts),
        )
        # What producers and consumers grant themselves (their policies are then known in preview).
        self.known_arn = arns.kinesis_stream(scope.region, scope.account_id, physical)
        self.arn = self.stream.arn
        self.name = self.stream.name
        self.alarms: list[AlarmSpec] = stream_alarms(spec.purpose, self.stream.name)
        self.metrics: list[MetricRef] = stream_metrics(spec.purpose, self.stream.name)
        self.register_outputs({"name": self.name, "arn": self.arn})
