"""LoadBalancer: an internet-facing Application Load Balancer that only a CDN (or a listed peer) reaches.

Public subnets, its own security group (a Firewall) admitting the listener port only from the
peers the owner lists (for CloudFront: the ``com.amazonaws.global.cloudfront.origin-facing``
managed prefix list, 002-R14), ``drop_invalid_header_fields`` (ELB.4), no deletion protection
(002-R47), access logs to an SSE-S3 bucket (ALB cannot write to SSE-KMS buckets, 002-R41).

Listeners: HTTPS on 443 (TLS 1.2+ policy) when a certificate ARN is given, else HTTP on 80
(`*.elb.amazonaws.com` cannot carry an ACM certificate, 002-R14/R16); with a certificate, port 80
only redirects to 443. The default action is a fixed JSON 403: a request reaches a target only
through a listener rule (path conditions, 002-R10), and when ``origin_verify`` is set every rule
also requires that header and value, so the ALB is not a way around the CDN.

Target groups are ``lambda`` (one function alias each; health checks must be switched on for
lambda targets, 002-R12) or ``ip`` (containers, seed 004; optional ``lb_cookie`` stickiness). A
lambda target needs a ``lambda.Permission`` for this target group before it is registered, so the
attachment depends on it (002-R13, :func:`attach_lambda`). Sticky sessions are not possible on a
lambda target group (one target; ``stickiness.enabled`` is refused there, 002-R11); session state
lives in DynamoDB instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.alarms import AlarmSpec, MetricRef
from program.components.firewall import Firewall, FirewallArgs, Peer, Rule
from program.scope import Scope

HTTP, HTTPS = 80, 443
# ELB's TLS 1.2/1.3 policy (FSBP ELB.17 accepts it; no TLS 1.0/1.1).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# Regions created before August 2022 deliver ALB access logs as this ELB account (ELB docs,
# "Enable access logs for your Application Load Balancer"); later regions use the service principal.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
}
ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
FORBIDDEN_BODY = json.dumps({"error": "forbidden"})


@dataclass(frozen=True)
class HealthCheck:
    """ELB allows interval 5-300 s and timeout 2-120 s, and the interval must exceed the timeout."""

    path: str = "/health"
    interval_s: int = 5
    timeout_s: int = 2
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    matcher: str = "200"

    def __post_init__(self) -> None:
        if not 5 <= self.interval_s <= 300 or not 2 <= self.timeout_s <= 120:
            raise ValueError("HealthCheck: interval 5-300 s, timeout 2-120 s")
        if self.interval_s <= self.timeout_s:
            raise ValueError("HealthCheck: the interval must be greater than the timeout")
        if not 2 <= self.healthy_threshold <= 10 or not 2 <= self.unhealthy_threshold <= 10:
            raise ValueError("HealthCheck: thresholds are 2-10")


@dataclass(frozen=True)
class TargetGroupSpec:
    """One target group: ``id`` names it (``<purpose>-<id>-<suffix>``, 32 characters at most)."""

    id: str
    target_type: Literal["lambda", "ip"]
    health_check: HealthCheck = HealthCheck()
    port: int | None = None  # ip targets: the container port
    protocol: Literal["HTTP", "HTTPS"] = "HTTP"
    # ip targets only: lb_cookie stickiness for this many seconds (lambda TGs refuse it, 002-R11).
    stickiness_s: int | None = None
    deregistration_delay_s: int = 30

    def __post_init__(self) -> None:
        if self.target_type == "lambda":
            if self.port is not None or self.stickiness_s is not None:
                raise ValueError(
                    f"target group {self.id}: a lambda target group takes no port and no stickiness (002-R11)"
                )
        elif self.port is None or not 1 <= self.port <= 65535:
            raise ValueError(f"target group {self.id}: an ip target group needs a port 1-65535")
        if self.stickiness_s is not None and not 1 <= self.stickiness_s <= 604_800:
            raise ValueError(f"target group {self.id}: stickiness 1 s to 7 days")


@dataclass(frozen=True)
class RouteSpec:
    """Forward requests whose path matches ``paths`` (ELB wildcards) to target group ``target``."""

    priority: int
    paths: Sequence[str]
    target: str
    # Blue/green (seed 004): forward to ``target`` (weight 100) and ``alternate`` (weight 0); ECS
    # moves the weights during a deployment, so the rule's actions are ignored once created.
    alternate: str | None = None
    # Only requests carrying this header and value (a blue/green test rule, 004-R7).
    header: tuple[str, pulumi.Input[str]] | None = None

    def __post_init__(self) -> None:
        if self.alternate is not None and self.alternate == self.target:
            raise ValueError(f"route {self.paths}: the alternate target group must differ from the target")
        if not 1 <= self.priority <= 50_000:
            raise ValueError(f"route {self.paths}: priority 1-50000")
        if not 1 <= len(self.paths) <= 4 or any(not p.startswith("/") for p in self.paths):
            raise ValueError(f"route {self.paths}: 1-4 paths, each starting with '/'")


@dataclass(frozen=True)
class OriginVerify:
    """The header (and secret value) the CDN adds; rules forward only requests carrying it."""

    header: str
    value: pulumi.Input[str]


@dataclass(frozen=True)
class LoadBalancerArgs:
    purpose: str
    scope: Scope
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    # Who may reach the listener port (CloudFront's origin-facing prefix list, a CIDR...).
    ingress: Sequence[Peer]
    access_log_bucket: pulumi.Input[str]
    target_groups: Sequence[TargetGroupSpec]
    routes: Sequence[RouteSpec]
    certificate_arn: pulumi.Input[str] | None = None
    origin_verify: OriginVerify | None = None
    access_log_prefix: str = "alb"
    idle_timeout_s: int = 60
    # Forward unmatched requests to this target group instead of a JSON 403. ECS blue/green refuses
    # listeners that mix forward and non-forward actions (seed 004, 004-R7).
    default_target: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 2:
            raise ValueError("LoadBalancer needs subnets in 2 or more AZs")
        if not self.ingress:
            raise ValueError("LoadBalancer needs at least one ingress peer (who may reach it)")
        ids = [tg.id for tg in self.target_groups]
        if len(set(ids)) != len(ids) or not ids:
            raise ValueError(f"LoadBalancer target group ids must be unique and given, got {ids}")
        priorities = [route.priority for route in self.routes]
        if len(set(priorities)) != len(priorities):
            raise ValueError(f"LoadBalancer route priorities must be unique, got {priorities}")
        for route in self.routes:
            for target in (route.target, route.alternate):
                if target is not None and target not in ids:
                    raise ValueError(f"route {route.paths}: no target group {target!r}")
        if self.default_target is not None and self.default_target not in ids:
            raise ValueError(f"default_target: no target group {self.default_target!r}")
        if self.access_log_prefix.startswith("/") or self.access_log_prefix.endswith("/"):
            raise ValueError("access_log_prefix: no leading or trailing '/'")

    @property
    def listener_port(self) -> int:
        return HTTPS if self.certificate_arn is not None else HTTP


def access_log_statement(bucket_arn: str, prefix: str, account_id: str, region: str) -> dict[str, object]:
    """ELB may write this account's ALB access logs under ``<prefix>/AWSLogs/<account>/`` (ELB docs)."""
    account = ELB_LOG_ACCOUNTS.get(region)
    principal = {"AWS": f"arn:aws:iam::{account}:root"} if account else {"Service": ELB_LOG_SERVICE}
    return iam_docs.statement(
        ["s3:PutObject"],
        [f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*"],
        sid="AlbAccessLogs",
        principal=principal,
    )


def attach_lambda(
    name: str,
    target_group: aws.lb.TargetGroup,
    function_name: pulumi.Input[str],
    qualifier: pulumi.Input[str] | None,
    target_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.lambda_.Permission, aws.lb.TargetGroupAttachment]:
    """ELB may invoke the function (alias) for this target group; only then is it registered (002-R13)."""
    permission = aws.lambda_.Permission(
        f"{name}-permission",
        statement_id="AllowInvokeFromThisTargetGroup",
        action="lambda:InvokeFunction",
        function=function_name,
        qualifier=qualifier,
        principal="elasticloadbalancing.amazonaws.com",
        source_arn=target_group.arn,
        opts=opts,
    )
    attachment = aws.lb.TargetGroupAttachment(
        f"{name}-attachment",
        target_group_arn=target_group.arn,
        target_id=target_arn,
        # RegisterTargets checks the permission: it must exist first.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[permission])),
    )
    return permission, attachment


class LoadBalancer(pulumi.ComponentResource):
    """ALB, its security group, listeners, target groups and path rules; alarms and metrics."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:load_balancer:LoadBalancer", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        port = args.listener_port
        self.listener_port = port
        self.firewall = Firewall(
            f"{name}-sg",
            FirewallArgs(
                purpose=f"{args.purpose}-alb",
                scope=scope,
                description=f"ALB {args.purpose}: port {port} from its listed peers only",
                vpc_id=args.vpc_id,
                ingress=[Rule(peer, port, f"{peer.label} reaches the ALB listener") for peer in args.ingress],
            ),
            opts=self._child,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=scope.name(args.purpose, "alb"),
            load_balancer_type="application",
            internal=False,
            subnets=list(args.subnet_ids),
            security_groups=[self.firewall.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=False,
            idle_timeout=args.idle_timeout_s,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_log_bucket, prefix=args.access_log_prefix, enabled=True
            ),
            opts=self._child,
        )
        self.target_groups = {spec.id: self._target_group(spec) for spec in args.target_groups}
        self.listener = self._listeners()
        self.rules = [self._rule(route) for route in args.routes]
        self.rules_by_priority = {
            route.priority: rule for route, rule in zip(args.routes, self.rules, strict=True)
        }

        self.arn = self.load_balancer.arn
        self.dns_name = self.load_balancer.dns_name
        self.arn_suffix = self.load_balancer.arn_suffix
        self.security_group_id = self.firewall.id
        self.alarms: list[AlarmSpec] = [
            *[self._unhealthy_alarm(spec.id) for spec in args.target_groups],
            AlarmSpec(
                f"{args.purpose}-alb-5xx",
                "The load balancer itself answers 5xx (no healthy target, target failures)",
                "AWS/ApplicationELB",
                "HTTPCode_ELB_5XX_Count",
                {"LoadBalancer": self.arn_suffix},
                threshold=10,
            ),
        ]
        self.metrics: list[MetricRef] = [
            MetricRef(f"{args.purpose} ALB requests", "AWS/ApplicationELB", "RequestCount", self._lb_dim),
            MetricRef(
                f"{args.purpose} ALB target response time p99",
                "AWS/ApplicationELB",
                "TargetResponseTime",
                self._lb_dim,
                "p99",
            ),
            *[
                MetricRef(
                    f"{args.purpose} {spec.id} healthy targets",
                    "AWS/ApplicationELB",
                    "HealthyHostCount",
                    self._tg_dims(spec.id),
                    "Minimum",
                )
                for spec in args.target_groups
            ],
        ]
        self.register_outputs({"dns_name": self.dns_name, "arn": self.arn})

    @property
    def _lb_dim(self) -> dict[str, pulumi.Input[str]]:
        return {"LoadBalancer": self.load_balancer.arn_suffix}

    def _tg_dims(self, target: str) -> dict[str, pulumi.Input[str]]:
        return {"TargetGroup": self.target_groups[target].arn_suffix, **self._lb_dim}

    def _unhealthy_alarm(self, target: str) -> AlarmSpec:
        return AlarmSpec(
            f"{self._args.purpose}-{target}-unhealthy",
            f"Target group {target} has an unhealthy target (health checks failing)",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            self._tg_dims(target),
            threshold=1,
            statistic="Maximum",
        )

    def _target_group(self, spec: TargetGroupSpec) -> aws.lb.TargetGroup:
        check = spec.health_check
        lambda_target = spec.target_type == "lambda"
        return aws.lb.TargetGroup(
            f"{self._name}-{spec.id}",
            name=self._args.scope.name(f"{self._args.purpose}-{spec.id}", "target-group"),
            target_type=spec.target_type,
            vpc_id=None if lambda_target else self._args.vpc_id,
            port=spec.port,
            protocol=None if lambda_target else spec.protocol,
            deregistration_delay=None if lambda_target else spec.deregistration_delay_s,
            # Off by default for lambda targets; each check is an invocation (002-R12).
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=check.path,
                interval=check.interval_s,
                timeout=check.timeout_s,
                healthy_threshold=check.healthy_threshold,
                unhealthy_threshold=check.unhealthy_threshold,
                matcher=check.matcher,
                # "protocol cannot be specified when target_type is lambda" (provider docs).
                protocol=None if lambda_target else spec.protocol,
            ),
            stickiness=aws.lb.TargetGroupStickinessArgs(
                enabled=True, type="lb_cookie", cookie_duration=spec.stickiness_s
            )
            if spec.stickiness_s is not None
            else None,
            opts=self._child,
        )

    def _forbidden(self) -> aws.lb.ListenerDefaultActionArgs:
        """The default action: a JSON 403, or a forward to ``default_target`` when one is set."""
        if self._args.default_target is not None:
            return aws.lb.ListenerDefaultActionArgs(
                type="forward", target_group_arn=self.target_groups[self._args.default_target].arn
            )
        return aws.lb.ListenerDefaultActionArgs(
            type="fixed-response",
            fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                content_type="application/json", message_body=FORBIDDEN_BODY, status_code="403"
            ),
        )

    def _listeners(self) -> aws.lb.Listener:
        args = self._args
        if args.certificate_arn is None:
            return aws.lb.Listener(
                f"{self._name}-http",
                load_balancer_arn=self.load_balancer.arn,
                port=HTTP,
                protocol="HTTP",
                default_actions=[self._forbidden()],
                opts=self._child,
            )
        aws.lb.Listener(
            f"{self._name}-http-redirect",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTP,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        port=str(HTTPS), protocol="HTTPS", status_code="HTTP_301"
                    ),
                )
            ],
            opts=self._child,
        )
        return aws.lb.Listener(
            f"{self._name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTPS,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=args.certificate_arn,
            default_actions=[self._forbidden()],
            opts=self._child,
        )

    def _rule(self, route: RouteSpec) -> aws.lb.ListenerRule:
        conditions = [
            aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(route.paths))
            )
        ]
        if route.header is not None:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                        http_header_name=route.header[0], values=[route.header[1]]
                    )
                )
            )
        verify = self._args.origin_verify
        if verify is not None:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                        http_header_name=verify.header, values=[verify.value]
                    )
                )
            )
        return aws.lb.ListenerRule(
            f"{self._name}-rule-{route.priority}",
            listener_arn=self.listener.arn,
            priority=route.priority,
            conditions=conditions,
            actions=[self._forward(route)],
            # ECS blue/green rewrites the weights of both groups on every deployment (004-R7).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actions"])
            if route.alternate is not None
            else self._child,
        )

    def _forward(self, route: RouteSpec) -> aws.lb.ListenerRuleActionArgs:
        if route.alternate is None:
            return aws.lb.ListenerRuleActionArgs(
                type="forward", target_group_arn=self.target_groups[route.target].arn
            )
        return aws.lb.ListenerRuleActionArgs(
            type="forward",
            forward=aws.lb.ListenerRuleActionForwardArgs(
                target_groups=[
                    aws.lb.ListenerRuleActionForwardTargetGroupArgs(
                        arn=self.target_groups[route.target].arn, weight=100
                    ),
                    aws.lb.ListenerRuleActionForwardTargetGroupArgs(
                        arn=self.target_groups[route.alternate].arn, weight=0
                    ),
                ]
            ),
        )

    def attach_lambda(
        self,
        target: str,
        function_name: pulumi.Input[str],
        qualifier: pulumi.Input[str] | None,
        target_arn: pulumi.Input[str],
    ) -> tuple[aws.lambda_.Permission, aws.lb.TargetGroupAttachment]:
        """Register a function (alias) in the lambda target group ``target`` (002-R13)."""
        return attach_lambda(
            f"{self._name}-{target}",
            self.target_groups[target],
            function_name,
            qualifier,
            target_arn,
            self._child,
        )


def cloudfront_origin_facing(opts: pulumi.InvokeOptions | None = None) -> Peer:
    """CloudFront's origin-facing managed prefix list as a peer (about 55 rules of the group's 60)."""
    found = aws.ec2.get_managed_prefix_list(name=CLOUDFRONT_ORIGIN_FACING, opts=opts)
    return Peer.prefix_list("cloudfront", found.id)
