"""The shared REST wiring (rest_wiring.py), asserted on the captured graph of a bare REST API."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from plan.capture import Graph
from program.components import rest_wiring
from program.components.rest_routes import Route
from program.scope import Scope
from unit.conftest import capture_fn

INVOKE = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/fn/invocations"


@pytest.fixture(scope="module")
def graph() -> Graph:
    def program() -> None:
        owner = pulumi.ComponentResource("webstack:test:Owner", "t")
        child = pulumi.ResourceOptions(parent=owner)
        api = rest_wiring.regional_api("t", "t-api", "test", child)
        wired = rest_wiring.lambda_routes(
            "t",
            api,
            (Route("GET", "/a/{id}/b"), Route("POST", "/a", body=True)),
            rest_wiring.lambda_proxy(INVOKE),
            child,
            api_key_required=True,
        )
        wired += rest_wiring.gateway_responses("t", api, {"DEFAULT_4XX": (None, "{}")}, child)
        rest_wiring.deployment("t", api, "f1", wired, owner)
        stage = aws.apigateway.Stage("t-stage", rest_api=api.id, deployment="d", stage_name="v1", opts=child)
        rest_wiring.usage_plan_with_key(
            "t",
            api,
            stage,
            (Scope("dev", "123456789012", "us-east-1"), "shop"),
            rest_wiring.KeyPlan("partner", "plan", "key"),
            (5.0, 10),
            owner,
        )

    return capture_fn(program, {"aws:region": "us-east-1"})


def test_resource_tree_names_each_path_and_hangs_it_under_its_parent(graph: Graph) -> None:
    resources = {r.name: r for r in graph.by_type("aws:apigateway/resource:Resource")}
    assert sorted(resources) == ["t-res-a", "t-res-a-id", "t-res-a-id-b"]
    assert resources["t-res-a-id"].inputs["pathPart"] == "{id}"
    assert resources["t-res-a-id"].inputs["parentId"] == resources["t-res-a"].outputs["id"]
    assert resources["t-res-a-id-b"].inputs["parentId"] == resources["t-res-a-id"].outputs["id"]


def test_unset_method_and_integration_fields_stay_out_of_the_inputs(graph: Graph) -> None:
    """KeyedApi's integrations set no timeout and its methods no validator or model (002-R31/R33)."""
    methods = {m.name: m.inputs for m in graph.by_type("aws:apigateway/method:Method")}
    post = methods["t-post-a"]
    assert set(post) == {"restApi", "resourceId", "httpMethod", "authorization", "apiKeyRequired"}
    assert (post["httpMethod"], post["authorization"], post["apiKeyRequired"]) == ("POST", "NONE", True)
    assert methods["t-get-a-id-b"]["requestParameters"] == {"method.request.path.id": True}
    integration = graph.one("aws:apigateway/integration:Integration", "t-post-a-lambda").inputs
    assert "timeoutMilliseconds" not in integration
    assert (integration["type"], integration["integrationHttpMethod"], integration["uri"]) == (
        "AWS_PROXY",
        "POST",
        INVOKE,
    )


def test_deployment_waits_for_every_method_integration_and_response(graph: Graph) -> None:
    deployment = graph.one("aws:apigateway/deployment:Deployment", "t-deployment")
    assert deployment.inputs["triggers"] == {"redeployment": "f1"}
    waited = {urn.rsplit("::", 1)[1] for urn in deployment.options["dependencies"]}
    assert {"t-get-a-id-b", "t-get-a-id-b-lambda", "t-post-a", "t-post-a-lambda", "t-default-4xx"} <= waited


def test_usage_plan_and_key_are_named_from_purpose_and_audience(graph: Graph) -> None:
    plan = graph.one("aws:apigateway/usagePlan:UsagePlan", "t-plan")
    assert plan.inputs["name"] == "shop-partners-dev"
    assert plan.inputs["throttleSettings"] == {"rateLimit": 5, "burstLimit": 10}
    key = graph.one("aws:apigateway/apiKey:ApiKey", "t-key")
    assert key.inputs["name"] == "shop-partner-dev"
    assert key.options["additionalSecretOutputs"] == ["value"]  # the provider's own: the key is a secret
