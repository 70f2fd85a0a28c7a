"""WebAcl: a WAFv2 web ACL of AWS managed rule groups and a per-IP rate limit, for any scope.

It owns the ACL, optionally its logging (a KMS-encrypted ``aws-waf-logs-*`` log group, the
CloudWatch Logs resource policy that lets log delivery write to it, the logging configuration) and
optionally its association with a regional resource (an API Gateway stage, an ALB). A CLOUDFRONT
ACL has no association: the distribution names it in ``web_acl_id``. It exists only in us-east-1,
which the ACL and its logging get through the pulumi-aws v7 per-resource ``region``; its log group
must then be in us-east-1 too, encrypted with a key there.

Callers put their own rules first (``leading_rules``, e.g. ``require_header_rule``: 001-R5's
CloudFront-only origin check); the managed groups and the rate limit follow. The rule builders are
plain functions, unit-tested without Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.components.log_group import encrypted_log_group
from program.scope import EDGE_REGION, Scope

waf = aws.wafv2
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
RATE_RULE = "rate-per-ip"
RATE_WINDOWS_S = (60, 120, 300, 600)
RATE_LIMITS = (10, 2_000_000_000)
# CloudWatch Logs' vended-log delivery writes WAF logs (WAF docs, "Sending web ACL traffic logs").
LOG_DELIVERY_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# WAF descriptions allow letters, digits, whitespace and + = : # @ / - , . only (1-256 characters).
# Matched whole (fullmatch), ASCII \w, and a space rather than \s: a newline or tab is not allowed.
_DESCRIPTION = re.compile(r"[\w+=:#@/\-,.]([\w+=:#@/\-,. ]{0,254}[\w+=:#@/\-,.])?", re.ASCII)
_RULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")

AclScope = Literal["CLOUDFRONT", "REGIONAL"]
RateKey = Literal["IP", "FORWARDED_IP"]


def check_rate(limit: int, window_s: int) -> None:
    """Raise ValueError unless WAF accepts this rate-based rule limit and evaluation window."""
    low, high = RATE_LIMITS
    if window_s not in RATE_WINDOWS_S or not low <= limit <= high:
        raise ValueError(
            f"WAF rate: limit {limit} over {window_s} s; the limit must be {low}..{high:,} "
            f"and the window one of {RATE_WINDOWS_S} s"
        )


@dataclass(frozen=True)
class LogGroupTarget:
    """Where a service's vended logs go: a log group in ``scope.region``, encrypted with ``kms_key_arn``.

    WAF logging writes to ``aws-waf-logs-<purpose>-<suffix>``, CloudFront access logs to
    ``<purpose>-cloudfront-<suffix>`` (edge_logs.py); both in the ACL's or distribution's region.
    """

    kms_key_arn: pulumi.Input[str]
    scope: Scope  # its region is the log group's: the ACL's own (us-east-1 for CLOUDFRONT)
    redacted_headers: Sequence[str] = ()  # e.g. a shared secret that must not land in the logs
    retention_days: int = 30
    # A CloudWatch Logs resource policy the owner made that already admits this group (see
    # log_delivery_policy): None makes one of its own. Each policy counts against a per-region
    # quota of the account, so an owner with two deliveries in one region shares one.
    delivery_policy: aws.cloudwatch.LogResourcePolicy | None = None


@dataclass(frozen=True)
class WebAclArgs:
    purpose: str  # the ACL is named <purpose>-<suffix>
    scope: Scope
    description: str
    acl_scope: AclScope = "REGIONAL"
    # Create the ACL (and its logging) in this region instead of the provider's; CLOUDFRONT: us-east-1.
    region: str | None = None
    rate_limit: int = 2000  # requests per aggregation key per window
    rate_window_s: int = 300
    # Behind CloudFront the source IP is an edge's; FORWARDED_IP counts the viewer from
    # X-Forwarded-For instead (its first address, which a client can forge: a coarse limit only).
    rate_key: RateKey = "IP"
    # Rules evaluated before all others, with their own priorities (see web_acl_rules).
    leading_rules: Sequence[aws.wafv2.WebAclRuleArgs] = ()
    logging: LogGroupTarget | None = None
    # A regional resource to protect; the association is named <name>-<resource_label>.
    resource_arn: pulumi.Input[str] | None = None
    resource_label: str = "association"

    def __post_init__(self) -> None:
        check_rate(self.rate_limit, self.rate_window_s)
        if not _DESCRIPTION.fullmatch(self.description):
            raise ValueError(f"WebAcl description {self.description!r}: WAF allows [\\w+=:#@/-,. ] only")
        if self.acl_scope == "CLOUDFRONT" and self.region not in (None, EDGE_REGION):
            raise ValueError(f"a CLOUDFRONT web ACL exists only in {EDGE_REGION}, not {self.region}")
        if self.acl_scope == "CLOUDFRONT" and self.resource_arn is not None:
            raise ValueError("a CLOUDFRONT web ACL is attached by the distribution's web_acl_id, not here")
        if self.logging and self.acl_region and self.logging.scope.region != self.acl_region:
            raise ValueError(f"WebAcl logging region {self.logging.scope.region}: must be {self.acl_region}")
        leading_priorities(self.leading_rules)
        names = [*(rule.name for rule in self.leading_rules), RATE_RULE, *MANAGED_RULE_GROUPS]
        if len(set(names)) != len(names):
            raise ValueError(f"WAF rule names must be unique within the ACL, got {names}")

    @property
    def acl_region(self) -> str | None:
        """The per-resource region override of every resource here (None: the provider's)."""
        return EDGE_REGION if self.acl_scope == "CLOUDFRONT" else self.region


class WebAcl(pulumi.ComponentResource):
    """A WAFv2 web ACL with optional logging and an optional association with a regional resource."""

    def __init__(self, name: str, args: WebAclArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:waf:WebAcl", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        acl_name = args.scope.name(args.purpose, "waf")
        self.acl = waf.WebAcl(
            name,  # the component's own name: the ACL is what it is
            name=acl_name,
            description=args.description,
            scope=args.acl_scope,
            region=args.acl_region,
            default_action=waf.WebAclDefaultActionArgs(allow=waf.WebAclDefaultActionAllowArgs()),
            rules=web_acl_rules(args, acl_name),
            visibility_config=waf.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=acl_name, sampled_requests_enabled=True
            ),
            opts=self._child,
        )
        if args.logging is not None:
            self._logging(args.logging)
        if args.resource_arn is not None:
            waf.WebAclAssociation(
                f"{name}-{args.resource_label}",
                resource_arn=args.resource_arn,
                web_acl_arn=self.acl.arn,
                region=args.acl_region,
                opts=self._child,
            )
        self.arn = self.acl.arn
        self.register_outputs({"arn": self.arn})

    def _logging(self, logging: LogGroupTarget) -> None:
        name, args = self._name, self._args
        group = encrypted_log_group(
            f"{name}-logs",
            waf_log_group_name(args.purpose, args.scope),
            logging.kms_key_arn,
            logging.retention_days,
            self._child,
            region=args.acl_region,
        )
        # Our own, suffixed and destroyable: without one WAF adds an account-wide AWSWAF-LOGS
        # policy that destroy would leave behind (WAF logging docs; not verified live).
        policy = logging.delivery_policy or log_delivery_policy(
            f"{name}-logs-policy",
            args.scope.name(f"waf-logs-{args.purpose}"),
            [group.arn],
            logging.scope,
            self._child,
            region=args.acl_region,
        )
        waf.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                waf.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=waf.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in logging.redacted_headers
            ]
            or None,
            region=args.acl_region,
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[policy])),
        )


def waf_log_group_name(purpose: str, scope: Scope) -> str:
    """WAF logs only to log groups whose name starts with aws-waf-logs-."""
    return scope.name(f"aws-waf-logs-{purpose}", "log-group")


def log_delivery_policy(
    name: str,
    policy_name: str,
    group_arns: Sequence[pulumi.Input[str]],
    scope: Scope,
    opts: pulumi.ResourceOptions,
    region: str | None = None,
) -> aws.cloudwatch.LogResourcePolicy:
    """One CloudWatch Logs resource policy letting log delivery write into every group listed.

    WAF logging and CloudFront's vended access logs are both written by delivery.logs.amazonaws.com
    under the same conditions, so the groups of one region share a policy (the quota is per
    account and region: CloudWatch Logs quotas, "resource policies").
    """
    return aws.cloudwatch.LogResourcePolicy(
        name,
        policy_name=policy_name,
        policy_document=pulumi.Output.json_dumps(
            iam_docs.document(log_delivery_statement(group_arns, scope))
        ),
        region=region,
        opts=opts,
    )


def log_delivery_statement(
    group_arns: pulumi.Input[str] | Sequence[pulumi.Input[str]], scope: Scope
) -> iam_docs.Document:
    """Log delivery of scope's account and region may write vended logs into the groups' streams."""
    region, account_id = scope.region, scope.account_id
    groups: list[pulumi.Input[str]]
    if isinstance(group_arns, str) or not isinstance(group_arns, Sequence):
        groups = [group_arns]
    else:
        groups = list(group_arns)
    return iam_docs.statement(
        LOG_DELIVERY_ACTIONS,
        [pulumi.Output.concat(group, ":*") for group in groups],
        sid="WafLogDelivery",
        principal={"Service": "delivery.logs.amazonaws.com"},
        conditions={
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    )


def leading_priorities(rules: Sequence[aws.wafv2.WebAclRuleArgs]) -> list[int]:
    """The leading rules' priorities: distinct integers from 0 (ValueError otherwise)."""
    priorities = [rule.priority for rule in rules]
    if not all(isinstance(p, int) and p >= 0 for p in priorities) or len(set(priorities)) != len(rules):
        raise ValueError(f"leading WAF rules need distinct priorities >= 0, got {priorities}")
    return [p for p in priorities if isinstance(p, int)]


def web_acl_rules(args: WebAclArgs, acl_name: str) -> list[aws.wafv2.WebAclRuleArgs]:
    """The leading rules, then the rate limit (every request counts, also those the managed groups
    would block), then the AWS managed groups; rule metrics are named ``<acl>-<rule>``.

    Priority 0 is kept for a leading rule even when there is none, so adding one later (an origin
    check) does not renumber the rules that follow.
    """
    first = 1 + max(leading_priorities(args.leading_rules), default=0)
    prefix = f"{acl_name}-"
    rate = partial(
        rate_rule,
        RATE_RULE,
        limit=args.rate_limit,
        window_s=args.rate_window_s,
        key=args.rate_key,
        metric_prefix=prefix,
    )
    managed = [partial(managed_rule_group, group, metric_prefix=prefix) for group in MANAGED_RULE_GROUPS]
    return [*args.leading_rules, *(build(first + index) for index, build in enumerate([rate, *managed]))]


def visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return waf.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def managed_rule_group(group: str, priority: int, metric_prefix: str = "") -> aws.wafv2.WebAclRuleArgs:
    """An AWS managed rule group whose own actions (block) apply: override "none" keeps them."""
    return waf.WebAclRuleArgs(
        name=group,
        priority=priority,
        override_action=waf.WebAclRuleOverrideActionArgs(none=waf.WebAclRuleOverrideActionNoneArgs()),
        statement=waf.WebAclRuleStatementArgs(
            managed_rule_group_statement=waf.WebAclRuleStatementManagedRuleGroupStatementArgs(
                name=group, vendor_name="AWS"
            )
        ),
        visibility_config=visibility(f"{metric_prefix}{group}"),
    )


def rate_rule(
    name: str, priority: int, limit: int, window_s: int, key: RateKey, metric_prefix: str = ""
) -> aws.wafv2.WebAclRuleArgs:
    """Block a client (source IP, or first X-Forwarded-For address) over `limit` requests per window."""
    check_rate(limit, window_s)
    return waf.WebAclRuleArgs(
        name=name,
        priority=priority,
        action=waf.WebAclRuleActionArgs(block=waf.WebAclRuleActionBlockArgs()),
        statement=waf.WebAclRuleStatementArgs(
            rate_based_statement=waf.WebAclRuleStatementRateBasedStatementArgs(
                limit=limit,
                evaluation_window_sec=window_s,
                aggregate_key_type=key,
                # A request without the header is counted as one client rather than let through.
                forwarded_ip_config=waf.WebAclRuleStatementRateBasedStatementForwardedIpConfigArgs(
                    header_name="X-Forwarded-For", fallback_behavior="MATCH"
                )
                if key == "FORWARDED_IP"
                else None,
            )
        ),
        visibility_config=visibility(f"{metric_prefix}{name}"),
    )


def require_header_rule(
    name: str, header: str, secret: pulumi.Input[str], priority: int = 0
) -> aws.wafv2.WebAclRuleArgs:
    """Block every request whose `header` is not exactly `secret` (001-R5: CloudFront adds it).

    At priority 0 nothing else sees traffic that did not come through CloudFront. A shared secret,
    not authentication: redact the header in the ACL's logs (LogGroupTarget.redacted_headers).
    """
    return waf.WebAclRuleArgs(
        name=name,
        priority=priority,
        action=waf.WebAclRuleActionArgs(block=waf.WebAclRuleActionBlockArgs()),
        statement=waf.WebAclRuleStatementArgs(
            not_statement=waf.WebAclRuleStatementNotStatementArgs(
                statement=waf.WebAclRuleStatementArgs(
                    byte_match_statement=waf.WebAclRuleStatementByteMatchStatementArgs(
                        field_to_match=waf.WebAclRuleStatementByteMatchStatementFieldToMatchArgs(
                            single_header=waf.WebAclRuleStatementByteMatchStatementFieldToMatchSingleHeaderArgs(
                                name=header
                            )
                        ),
                        positional_constraint="EXACTLY",
                        search_string=secret,
                        text_transformations=[
                            waf.WebAclRuleStatementByteMatchStatementTextTransformationArgs(
                                priority=0, type="NONE"
                            )
                        ],
                    )
                )
            )
        ),
        visibility_config=visibility(name),
    )
