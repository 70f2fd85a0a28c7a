"""IAM and KMS policy documents as plain dicts: no wildcard actions, resources scoped to ARNs.

Components pass these to ``pulumi.Output.json_dumps`` once; nothing here knows about Pulumi, so
every document is unit-tested (and linted by the policy pack) as data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Document = dict[str, Any]
VERSION = "2012-10-17"


def statement(
    actions: Sequence[str],
    resources: Sequence[Any],
    *,
    sid: str | None = None,
    effect: str = "Allow",
    conditions: Mapping[str, Any] | None = None,
    principal: Mapping[str, Any] | None = None,
) -> Document:
    """One statement; Action and Resource stay lists so a reader sees every grant."""
    result: Document = {"Effect": effect, "Action": sorted(actions)}
    if sid:
        result["Sid"] = sid
    if principal is not None:
        result["Principal"] = dict(principal)
    result["Resource"] = list(resources)
    if conditions:
        result["Condition"] = dict(conditions)
    return result


def document(*statements: Document) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def assume_role_policy(service: str, account_id: str, source_arn: Any = None) -> Document:
    """Trust ``service`` only on behalf of this account (the confused-deputy guard)."""
    conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        ],
    }


# Key administration without `kms:*`: everything the account needs to manage and delete a key.
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


def key_policy(account_id: str, grants: Sequence[tuple[str, Sequence[str], Mapping[str, Any]]]) -> Document:
    """A key policy: the account administers the key; each (service, actions, condition) may use it.

    In a key policy ``"Resource": "*"`` means "this key" (KMS key policy docs), not every key.
    """
    admin = statement(
        KEY_ADMIN_ACTIONS,
        ["*"],
        sid="AccountAdministersKey",
        principal={"AWS": f"arn:aws:iam::{account_id}:root"},
    )
    uses = [
        statement(
            actions,
            ["*"],
            sid=f"{service.split('.')[0].capitalize()}UsesKey",
            principal={"Service": service},
            conditions=condition,
        )
        for service, actions, condition in grants
    ]
    return document(admin, *uses)


def deny_insecure_transport(actions: Sequence[str], resources: Sequence[Any]) -> Document:
    """Deny any request to ``resources`` not made over TLS (cdk-nag S10/SNS3/SQS4, FSBP S3.5)."""
    return statement(
        actions,
        resources,
        sid="DenyInsecureTransport",
        effect="Deny",
        principal={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )
