"""QueueStage: one Lambda fed by its own SQS queue, with the dead-letter queue it shares with its code.

The input queue is SSE-encrypted, TLS-only and redrives to the stage's DLQ after
``max_receive_count`` receives; its visibility timeout is at least 6 x the function timeout plus the
batching window (the Lambda guide's rule for SQS mappings, 003-R33). The DLQ keeps 14 days and
is also where the code itself sends poison records (``DLQ_URL``), so one queue holds everything
the stage gave up on. The mapping reports partial batch failures and caps the concurrency SQS
polling may reach at the function's reserved concurrency (003-R5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.alarms import AlarmSpec, MetricRef, lambda_metrics
from program.components.stage_function import (
    DLQ_RETENTION_S,
    StageFunctionArgs,
    dead_letter_queue,
    dlq_name,
    stage_alarms,
    stage_function,
    tls_only_queue,
)
from program.scope import Scope

CONSUME_ACTIONS = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
VISIBILITY_FACTOR = 6  # Lambda guide: visibility timeout >= 6 x function timeout (+ batching window)
SQS_MAX_VISIBILITY_S = 12 * 3600


@dataclass(frozen=True)
class QueueSpec:
    """The input queue and how its mapping feeds the function."""

    batch_size: int = 100
    batching_window_s: int = 1
    max_receive_count: int = 5
    retention_s: int = 4 * 24 * 3600
    # Lambda's SQS pollers never run more than this many concurrent invocations (2 to 1000).
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        # A batch over 10 needs a batching window (Lambda rejects the mapping otherwise).
        if not 1 <= self.batch_size <= 10_000:
            raise ValueError(f"batch_size {self.batch_size}: Lambda accepts 1 to 10000 for an SQS mapping")
        if self.batch_size > 10 and self.batching_window_s < 1:
            raise ValueError("batch_size above 10 needs batching_window_s of 1 or more")
        if not 0 <= self.batching_window_s <= 300:
            raise ValueError(f"batching_window_s {self.batching_window_s}: Lambda accepts 0 to 300")
        if not 1 <= self.max_receive_count <= 1000:
            raise ValueError(f"max_receive_count {self.max_receive_count}: SQS accepts 1 to 1000")
        if not 60 <= self.retention_s <= DLQ_RETENTION_S:
            raise ValueError(f"retention_s {self.retention_s}: SQS keeps 60 s to 14 days")
        if self.max_concurrency is not None and not 2 <= self.max_concurrency <= 1000:
            raise ValueError(f"max_concurrency {self.max_concurrency}: Lambda accepts 2 to 1000")


@dataclass(frozen=True, kw_only=True)
class QueueStageArgs(StageFunctionArgs):
    """The stage's Function (queue <purpose>-<suffix>, DLQ <purpose>-dlq-<suffix>) and its input queue."""

    queue: QueueSpec = field(default_factory=QueueSpec)


def visibility_timeout(timeout_s: int, batching_window_s: int) -> int:
    """What the input queue must hide a received message for, at least."""
    needed = VISIBILITY_FACTOR * timeout_s + batching_window_s
    if needed > SQS_MAX_VISIBILITY_S:
        raise ValueError(f"a {timeout_s} s function needs visibility {needed} s; SQS allows 12 hours")
    return needed


def queue_name(purpose: str, scope: Scope) -> str:
    return scope.name(purpose, "sqs")


def sender_statement(queue_arns: Sequence[pulumi.Input[str]], sid: str) -> dict[str, Any]:
    """What a producer needs to put messages on the given queues (SQS-managed SSE: no KMS grant)."""
    return iam_docs.statement(["sqs:SendMessage"], list(queue_arns), sid=sid)


class QueueStage(pulumi.ComponentResource):
    """An SQS-fed Lambda: input queue, its DLQ, the mapping, the function and its queue grants."""

    def __init__(self, name: str, args: QueueStageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:queue_stage:QueueStage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope, spec = args.scope, args.queue
        input_name, dead_name = queue_name(args.purpose, scope), dlq_name(args.purpose, scope)
        self.dlq = dead_letter_queue(name, args, child)
        self.queue = tls_only_queue(
            f"{name}-queue",
            input_name,
            scope,
            child,
            message_retention_seconds=spec.retention_s,
            visibility_timeout_seconds=visibility_timeout(args.timeout_s, spec.batching_window_s),
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.dlq.arn, "maxReceiveCount": spec.max_receive_count}
            ),
        )
        # Known before deploy, so the role policy is judged in preview.
        input_arn = arns.sqs_queue(scope.region, scope.account_id, input_name)
        dead_arn = arns.sqs_queue(scope.region, scope.account_id, dead_name)
        self.function = stage_function(
            name,
            args,
            [
                iam_docs.statement(CONSUME_ACTIONS, [input_arn], sid="ConsumeInput"),
                sender_statement([dead_arn], "SendPoison"),
            ],
            self.dlq,
            child,
        )
        max_concurrency = spec.max_concurrency or args.reserved_concurrency
        aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=self.queue.arn,
            function_name=self.function.arn,
            batch_size=spec.batch_size,
            maximum_batching_window_in_seconds=spec.batching_window_s,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=max_concurrency
            )
            if max_concurrency
            else None,
            # Lambda checks the role's SQS permissions when it creates the mapping: the role policy
            # is a dependency Pulumi cannot see through the function ARN (003-R19).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.function]),
        )
        self.queue_url, self.queue_arn = self.queue.url, self.queue.arn
        self.dlq_url, self.dlq_arn = self.dlq.url, self.dlq.arn
        self.function_name = self.function.name
        self.alarms: list[AlarmSpec] = stage_alarms(args.purpose, self.function, self.dlq)
        self.metrics: list[MetricRef] = lambda_metrics(args.purpose, self.function.name)
        self.register_outputs({"queue_url": self.queue_url, "dlq_url": self.dlq_url})
