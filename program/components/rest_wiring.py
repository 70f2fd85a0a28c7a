"""The API Gateway REST resources ItemsApi, KeyedApi and LinkedApi wire the same way.

Each recipe is a plain function creating children of the calling component, named from its
instance name: the REGIONAL API (``<name>-api``), the resource tree (``<name>-res<slug>``), a
method with its integration, Lambda proxy routes (``<name>-<route slug>`` and ``<name>-<route
slug>-lambda``), the JSON gateway responses (``<name>-<response-type>``), the deployment
(``<name>-deployment``), the Lambda permission (``<name>-invoke``) and a usage plan with one API
key (``<name>-plan``, ``<name>-key``, ``<name>-plan-key``). The components say only what differs:
their integrations, whether a key is required, CORS headers, names and limits. The stage serving
the deployment is ``api_account.logged_stage``; the values behind the routes are in rest_routes.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pulumi
import pulumi_aws as aws

from program.components import rest_routes
from program.scope import Scope

JSON = "application/json"


@dataclass(frozen=True)
class Request:
    """What a method asks of a request: the provider's Method arguments (None leaves one unset)."""

    api_key_required: bool | None = None
    request_parameters: Mapping[str, bool] | None = None
    request_validator_id: pulumi.Input[str] | None = None
    request_models: Mapping[str, pulumi.Input[str]] | None = None


@dataclass(frozen=True)
class Target:
    """Where a method's integration sends requests: the provider's Integration arguments (None: unset)."""

    type: str
    uri: pulumi.Input[str] | None = None
    integration_http_method: str | None = None
    timeout_milliseconds: int | None = None
    connection_type: str | None = None
    connection_id: pulumi.Input[str] | None = None
    integration_target: pulumi.Input[str] | None = None
    request_parameters: Mapping[str, str] | None = None
    request_templates: Mapping[str, str] | None = None


def _arguments(spec: Request | Target) -> dict[str, Any]:
    """The spec's fields as keyword arguments (not dataclasses.asdict: that deep-copies Outputs)."""
    return {field.name: getattr(spec, field.name) for field in fields(spec)}


def lambda_proxy(invoke_arn: pulumi.Input[str], timeout_ms: int | None = None) -> Target:
    """A Lambda proxy integration (000-R4); ``timeout_ms`` None leaves API Gateway's default."""
    return Target(
        type=rest_routes.INTEGRATION_TYPE,
        uri=invoke_arn,
        integration_http_method=rest_routes.INTEGRATION_HTTP_METHOD,
        timeout_milliseconds=timeout_ms,
    )


def regional_api(
    name: str,
    api_name: str,
    description: str,
    opts: pulumi.ResourceOptions,
    disable_execute_api_endpoint: bool | None = None,
) -> aws.apigateway.RestApi:
    """``<name>-api``: a REGIONAL REST API (called in its region, directly or through CloudFront)."""
    return aws.apigateway.RestApi(
        f"{name}-api",
        name=api_name,
        description=description,
        endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
        disable_execute_api_endpoint=disable_execute_api_endpoint,
        opts=opts,
    )


def resource_tree(
    name: str, api: aws.apigateway.RestApi, paths: Sequence[str], opts: pulumi.ResourceOptions
) -> dict[str, aws.apigateway.Resource]:
    """One resource per path under its parent (``paths`` parents first, as rest_routes.resource_paths
    lists them), named ``<name>-res<slug>``: ``/items/{id}`` is ``<name>-res-items-id``."""
    resources: dict[str, aws.apigateway.Resource] = {}
    for path in paths:
        parent, _, part = path.rpartition("/")
        resources[path] = aws.apigateway.Resource(
            f"{name}-res{rest_routes.resource_slug(path)}",
            rest_api=api.id,
            parent_id=resources[parent].id if parent else api.root_resource_id,
            path_part=part,
            opts=opts,
        )
    return resources


def method_with_integration(
    names: tuple[str, str],
    api: aws.apigateway.RestApi,
    resource: aws.apigateway.Resource,
    http_method: str,
    request: Request,
    target: Target,
    opts: pulumi.ResourceOptions,
) -> tuple[aws.apigateway.Method, aws.apigateway.Integration]:
    """The method ``names[0]`` on ``resource`` (authorization NONE: the WAF or the API key is the
    gate) and its integration ``names[1]`` to ``target``, created after the method."""
    method = aws.apigateway.Method(
        names[0],
        rest_api=api.id,
        resource_id=resource.id,
        http_method=http_method,
        authorization=rest_routes.AUTHORIZATION,
        opts=opts,
        **_arguments(request),
    )
    integration = aws.apigateway.Integration(
        names[1],
        rest_api=api.id,
        resource_id=resource.id,
        http_method=method.http_method,
        opts=opts,
        **_arguments(target),
    )
    return method, integration


def lambda_routes(
    name: str,
    api: aws.apigateway.RestApi,
    routes: Sequence[rest_routes.Route],
    target: Target,
    opts: pulumi.ResourceOptions,
    *,
    api_key_required: bool | None = None,
    validator: aws.apigateway.RequestValidator | None = None,
    body_model: aws.apigateway.Model | None = None,
) -> list[pulumi.Resource]:
    """The routes' resource tree and, per route, its method (path parameters required; the
    validator and, on ``body`` routes, the body model where given) proxied to ``target``.
    Returns the methods and integrations, which the deployment must wait for."""
    resources = resource_tree(name, api, rest_routes.resource_paths(routes), opts)
    wired: list[pulumi.Resource] = []
    for route in routes:
        wired += method_with_integration(
            (f"{name}-{route.slug}", f"{name}-{route.slug}-lambda"),
            api,
            resources[route.path],
            route.method,
            Request(
                api_key_required=api_key_required,
                request_parameters={f"method.request.path.{p}": True for p in route.parameters} or None,
                request_validator_id=validator.id if validator is not None else None,
                request_models={rest_routes.BODY_MODEL[1]: body_model.name}
                if body_model is not None and route.body
                else None,
            ),
            target,
            opts,
        )
    return wired


def gateway_responses(
    name: str,
    api: aws.apigateway.RestApi,
    responses: Mapping[str, tuple[str | None, str]],
    opts: pulumi.ResourceOptions,
    headers: Mapping[str, pulumi.Input[str]] | None = None,
) -> list[aws.apigateway.Response]:
    """API Gateway's own answers as JSON: ``{type: (status or None to keep AWS's, template)}``,
    each with ``headers`` (``gatewayresponse.header.*`` mappings) where given."""
    return [
        aws.apigateway.Response(
            f"{name}-{response_type.lower().replace('_', '-')}",
            rest_api_id=api.id,
            response_type=response_type,
            status_code=status,
            response_templates={JSON: template},
            response_parameters=dict(headers) if headers else None,
            opts=opts,
        )
        for response_type, (status, template) in responses.items()
    ]


def deployment(
    name: str,
    api: aws.apigateway.RestApi,
    fingerprint: pulumi.Input[str],
    wired: Sequence[pulumi.Resource],
    owner: pulumi.Resource,
) -> aws.apigateway.Deployment:
    """A deployment made after everything in ``wired`` and replaced whenever ``fingerprint`` (a
    digest of what it snapshots) changes: API Gateway serves a snapshot, not the live methods."""
    return aws.apigateway.Deployment(
        f"{name}-deployment",
        rest_api=api.id,
        description="Managed by webstack; replaced whenever the routes change",
        triggers={"redeployment": fingerprint},
        opts=pulumi.ResourceOptions(parent=owner, depends_on=list(wired)),
    )


def invoke_permission(
    name: str,
    api: aws.apigateway.RestApi,
    function_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    qualifier: str | None = None,
) -> aws.lambda_.Permission:
    """This API (any stage, method and path) may invoke the function, or its alias ``qualifier``."""
    return aws.lambda_.Permission(
        f"{name}-invoke",
        statement_id="AllowInvokeFromThisRestApi",
        action="lambda:InvokeFunction",
        function=function_name,
        qualifier=qualifier,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, "/*/*"),  # 000-R4/R15
        opts=opts,
    )


@dataclass(frozen=True)
class KeyPlan:
    """Who holds the keys: the plan is ``<purpose>-<audience>s-<suffix>``, its first key (value
    generated by API Gateway) ``<purpose>-<audience>-<suffix>``."""

    audience: str
    plan_description: str
    key_description: str
    # The provider lists ``value`` in the key's additional_secret_outputs itself; LinkedApi's key
    # has always listed it again (the options then hold it twice), kept so its graph is unchanged.
    secret_value_option: bool = False


@dataclass(frozen=True)
class KeyedUsage:
    usage_plan: aws.apigateway.UsagePlan
    api_key: aws.apigateway.ApiKey
    api_key_value: pulumi.Output[str]  # secret


def _as_secret(value: str) -> pulumi.Output[str]:
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret


def usage_plan_with_key(
    name: str,
    api: aws.apigateway.RestApi,
    stage: aws.apigateway.Stage,
    names: tuple[Scope, str],
    plan: KeyPlan,
    throttle: tuple[float, int],
    owner: pulumi.Resource,
) -> KeyedUsage:
    """The usage plan on ``stage`` throttling each key at ``throttle`` (rate per second, burst)
    (``<name>-plan``), the key (``<name>-key``) and the link between them (``<name>-plan-key``):
    methods with ``api_key_required`` then answer that key only. ``names``: scope and purpose."""
    scope, purpose = names
    child = pulumi.ResourceOptions(parent=owner)
    usage_plan = aws.apigateway.UsagePlan(
        f"{name}-plan",
        name=scope.name(f"{purpose}-{plan.audience}s", "api"),
        description=plan.plan_description,
        api_stages=[aws.apigateway.UsagePlanApiStageArgs(api_id=api.id, stage=stage.stage_name)],
        throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
            rate_limit=throttle[0], burst_limit=throttle[1]
        ),
        opts=child,
    )
    api_key = aws.apigateway.ApiKey(
        f"{name}-key",
        name=scope.name(f"{purpose}-{plan.audience}", "api"),
        description=plan.key_description,
        enabled=True,
        opts=pulumi.ResourceOptions(parent=owner, additional_secret_outputs=["value"])
        if plan.secret_value_option
        else child,
    )
    aws.apigateway.UsagePlanKey(
        f"{name}-plan-key",
        key_id=api_key.id,
        key_type="API_KEY",
        usage_plan_id=usage_plan.id,
        opts=child,
    )
    return KeyedUsage(usage_plan, api_key, api_key.value.apply(_as_secret))
