"""DataKey: a rotated CMK for data services that act with the caller's own permissions.

Aurora, Performance Insights, Secrets Manager and ECR do not use a key as a service principal:
they use it on behalf of the calling principal (the deployer, the RDS Proxy's role), through
grants or ``kms:ViaService``. The key policy therefore delegates the use actions to this account's
IAM policies, but only through the listed services in this region (KMS docs, "kms:ViaService"),
beside the administration statement every webstack key has (iam_docs.key_policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.components.kms import DELETION_WINDOW_DAYS
from program.scope import Scope

VIA_SERVICE_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


@dataclass(frozen=True)
class DataKeyArgs:
    purpose: str
    scope: Scope
    description: str
    services: Sequence[str]  # e.g. ("rds", "secretsmanager", "ecr")

    def __post_init__(self) -> None:
        if not self.services:
            raise ValueError("DataKey needs at least one service to use it through")


def via_service_statement(scope: Scope, services: Sequence[str]) -> dict[str, object]:
    return iam_docs.statement(
        VIA_SERVICE_ACTIONS,
        ["*"],  # in a key policy, "*" is this key
        sid="AccountUsesKeyThroughServices",
        principal={"AWS": f"arn:aws:iam::{scope.account_id}:root"},
        conditions={
            "StringEquals": {
                "kms:CallerAccount": scope.account_id,
                "kms:ViaService": [f"{service}.{scope.region}.amazonaws.com" for service in sorted(services)],
            }
        },
    )


class DataKey(pulumi.ComponentResource):
    def __init__(self, name: str, args: DataKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:data_key:DataKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = iam_docs.key_policy(args.scope.account_id, ())
        policy["Statement"].append(via_service_statement(args.scope, args.services))
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=pulumi.Output.json_dumps(policy),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=args.scope.name(args.purpose, "kms-alias"),
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
