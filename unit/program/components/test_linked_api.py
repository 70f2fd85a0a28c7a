"""LinkedApi's redeployment trigger (linked_api.py): plain values, no graph."""

from __future__ import annotations

import pytest

from program.components import linked_api, rest_routes

ORIGIN = "https://d111111abcdef8.cloudfront.net"


def test_004_R18_the_trigger_follows_the_cors_origin_the_gateway_responses_carry() -> None:
    base = linked_api.deployment_fingerprint(ORIGIN, 29_000, "http")
    assert base == linked_api.deployment_fingerprint(ORIGIN, 29_000, "http")
    assert base != linked_api.deployment_fingerprint("https://media.example.com", 29_000, "http")
    assert base != linked_api.deployment_fingerprint(ORIGIN, 10_000, "http")
    assert base != linked_api.deployment_fingerprint(ORIGIN, 29_000, "https")


def test_a_changed_gateway_response_template_redeploys(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS serves an updated gateway response only after a redeployment ("Updates to REST APIs
    that require redeployment", API Gateway developer guide)."""
    base = linked_api.deployment_fingerprint(ORIGIN, 29_000, "http")
    template = '{"message":$context.error.messageString}'
    changed = {**rest_routes.GATEWAY_RESPONSES, "DEFAULT_4XX": (None, template)}
    monkeypatch.setattr(rest_routes, "GATEWAY_RESPONSES", changed)
    assert linked_api.deployment_fingerprint(ORIGIN, 29_000, "http") != base
