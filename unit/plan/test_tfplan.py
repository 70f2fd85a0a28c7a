"""`--tfplan`: Terraform types from the SDK and bridge metadata, attribute names and block shapes,
unknowns, references from property dependencies, and what has no Terraform twin (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from plan import tfplan
from plan.capture import Graph
from plan.tfplan_types import AwsSchema, rule_type, singular, snake, trim
from unit.conftest import capture_fn

SCHEMA = AwsSchema()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # v7 renames: the new token aliases the V2 one the metadata maps.
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:s3/bucketVersioning:BucketVersioning", "aws_s3_bucket_versioning"),
        ("aws:s3/bucketObjectv2:BucketObjectv2", "aws_s3_object"),
        # Names the standard rule does not produce, from the metadata.
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:apigateway/response:Response", "aws_api_gateway_gateway_response"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:cfg/rule:Rule", "aws_config_config_rule"),
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        # The standard rule, with the module prefixes.
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),
        ("aws:cloudwatch/logDelivery:LogDelivery", "aws_cloudwatch_log_delivery"),
        ("aws:wafv2/webAclAssociation:WebAclAssociation", "aws_wafv2_web_acl_association"),
        ("aws:s3/noSuchThing:NoSuchThing", None),
    ],
)
def test_terraform_type(token: str, expected: str | None) -> None:
    assert SCHEMA.terraform_type(token) == expected


def test_names() -> None:
    assert snake("bucketPublicAccessBlock") == "bucket_public_access_block"
    assert snake("EnvironmentEC2") == "environment_ec2"
    assert snake("UserPoolUICustomization") == "user_pool_ui_customization"
    assert snake("vpcIpv4CidrBlockAssociation") == "vpc_ipv4_cidr_block_association"
    assert [singular(n) for n in ("rules", "policies", "globalSecondaryIndexes", "ingress", "origin")] == [
        "rule",
        "policy",
        "globalSecondaryIndex",
        "ingress",
        "origin",
    ]
    assert (
        rule_type("aws:cfg/deliveryChannel:DeliveryChannel", {"cfg": "config"})
        == "aws_config_delivery_channel"
    )


def test_trim_keeps_only_what_the_rule_does_not_produce() -> None:
    metadata = {
        "renames": {
            "resources": {
                "aws:foo/widget:Widget": "aws_fooapi_widget",
                "aws:foo/gadgetThing:GadgetThing": "aws_fooapi_gadget_thing",
                "aws:foo/odd:Odd": "aws_fooapi_strange",
                "aws:bar/old:Old": "aws_bar_old_legacy",
            },
            "renamedProperties": {"aws:foo/widget:Widget": {"rules": "rule", "bucketName": "bucket_name"}},
        }
    }
    assert trim(metadata) == {
        "modules": {"foo": "fooapi"},
        "resources": {"aws:foo/odd:Odd": "aws_fooapi_strange"},
        "fields": {"aws:foo/widget:Widget": {"rules": "rule"}},
    }


def _program() -> None:
    bucket = aws.s3.Bucket("site", bucket="site-dev", opts=pulumi.ResourceOptions(retain_on_delete=True))
    aws.s3.BucketPublicAccessBlock("site-pab", bucket=bucket.id, block_public_acls=True)
    aws.s3.BucketServerSideEncryptionConfiguration(
        "site-sse",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
    )
    aws.s3.BucketPolicy(
        "site-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Resource": arn}]}
            )
        ),
    )
    role = aws.iam.Role("fn", assume_role_policy="{}", tags={"team": "web"})
    aws.ssm.Parameter("token", type="SecureString", value=pulumi.Output.secret("s3cr3t"))
    aws.lambda_.Function("fn", role=role.arn, runtime="python3.13", handler="h.h", memory_size=256)


def _by_address(plan: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    if section == "configuration":
        return {r["address"]: r for r in plan["configuration"]["root_module"]["resources"]}
    if section == "planned":
        return {r["address"]: r for r in plan["planned_values"]["root_module"]["resources"]}
    return {r["address"]: r for r in plan["resource_changes"]}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_fn(_program)


def test_export_shapes_references_and_unknowns(graph: Graph) -> None:
    result = tfplan.export(graph, SCHEMA)
    plan = result.plan
    assert plan["format_version"] == "1.2"
    assert plan["configuration"]["provider_config"]["aws"]["expressions"] == {
        "region": {"constant_value": "us-west-2"}
    }
    planned, changes, config = (_by_address(plan, s) for s in ("planned", "changes", "configuration"))
    assert sorted(planned) == [
        "aws_iam_role.fn",
        "aws_lambda_function.fn",
        "aws_s3_bucket.site",
        "aws_s3_bucket_policy.site-policy",
        "aws_s3_bucket_public_access_block.site-pab",
        "aws_s3_bucket_server_side_encryption_configuration.site-sse",
        "aws_ssm_parameter.token",
    ]
    # A secret is in the file, as in `terraform show -json`, and marked sensitive.
    assert planned["aws_ssm_parameter.token"]["values"]["value"] == "s3cr3t"
    assert planned["aws_ssm_parameter.token"]["sensitive_values"] == {"value": True}
    assert changes["aws_ssm_parameter.token"]["change"]["after_sensitive"] == {"value": True}
    assert all(
        c["change"]["actions"] == ["create"] and c["change"]["before"] is None for c in changes.values()
    )
    # Known inputs as Terraform attributes; computed ones unknown until apply.
    assert planned["aws_s3_bucket.site"]["values"]["bucket"] == "site-dev"
    assert changes["aws_s3_bucket.site"]["change"]["after_unknown"]["arn"] is True
    # A nested list block is singularized and each nested object becomes a one-element list.
    assert planned["aws_s3_bucket_server_side_encryption_configuration.site-sse"]["values"]["rule"] == [
        {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}
    ]
    # The public-access block's bucket is the bucket's id: unknown at plan time, and a reference.
    pab = "aws_s3_bucket_public_access_block.site-pab"
    assert "bucket" not in planned[pab]["values"]
    assert changes[pab]["change"]["after_unknown"]["bucket"] is True
    assert config[pab]["expressions"]["bucket"] == {
        "references": ["aws_s3_bucket.site.id", "aws_s3_bucket.site"]
    }
    # A JSON document stays a string; it references the bucket whose ARN it holds.
    policy = planned["aws_s3_bucket_policy.site-policy"]["values"]["policy"]
    assert json.loads(policy)["Statement"][0]["Resource"] == "arn:aws:s3:::site-dev"
    assert config["aws_s3_bucket_policy.site-policy"]["expressions"]["policy"] == {
        "references": ["aws_s3_bucket.site.arn", "aws_s3_bucket.site"]
    }
    # The function's role is the role's ARN; numbers are Terraform numbers; maps stay maps.
    assert config["aws_lambda_function.fn"]["expressions"]["role"] == {
        "references": ["aws_iam_role.fn.arn", "aws_iam_role.fn"]
    }
    assert planned["aws_lambda_function.fn"]["values"]["memory_size"] == 256
    assert planned["aws_iam_role.fn"]["values"]["tags"] == {"team": "web"}


def test_export_lists_what_has_no_terraform_twin(graph: Graph) -> None:
    result = tfplan.export(graph, SCHEMA)
    skipped = {s.type: s.reason for s in result.skipped}
    assert set(skipped) == {"pulumi:providers:aws"}
    assert any("retainOnDelete is a Pulumi-only option" in line for line in result.not_carried)


def test_components_and_other_packages_are_listed() -> None:
    class Group(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("acme:index:Group", name)
            aws.sqs.Queue(f"{name}-q", opts=pulumi.ResourceOptions(parent=self))

    graph = capture_fn(lambda: Group("g"))
    result = tfplan.export(graph, SCHEMA)
    assert list(result.mapped.values()) == ["aws_sqs_queue.g-q"]
    reasons = {s.type: s.reason for s in result.skipped}
    assert reasons["acme:index:Group"].startswith("component resource")


def test_preview_leaves_computed_values_unknown() -> None:
    graph = capture_fn(_program, preview=True)
    plan = tfplan.export(graph, SCHEMA).plan
    changes, config = _by_address(plan, "changes"), _by_address(plan, "configuration")
    policy = changes["aws_s3_bucket_policy.site-policy"]["change"]
    assert "policy" not in policy["after"] and policy["after_unknown"]["policy"] is True
    assert config["aws_lambda_function.fn"]["expressions"]["role"] == {
        "references": ["aws_iam_role.fn.arn", "aws_iam_role.fn"]
    }
