"""Naming family (mandatory): every physical name ends with ``-<environmentSuffix>`` and fits AWS.

No anchor tool (cdk-nag, checkov, Security Hub FSBP) has this rule; the seeds ask for it (002-R46,
003-R31, 004-R33), so webstack's rule is the reference. Stacks of one blueprint live side by side in
an account only if every account- or region-unique name carries the stack's suffix.

:data:`NAME_PROPERTIES` maps each nameable type to the property that holds its physical name and to
the kind of AWS name it is (the shared table in ``name_limits.py``, which ``program/naming.py`` uses
to build names). A type whose only "name" is a ``Name`` tag (VPC, subnet, NAT gateway, route table,
EIP...) is not in the table, nor is one with no name at all (an autoscaling target, a listener,
an event source mapping, a usage plan key). Names scoped inside a parent and used as identifiers
are left out on purpose: a Lambda alias name (``live``, a qualifier in ARNs), an API Gateway
stage name (a URL path segment) and API Gateway model and request-validator names (model names
are alphanumeric only, so they could not carry ``-<suffix>``) are not account-wide physical names.

A name that is absent is left to auto-naming, and so is one built from ``<prop>Prefix``
(``namePrefix``, ``bucketPrefix``): both are violations. Under the real engine the provider's Check
has already filled an auto-name such as ``flow-logs-policy-1a2b3c4``; it does not end with the
suffix, so the same rule catches it. A name that is unknown in preview (computed from an output)
surfaces as unknown, never as a pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import MANDATORY, Anchors, resource_policy, stack_suffix
from .name_limits import RULES, NameRule

# type token -> (physical-name property, kind). A dotted property is a path into a nested object.
# Each entry is checked against the pulumi_aws SDK (type token and property) by the unit tests.
NAME_PROPERTIES: dict[str, tuple[str, str]] = {
    # storage and data
    "aws:s3/bucket:Bucket": ("bucket", "s3-bucket"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "s3-bucket"),
    "aws:dynamodb/table:Table": ("name", "dynamodb"),
    "aws:kinesis/stream:Stream": ("name", "kinesis"),
    "aws:kinesis/streamConsumer:StreamConsumer": ("name", "kinesis"),
    "aws:sqs/queue:Queue": ("name", "sqs"),
    "aws:sns/topic:Topic": ("name", "sns"),
    "aws:secretsmanager/secret:Secret": ("name", "secret"),
    "aws:ssm/parameter:Parameter": ("name", "ssm-parameter"),
    "aws:kms/alias:Alias": ("name", "kms-alias"),
    # compute
    "aws:lambda/function:Function": ("name", "lambda"),
    "aws:lambda/layerVersion:LayerVersion": ("layerName", "lambda"),  # AWS allows 140; 64 fits
    "aws:ecr/repository:Repository": ("name", "ecr"),
    "aws:ecs/cluster:Cluster": ("name", "ecs"),
    "aws:ecs/service:Service": ("name", "ecs"),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "ecs"),
    "aws:appautoscaling/policy:Policy": ("name", "generic"),
    "aws:appautoscaling/scheduledAction:ScheduledAction": ("name", "generic"),
    "aws:codedeploy/application:Application": ("name", "generic"),
    "aws:codedeploy/deploymentGroup:DeploymentGroup": ("deploymentGroupName", "generic"),
    # identity
    "aws:iam/role:Role": ("name", "iam-role"),
    "aws:iam/policy:Policy": ("name", "iam-policy"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "iam-policy"),
    # observability
    "aws:cloudwatch/logGroup:LogGroup": ("name", "log-group"),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ("name", "log-group"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "alarm"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": ("alarmName", "alarm"),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName", "dashboard"),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyName", "generic"),
    "aws:cloudwatch/eventRule:EventRule": ("name", "event-rule"),
    "aws:cloudwatch/eventBus:EventBus": ("name", "event-bus"),
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": ("name", "log-delivery"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": ("name", "log-delivery"),
    # network and edge
    "aws:ec2/securityGroup:SecurityGroup": ("name", "security-group"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "alb"),
    "aws:lb/targetGroup:TargetGroup": ("name", "target-group"),
    "aws:alb/loadBalancer:LoadBalancer": ("name", "alb"),
    "aws:alb/targetGroup:TargetGroup": ("name", "target-group"),
    "aws:apigateway/restApi:RestApi": ("name", "api"),
    "aws:apigateway/usagePlan:UsagePlan": ("name", "api"),
    "aws:apigateway/apiKey:ApiKey": ("name", "api"),
    "aws:apigateway/vpcLink:VpcLink": ("name", "api"),
    "aws:apigatewayv2/vpcLink:VpcLink": ("name", "api"),
    "aws:wafv2/webAcl:WebAcl": ("name", "waf"),
    "aws:wafv2/ipSet:IpSet": ("name", "waf"),
    "aws:wafv2/ruleGroup:RuleGroup": ("name", "waf"),
    # CloudFront policy, OAC and VPC origin names share the functions' 64-character [A-Za-z0-9_-] rule.
    "aws:cloudfront/function:Function": ("name", "cloudfront-function"),
    "aws:cloudfront/cachePolicy:CachePolicy": ("name", "cloudfront-function"),
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": ("name", "cloudfront-function"),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": ("name", "cloudfront-function"),
    "aws:cloudfront/originAccessControl:OriginAccessControl": ("name", "cloudfront-function"),
    "aws:cloudfront/vpcOrigin:VpcOrigin": ("vpcOriginEndpointConfig.name", "cloudfront-function"),
    # databases: AWS allows 255 characters for subnet and parameter group names; the rds rule
    # (63, lowercase, starts with a letter) is stricter and every name webstack builds fits it.
    "aws:rds/cluster:Cluster": ("clusterIdentifier", "rds"),
    "aws:rds/clusterInstance:ClusterInstance": ("identifier", "rds"),
    "aws:rds/instance:Instance": ("identifier", "rds"),
    "aws:rds/proxy:Proxy": ("name", "rds-proxy"),
    "aws:rds/proxyEndpoint:ProxyEndpoint": ("dbProxyEndpointName", "rds-proxy"),
    "aws:rds/clusterEndpoint:ClusterEndpoint": ("clusterEndpointIdentifier", "rds"),
    "aws:rds/subnetGroup:SubnetGroup": ("name", "rds"),
    "aws:rds/parameterGroup:ParameterGroup": ("name", "rds"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": ("name", "rds"),
}

# FIFO queues and topics must end with ".fifo": the suffix goes before it.
FIFO_KINDS = frozenset({"sqs", "sns"})
FIFO_TAIL = ".fifo"
# Prefixes AWS refuses for a kind (CreateLoadBalancer, CreateSecurityGroup).
RESERVED_PREFIXES = {"alb": "internal-", "security-group": "sg-"}
# Pulumi's auto-name: the logical name, a hyphen and seven random hex digits.
AUTO_NAME_TAIL = r"-[0-9a-f]{7}"


def rule_for(kind: str) -> NameRule:
    """The AWS limit for ``kind``: the shared table's, else this module's pending entry."""
    return RULES[kind]


def prefix_property(prop: str) -> str:
    """The auto-naming twin of a name property: ``name`` -> ``namePrefix``, ``bucket`` -> ``bucketPrefix``."""
    *path, last = prop.split(".")
    return ".".join([*path, f"{last}Prefix"])


def lookup(props: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any step is absent (reads only that path)."""
    value: Any = props
    for step in path.split("."):
        if not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


def name_problems(value: str, kind: str, suffix: str) -> Iterator[str]:
    """What is wrong with the physical name ``value`` of ``kind`` under ``suffix`` (one line each)."""
    rule = rule_for(kind)
    base = value[: -len(FIFO_TAIL)] if kind in FIFO_KINDS and value.endswith(FIFO_TAIL) else value
    if not base.endswith(f"-{suffix}") or base == f"-{suffix}":
        yield f"does not end with '-{suffix}'"
    if len(value) > rule.max_length:
        yield f"has {len(value)} characters; {kind} names allow at most {rule.max_length}"
    elif len(value) < rule.min_length:
        yield f"has {len(value)} characters; {kind} names need at least {rule.min_length}"
    if not rule.allowed.match(base):
        yield f"is not a valid {kind} name (AWS accepts {rule.allowed.pattern})"
    reserved = RESERVED_PREFIXES.get(kind)
    if reserved and value.startswith(reserved):
        yield f"starts with '{reserved}', which AWS reserves for {kind} names"


def _check_names(args: ResourceValidationArgs) -> Iterator[str]:
    prop, kind = NAME_PROPERTIES[args.resource_type]
    suffix = stack_suffix(args.get_config())
    if not suffix:
        args.not_applicable(
            "no environment suffix configured (policy config `suffix` or stack config "
            "`webstack:environmentSuffix`)"
        )
        return
    wanted = f"'<purpose>-{suffix}' (program/naming.py physical_name(purpose, suffix, kind={kind!r}))"
    prefix = prefix_property(prop)
    # Read the prefix first: with a prefix the provider computes the name, which may be unknown.
    if lookup(args.props, prefix):
        yield f"{prefix} leaves {prop} to auto-naming (a random tail). Set {prop} to {wanted} instead."
        return
    value = lookup(args.props, prop)
    if not value:
        yield f"{prop} is not set, so the resource is left to auto-naming. Set {prop} to {wanted}."
        return
    name = str(value)
    problems = list(name_problems(name, kind, suffix))
    if not problems:
        return
    auto = re.fullmatch(re.escape(args.name) + AUTO_NAME_TAIL, name, flags=re.IGNORECASE)
    hint = " (an engine auto-name: the program does not set it)" if auto else ""
    for problem in problems:
        yield f"{prop} '{name}'{hint} {problem}. Set {prop} to {wanted}."


naming_suffix = resource_policy(
    "naming-suffix",
    "Every physical name (bucket, name, clusterIdentifier, family...) ends with -<environmentSuffix> "
    "and fits its AWS limit; auto-naming is a violation. No anchor tool has this rule: webstack's "
    "own, from seeds 002-R46, 003-R31 and 004-R33.",
    _check_names,
    types=NAME_PROPERTIES,
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Name the resource with program/naming.py physical_name(purpose, suffix, kind), which "
    "appends the suffix and shortens the purpose to the type's AWS limit.",
    anchors=Anchors(note="webstack"),
    config={
        "suffix": {
            "type": "string",
            "description": "the environment suffix; defaults to the stack config webstack:environmentSuffix",
        }
    },
)

POLICIES = [naming_suffix]
