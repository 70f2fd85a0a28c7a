"""EventBus: a custom EventBridge bus, one rule on it, and an SQS target with retries and a DLQ (003-R34).

The rule's target is an inbox queue the event's consumers read; EventBridge delivers with a
bounded retry policy and, when that runs out, to a dead-letter queue. Both queues are SSE-SQS
encrypted and TLS-only; each admits ``events.amazonaws.com`` only for this rule (aws:SourceArn),
as the EventBridge guide's queue policy for targets and DLQs does. The inbox redrives to the same
DLQ, so one queue holds every threshold event nobody got.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.alarms import AlarmSpec, MetricRef, queue_depth_alarm
from program.components.queue_stage import DLQ_RETENTION_S
from program.scope import Scope

EVENTS = "events.amazonaws.com"


@dataclass(frozen=True)
class EventBusArgs:
    purpose: str  # bus <purpose>-<suffix>; rule, inbox and DLQ are named after it
    scope: Scope
    pattern: Mapping[str, Sequence[str]]
    retry_attempts: int = 10
    event_age_s: int = 3600
    inbox_retention_s: int = 4 * 24 * 3600

    def __post_init__(self) -> None:
        if not 0 <= self.retry_attempts <= 185:
            raise ValueError(f"retry_attempts {self.retry_attempts}: EventBridge accepts 0 to 185")
        if not 60 <= self.event_age_s <= 86_400:
            raise ValueError(f"event_age_s {self.event_age_s}: EventBridge accepts 60 to 86400")
        if not self.pattern:
            raise ValueError("an event pattern needs at least one field")


def rule_arn(region: str, account_id: str, bus: str, rule: str) -> str:
    """A rule on a custom bus: arn:aws:events:<region>:<account>:rule/<bus>/<rule>."""
    return f"arn:aws:events:{region}:{account_id}:rule/{bus}/{rule}"


def bus_arn(region: str, account_id: str, bus: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/{bus}"


def events_delivery_policy(queue_arn: str, source_arn: str) -> dict[str, Any]:
    """Only this rule may send to the queue, over TLS."""
    return iam_docs.document(
        iam_docs.statement(
            ["sqs:SendMessage"],
            [queue_arn],
            sid="EventBridgeDelivers",
            principal={"Service": EVENTS},
            conditions={"ArnEquals": {"aws:SourceArn": source_arn}},
        ),
        iam_docs.deny_insecure_transport(["sqs:*"], [queue_arn]),
    )


class EventBus(pulumi.ComponentResource):
    """A custom bus with one rule delivering to an inbox queue, retries bounded, failures kept."""

    def __init__(self, name: str, args: EventBusArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:event_bus:EventBus", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        bus_name = scope.name(args.purpose, "event-bus")
        rule_name = scope.name(f"{args.purpose}-rule", "event-rule")
        inbox_name = scope.name(f"{args.purpose}-inbox", "sqs")
        dlq_name = scope.name(f"{args.purpose}-dlq", "sqs")
        source = rule_arn(scope.region, scope.account_id, bus_name, rule_name)

        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", name=bus_name, opts=child)
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=dlq_name,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=DLQ_RETENTION_S,
            opts=child,
        )
        inbox = aws.sqs.Queue(
            f"{name}-inbox",
            name=inbox_name,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=args.inbox_retention_s,
            redrive_policy=pulumi.Output.json_dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 5}),
            opts=child,
        )
        policies = [
            aws.sqs.QueuePolicy(
                f"{name}-{label}-policy",
                queue_url=queue.url,
                policy=json.dumps(
                    events_delivery_policy(arns.sqs_queue(scope.region, scope.account_id, physical), source)
                ),
                opts=child,
            )
            for label, queue, physical in (("dlq", dlq, dlq_name), ("inbox", inbox, inbox_name))
        ]
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=rule_name,
            event_bus_name=self.bus.name,
            description=f"{args.purpose} events to their inbox queue",
            event_pattern=json.dumps({key: list(values) for key, values in args.pattern.items()}),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            event_bus_name=self.bus.name,
            arn=inbox.arn,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=args.retry_attempts, maximum_event_age_in_seconds=args.event_age_s
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
            # EventBridge starts delivering as soon as the target exists; the queue policies that let
            # it send are not inputs of the target, a dependency Pulumi cannot see (003-R19).
            opts=pulumi.ResourceOptions(parent=self, depends_on=policies),
        )
        self.name = self.bus.name
        self.arn = self.bus.arn
        self.known_arn = bus_arn(scope.region, scope.account_id, bus_name)
        self.inbox_url, self.dlq_url = inbox.url, dlq.url
        self.alarms: list[AlarmSpec] = [queue_depth_alarm(f"{args.purpose}-dlq", dlq.name)]
        self.metrics: list[MetricRef] = [
            MetricRef(
                f"{args.purpose} rule matches",
                "AWS/Events",
                "MatchedEvents",
                {"EventBusName": bus_name, "RuleName": rule_name},
            ),
            MetricRef(
                f"{args.purpose} failed deliveries",
                "AWS/Events",
                "FailedInvocations",
                {"EventBusName": bus_name, "RuleName": rule_name},
            ),
        ]
        self.register_outputs({"name": self.name, "arn": self.arn})
