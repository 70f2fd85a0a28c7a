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


def assume_role_policy(service: str, account_id: str | None, source_arn: Any = None) -> Document:
    """Trust ``service`` only on behalf of this account (the confused-deputy guard).

    ``account_id=None`` leaves the trust unconditioned, for a service whose documented trust policy
    has no condition and that may not send aws:SourceAccount when it assumes the role; only a
    principal of this account with iam:PassRole can hand such a role to the service."""
    if account_id is None and source_arn is not None:
        raise ValueError(f"{service}: a source_arn condition needs the account guard too")
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id is not None:
        conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
        if source_arn is not None:
            conditions["ArnLike"] = {"aws:SourceArn": source_arn}
        statement["Condition"] = conditions
    return {"Version": VERSION, "Statement": [statement]}


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


# What IAM policies in the account may grant on a key, and only through these services.
KEY_IAM_USE_ACTIONS = (*KEY_USE_ACTIONS, "kms:GenerateDataKeyWithoutPlaintext")


def key_policy(
    account_id: str,
    grants: Sequence[tuple[str, Sequence[str], Mapping[str, Any]]],
    via_services: Sequence[str] = (),
) -> Document:
    """A key policy: the account administers the key; each (service, actions, condition) may use it;
    IAM policies of the account may grant its use through ``via_services`` (full endpoint names,
    ``kinesis.us-east-1.amazonaws.com``), and through nothing else.

    Without the last statement no IAM policy could ever grant use of the key: "Unless the key
    policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key" (AWS KMS
    Developer Guide, "Default key policy": https://docs.aws.amazon.com/kms/latest/developerguide/
    key-policy-default.html#key-policy-default-allow-root-enable-iam). AWS's default statement
    gives the root principal ``kms:*``; this one gives only the use actions, scoped with
    ``kms:CallerAccount`` and ``kms:ViaService`` (".../conditions-kms.html#conditions-kms-via-service")
    so a role can use the key for a stream, bucket or secret, never for raw KMS calls.
    In a key policy ``"Resource": "*"`` means "this key" (KMS key policy docs), not every key.
    """
    root = {"AWS": f"arn:aws:iam::{account_id}:root"}
    admin = statement(KEY_ADMIN_ACTIONS, ["*"], sid="AccountAdministersKey", principal=root)
    iam_use = [
        statement(
            KEY_IAM_USE_ACTIONS,
            ["*"],
            sid="IamPoliciesMayGrantUseViaServices",
            principal=root,
            conditions={
                "StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": sorted(via_services)}
            },
        )
    ]
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
    return document(admin, *(iam_use if via_services else []), *uses)


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
