"""Alarm specifications: what to watch and when to page, as plain data.

Components describe their alarms with these (pure functions below build the usual ones); the
Monitoring component turns each into a CloudWatch MetricAlarm that notifies the stack's topic.
Thresholds live here, in one place, and are unit-tested without Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi

# One address for alarm notifications (the stack config and the Monitoring component both check it):
# an ASCII local part of at most 64 characters (RFC 5321 4.5.3.1.1) at a dotted host name. Matched
# whole (``valid_email``): with ``$`` a final newline would pass.
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_EMAIL_LENGTH = 254  # RFC 5321's 256-octet path less its angle brackets


def valid_email(value: str) -> bool:
    """One e-mail address SNS can subscribe: the whole value, nothing before or after."""
    return len(value) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.fullmatch(value) is not None


Comparison = Literal[
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm: ``purpose`` becomes its name (``<purpose>-<suffix>``)."""

    purpose: str
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    threshold: float
    statistic: str | None = "Sum"
    extended_statistic: str | None = None  # e.g. "p99"; replaces statistic
    comparison: Comparison = "GreaterThanOrEqualToThreshold"
    period_s: int = 60
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3
    # No data is normal for idle serverless systems; it must not page anyone.
    treat_missing_data: str = "notBreaching"


def lambda_alarms(purpose: str, function_name: pulumi.Input[str]) -> list[AlarmSpec]:
    """Errors and throttles of one function (000-R18, 002-R39)."""
    dims = {"FunctionName": function_name}
    return [
        AlarmSpec(f"{purpose}-errors", f"Lambda {purpose} reports errors", "AWS/Lambda", "Errors", dims, 1),
        AlarmSpec(
            f"{purpose}-throttles", f"Lambda {purpose} is throttled", "AWS/Lambda", "Throttles", dims, 1
        ),
    ]


def api_alarms(purpose: str, api_name: pulumi.Input[str], stage: pulumi.Input[str]) -> list[AlarmSpec]:
    """5XX errors and p99 latency of a REST API stage (000-R18)."""
    dims = {"ApiName": api_name, "Stage": stage}
    return [
        AlarmSpec(f"{purpose}-5xx", f"API {purpose} returns 5XX", "AWS/ApiGateway", "5XXError", dims, 1),
        AlarmSpec(
            f"{purpose}-p99-latency",
            f"API {purpose} p99 latency above 2 s",
            "AWS/ApiGateway",
            "Latency",
            dims,
            2000,
            statistic=None,
            extended_statistic="p99",
            comparison="GreaterThanThreshold",
        ),
    ]


def stream_alarms(purpose: str, stream_name: pulumi.Input[str]) -> list[AlarmSpec]:
    """Consumers falling behind, and writes or reads over the stream's throughput (000-R18)."""
    dims = {"StreamName": stream_name}
    return [
        AlarmSpec(
            f"{purpose}-iterator-age",
            f"Stream {purpose}: oldest record older than 5 minutes",
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            dims,
            300_000,
            statistic="Maximum",
        ),
        AlarmSpec(
            f"{purpose}-write-throttled",
            f"Stream {purpose}: writes exceed throughput",
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            dims,
            1,
        ),
        AlarmSpec(
            f"{purpose}-read-throttled",
            f"Stream {purpose}: reads exceed throughput",
            "AWS/Kinesis",
            "ReadProvisionedThroughputExceeded",
            dims,
            1,
        ),
    ]


def log_event_alarm(purpose: str, namespace: str, metric_name: str, description: str) -> AlarmSpec:
    """Any occurrence of a metric a log metric filter counts (e.g. a logged failure)."""
    return AlarmSpec(
        purpose,
        description,
        namespace,
        metric_name,
        {},
        1,
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )


def queue_depth_alarm(purpose: str, queue_name: pulumi.Input[str]) -> AlarmSpec:
    """Any message in a dead-letter queue means a record was given up on."""
    return AlarmSpec(
        f"{purpose}-depth",
        f"Queue {purpose} holds failed records",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": queue_name},
        1,
        statistic="Maximum",
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )


@dataclass(frozen=True)
class MetricRef:
    """A metric to graph on the dashboard (001-R20: invocations, API errors, Kinesis throughput)."""

    title: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str = "Sum"
    region: str | None = None  # where CloudWatch keeps it, if not the stack's region (CloudFront: us-east-1)


def lambda_metrics(purpose: str, function_name: pulumi.Input[str]) -> list[MetricRef]:
    dims = {"FunctionName": function_name}
    return [
        MetricRef(f"{purpose} invocations", "AWS/Lambda", "Invocations", dims),
        MetricRef(f"{purpose} errors", "AWS/Lambda", "Errors", dims),
        MetricRef(f"{purpose} duration p99", "AWS/Lambda", "Duration", dims, stat="p99"),
    ]


def api_metrics(purpose: str, api_name: pulumi.Input[str], stage: pulumi.Input[str]) -> list[MetricRef]:
    dims = {"ApiName": api_name, "Stage": stage}
    return [
        MetricRef(f"{purpose} requests", "AWS/ApiGateway", "Count", dims),
        MetricRef(f"{purpose} 4XX", "AWS/ApiGateway", "4XXError", dims),
        MetricRef(f"{purpose} 5XX", "AWS/ApiGateway", "5XXError", dims),
        MetricRef(f"{purpose} latency p99", "AWS/ApiGateway", "Latency", dims, stat="p99"),
    ]


def stream_metrics(purpose: str, stream_name: pulumi.Input[str]) -> list[MetricRef]:
    dims = {"StreamName": stream_name}
    return [
        MetricRef(f"{purpose} records in", "AWS/Kinesis", "IncomingRecords", dims),
        MetricRef(f"{purpose} bytes in", "AWS/Kinesis", "IncomingBytes", dims),
        MetricRef(
            f"{purpose} iterator age", "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", dims, "Maximum"
        ),
    ]
