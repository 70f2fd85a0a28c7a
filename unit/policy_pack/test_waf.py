"""WAF family: compliant baselines and one-field changes; associations matched by property dependency."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import waf
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/cdn-dev/1234"


@pytest.mark.parametrize("policy", waf.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("waf-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


# -- waf-cloudfront --------------------------------------------------------------------------


@pytest.mark.parametrize("acl", [ACL_ARN, UNKNOWN], ids=["known", "unknown-in-preview"])
def test_distribution_with_a_web_acl_passes(acl: str) -> None:
    # In preview the ACL's ARN is unknown, but it is set.
    assert run_resource(waf.cloudfront_web_acl, waf.DISTRIBUTION, {"enabled": True, "webAclId": acl}).ok


@pytest.mark.parametrize("props", [{"enabled": True}, {"enabled": True, "webAclId": ""}])
def test_distribution_without_a_web_acl_is_a_finding(props: dict[str, Any]) -> None:
    (message,) = run_resource(waf.cloudfront_web_acl, waf.DISTRIBUTION, props).messages
    assert "Set webAclId" in message


# -- waf-api-stage / waf-alb -----------------------------------------------------------------


def association(target: PolicyResource) -> PolicyResource:
    props = {"resourceArn": UNKNOWN, "webAclArn": UNKNOWN}
    return resource(waf.WEB_ACL_ASSOCIATION, props, f"{target.name}-waf", deps={"resourceArn": [target]})


def test_004_R17_stage_with_a_web_acl_association_passes() -> None:
    stage = resource(waf.REST_STAGE, {"stageName": "v1"}, "stage")
    assert run_stack(waf.api_stage_web_acl, [stage, association(stage)]).ok


def test_stage_without_an_association_is_a_finding() -> None:
    protected = resource(waf.REST_STAGE, {"stageName": "v1"}, "v1")
    bare = resource(waf.REST_STAGE, {"stageName": "v2"}, "v2")
    outcome = run_stack(waf.api_stage_web_acl, [protected, association(protected), bare])
    assert outcome.urns == [bare.urn] and "WebAclAssociation(resource_arn=stage.arn" in outcome.messages[0]


@pytest.mark.parametrize("lb_type", waf.LOAD_BALANCERS)
def test_application_load_balancer_with_an_association_passes(lb_type: str) -> None:
    alb = resource(lb_type, {"loadBalancerType": "application"}, "alb")
    assert run_stack(waf.alb_web_acl, [alb, association(alb)]).ok


@pytest.mark.parametrize("props", [{"loadBalancerType": "application"}, {"name": "api-dev"}])
def test_application_load_balancer_without_an_association_is_a_finding(props: dict[str, Any]) -> None:
    alb = resource(waf.LOAD_BALANCERS[0], props, "alb")
    assert run_stack(waf.alb_web_acl, [alb]).urns == [alb.urn]


def test_network_load_balancers_take_no_web_acl() -> None:
    nlb = resource(waf.LOAD_BALANCERS[0], {"loadBalancerType": "network"}, "nlb")
    assert run_stack(waf.alb_web_acl, [nlb]).ok


def test_unknown_load_balancer_type_in_preview_is_unknown() -> None:
    alb = resource(waf.LOAD_BALANCERS[0], {"loadBalancerType": UNKNOWN}, "alb")
    assert run_stack(waf.alb_web_acl, [alb]).unknown


# -- waf-managed-rule-group ------------------------------------------------------------------

VISIBILITY = {"cloudwatchMetricsEnabled": True, "metricName": "m", "sampledRequestsEnabled": True}


def managed_rule(vendor: Any = "AWS") -> dict[str, Any]:
    statement = {"managedRuleGroupStatement": {"name": "AWSManagedRulesCommonRuleSet", "vendorName": vendor}}
    return {
        "name": "common",
        "priority": 1,
        "overrideAction": {"none": {}},
        "statement": statement,
        "visibilityConfig": VISIBILITY,
    }


RATE_RULE = {
    "name": "per-ip",
    "priority": 2,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 1000, "evaluationWindowSec": 60, "aggregateKeyType": "IP"}},
    "visibilityConfig": VISIBILITY,
}


def acl(**props: Any) -> dict[str, Any]:
    return {"name": "api-dev", "scope": "REGIONAL", "defaultAction": {"allow": {}}} | props


def test_web_acl_with_an_aws_managed_rule_group_passes() -> None:
    assert run_resource(waf.managed_rule_groups, waf.WEB_ACL, acl(rules=[managed_rule(), RATE_RULE])).ok


def test_rule_json_in_aws_casing_is_read_too() -> None:
    rules = [
        {"Name": "common", "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "X"}}}
    ]
    assert run_resource(waf.managed_rule_groups, waf.WEB_ACL, acl(ruleJson=json.dumps(rules))).ok


@pytest.mark.parametrize(
    "props",
    [acl(rules=[RATE_RULE]), acl(), acl(rules=[managed_rule("F5")])],
    ids=["rate-only", "none", "vendor"],
)
def test_web_acl_without_an_aws_managed_rule_group_is_a_finding(props: dict[str, Any]) -> None:
    (message,) = run_resource(waf.managed_rule_groups, waf.WEB_ACL, props).messages
    assert "no AWS managed rule group" in message


def test_unknown_rule_json_in_preview_is_unknown() -> None:
    assert run_resource(waf.managed_rule_groups, waf.WEB_ACL, acl(ruleJson=UNKNOWN)).unknown


def test_missing_managed_rules_are_caught_when_the_name_is_unknown() -> None:
    outcome = run_resource(waf.managed_rule_groups, waf.WEB_ACL, acl(name=UNKNOWN, rules=[RATE_RULE]))
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # waf-cloudfront: no webAclId
    base.distribution(cat, "unprotected-cdn", change={"webAclId": None}, violates=["waf-cloudfront"])
    # waf-api-stage: no WebAclAssociation
    base.stage(cat, "unprotected-stage", without=["waf"], violates=["waf-api-stage"])
    # waf-alb: no WebAclAssociation
    base.load_balancer(cat, "unprotected-alb", without=["waf"], violates=["waf-alb"])
    # waf-managed-rule-group: a rate-based rule only, no AWS managed rule group
    rate_only = [
        {
            "name": "per-ip",
            "priority": 1,
            "action": {"block": {}},
            "statement": {"rateBasedStatement": {"limit": 1000, "aggregateKeyType": "IP"}},
            "visibilityConfig": {
                "cloudwatchMetricsEnabled": True,
                "sampledRequestsEnabled": True,
                "metricName": "per-ip",
            },
        }
    ]
    base.web_acl(cat, "rate-only", change={"rules": rate_only}, violates=["waf-managed-rule-group"])
