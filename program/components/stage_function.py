"""What a pipeline stage's Lambda is, whatever feeds it (QueueStage: SQS; StreamConsumer: Kinesis).

The Function arguments every stage takes (StageFunctionArgs; each component's Args add how it is
fed), the Function itself with the feeding grants ahead of the owner's statements and the DLQ's
URL in its environment, the encrypted TLS-only queues (000-R14) including the stage's dead-letter
queue (14 days, the SQS maximum), and the alarms every stage raises: its function's and its DLQ's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.alarms import AlarmSpec, lambda_alarms, queue_depth_alarm
from program.components.function import Function, FunctionArgs, ImageCode, VpcPlacement, ZipCode
from program.scope import Scope

DLQ_RETENTION_S = 14 * 24 * 3600  # the SQS maximum: time to inspect and replay


@dataclass(frozen=True, kw_only=True)
class StageFunctionArgs:
    """The stage's Function; QueueStageArgs and StreamConsumerArgs add what feeds it."""

    purpose: str  # the function <purpose>-<suffix>, its DLQ <purpose>-dlq-<suffix>
    scope: Scope
    code: ZipCode | ImageCode
    log_kms_key_arn: pulumi.Input[str]
    vpc: VpcPlacement | None
    # What the function does with its input (e.g. put objects), beside consuming it.
    statements: Sequence[dict[str, Any]] = field(default_factory=tuple)
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    environment_kms_key_arn: pulumi.Input[str] | None = None  # the function's environment CMK
    memory_mb: int = 512
    timeout_s: int = 30
    reserved_concurrency: int | None = None
    # The environment variable the code reads its DLQ's URL from, when it writes poison there itself.
    dlq_env: str | None = "DLQ_URL"
    tracing: bool = False


def dlq_name(purpose: str, scope: Scope) -> str:
    return scope.name(f"{purpose}-dlq", "sqs")


def tls_only_queue(
    name: str, physical: str, scope: Scope, opts: pulumi.ResourceOptions, **queue_args: Any
) -> aws.sqs.Queue:
    """An SQS-managed-SSE queue whose policy denies any request not made over TLS (000-R14)."""
    queue = aws.sqs.Queue(name, name=physical, sqs_managed_sse_enabled=True, **queue_args, opts=opts)
    aws.sqs.QueuePolicy(
        f"{name}-policy",
        queue_url=queue.url,
        policy=pulumi.Output.json_dumps(
            iam_docs.document(
                iam_docs.deny_insecure_transport(
                    ["sqs:*"], [arns.sqs_queue(scope.region, scope.account_id, physical)]
                )
            )
        ),
        opts=opts,
    )
    return queue


def dead_letter_queue(name: str, args: StageFunctionArgs, opts: pulumi.ResourceOptions) -> aws.sqs.Queue:
    """The stage's ``<name>-dlq``: what it gave up on, kept as long as SQS keeps anything."""
    return tls_only_queue(
        f"{name}-dlq",
        dlq_name(args.purpose, args.scope),
        args.scope,
        opts,
        message_retention_seconds=DLQ_RETENTION_S,
    )


def stage_function(
    name: str,
    args: StageFunctionArgs,
    feed_statements: Sequence[dict[str, Any]],
    dlq: aws.sqs.Queue,
    opts: pulumi.ResourceOptions,
) -> Function:
    """The stage's ``<name>-fn``: what consuming its input takes, then the owner's statements."""
    return Function(
        f"{name}-fn",
        FunctionArgs(
            purpose=args.purpose,
            scope=args.scope,
            code=args.code,
            log_kms_key_arn=args.log_kms_key_arn,
            statements=[*feed_statements, *args.statements],
            environment={**args.environment, **({args.dlq_env: dlq.url} if args.dlq_env else {})},
            environment_kms_key_arn=args.environment_kms_key_arn,
            vpc=args.vpc,
            memory_mb=args.memory_mb,
            timeout_s=args.timeout_s,
            reserved_concurrency=args.reserved_concurrency,
            tracing=args.tracing,
        ),
        opts=opts,
    )


def stage_alarms(purpose: str, function: Function, dlq: aws.sqs.Queue) -> list[AlarmSpec]:
    """The function's alarms and one on anything reaching its DLQ."""
    return [*lambda_alarms(purpose, function.name), queue_depth_alarm(f"{purpose}-dlq", dlq.name)]
