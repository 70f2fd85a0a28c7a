"""The REST API's shape as plain values: its routes (and the checks on them and the stage name),
the resource paths they need, the body schema, the JSON gateway responses, the deployment
fingerprint and the access-log format. No Pulumi here, so all of it is unit-tested directly;
rest_wiring.py turns it into resources for ItemsApi, KeyedApi and LinkedApi.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")  # fullmatch: no trailing newline
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# API Gateway's JSON-schema dialect is draft 4. The handler checks the fields themselves.
BODY_SCHEMA = {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Item", "type": "object"}
# $context.error.messageString is already a quoted JSON string.
ERROR_TEMPLATE = '{"error":$context.error.messageString}'
GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "DEFAULT_4XX": (None, ERROR_TEMPLATE),
    "DEFAULT_5XX": (None, ERROR_TEMPLATE),
    # Unknown routes and methods: API Gateway says 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": ("404", '{"error":"no such route"}'),
}
# What every method and integration is created with (rest_wiring.py), and so what a deployment
# snapshots: the fingerprint below covers each of these, so changing one redeploys the stage.
AUTHORIZATION = "NONE"  # CloudFront's origin header, checked by the web ACL, is the gate (001-R5)
VALIDATOR = {"validate_request_body": True, "validate_request_parameters": True}
BODY_MODEL = ("Item", "application/json")  # model name (alphanumeric only), content type
INTEGRATION_TYPE, INTEGRATION_HTTP_METHOD = "AWS_PROXY", "POST"  # 000-R4: Lambda proxy
# API Gateway's REST integration timeout default and (without a quota increase) maximum.
INTEGRATION_TIMEOUT_MS = 29_000
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "wafResponseCode": "$context.wafResponseCode",
    "error": "$context.error.message",
}


@dataclass(frozen=True)
class Route:
    """One method on one resource path; ``body`` methods get their JSON body validated."""

    method: str
    path: str
    body: bool = False

    def __post_init__(self) -> None:
        if self.method not in HTTP_METHODS:
            raise ValueError(f"Route {self.path}: method {self.method!r} is not one of {HTTP_METHODS}")
        if not re.fullmatch(r"(/([A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\}))+", self.path):
            raise ValueError(f"Route path {self.path!r}: /segments or /{{parameters}}, no trailing slash")

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{([A-Za-z0-9_]+)\}", self.path)

    @property
    def slug(self) -> str:
        return f"{self.method.lower()}{resource_slug(self.path)}"


ITEM_ROUTES = (
    Route("POST", "/items", body=True),
    Route("GET", "/items/{id}"),
    Route("PATCH", "/items/{id}", body=True),
)


def check_shape(routes: Sequence[Route], stage_name: str) -> None:
    """A stage name API Gateway accepts, and at least one route with no duplicate method+path."""
    if not STAGE_NAME.fullmatch(stage_name):
        raise ValueError(f"stage_name {stage_name!r}: letters, digits, - and _ (1-128)")
    if not routes or len({(r.method, r.path) for r in routes}) != len(routes):
        raise ValueError("ItemsApi needs at least one route and no duplicate method+path")


def resource_paths(routes: Sequence[Route]) -> list[str]:
    """Every resource path the routes need, parents before children: /items, /items/{id}."""
    paths = {
        "/".join(r.path.split("/")[: depth + 1]) for r in routes for depth in range(1, len(r.path.split("/")))
    }
    return sorted(paths, key=lambda p: (p.count("/"), p))


def resource_slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).rstrip("-")


def deployment_fingerprint(
    routes: Sequence[Route],
    function_name: str,
    responses: Mapping[str, tuple[str | None, str]] = GATEWAY_RESPONSES,
) -> str:
    """A digest of everything a deployment snapshots; when it changes, Pulumi redeploys the API.
    ``responses`` are the gateway responses the API really has (AWS serves a changed one only after
    a redeployment: API Gateway developer guide, "Updates to REST APIs that require redeployment")."""
    config = {
        "routes": sorted((r.method, r.path, r.body, tuple(r.parameters)) for r in routes),
        "authorization": AUTHORIZATION,
        "validator": VALIDATOR,
        "model": BODY_MODEL,
        "integration": [INTEGRATION_TYPE, INTEGRATION_HTTP_METHOD, INTEGRATION_TIMEOUT_MS, function_name],
        "schema": BODY_SCHEMA,
        "responses": dict(responses),
    }
    return digest(config)


def digest(config: Mapping[str, Any]) -> str:
    """The sha256 of ``config`` as canonical JSON: a deployment trigger that changes with it."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def access_log_format() -> str:
    return json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))
