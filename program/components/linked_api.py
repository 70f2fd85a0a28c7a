"""LinkedApi: a REST API in front of an ALB through a VPC link V2, keyed, CORS-ready, WAF per IP.

Seed 004's API entry point (004-R16..R19). REST APIs reach an Application Load Balancer directly
through a **VPC link V2** (``apigatewayv2.VpcLink``) and an ``HTTP_PROXY`` integration whose
``integration_target`` is the ALB's ARN (API Gateway developer guide, "Private integrations for
REST APIs"; the provider's ``integration_target``: "ALB or NLB ARN ... for private integrations
with VPC Link V2"); ``uri`` gives the Host header and the path. The older VPC link (V1) reached
NLBs only. The link's interfaces sit in the private subnets under their own security group, which
the ALB's group admits on the listener port.

Routes: ``/api`` and ``/api/{proxy+}``, method ``ANY`` with ``api_key_required`` (usage plan
throttling per key, 004-R19), proxied unchanged to ``http://<alb>/api/{proxy}``. Browsers send the
CORS preflight without a key, so each resource also has an ``OPTIONS`` method that needs no key,
answered by a MOCK integration with the CORS headers; gateway responses (4XX/5XX, a missing key)
carry ``Access-Control-Allow-Origin`` too, so the browser can read API Gateway's own errors
(004-R18). The backend adds the same headers to its answers.

API Gateway throttles per key, stage or account, never per client IP, so 1000 requests per minute
per IP (004-R17) is a WAF rate-based rule (limit 1000, 60-second window, key IP) on a REGIONAL
web ACL associated with the stage; evaluated first, it answers 429 with an
``x-amzn-waf-rate-limit`` header (the ACL's own rate rule, at the same limit, is never reached
before it). Clients call the stage directly (CloudFront sends /api/* to the ALB), so the source
IP is the viewer's own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program import alarms
from program.alarms import AlarmSpec, MetricRef
from program.components import rest_routes
from program.components.api_account import StageArgs, logged_stage
from program.components.firewall import Firewall
from program.components.waf import LogGroupTarget, WebAcl, WebAclArgs, rate_rule
from program.scope import Scope

CORS_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
CORS_HEADERS = "Content-Type,X-Api-Key,Authorization"
PROXY_PATHS = ("/api", "/api/{proxy+}")


def quoted(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """API Gateway's header mappings take static values in single quotes."""
    return pulumi.Output.concat("'", value, "'")


def cors_headers(prefix: str, allow_origin: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """CORS headers under ``prefix``: ``method.response.header`` or ``gatewayresponse.header``."""
    return {
        f"{prefix}.Access-Control-Allow-Origin": quoted(allow_origin),
        f"{prefix}.Access-Control-Allow-Methods": f"'{CORS_METHODS}'",
        f"{prefix}.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
    }


@dataclass(frozen=True)
class LinkedApiArgs:
    purpose: str
    scope: Scope
    load_balancer_arn: pulumi.Input[str]
    load_balancer_dns_name: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    link_security_group: Firewall
    allow_origin: pulumi.Input[str]  # the site's origin, e.g. https://dxxxx.cloudfront.net
    log_kms_key_arn: pulumi.Input[str]
    stage_name: str = "v1"
    listener_protocol: str = "http"
    # Per API key (usage plan): 1000 per minute is 16.67 per second (004-R19).
    key_rate_per_s: float = 16.67
    key_burst: int = 50
    # Per client IP (WAF, 004-R17).
    ip_limit: int = 1000
    ip_window_s: int = 60
    timeout_ms: int = 29_000
    manage_account_logging_role: bool = True
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        rest_routes.check_shape([rest_routes.Route("GET", "/api")], self.stage_name)
        if self.listener_protocol not in ("http", "https"):
            raise ValueError("listener_protocol: http or https")
        if self.key_rate_per_s <= 0 or self.key_burst <= 0:
            raise ValueError("key_rate_per_s and key_burst must be positive")
        if not 50 <= self.timeout_ms <= 29_000:
            raise ValueError("timeout_ms: API Gateway allows 50-29000 ms")


RATE_429_RULE = "rate-per-ip-429"
# WAF prefixes custom response headers with x-amzn-waf-: the probe tells WAF's 429 from the usage plan's.
WAF_MARK_HEADER, WAF_MARK_VALUE = "rate-limit", "per-ip"


def too_many_requests_rule(limit: int, window_s: int) -> aws.wafv2.WebAclRuleArgs:
    """The per-IP limit answering 429 Too Many Requests (WAF's plain block is a 403), marked so a
    client can tell it from the usage plan's per-key 429 (004-R17)."""
    rule = rate_rule(RATE_429_RULE, 0, limit, window_s, "IP")
    return aws.wafv2.WebAclRuleArgs(
        name=rule.name,
        priority=rule.priority,
        statement=rule.statement,
        visibility_config=rule.visibility_config,
        action=aws.wafv2.WebAclRuleActionArgs(
            block=aws.wafv2.WebAclRuleActionBlockArgs(
                custom_response=aws.wafv2.WebAclRuleActionBlockCustomResponseArgs(
                    response_code=429,
                    response_headers=[
                        aws.wafv2.WebAclRuleActionBlockCustomResponseResponseHeaderArgs(
                            name=WAF_MARK_HEADER, value=WAF_MARK_VALUE
                        )
                    ],
                )
            )
        ),
    )


def _as_secret(value: str) -> pulumi.Output[str]:
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret


class LinkedApi(pulumi.ComponentResource):
    def __init__(self, name: str, args: LinkedApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:linked_api:LinkedApi", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        self.vpc_link = aws.apigatewayv2.VpcLink(
            f"{name}-link",
            name=scope.name(f"{args.purpose}-link", "api"),
            subnet_ids=list(args.subnet_ids),
            security_group_ids=[args.link_security_group.id],
            opts=self._child,
        )
        self.rest_api = aws.apigateway.RestApi(
            f"{name}-api",
            name=scope.name(args.purpose, "api"),
            description=f"{args.purpose}: /api/* to the ALB through a VPC link; API keys; WAF per IP",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            opts=self._child,
        )
        deployment = self._routes()
        self.stage = self._stage(deployment)
        self.usage_plan = aws.apigateway.UsagePlan(
            f"{name}-plan",
            name=scope.name(f"{args.purpose}-clients", "api"),
            description="Per-key throttling: 1000 requests per minute",
            api_stages=[
                aws.apigateway.UsagePlanApiStageArgs(api_id=self.rest_api.id, stage=self.stage.stage_name)
            ],
            throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                rate_limit=args.key_rate_per_s, burst_limit=args.key_burst
            ),
            opts=self._child,
        )
        self.api_key = aws.apigateway.ApiKey(
            f"{name}-key",
            name=scope.name(f"{args.purpose}-client", "api"),
            description="The web client's key (value generated by API Gateway)",
            enabled=True,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["value"]),
        )
        aws.apigateway.UsagePlanKey(
            f"{name}-plan-key",
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=self.usage_plan.id,
            opts=self._child,
        )
        self.web_acl = WebAcl(
            f"{name}-waf",
            WebAclArgs(
                purpose=f"{args.purpose}-api",
                scope=scope,
                description=f"{args.purpose} API stage: managed rules, {args.ip_limit} per minute per IP",
                acl_scope="REGIONAL",
                rate_limit=args.ip_limit,
                rate_window_s=args.ip_window_s,
                rate_key="IP",
                leading_rules=[too_many_requests_rule(args.ip_limit, args.ip_window_s)],
                logging=LogGroupTarget(args.log_kms_key_arn, scope, retention_days=args.log_retention_days),
                resource_arn=self.stage.arn,
                resource_label="stage",
            ),
            opts=self._child,
        )
        self.api_key_id = self.api_key.id
        self.api_key_value: pulumi.Output[str] = self.api_key.value.apply(_as_secret)
        self.invoke_url = self.stage.invoke_url
        self.stage_arn = self.stage.arn
        self.web_acl_arn = self.web_acl.acl.arn
        self.alarms: list[AlarmSpec] = alarms.api_alarms(
            args.purpose, self.rest_api.name, self.stage.stage_name
        )
        self.metrics: list[MetricRef] = alarms.api_metrics(
            args.purpose, self.rest_api.name, self.stage.stage_name
        )
        self.register_outputs({"invoke_url": self.invoke_url, "api_key_id": self.api_key_id})

    def _routes(self) -> aws.apigateway.Deployment:
        name, api, args = self._name, self.rest_api, self._args
        top = aws.apigateway.Resource(
            f"{name}-res-api",
            rest_api=api.id,
            parent_id=api.root_resource_id,
            path_part="api",
            opts=self._child,
        )
        proxy = aws.apigateway.Resource(
            f"{name}-res-api-proxy", rest_api=api.id, parent_id=top.id, path_part="{proxy+}", opts=self._child
        )
        wired: list[pulumi.Resource] = []
        base = pulumi.Output.concat(args.listener_protocol, "://", args.load_balancer_dns_name, "/api")
        for slug, resource, path_suffix in (("api", top, ""), ("api-proxy", proxy, "/{proxy}")):
            has_proxy = bool(path_suffix)
            method = aws.apigateway.Method(
                f"{name}-{slug}-any",
                rest_api=api.id,
                resource_id=resource.id,
                http_method="ANY",
                authorization="NONE",
                api_key_required=True,  # 004-R19
                request_parameters={"method.request.path.proxy": True} if has_proxy else None,
                opts=self._child,
            )
            integration = aws.apigateway.Integration(
                f"{name}-{slug}-alb",
                rest_api=api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="HTTP_PROXY",
                integration_http_method="ANY",
                connection_type="VPC_LINK",
                connection_id=self.vpc_link.id,
                integration_target=args.load_balancer_arn,  # VPC link V2 to the ALB (004-R16)
                uri=pulumi.Output.concat(base, path_suffix),
                request_parameters={"integration.request.path.proxy": "method.request.path.proxy"}
                if has_proxy
                else None,
                timeout_milliseconds=args.timeout_ms,
                opts=self._child,
            )
            wired += [method, integration, *self._preflight(slug, resource)]
        for response_type, (status, template) in rest_routes.GATEWAY_RESPONSES.items():
            wired.append(
                aws.apigateway.Response(
                    f"{name}-{response_type.lower().replace('_', '-')}",
                    rest_api_id=api.id,
                    response_type=response_type,
                    status_code=status,
                    response_templates={"application/json": template},
                    response_parameters=cors_headers("gatewayresponse.header", args.allow_origin),
                    opts=self._child,
                )
            )
        fingerprint = hashlib.sha256(
            json.dumps(
                {
                    "paths": PROXY_PATHS,
                    "cors": [CORS_METHODS, CORS_HEADERS],
                    "responses": sorted(rest_routes.GATEWAY_RESPONSES),
                    "timeout": args.timeout_ms,
                    "protocol": args.listener_protocol,
                }
            ).encode()
        ).hexdigest()
        return aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            description="Managed by webstack; replaced whenever the routes change",
            triggers={"redeployment": fingerprint},
            opts=pulumi.ResourceOptions(parent=self, depends_on=wired),
        )

    def _preflight(self, slug: str, resource: aws.apigateway.Resource) -> list[pulumi.Resource]:
        """OPTIONS without a key, answered by API Gateway itself with the CORS headers (004-R18)."""
        name, api, args = self._name, self.rest_api, self._args
        method = aws.apigateway.Method(
            f"{name}-{slug}-options",
            rest_api=api.id,
            resource_id=resource.id,
            http_method="OPTIONS",
            authorization="NONE",
            api_key_required=False,  # the browser's preflight carries no key
            opts=self._child,
        )
        integration = aws.apigateway.Integration(
            f"{name}-{slug}-options-mock",
            rest_api=api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            type="MOCK",
            request_templates={"application/json": '{"statusCode": 200}'},
            opts=self._child,
        )
        headers = cors_headers("method.response.header", args.allow_origin)
        response = aws.apigateway.MethodResponse(
            f"{name}-{slug}-options-200",
            rest_api=api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            status_code="200",
            response_parameters={key: True for key in headers},
            opts=self._child,
        )
        integration_response = aws.apigateway.IntegrationResponse(
            f"{name}-{slug}-options-cors",
            rest_api=api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            status_code=response.status_code,
            response_parameters=headers,
            response_templates={"application/json": ""},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[integration]),
        )
        return [method, integration, response, integration_response]

    def _stage(self, deployment: aws.apigateway.Deployment) -> aws.apigateway.Stage:
        args = self._args
        return logged_stage(
            self._name,
            self,
            self.rest_api.id,
            deployment.id,
            StageArgs(
                scope=args.scope,
                purpose=args.purpose,
                stage_name=args.stage_name,
                log_kms_key_arn=args.log_kms_key_arn,
                log_retention_days=args.log_retention_days,
                manage_account_logging_role=args.manage_account_logging_role,
                throttle_rate_limit=1000.0,
                throttle_burst_limit=500,
            ),
        )
