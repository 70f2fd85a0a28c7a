"""ServiceKey: a rotated CMK, 7-day deletion window, a policy naming each service (000-R19)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import Graph
from program.components.kms import ServiceKey, ServiceKeyArgs, log_groups_grant
from program.scope import EDGE_REGION, Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-west-2")


def key_graph(scope: Scope = SCOPE, region: str | None = None) -> Graph:
    def program() -> None:
        ServiceKey(
            "logs",
            ServiceKeyArgs("logs", scope, "Logs of dev", grants=(log_groups_grant(scope),), region=region),
        )

    return capture_fn(program)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return key_graph()


def statements(graph: Graph) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(graph.one("aws:kms/key:Key").inputs["policy"])["Statement"]}


def test_key_rotates_and_leaves_a_week_after_destroy(graph: Graph) -> None:
    key = graph.one("aws:kms/key:Key").inputs
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 7
    alias = graph.one("aws:kms/alias:Alias").inputs
    assert (
        alias["name"] == "alias/logs-dev"
        and alias["targetKeyId"] == graph.one("aws:kms/key:Key").outputs["keyId"]
    )


def test_the_account_administers_without_kms_star(graph: Graph) -> None:
    admin = statements(graph)["AccountAdministersKey"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert "kms:*" not in admin["Action"] and "kms:ScheduleKeyDeletion" in admin["Action"]
    assert "kms:Decrypt" not in admin["Action"]  # administering is not using


def test_iam_policies_may_grant_use_only_through_named_services(graph: Graph) -> None:
    """Issue 9 A6: without a key-policy statement for the account, no IAM policy can grant use of
    the key (KMS default key policy doc); this one allows use only via services, in this account."""
    use = statements(graph)["IamPoliciesMayGrantUseViaServices"]
    assert use["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert use["Resource"] == ["*"]
    assert set(use["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    }
    assert use["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": "123456789012",
            "kms:ViaService": [
                "dynamodb.us-west-2.amazonaws.com",
                "kinesis.us-west-2.amazonaws.com",
                "lambda.us-west-2.amazonaws.com",
                "rds.us-west-2.amazonaws.com",
                "s3.us-west-2.amazonaws.com",
                "secretsmanager.us-west-2.amazonaws.com",
                "sns.us-west-2.amazonaws.com",
                "sqs.us-west-2.amazonaws.com",
                "ssm.us-west-2.amazonaws.com",
            ],
        }
    }


def test_no_iam_use_statement_when_no_service_is_named() -> None:
    def program() -> None:
        ServiceKey("k", ServiceKeyArgs("k", SCOPE, "no IAM use", iam_via_services=()))

    sids = [
        s["Sid"] for s in json.loads(capture_fn(program).one("aws:kms/key:Key").inputs["policy"])["Statement"]
    ]
    assert sids == ["AccountAdministersKey"]


def test_000_R19_logs_may_use_it_only_for_this_stacks_log_groups(graph: Graph) -> None:
    use = statements(graph)["LogsUsesKey"]
    assert use["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert set(use["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    }
    assert use["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:123456789012:log-group:*-dev"
        }
    }


def test_000_R24_an_edge_key_lives_in_us_east_1() -> None:
    graph = key_graph(SCOPE.at(EDGE_REGION), EDGE_REGION)
    assert graph.one("aws:kms/key:Key").inputs["region"] == "us-east-1"
    assert graph.one("aws:kms/alias:Alias").inputs["region"] == "us-east-1"
    assert statements(graph)["LogsUsesKey"]["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    with pytest.raises(ValueError, match="give a scope in that region"):
        ServiceKeyArgs("logs", SCOPE, "d", region=EDGE_REGION)
