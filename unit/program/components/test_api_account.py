"""ApiGatewayAccount: the region-wide CloudWatch role of API Gateway (001-R18), asserted on the graph."""

from __future__ import annotations

import json

import pytest

from plan.capture import Graph
from program.components.api_account import ApiGatewayAccount, ApiGatewayAccountArgs
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-west-2")
ACCESS = "arn:aws:logs:us-west-2:123456789012:log-group:api-access-dev"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_fn(lambda: ApiGatewayAccount("api", ApiGatewayAccountArgs(SCOPE, ACCESS)))


def test_001_R18_the_role_writes_execution_logs_and_our_access_log(graph: Graph) -> None:
    role = graph.one("aws:iam/role:Role").inputs
    assert role["name"] == "apigw-cloudwatch-dev"
    (trust,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert (
        trust["Principal"] == {"Service": "apigateway.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    )
    policy = graph.one("aws:iam/rolePolicy:RolePolicy").inputs
    assert policy["name"] == "apigw-cloudwatch-dev"
    write, list_groups = json.loads(policy["policy"])["Statement"]
    assert set(write["Action"]) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:FilterLogEvents",
        "logs:GetLogEvents",
        "logs:PutLogEvents",
    }
    execution = "arn:aws:logs:us-west-2:123456789012:log-group:API-Gateway-Execution-Logs_*"
    assert write["Resource"] == [execution, f"{execution}:log-stream:*", ACCESS, f"{ACCESS}:log-stream:*"]
    assert (list_groups["Action"], list_groups["Resource"]) == (["logs:DescribeLogGroups"], ["*"])


def test_the_account_setting_names_the_role_after_its_policy(graph: Graph) -> None:
    account = graph.one("aws:apigateway/account:Account")
    assert account.inputs["cloudwatchRoleArn"] == graph.one("aws:iam/role:Role").outputs["arn"]
    assert graph.one("aws:iam/rolePolicy:RolePolicy").urn in account.options["dependencies"]
    component = graph.one("webstack:api_account:ApiGatewayAccount")
    assert {r.name for r in graph.children(component.urn)} == {
        "api-logging-role",
        "api-logging-policy",
        "api-account",
    }
