"""Independent cross-check: every IAM document of every built blueprint, linted by parliament.

parliament (duo-labs) reads each document on its own; a finding fails this test unless the table
below exempts it with a written reason. Reasons are about AWS semantics parliament does not model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import parliament
import pytest
from policy_sentry.querying.actions import get_actions_that_support_wildcard_arns_only

from plan.capture import Graph
from policy_pack.policies import iam
from unit.conftest import built_stacks

BUILT_STACKS = built_stacks()


def kind(resource_type: str, where: str) -> str:
    if resource_type == "aws:kms/key:Key":
        return "key"
    if resource_type in ("aws:sns/topicPolicy:TopicPolicy", "aws:sns/topic:Topic"):
        return "topic"
    if where == "assumeRolePolicy":
        return "trust"
    if resource_type in iam.IDENTITY_POLICY_PROPS or where.startswith("inlinePolicies"):
        return "identity"
    return "resource"


def _unscopable_only(finding: Any) -> bool:
    actions = finding.detail if isinstance(finding.detail, list) else []
    return bool(actions) and all(
        a.lower() in {w.lower() for w in get_actions_that_support_wildcard_arns_only(a.split(":")[0])}
        for a in actions
    )


def _actions_only(*allowed: str) -> Callable[[Any], bool]:
    """The finding is about exactly these actions (parliament names them in its location)."""
    return lambda finding: (
        {a.lower() for a in (finding.location or {}).get("actions", [])} <= {a.lower() for a in allowed}
        and bool((finding.location or {}).get("actions"))
    )


# (parliament issue, document kind) -> (predicate on the finding, reason)
EXEMPTIONS: dict[tuple[str, str], tuple[Callable[[Any], bool], str]] = {
    ("MALFORMED", "trust"): (
        lambda f: "Resource" in str(f.detail),
        "A trust policy names a Principal and no Resource; parliament reads it as an identity policy.",
    ),
    ("RESOURCE_STAR", "key"): (
        lambda _: True,
        'In a KMS key policy, Resource "*" means the key itself (AWS KMS key policy docs).',
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "key"): (
        lambda _: True,
        "The account must administer its own key (PutKeyPolicy, CreateGrant) or the key is unmanageable.",
    ),
    ("UNKNOWN_CONDITION_FOR_ACTION", "key"): (
        lambda f: "kms:EncryptionContext:aws:logs:arn" in str(f.detail),
        "AWS's documented CloudWatch Logs key policy puts kms:Describe* under the log-group "
        "context condition.",
    ),
    ("MISMATCHED_TYPE", "key"): (
        lambda f: "ArnLike" in str(f.detail),
        "ArnLike takes an ARN pattern; parliament does not parse the log-group wildcard as an ARN.",
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "topic"): (
        lambda _: True,
        "A topic policy replaces SNS's default one, which lets the owning account manage "
        "permissions (sns:AddPermission, sns:RemovePermission); the owner keeps exactly those.",
    ),
    ("CREDENTIALS_EXPOSURE", "identity"): (
        _actions_only("rds-db:connect", "ecr:GetAuthorizationToken"),
        "rds-db:connect mints an IAM database-auth token for one dbuser through one proxy (002-R25); "
        "ecr:GetAuthorizationToken is how an ECS execution role pulls its image and takes no resource.",
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "identity"): (
        _actions_only("rds-db:connect"),
        "rds-db:connect on the proxy's dbuser ARN is the IAM database authentication the seed asks "
        "for (002-R25), scoped to one user; it manages no IAM permission.",
    ),
    ("RESOURCE_MISMATCH", "identity"): (
        lambda f: (
            isinstance(f.detail, list)
            and {d.get("action") for d in f.detail}
            <= {"elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"}
        ),
        "ModifyListener/ModifyRule accept ALB (listener/app) or NLB (listener/net) ARNs; the ECS "
        "blue/green role names this stack's ALB ones, and parliament reports the NLB form as missing.",
    ),
    ("RESOURCE_STAR", "identity"): (
        _unscopable_only,
        "Only actions without resource-level permissions (Service Authorization Reference) "
        'use "*" (000-R20).',
    ),
}


def documents(graph: Graph) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for resource in graph.resources:
        for where, document in iam.documents(resource.type, resource.inputs):
            yield f"{resource.name}.{where}", kind(resource.type, where), dict(document)


@pytest.mark.parametrize("stack", BUILT_STACKS)
def test_every_iam_document_passes_parliament_or_is_exempted_with_a_reason(
    stack: str, captured: Callable[[str], Graph]
) -> None:
    graph = captured(stack)
    checked, unexplained = 0, []
    for where, doc_kind, document in documents(graph):
        checked += 1
        for finding in parliament.analyze_policy_string(
            json.dumps(document), include_community_auditors=True
        ).findings:
            exemption = EXEMPTIONS.get((finding.issue, doc_kind))
            if exemption is None or not exemption[0](finding):
                unexplained.append(f"{where} ({doc_kind}): {finding.issue} {finding.detail}")
    assert checked >= 3
    assert unexplained == []


def test_parliament_does_find_what_it_should() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
    }
    issues = {f.issue for f in parliament.analyze_policy_string(json.dumps(bad)).findings}
    assert "UNKNOWN_ACTION" in issues


def test_every_exemption_has_a_reason() -> None:
    assert all(len(reason) > 40 for _, reason in EXEMPTIONS.values())
