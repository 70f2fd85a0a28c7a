"""LoadBalancer: listeners, target groups (lambda and ip), path rules, origin header, access logs
(002-R10..R14, 004-R11), asserted on the captured graph. Expected values are literals."""

from __future__ import annotations

from typing import Any

import pytest

from plan.capture import Graph
from program.components.firewall import Peer
from program.components.load_balancer import (
    HealthCheck,
    LoadBalancer,
    LoadBalancerArgs,
    OriginVerify,
    RouteSpec,
    TargetGroupSpec,
    access_log_statement,
)
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-west-2")


def lb_graph(**changes: Any) -> Graph:
    def program() -> None:
        values: dict[str, Any] = {
            "purpose": "media",
            "scope": SCOPE,
            "vpc_id": "vpc-1",
            "subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
            "ingress": [Peer.prefix_list("cloudfront", "pl-cf")],
            "access_log_bucket": "logs-bucket",
            "target_groups": [
                TargetGroupSpec("web", "ip", port=8080, stickiness_s=3600),
                TargetGroupSpec("fn", "lambda"),
            ],
            "routes": [RouteSpec(10, ["/api/*"], "fn"), RouteSpec(20, ["/*"], "web")],
            "origin_verify": OriginVerify("x-origin-verify", "s3cr3t"),
            **changes,
        }
        lb = LoadBalancer("lb", LoadBalancerArgs(**values))
        lb.attach_lambda(
            "fn", "worker-dev", "live", "arn:aws:lambda:us-west-2:123456789012:function:worker-dev:live"
        )

    return capture_fn(program)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return lb_graph()


def test_002_R10_R14_http_without_certificate_default_403_and_only_the_peer_reaches_port_80(
    graph: Graph,
) -> None:
    (listener,) = graph.by_type("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"][0]["fixedResponse"] == {
        "contentType": "application/json",
        "messageBody": '{"error": "forbidden"}',
        "statusCode": "403",
    }
    (ingress,) = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (ingress.inputs["prefixListId"], ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (
        "pl-cf",
        80,
        80,
    )
    assert graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []
    alb = graph.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["name"] == "media-dev" and alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["accessLogs"] == {"bucket": "logs-bucket", "prefix": "alb", "enabled": True}


def test_002_R10_every_rule_has_its_paths_and_the_origin_header(graph: Graph) -> None:
    rules = sorted(graph.by_type("aws:lb/listenerRule:ListenerRule"), key=lambda r: r.inputs["priority"])
    assert [r.inputs["priority"] for r in rules] == [10, 20]
    for rule, path in zip(rules, ["/api/*", "/*"], strict=True):
        (paths, header) = rule.inputs["conditions"]
        assert paths == {"pathPattern": {"values": [path]}}
        assert header == {"httpHeader": {"httpHeaderName": "x-origin-verify", "values": ["s3cr3t"]}}


def test_002_R11_R12_lambda_group_health_checked_and_not_sticky_ip_group_sticky(graph: Graph) -> None:
    groups = {g.inputs["name"]: g.inputs for g in graph.by_type("aws:lb/targetGroup:TargetGroup")}
    fn, web = groups["media-fn-dev"], groups["media-web-dev"]
    assert fn["targetType"] == "lambda" and "port" not in fn and "stickiness" not in fn
    assert fn["healthCheck"] == {
        "enabled": True,
        "path": "/health",
        "interval": 5,
        "timeout": 2,
        "healthyThreshold": 2,
        "unhealthyThreshold": 2,
        "matcher": "200",
    }
    assert (web["targetType"], web["port"], web["protocol"], web["vpcId"]) == ("ip", 8080, "HTTP", "vpc-1")
    assert web["stickiness"] == {"enabled": True, "type": "lb_cookie", "cookieDuration": 3600}
    assert web["healthCheck"]["protocol"] == "HTTP"


def test_002_R13_the_attachment_waits_for_the_permission(graph: Graph) -> None:
    permission = graph.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission.inputs["qualifier"] == "live" and permission.inputs["function"] == "worker-dev"
    attachment = graph.one("aws:lb/targetGroupAttachment:TargetGroupAttachment")
    assert permission.urn in attachment.options["dependencies"]
    assert attachment.inputs["targetId"] == "arn:aws:lambda:us-west-2:123456789012:function:worker-dev:live"


def test_004_R11_with_a_certificate_https_443_and_80_redirects() -> None:
    graph = lb_graph(certificate_arn="arn:aws:acm:us-west-2:123456789012:certificate/x")
    listeners = {lis.inputs["port"]: lis.inputs for lis in graph.by_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS" and listeners[443]["certificateArn"].endswith("/x")
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[80]["defaultActions"][0]["redirect"] == {
        "port": "443",
        "protocol": "HTTPS",
        "statusCode": "HTTP_301",
    }
    (ingress,) = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert ingress.inputs["fromPort"] == 443


def test_002_R41_elb_log_delivery_principal_per_region() -> None:
    east = access_log_statement("arn:aws:s3:::logs", "alb", "123456789012", "us-east-1")
    assert east["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert east["Resource"] == ["arn:aws:s3:::logs/alb/AWSLogs/123456789012/*"]
    newer = access_log_statement("arn:aws:s3:::logs", "alb", "123456789012", "ap-southeast-5")
    assert newer["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval_s": 2, "timeout_s": 2}, "interval 5-300 s"),
        ({"interval_s": 5, "timeout_s": 5}, "greater than the timeout"),
    ],
)
def test_002_R12_health_checks_elb_would_refuse_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HealthCheck(**kwargs)


def test_002_R11_a_sticky_lambda_group_is_refused() -> None:
    with pytest.raises(ValueError, match="no port and no stickiness"):
        TargetGroupSpec("fn", "lambda", stickiness_s=60)


def test_a_route_to_an_unknown_group_is_refused() -> None:
    with pytest.raises(Exception, match=r"no target group .nope."):
        lb_graph(routes=[RouteSpec(1, ["/x"], "nope")])
