"""ServiceKey: a customer-managed KMS key that named AWS services may use, and its alias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from program import iam_docs, naming

# The shortest window KMS allows: the key leaves the account a week after destroy.
DELETION_WINDOW_DAYS = 7


@dataclass(frozen=True)
class ServiceKeyArgs:
    purpose: str
    suffix: str
    account_id: str
    description: str
    # (service principal, actions, condition) triples, e.g. CloudWatch Logs for one log group.
    grants: Sequence[tuple[str, Sequence[str], Mapping[str, Any]]] = field(default_factory=tuple)
    # Another region than the provider's (v7 per-resource region), e.g. us-east-1 for CloudFront's logs.
    region: str | None = None


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
            policy=pulumi.Output.json_dumps(iam_docs.key_policy(args.account_id, args.grants)),
            region=args.region,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=naming.physical_name(args.purpose, args.suffix, "kms-alias"),
            target_key_id=self.key.key_id,
            region=args.region,
            opts=child,
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})


def log_groups_grant(
    region: str, account_id: str, suffix: str
) -> tuple[str, Sequence[str], Mapping[str, Any]]:
    """CloudWatch Logs may use the key for this stack's log groups (names end in -<suffix>)."""
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:*-{suffix}"
    return (
        f"logs.{region}.amazonaws.com",
        iam_docs.KEY_USE_ACTIONS,
        {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    )
