"""serverless-app blueprint (seeds 000/001), asserted on the captured graph of serverless-dev."""

from __future__ import annotations

import json

from plan.capture import Graph


def test_000_R24_001_R25_everything_runs_through_one_us_west_2_provider(serverless_graph: Graph) -> None:
    (provider,) = serverless_graph.by_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-west-2"
    custom = [r for r in serverless_graph.resources if r.custom and r is not provider]
    assert custom and all(r.provider.startswith(provider.urn + "::") for r in custom)


def test_003_R21_default_tags_sit_on_the_provider(serverless_graph: Graph) -> None:
    (provider,) = serverless_graph.by_type("pulumi:providers:aws")
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags == {
        "Project": "webstack",
        "Environment": "dev",
        "Blueprint": "serverless-app",
        "ManagedBy": "pulumi",
    }


def test_000_R13_two_azs_and_001_R10_kinesis_interface_endpoint(serverless_graph: Graph) -> None:
    zones = {s.inputs["availabilityZone"] for s in serverless_graph.by_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-west-2a", "us-west-2b"}
    services = {e.inputs["serviceName"] for e in serverless_graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert "com.amazonaws.us-west-2.kinesis-streams" in services


def test_logs_key_rotates_and_lets_cloudwatch_logs_use_it_for_this_stack_only(
    serverless_graph: Graph,
) -> None:
    key = serverless_graph.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 7
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    logs = statements["LogsUsesKey"]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(":log-group:*-dev")
    assert all("*" not in action for s in statements.values() for action in s["Action"])
    flow_logs = serverless_graph.one("aws:cloudwatch/logGroup:LogGroup")
    assert flow_logs.inputs["kmsKeyId"] == key.outputs["arn"]


def test_stack_outputs_name_the_network(serverless_graph: Graph) -> None:
    outputs = serverless_graph.stack_outputs
    assert outputs["vpcId"] == serverless_graph.one("aws:ec2/vpc:Vpc").outputs["id"]
    assert len(outputs["privateSubnetIds"]) == 2
