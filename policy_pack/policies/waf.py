"""WAF family (advisory): every public entry point sits behind a WAFv2 web ACL with AWS managed rules.

CloudFront names its web ACL in `webAclId` (a CLOUDFRONT-scope ACL, created in us-east-1); REST API
stages and application load balancers get a regional ACL through a WebAclAssociation whose
`resourceArn` is computed from them (matched by property dependency, so it holds in preview).
HTTP APIs (apigatewayv2) cannot take a web ACL and are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, parse_json, resource_policy, stack_policy
from ._relations import DISTRIBUTION, LOAD_BALANCERS, REST_STAGE, WEB_ACL, is_set, unreferenced

WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def _check_cloudfront(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "webAclId"):
        yield (
            "has no web ACL. Set webAclId to the ARN of a CLOUDFRONT-scope wafv2.WebAcl (created in "
            "us-east-1) with AWS managed rule groups."
        )


def _unprotected(args: StackValidationArgs, types: list[str]) -> Iterator[PolicyResource]:
    return unreferenced(args.resources, types, [WEB_ACL_ASSOCIATION], "resourceArn")


def _check_stages(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for stage in _unprotected(args, [REST_STAGE]):
        yield (
            stage.urn,
            "has no web ACL. Add wafv2.WebAclAssociation(resource_arn=stage.arn, web_acl_arn=<REGIONAL "
            "web ACL>) (rate-based rules give per-IP throttling, 004-R17).",
        )


def _check_load_balancers(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for balancer in _unprotected(args, list(LOAD_BALANCERS)):
        if (balancer.props.get("loadBalancerType") or "application") == "application":
            yield (
                balancer.urn,
                "has no web ACL. Add wafv2.WebAclAssociation(resource_arn=alb.arn, web_acl_arn=<REGIONAL "
                "web ACL>).",
            )


def _vendor(rule: Mapping[str, Any]) -> Any:
    """The managed rule group vendor of a rule, from typed args (camelCase) or ruleJson (AWS casing)."""
    statement = rule.get("statement") or rule.get("Statement") or {}
    managed = statement.get("managedRuleGroupStatement") or statement.get("ManagedRuleGroupStatement") or {}
    return managed.get("vendorName") or managed.get("VendorName")


def _check_managed_rules(args: ResourceValidationArgs) -> Iterator[str]:
    rules = [*as_list(args.props.get("rules")), *as_list(parse_json(args.props.get("ruleJson")))]
    if not any(isinstance(rule, Mapping) and _vendor(rule) == "AWS" for rule in rules):
        yield (
            "uses no AWS managed rule group. Add a rule whose statement.managedRuleGroupStatement has "
            "vendorName 'AWS' (e.g. AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet)."
        )


cloudfront_web_acl = resource_policy(
    "waf-cloudfront",
    "CloudFront distributions have a web ACL (webAclId).",
    _check_cloudfront,
    types=[DISTRIBUTION],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set webAclId to a CLOUDFRONT-scope wafv2.WebAcl ARN.",
    anchors=Anchors(cdk_nag=("AwsSolutions-CFR2",), checkov=("CKV_AWS_68",), fsbp=("CloudFront.6",)),
)

api_stage_web_acl = stack_policy(
    "waf-api-stage",
    "Every REST API stage has a WebAclAssociation.",
    _check_stages,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add wafv2.WebAclAssociation(resource_arn=stage.arn, web_acl_arn=acl.arn).",
    anchors=Anchors(cdk_nag=("AwsSolutions-APIG3",), checkov=("CKV2_AWS_29",), fsbp=("APIGateway.4",)),
)

alb_web_acl = stack_policy(
    "waf-alb",
    "Every application load balancer has a WebAclAssociation.",
    _check_load_balancers,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add wafv2.WebAclAssociation(resource_arn=alb.arn, web_acl_arn=acl.arn).",
    anchors=Anchors(checkov=("CKV2_AWS_28",), fsbp=("ELB.16",)),
)

managed_rule_groups = resource_policy(
    "waf-managed-rule-group",
    "WAFv2 web ACLs include at least one AWS managed rule group.",
    _check_managed_rules,
    types=[WEB_ACL],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add a managedRuleGroupStatement rule with vendorName 'AWS' (CommonRuleSet at least).",
    anchors=Anchors(checkov=("CKV_AWS_192", "CKV_AWS_175"), fsbp=("WAF.10",)),
)

POLICIES = [cloudfront_web_acl, api_stage_web_acl, alb_web_acl, managed_rule_groups]
