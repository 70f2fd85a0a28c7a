"""LoadBalancer's blue/green additions (004-R7/R10): a forward default, weighted rules ECS may
rewrite, header-keyed test rules. Asserted on the captured graph; expected values are literals."""

from __future__ import annotations

from typing import Any

import pytest

from plan.capture import Graph
from program.components.firewall import Peer
from program.components.load_balancer import LoadBalancer, LoadBalancerArgs, RouteSpec, TargetGroupSpec
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-west-2")
GROUPS = [
    TargetGroupSpec(name, "ip", port=8080) for name in ("web-blue", "web-green", "api-blue", "api-green")
]


def values(**changes: Any) -> dict[str, Any]:
    return {
        "purpose": "media",
        "scope": SCOPE,
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "ingress": [Peer.prefix_list("cloudfront", "pl-cf")],
        "access_log_bucket": "logs-bucket",
        "target_groups": GROUPS,
        "routes": [
            RouteSpec(1, ["/api/*"], "api-blue", "api-green", ("x-test", "t0ken")),
            RouteSpec(10, ["/api/*"], "api-blue", "api-green"),
            RouteSpec(100, ["/*"], "web-blue", "web-green"),
        ],
        "default_target": "web-blue",
        **changes,
    }


@pytest.fixture(scope="module")
def graph() -> Graph:
    def program() -> None:
        LoadBalancer("lb", LoadBalancerArgs(**values()))

    return capture_fn(program)


def test_004_R7_the_default_action_forwards_to_the_default_target(graph: Graph) -> None:
    listener = graph.one("aws:lb/listener:Listener").inputs
    web_blue = graph.one("aws:lb/targetGroup:TargetGroup", "lb-web-blue").outputs["arn"]
    assert listener["defaultActions"] == [{"type": "forward", "targetGroupArn": web_blue}]


def test_004_R7_alternate_rules_weigh_100_0_and_ignore_their_actions(graph: Graph) -> None:
    arns = {r.name: r.outputs["arn"] for r in graph.by_type("aws:lb/targetGroup:TargetGroup")}
    rule = graph.one("aws:lb/listenerRule:ListenerRule", "lb-rule-10")
    assert rule.inputs["actions"] == [
        {
            "type": "forward",
            "forward": {
                "targetGroups": [
                    {"arn": arns["lb-api-blue"], "weight": 100},
                    {"arn": arns["lb-api-green"], "weight": 0},
                ]
            },
        }
    ]
    assert rule.options["ignoreChanges"] == ["actions"]


def test_004_R7_a_test_rule_needs_its_header(graph: Graph) -> None:
    conditions = graph.one("aws:lb/listenerRule:ListenerRule", "lb-rule-1").inputs["conditions"]
    assert {"httpHeader": {"httpHeaderName": "x-test", "values": ["t0ken"]}} in conditions
    assert {"pathPattern": {"values": ["/api/*"]}} in conditions
    plain = graph.one("aws:lb/listenerRule:ListenerRule", "lb-rule-100").inputs["conditions"]
    assert plain == [{"pathPattern": {"values": ["/*"]}}]


def test_plain_routes_keep_a_single_forward_and_no_ignore_changes() -> None:
    def program() -> None:
        LoadBalancer(
            "lb", LoadBalancerArgs(**values(routes=[RouteSpec(5, ["/x/*"], "api-blue")], default_target=None))
        )

    graph = capture_fn(program)
    rule = graph.one("aws:lb/listenerRule:ListenerRule", "lb-rule-5")
    api_blue = graph.one("aws:lb/targetGroup:TargetGroup", "lb-api-blue").outputs["arn"]
    assert rule.inputs["actions"][0]["targetGroupArn"] == api_blue
    assert "forward" not in rule.inputs["actions"][0] and rule.options["ignoreChanges"] == []
    listener = graph.one("aws:lb/listener:Listener").inputs
    assert listener["defaultActions"][0]["type"] == "fixed-response"


def test_unknown_alternate_or_default_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="no target group 'nope'"):
        LoadBalancerArgs(**values(routes=[RouteSpec(1, ["/*"], "web-blue", "nope")]))
    with pytest.raises(ValueError, match="default_target"):
        LoadBalancerArgs(**values(default_target="nope"))
    with pytest.raises(ValueError, match="must differ"):
        RouteSpec(1, ["/*"], "web-blue", "web-blue")
