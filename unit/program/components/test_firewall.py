"""Firewall: a security group and its rules from a peer, a port and a reason (000-R15/R16, 002-R9, 004-R3)."""

from __future__ import annotations

import pytest

from plan.capture import Graph
from program.components.firewall import Firewall, FirewallArgs, Peer, Rule, connect
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-east-1")
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def tiers() -> None:
    """002's chain: Lambda -> RDS Proxy :5432 -> Aurora :5432; the Lambda also reaches S3 over HTTPS."""
    lambda_tier = Firewall(
        "fn-sg",
        FirewallArgs(
            "catalog-fn",
            SCOPE,
            "Lambda: no ingress",
            "vpc-0123",
            egress=[Rule(Peer.prefix_list("s3", "pl-0s3"), 443, "HTTPS to the S3 gateway endpoint")],
        ),
    )
    proxy = Firewall("proxy-sg", FirewallArgs("catalog-proxy", SCOPE, "RDS Proxy", "vpc-0123"))
    database = Firewall(
        "db-sg",
        FirewallArgs(
            "catalog-db",
            SCOPE,
            "Aurora",
            "vpc-0123",
            ingress=[Rule(Peer.cidr("10.0.0.0/16"), 5432, "PostgreSQL from the VPC", to_port=5433)],
        ),
    )
    connect(lambda_tier, "fn", proxy, "proxy", 5432, "PostgreSQL through the proxy")
    connect(proxy, "proxy", database, "db", 5432, "PostgreSQL to the cluster")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_fn(tiers)


def rules(graph: Graph, token: str) -> dict[str, dict[str, object]]:
    return {r.name: r.inputs for r in graph.by_type(token)}


def test_each_group_is_named_for_its_purpose_and_has_no_inline_rules(graph: Graph) -> None:
    groups = {g.name: g.inputs for g in graph.by_type(GROUP)}
    assert {name: g["name"] for name, g in groups.items()} == {
        "fn-sg": "catalog-fn-dev",
        "proxy-sg": "catalog-proxy-dev",
        "db-sg": "catalog-db-dev",
    }
    assert all("ingress" not in g and "egress" not in g for g in groups.values())
    assert groups["fn-sg"]["vpcId"] == "vpc-0123" and groups["fn-sg"]["description"] == "Lambda: no ingress"


def test_002_R9_connect_writes_both_ends_of_each_hop(graph: Graph) -> None:
    ids = {g.name: g.outputs["id"] for g in graph.by_type(GROUP)}
    egress, ingress = rules(graph, EGRESS), rules(graph, INGRESS)
    assert egress["fn-sg-out-proxy"] == {
        "securityGroupId": ids["fn-sg"],
        "referencedSecurityGroupId": ids["proxy-sg"],
        "ipProtocol": "tcp",
        "fromPort": 5432,
        "toPort": 5432,
        "description": "PostgreSQL through the proxy",
    }
    assert ingress["proxy-sg-in-fn"]["securityGroupId"] == ids["proxy-sg"]
    assert ingress["proxy-sg-in-fn"]["referencedSecurityGroupId"] == ids["fn-sg"]
    assert egress["proxy-sg-out-db"]["referencedSecurityGroupId"] == ids["db-sg"]
    assert ingress["db-sg-in-proxy"]["referencedSecurityGroupId"] == ids["proxy-sg"]
    # The Lambda tier takes no traffic in (000-R15).
    assert not [r for r in ingress.values() if r["securityGroupId"] == ids["fn-sg"]]


def test_prefix_list_and_cidr_peers_and_port_ranges(graph: Graph) -> None:
    s3 = rules(graph, EGRESS)["fn-sg-out-s3"]
    assert (s3["prefixListId"], s3["fromPort"], s3["toPort"]) == ("pl-0s3", 443, 443)
    assert "cidrIpv4" not in s3 and "referencedSecurityGroupId" not in s3
    vpc = rules(graph, INGRESS)["db-sg-in-vpc"]
    assert (vpc["cidrIpv4"], vpc["fromPort"], vpc["toPort"]) == ("10.0.0.0/16", 5432, 5433)


def test_rules_are_children_of_their_group(graph: Graph) -> None:
    components = {c.name: c.urn for c in graph.by_type("webstack:firewall:Firewall")}
    for token in (GROUP, INGRESS, EGRESS):
        for resource in graph.by_type(token):
            owner = resource.name.split("-sg")[0] + "-sg"
            assert resource.parent == components[owner]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Peer("x"), "exactly one"),
        (lambda: Peer("x", security_group_id="sg-1", cidr_ipv4="10.0.0.0/8"), "exactly one"),
        (lambda: Peer.cidr("10.0.0.0/8", label="Bad Label"), "label"),
        (lambda: Rule(Peer.cidr("10.0.0.0/8"), 443, ""), "say why"),
        (lambda: Rule(Peer.cidr("10.0.0.0/8"), 443, "r", to_port=80), "ports 443-80"),
        (lambda: Rule(Peer.cidr("10.0.0.0/8"), 70000, "r"), "ports"),
        (
            lambda: FirewallArgs(
                "p",
                SCOPE,
                "d",
                "vpc",
                egress=[Rule(Peer.cidr("10.0.0.0/8"), 1, "a"), Rule(Peer.cidr("10.1.0.0/16"), 2, "b")],
            ),
            "unique",
        ),
    ],
)
def test_bad_rules_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
