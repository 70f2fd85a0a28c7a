"""CloudFront standard logging v2 into an encrypted us-east-1 log group (000-R17, 000-R24)."""

from __future__ import annotations

import json

import pulumi
import pytest

from plan.capture import Graph
from program.components.edge_logs import cloudfront_access_logs
from program.components.waf import LogGroupTarget
from program.scope import EDGE_REGION, Scope
from unit.conftest import capture_fn

EDGE = Scope("dev", "123456789012", EDGE_REGION)
KEY = "arn:aws:kms:us-east-1:123456789012:key/edge-logs"
DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E123"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_fn(
        lambda: cloudfront_access_logs(
            "cdn",
            "site",
            DISTRIBUTION,
            LogGroupTarget(KEY, EDGE, retention_days=14),
            pulumi.ResourceOptions(),
        )
    )


def test_000_R17_access_logs_go_to_an_encrypted_group_with_retention(graph: Graph) -> None:
    group = graph.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert (group["name"], group["kmsKeyId"], group["retentionInDays"]) == ("site-cloudfront-dev", KEY, 14)
    source = graph.one("aws:cloudwatch/logDeliverySource:LogDeliverySource").inputs
    assert (source["logType"], source["resourceArn"], source["name"]) == (
        "ACCESS_LOGS",
        DISTRIBUTION,
        "site-cloudfront-dev",
    )
    destination = graph.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination").inputs
    assert destination["deliveryDestinationConfiguration"] == {
        "destinationResourceArn": graph.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    }
    assert destination["outputFormat"] == "json"


def test_000_R24_every_piece_lives_in_us_east_1(graph: Graph) -> None:
    aws_resources = [r for r in graph.resources if r.type.startswith("aws:")]
    assert len(aws_resources) == 5
    assert all(r.inputs["region"] == "us-east-1" for r in aws_resources)


def test_delivery_writes_under_a_policy_scoped_to_this_account(graph: Graph) -> None:
    policy = graph.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert policy.inputs["policyName"] == "cloudfront-logs-site-dev"
    (statement,) = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    delivery = graph.one("aws:cloudwatch/logDelivery:LogDelivery")
    assert policy.urn in delivery.options["dependencies"]
