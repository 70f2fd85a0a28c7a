"""KeyedApi: REST API on a Lambda alias with API keys, a usage plan and throttling (002-R31..R33)."""

from __future__ import annotations

import pytest

from plan.capture import Graph
from program.components.keyed_api import KeyedApi, KeyedApiArgs
from program.components.rest_routes import Route
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-east-1")
INVOKE = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:catalog-dev:live/invocations"
)


@pytest.fixture(scope="module")
def graph() -> Graph:
    def program() -> None:
        KeyedApi(
            "api",
            KeyedApiArgs(
                purpose="catalog",
                scope=SCOPE,
                routes=(Route("GET", "/api/products"), Route("PUT", "/api/products/{sku}")),
                function_name="catalog-dev",
                alias_name="live",
                alias_invoke_arn=INVOKE,
                log_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/logs",
            ),
        )

    return capture_fn(program, {"aws:region": "us-east-1"})


def test_002_R33_every_integration_is_aws_proxy_on_the_alias(graph: Graph) -> None:
    integrations = graph.by_type("aws:apigateway/integration:Integration")
    assert len(integrations) == 2
    assert {(i.inputs["type"], i.inputs["uri"]) for i in integrations} == {("AWS_PROXY", INVOKE)}
    permission = graph.one("aws:lambda/permission:Permission")
    assert (permission.inputs["function"], permission.inputs["qualifier"]) == ("catalog-dev", "live")


def test_002_R31_keys_required_and_the_key_in_the_plan(graph: Graph) -> None:
    methods = graph.by_type("aws:apigateway/method:Method")
    assert {(m.inputs["httpMethod"], m.inputs["apiKeyRequired"]) for m in methods} == {
        ("GET", True),
        ("PUT", True),
    }
    plan = graph.one("aws:apigateway/usagePlan:UsagePlan")
    assert plan.inputs["name"] == "catalog-partners-dev"
    assert plan.inputs["apiStages"][0]["stage"] == "v1-dev"  # suffixed: its execution log group is too
    key = graph.one("aws:apigateway/apiKey:ApiKey")
    assert key.inputs["name"] == "catalog-partner-dev" and key.inputs["enabled"] is True
    link = graph.one("aws:apigateway/usagePlanKey:UsagePlanKey")
    assert link.inputs["keyId"] == key.outputs["id"] and link.inputs["usagePlanId"] == plan.outputs["id"]


def test_002_R32_stage_and_plan_throttle_10000_rps_5000_burst(graph: Graph) -> None:
    plan = graph.one("aws:apigateway/usagePlan:UsagePlan")
    assert plan.inputs["throttleSettings"] == {"rateLimit": 10000, "burstLimit": 5000}
    settings = graph.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (10000, 5000)


def test_missing_key_and_unknown_route_answer_json(graph: Graph) -> None:
    responses = {
        r.inputs["responseType"]: r.inputs for r in graph.by_type("aws:apigateway/response:Response")
    }
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert responses["DEFAULT_4XX"]["responseTemplates"] == {
        "application/json": '{"error":$context.error.messageString}'
    }
