"""IAM family: identity policies grant no wildcard actions.

Decisions are pure functions over the policy document (a JSON string or a dict with AWS casing,
Action as a string or a list), so they are tested without the engine; the CrossGuard policies
below only find the documents in a resource's props and report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

# Resource types whose props carry identity-policy documents, and where they sit.
IDENTITY_POLICY_PROPS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}


def parse_document(document: Any) -> dict[str, Any]:
    """A policy document as a dict, whether it arrived as a JSON string or a dict."""
    parsed = json.loads(document) if isinstance(document, str) else dict(document)
    if not isinstance(parsed, dict):
        raise ValueError("a policy document is a JSON object")
    return parsed


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement", [])
    return [raw] if isinstance(raw, dict) else list(raw)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def wildcard_actions(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(statement id, action) for every Allow action that contains `*`, and every NotAction."""
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        sid = str(statement.get("Sid") or f"#{index}")
        for action in as_list(statement.get("Action")):
            if "*" in str(action):
                yield sid, str(action)
        for action in as_list(statement.get("NotAction")):
            yield sid, f"NotAction {action}"


def identity_documents(resource_type: str, props: Any) -> Iterator[tuple[str, Any]]:
    """(where, document) for each identity-policy document the resource carries."""
    prop = IDENTITY_POLICY_PROPS.get(resource_type)
    if prop is not None and prop in props:
        yield prop, props[prop]
    if resource_type == "aws:iam/role:Role":
        for index, inline in enumerate(props.get("inlinePolicies") or []):
            if inline.get("policy"):
                yield f"inlinePolicies[{index}].policy", inline["policy"]


def _validate_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for where, raw in identity_documents(args.resource_type, args.props):
        for sid, action in wildcard_actions(parse_document(raw)):
            report(
                f"{where}: statement {sid} allows '{action}'. List the exact actions the "
                "principal needs (for example s3:GetObject) instead of a wildcard.",
                None,
            )


no_wildcard_iam_actions = ResourceValidationPolicy(
    name="iam-no-wildcard-actions",
    description="IAM identity policies must not allow wildcard actions (`*`, `service:*`, `Get*`).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_no_wildcard_actions,
    severity=Severity.HIGH,
    remediation_steps="Replace each wildcard action with the list of actions the principal uses.",
    framework=PolicyComplianceFramework(name="cdk-nag", reference="AwsSolutions-IAM5"),
    tags=["iam", "least-privilege", "checkov:CKV_AWS_63", "fsbp:IAM.21"],
    url="https://github.com/cdklabs/cdk-nag/blob/main/RULES.md",
)
