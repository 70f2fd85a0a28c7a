"""WebAcl component and its rule builders (000-R24, 001-R5, 004-R17), asserted on the captured graph."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from plan.capture import Graph
from program.components.waf import (
    LogGroupTarget,
    WebAcl,
    WebAclArgs,
    check_rate,
    managed_rule_group,
    rate_rule,
    require_header_rule,
    web_acl_rules,
)
from program.scope import Scope
from unit.conftest import capture_fn

ACCOUNT = "123456789012"
SCOPE = Scope("dev", ACCOUNT, "us-west-2")
EDGE = Scope("dev", ACCOUNT, "us-east-1")
LOGS_KEY = "arn:aws:kms:us-west-2:123456789012:key/logs"
EDGE_LOGS_KEY = "arn:aws:kms:us-east-1:123456789012:key/edge-logs"
STAGE_ARN = "arn:aws:apigateway:us-west-2::/restapis/abc123/stages/v1"
SECRET = "origin-secret-0123456789"

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def edge_args(**changes: Any) -> WebAclArgs:
    args = WebAclArgs(
        purpose="site-edge",
        scope=SCOPE,
        description="CloudFront site: AWS managed rules and a per-IP rate limit",
        acl_scope="CLOUDFRONT",
    )
    return replace(args, **changes)


def stage_args(**changes: Any) -> WebAclArgs:
    """The ItemsApi's layout: origin check first, then the rate limit, then the managed groups."""
    args = WebAclArgs(
        purpose="api",
        scope=SCOPE,
        description="Items API stage - CloudFront only via origin header, rate limit, AWS managed rules",
        rate_limit=1000,
        rate_key="FORWARDED_IP",
        leading_rules=[require_header_rule("origin-verify", "x-origin-verify", SECRET)],
        logging=LogGroupTarget(LOGS_KEY, SCOPE, redacted_headers=("x-origin-verify",)),
        resource_arn=STAGE_ARN,
        resource_label="stage",
    )
    return replace(args, **changes)


def acl_graph(args: WebAclArgs, preview: bool = False) -> Graph:
    def program() -> None:
        import pulumi

        acl = WebAcl("waf", args)
        pulumi.export("arn", acl.arn)

    return capture_fn(program, preview=preview)


@pytest.fixture(scope="module")
def stage_graph() -> Graph:
    return acl_graph(stage_args())


@pytest.fixture(scope="module")
def edge_graph() -> Graph:
    return acl_graph(edge_args())


def rules_by_name(graph: Graph) -> dict[str, dict[str, Any]]:
    return {rule["name"]: rule for rule in graph.one(WEB_ACL).inputs["rules"]}


# -- pure rule builders -----------------------------------------------------------------------------


def test_001_R5_require_header_rule_blocks_anything_but_the_exact_secret() -> None:
    rule = require_header_rule("origin-verify", "x-origin-verify", SECRET)
    assert rule.priority == 0 and rule.action.block is not None and rule.override_action is None
    match = rule.statement.not_statement.statement.byte_match_statement
    assert match.field_to_match.single_header.name == "x-origin-verify"
    assert (match.positional_constraint, match.search_string) == ("EXACTLY", SECRET)
    assert [(t.priority, t.type) for t in match.text_transformations] == [(0, "NONE")]
    assert rule.visibility_config.metric_name == "origin-verify"


def test_managed_rule_group_keeps_the_groups_own_actions() -> None:
    rule = managed_rule_group("AWSManagedRulesCommonRuleSet", 2, "acl-")
    assert rule.override_action.none is not None and rule.action is None
    statement = rule.statement.managed_rule_group_statement
    assert (statement.vendor_name, statement.name) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert rule.visibility_config.metric_name == "acl-AWSManagedRulesCommonRuleSet"


def test_004_R17_rate_rule_per_source_ip() -> None:
    rule = rate_rule("rate-per-ip", 3, 1000, 60, "IP")
    statement = rule.statement.rate_based_statement
    assert (statement.limit, statement.evaluation_window_sec, statement.aggregate_key_type) == (
        1000,
        60,
        "IP",
    )
    assert statement.forwarded_ip_config is None and rule.action.block is not None


def test_rate_rule_behind_cloudfront_counts_the_forwarded_client() -> None:
    config = rate_rule("r", 1, 1000, 300, "FORWARDED_IP").statement.rate_based_statement.forwarded_ip_config
    assert (config.header_name, config.fallback_behavior) == ("X-Forwarded-For", "MATCH")


def test_rate_then_managed_groups_from_priority_1_when_nothing_leads() -> None:
    rules = web_acl_rules(edge_args(), "site-edge-dev")
    assert [(r.name, r.priority) for r in rules] == [
        ("rate-per-ip", 1),
        ("AWSManagedRulesCommonRuleSet", 2),
        ("AWSManagedRulesKnownBadInputsRuleSet", 3),
    ]
    assert [r.visibility_config.metric_name for r in rules] == [
        "site-edge-dev-rate-per-ip",
        "site-edge-dev-AWSManagedRulesCommonRuleSet",
        "site-edge-dev-AWSManagedRulesKnownBadInputsRuleSet",
    ]


def test_leading_rules_come_first_and_the_rest_follow_their_priorities() -> None:
    rules = web_acl_rules(stage_args(), "api-dev")
    assert [(r.name, r.priority) for r in rules] == [
        ("origin-verify", 0),
        ("rate-per-ip", 1),
        ("AWSManagedRulesCommonRuleSet", 2),
        ("AWSManagedRulesKnownBadInputsRuleSet", 3),
    ]
    two = [require_header_rule("a", "x-a", "s"), require_header_rule("b", "x-b", "t", priority=1)]
    priorities = [r.priority for r in web_acl_rules(stage_args(leading_rules=two), "api-dev")]
    assert priorities == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("limit", "window"), [(9, 300), (2_000_000_001, 300), (1000, 30), (1000, 900)])
def test_check_rate_rejects_what_waf_refuses(limit: int, window: int) -> None:
    with pytest.raises(ValueError, match="WAF rate"):
        check_rate(limit, window)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"region": "eu-west-1"}, "only in us-east-1"),
        ({"resource_arn": STAGE_ARN}, "web_acl_id"),
        ({"description": "no (parentheses)"}, "description"),
        ({"rate_window_s": 30}, "WAF rate"),
        ({"logging": LogGroupTarget(EDGE_LOGS_KEY, SCOPE)}, "logging region"),
        (
            {"leading_rules": [require_header_rule("a", "x", "s"), require_header_rule("b", "y", "t")]},
            "distinct",
        ),
        ({"leading_rules": [require_header_rule("rate-per-ip", "x", "s")]}, "unique"),
    ],
)
def test_args_are_validated(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        edge_args(**changes)


# -- a regional ACL on an API stage (001-R5) --------------------------------------------------------


def test_001_R5_regional_acl_is_associated_with_the_stage(stage_graph: Graph) -> None:
    acl = stage_graph.one(WEB_ACL, "waf")
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["name"] == "api-dev"
    assert "region" not in acl.inputs  # the provider's region
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert acl.inputs["visibilityConfig"]["metricName"] == "api-dev"
    association = stage_graph.one(ASSOCIATION, "waf-stage").inputs
    assert association == {"resourceArn": STAGE_ARN, "webAclArn": acl.outputs["arn"]}
    assert stage_graph.stack_outputs["arn"] == acl.outputs["arn"]


def test_001_R5_origin_check_first_then_rate_then_managed_groups(stage_graph: Graph) -> None:
    rules = rules_by_name(stage_graph)
    assert {name: rule["priority"] for name, rule in rules.items()} == {
        "origin-verify": 0,
        "rate-per-ip": 1,
        "AWSManagedRulesCommonRuleSet": 2,
        "AWSManagedRulesKnownBadInputsRuleSet": 3,
    }
    match = rules["origin-verify"]["statement"]["notStatement"]["statement"]["byteMatchStatement"]
    assert match["searchString"] == SECRET and rules["origin-verify"]["action"] == {"block": {}}
    rate = rules["rate-per-ip"]["statement"]["rateBasedStatement"]
    assert rate["aggregateKeyType"] == "FORWARDED_IP" and rate["limit"] == 1000
    # Rule metrics carry the ACL's name, so two ACLs in one region never share a metric.
    assert {r["visibilityConfig"]["metricName"] for name, r in rules.items() if name != "origin-verify"} == {
        f"api-dev-{name}" for name in rules if name != "origin-verify"
    }


def test_logs_go_to_an_encrypted_aws_waf_logs_group_with_the_secret_redacted(stage_graph: Graph) -> None:
    group = stage_graph.one(LOG_GROUP, "waf-logs")
    assert group.inputs == {"name": "aws-waf-logs-api-dev", "kmsKeyId": LOGS_KEY, "retentionInDays": 30}
    logging = stage_graph.one(LOGGING, "waf-logging")
    assert logging.inputs["resourceArn"] == stage_graph.one(WEB_ACL).outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "x-origin-verify"}}]
    policy = stage_graph.one(LOG_POLICY, "waf-logs-policy")
    assert policy.inputs["policyName"] == "waf-logs-api-dev"
    assert policy.urn in logging.options["dependencies"]
    (statement,) = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == [group.outputs["arn"] + ":*"]
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-west-2:{ACCOUNT}:*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }


def test_every_resource_is_a_child_of_the_component(stage_graph: Graph) -> None:
    (component,) = [r for r in stage_graph.resources if r.type == "webstack:waf:WebAcl"]
    custom = [r for r in stage_graph.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert {r.type for r in custom} == {WEB_ACL, ASSOCIATION, LOG_GROUP, LOG_POLICY, LOGGING}
    assert all(r.parent == component.urn for r in custom)


def test_004_R17_rate_of_1000_per_minute_per_ip_on_a_stage() -> None:
    graph = acl_graph(stage_args(leading_rules=(), rate_window_s=60, rate_key="IP", logging=None))
    rate = rules_by_name(graph)["rate-per-ip"]["statement"]["rateBasedStatement"]
    assert rate == {"limit": 1000, "evaluationWindowSec": 60, "aggregateKeyType": "IP"}
    assert graph.one(ASSOCIATION).inputs["resourceArn"] == STAGE_ARN
    assert not graph.by_type(LOGGING) and not graph.by_type(LOG_GROUP)


# -- a CLOUDFRONT ACL (000-R24: us-east-1 whatever the stack's region) ------------------------------


def test_000_R24_cloudfront_acl_lives_in_us_east_1_without_an_association(edge_graph: Graph) -> None:
    acl = edge_graph.one(WEB_ACL)
    assert acl.inputs["scope"] == "CLOUDFRONT" and acl.inputs["region"] == "us-east-1"
    assert acl.inputs["name"] == "site-edge-dev"
    assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:")
    assert not edge_graph.by_type(ASSOCIATION) and not edge_graph.by_type(LOGGING)
    groups = [r["statement"]["managedRuleGroupStatement"]["name"] for r in acl.inputs["rules"][1:]]
    assert groups == ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]


def test_000_R24_cloudfront_logging_is_in_us_east_1_too() -> None:
    graph = acl_graph(edge_args(logging=LogGroupTarget(EDGE_LOGS_KEY, EDGE)))
    for token in (LOG_GROUP, LOG_POLICY, LOGGING):
        assert graph.one(token).inputs["region"] == "us-east-1"
    assert graph.one(LOG_GROUP).inputs["name"] == "aws-waf-logs-site-edge-dev"
    assert "redactedFields" not in graph.one(LOGGING).inputs


def test_builds_in_preview_with_unknown_outputs() -> None:
    graph = acl_graph(stage_args(), preview=True)
    assert graph.one(ASSOCIATION) and graph.one(LOGGING)


# -- moved resources keep their identity ------------------------------------------------------------
