"""policy_pack.policies.iam: wildcard actions in identity policies (string or dict documents)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy_pack.policies.iam import identity_documents, parse_document, wildcard_actions


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


COMPLIANT = doc(
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}
)


@pytest.mark.parametrize("as_string", [True, False])
def test_compliant_document_has_no_findings(as_string: bool) -> None:
    raw = json.dumps(COMPLIANT) if as_string else COMPLIANT
    assert list(wildcard_actions(parse_document(raw))) == []


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("*", ["*"]),
        ("s3:*", ["s3:*"]),
        (["s3:GetObject", "s3:Get*"], ["s3:Get*"]),
        (["iam:*", "kms:*"], ["iam:*", "kms:*"]),
    ],
)
def test_each_wildcard_action_is_one_finding(action: Any, expected: list[str]) -> None:
    findings = list(
        wildcard_actions(doc({"Sid": "S1", "Effect": "Allow", "Action": action, "Resource": "x"}))
    )
    assert findings == [("S1", a) for a in expected]


def test_not_action_in_an_allow_is_a_finding_and_deny_is_not() -> None:
    document = doc(
        {"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "x"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    )
    assert list(wildcard_actions(document)) == [("#0", "NotAction iam:PassRole")]


def test_a_single_statement_object_is_accepted() -> None:
    assert list(wildcard_actions({"Statement": {"Effect": "Allow", "Action": "*"}})) == [("#0", "*")]


def test_documents_are_found_where_each_type_keeps_them() -> None:
    assert list(identity_documents("aws:iam/rolePolicy:RolePolicy", {"policy": "{}"})) == [("policy", "{}")]
    role = {"inlinePolicies": [{"name": "a", "policy": "{}"}, {"name": "b"}]}
    assert list(identity_documents("aws:iam/role:Role", role)) == [("inlinePolicies[0].policy", "{}")]
    assert list(identity_documents("aws:s3/bucket:Bucket", {"policy": "{}"})) == []
