"""ServiceKey: a customer-managed KMS key that named AWS services may use, and its alias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.scope import Scope

# The shortest window KMS allows: the key leaves the account a week after destroy.
DELETION_WINDOW_DAYS = 7
# Services through which the account's IAM policies may grant use of a key (kms:ViaService): the
# CMK-encrypted streams, buckets, queues, topics, tables, secrets, parameters, databases and
# function environments the blueprints build. Raw kms:Decrypt from a role stays impossible.
IAM_VIA_SERVICES = ("dynamodb", "kinesis", "lambda", "rds", "s3", "secretsmanager", "sns", "sqs", "ssm")


@dataclass(frozen=True)
class ServiceKeyArgs:
    purpose: str
    scope: Scope
    description: str
    # (service principal, actions, condition) triples, e.g. CloudWatch Logs for one log group.
    grants: Sequence[tuple[str, Sequence[str], Mapping[str, Any]]] = field(default_factory=tuple)
    # Another region than the provider's (v7 per-resource region), e.g. us-east-1 for CloudFront's logs.
    region: str | None = None
    # Services (short names) through which IAM policies may grant use; () for none.
    iam_via_services: Sequence[str] = IAM_VIA_SERVICES

    def __post_init__(self) -> None:
        if self.region is not None and self.region != self.scope.region:
            raise ValueError(f"ServiceKey region {self.region}: give a scope in that region too")


class ServiceKey(pulumi.ComponentResource):
    """A rotated CMK with a policy that names each service allowed to use it."""

    def __init__(self, name: str, args: ServiceKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:kms:ServiceKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=pulumi.Output.json_dumps(
                iam_docs.key_policy(
                    args.scope.account_id,
                    args.grants,
                    [f"{service}.{args.scope.region}.amazonaws.com" for service in args.iam_via_services],
                )
            ),
            region=args.region,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=args.scope.name(args.purpose, "kms-alias"),
            target_key_id=self.key.key_id,
            region=args.region,
            opts=child,
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})


def log_groups_grant(scope: Scope) -> tuple[str, Sequence[str], Mapping[str, Any]]:
    """CloudWatch Logs of scope's region may use the key for this stack's log groups (*-<suffix>)."""
    log_groups = arns.log_group(scope.region, scope.account_id, f"*-{scope.suffix}")
    return (
        f"logs.{scope.region}.amazonaws.com",
        iam_docs.KEY_USE_ACTIONS,
        {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    )
