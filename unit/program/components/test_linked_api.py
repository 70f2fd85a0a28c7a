"""LinkedApi's redeployment trigger (linked_api.py): plain values, no graph."""

from __future__ import annotations

import pytest

from program.components import linked_api, rest_routes

ORIGIN = "https://d111111abcdef8.cloudfront.net"
ALB_ARN = (
    "arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:loadbalancer/app/media-alb-dev/50dc6c495c0c9188"
)
BACKEND = ("http://media-alb-dev-1.ap-southeast-1.elb.amazonaws.com/api", "vpclink-1a2b3c", ALB_ARN)


def test_004_R18_the_trigger_follows_the_cors_origin_the_gateway_responses_carry() -> None:
    base = linked_api.deployment_fingerprint(ORIGIN, 29_000, BACKEND)
    assert base == linked_api.deployment_fingerprint(ORIGIN, 29_000, list(BACKEND))
    assert base != linked_api.deployment_fingerprint("https://media.example.com", 29_000, BACKEND)
    assert base != linked_api.deployment_fingerprint(ORIGIN, 10_000, BACKEND)


def test_004_R16_the_trigger_follows_where_the_integration_leads() -> None:
    """A new VPC link, ALB or uri (protocol or host) changes the integrations in place; the stage
    serves them only after a redeployment."""
    base = linked_api.deployment_fingerprint(ORIGIN, 29_000, BACKEND)
    https = ("https://media.example.com/api", *BACKEND[1:])
    assert base != linked_api.deployment_fingerprint(ORIGIN, 29_000, https)
    assert base != linked_api.deployment_fingerprint(ORIGIN, 29_000, (BACKEND[0], "vpclink-9z8y7x", ALB_ARN))
    other_alb = ALB_ARN.replace("50dc6c495c0c9188", "0123456789abcdef")
    assert base != linked_api.deployment_fingerprint(ORIGIN, 29_000, (*BACKEND[:2], other_alb))


def test_a_changed_gateway_response_template_redeploys(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS serves an updated gateway response only after a redeployment ("Updates to REST APIs
    that require redeployment", API Gateway developer guide)."""
    base = linked_api.deployment_fingerprint(ORIGIN, 29_000, BACKEND)
    template = '{"message":$context.error.messageString}'
    changed = {**rest_routes.GATEWAY_RESPONSES, "DEFAULT_4XX": (None, template)}
    monkeypatch.setattr(rest_routes, "GATEWAY_RESPONSES", changed)
    assert linked_api.deployment_fingerprint(ORIGIN, 29_000, BACKEND) != base
