"""The REST API's shape as plain values (rest_routes.py): no Pulumi, no graph."""

from __future__ import annotations

import json

import pytest

from program.components import rest_routes
from program.components.rest_routes import (
    ACCESS_LOG_FIELDS,
    ITEM_ROUTES,
    Route,
    access_log_format,
    check_shape,
    deployment_fingerprint,
    resource_paths,
    resource_slug,
)


def test_resource_paths_lists_parents_before_children() -> None:
    routes = [Route("GET", "/a/{id}/b"), Route("POST", "/a"), Route("GET", "/c")]
    assert resource_paths(routes) == ["/a", "/c", "/a/{id}", "/a/{id}/b"]


@pytest.mark.parametrize(("method", "path"), [("FETCH", "/items"), ("GET", "items"), ("GET", "/items/")])
def test_routes_reject_bad_methods_and_paths(method: str, path: str) -> None:
    with pytest.raises(ValueError):
        Route(method, path)


def test_deployment_fingerprint_changes_with_any_route_and_only_then() -> None:
    base = deployment_fingerprint(ITEM_ROUTES, "api-dev")
    assert base == deployment_fingerprint(tuple(reversed(ITEM_ROUTES)), "api-dev")
    assert base != deployment_fingerprint((*ITEM_ROUTES, Route("DELETE", "/items/{id}")), "api-dev")
    assert base != deployment_fingerprint((*ITEM_ROUTES[:2], Route("PATCH", "/items/{id}")), "api-dev")
    assert base != deployment_fingerprint(ITEM_ROUTES, "api-prod")


@pytest.mark.parametrize(
    ("setting", "changed"),
    [
        ("VALIDATOR", {"validate_request_body": False, "validate_request_parameters": True}),
        ("AUTHORIZATION", "AWS_IAM"),
        ("BODY_MODEL", ("Item", "text/plain")),
        ("INTEGRATION_TYPE", "AWS"),
        ("INTEGRATION_HTTP_METHOD", "GET"),
        ("INTEGRATION_TIMEOUT_MS", 10_000),
    ],
)
def test_deployment_fingerprint_covers_validator_authorization_and_integration(
    monkeypatch: pytest.MonkeyPatch, setting: str, changed: object
) -> None:
    """Issue 9 A5: a deployment snapshots these too; changing one must redeploy the stage."""
    base = deployment_fingerprint(ITEM_ROUTES, "api-dev")
    monkeypatch.setattr(rest_routes, setting, changed)
    assert deployment_fingerprint(ITEM_ROUTES, "api-dev") != base


def test_route_slug_and_parameters_name_the_method_and_path() -> None:
    route = Route("GET", "/items/{id}")
    assert (route.slug, route.parameters) == ("get-items-id", ["id"])
    assert resource_slug("/items/{id}") == "-items-id"


@pytest.mark.parametrize(
    ("routes", "stage", "message"),
    [
        (ITEM_ROUTES, "v 1", "stage_name"),
        ((), "v1", "at least one route"),
        ((Route("GET", "/items"), Route("GET", "/items")), "v1", "no duplicate"),
    ],
)
def test_check_shape_rejects_bad_stages_and_route_sets(
    routes: tuple[Route, ...], stage: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_shape(routes, stage)


def test_check_shape_accepts_the_item_routes() -> None:
    check_shape(ITEM_ROUTES, "v1")


def test_000_R17_access_log_format_is_compact_json_of_the_context_fields() -> None:
    text = access_log_format()
    assert " " not in text and json.loads(text) == ACCESS_LOG_FIELDS


def test_deployment_fingerprint_covers_the_gateway_responses_the_api_has() -> None:
    """A changed template, status or an added response type redeploys (AWS serves gateway-response
    updates only after a redeployment)."""
    base = deployment_fingerprint(ITEM_ROUTES, "api-dev")
    assert base == deployment_fingerprint(ITEM_ROUTES, "api-dev", dict(rest_routes.GATEWAY_RESPONSES))
    added = {**rest_routes.GATEWAY_RESPONSES, "API_CONFIGURATION_ERROR": (None, '{"error":"x"}')}
    assert deployment_fingerprint(ITEM_ROUTES, "api-dev", added) != base
    retemplated = {**rest_routes.GATEWAY_RESPONSES, "DEFAULT_5XX": (None, '{"message":"down"}')}
    assert deployment_fingerprint(ITEM_ROUTES, "api-dev", retemplated) != base
    missing = ("403", '{"error":"no such route"}')
    restatused = {**rest_routes.GATEWAY_RESPONSES, "MISSING_AUTHENTICATION_TOKEN": missing}
    assert deployment_fingerprint(ITEM_ROUTES, "api-dev", restatused) != base
