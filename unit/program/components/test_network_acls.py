"""Network ACLs as data (004-R4): each flow media-platform needs passes both ways; refused ones fail.

The layout is seed 004's: 10.0.0.0/16, public subnets 10.0.0-2.0/24 (ALB, NAT), private
10.0.100-102.0/24 (tasks, Aurora, the VPC link). Addresses below are literals in those subnets.
"""

from __future__ import annotations

import pytest

from plan.capture import Graph
from program.components.network_acls import (
    AclLayout,
    AclRule,
    NetworkAcls,
    NetworkAclsArgs,
    flow_allowed,
    packet_allowed,
    tier_rules,
)
from program.scope import Scope
from unit.conftest import capture_fn

VPC = "10.0.0.0/16"
LAYOUT = AclLayout(
    subnets={
        "public": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "private": ["10.0.100.0/24", "10.0.101.0/24", "10.0.102.0/24"],
    },
    rules=tier_rules(VPC),
)
ALB_A, ALB_B = "10.0.0.10", "10.0.1.10"
NAT_A = "10.0.0.5"
FRONTEND_TASK, BACKEND_TASK, OTHER_BACKEND = "10.0.100.20", "10.0.101.20", "10.0.102.21"
DB_WRITER, DB_READER = "10.0.101.50", "10.0.102.50"
VPC_LINK = "10.0.102.30"
CLOUDFRONT_EDGE, ECR_API, VIEWER = "130.176.0.10", "54.255.1.1", "203.0.113.9"


@pytest.mark.parametrize(
    ("what", "src", "dst", "port", "src_port"),
    [
        ("CloudFront -> ALB over HTTP", CLOUDFRONT_EDGE, ALB_A, 80, 15000),
        ("CloudFront -> ALB over HTTPS", CLOUDFRONT_EDGE, ALB_B, 443, 64000),
        ("ALB -> frontend task :8080", ALB_A, FRONTEND_TASK, 8080, 1030),
        ("ALB -> backend task :8000 (other AZ)", ALB_B, BACKEND_TASK, 8000, 40000),
        ("backend task -> Aurora writer :5432", BACKEND_TASK, DB_WRITER, 5432, 45000),
        ("backend task -> Aurora reader :5432 (other subnet)", BACKEND_TASK, DB_READER, 5432, 45001),
        ("backend task -> another task in another AZ", BACKEND_TASK, OTHER_BACKEND, 8000, 33000),
        ("VPC link ENI -> ALB :80", VPC_LINK, ALB_A, 80, 50000),
        ("VPC link ENI -> ALB :443", VPC_LINK, ALB_B, 443, 50001),
    ],
)
def test_004_R4_needed_flows_pass_both_ways(what: str, src: str, dst: str, port: int, src_port: int) -> None:
    assert flow_allowed(LAYOUT, src, dst, port, src_port=src_port), what


@pytest.mark.parametrize("nat_port", [1024, 3388, 3390, 40000, 65535])
def test_004_R4_tasks_reach_aws_apis_through_the_nat_and_the_replies_return(nat_port: int) -> None:
    for task in (FRONTEND_TASK, BACKEND_TASK):
        assert flow_allowed(LAYOUT, task, ECR_API, 443, src_port=45678, nat=NAT_A, nat_port=nat_port)


def test_004_R4_a_nat_translation_to_3389_is_the_one_reply_port_dropped() -> None:
    # The price of keeping RDP closed to the internet on the public ACL (FSBP EC2.21).
    assert not flow_allowed(LAYOUT, BACKEND_TASK, ECR_API, 443, src_port=45678, nat=NAT_A, nat_port=3389)


@pytest.mark.parametrize(
    ("what", "src", "dst", "port", "src_port", "nat"),
    [
        ("internet -> frontend task :8080 directly", VIEWER, FRONTEND_TASK, 8080, 50000, None),
        ("internet -> backend task :8000 directly", VIEWER, BACKEND_TASK, 8000, 50000, None),
        ("internet -> Aurora :5432 directly", VIEWER, DB_WRITER, 5432, 50000, None),
        ("internet -> SSH on the public subnet", VIEWER, ALB_A, 22, 50000, None),
        ("internet -> RDP on the public subnet", VIEWER, ALB_A, 3389, 50000, None),
        ("internet -> SSH on a task", VIEWER, BACKEND_TASK, 22, 50000, None),
        ("task -> internet SSH through the NAT", BACKEND_TASK, ECR_API, 22, 45678, NAT_A),
        ("task -> internet PostgreSQL through the NAT", BACKEND_TASK, ECR_API, 5432, 45678, NAT_A),
        ("task -> internet plain HTTP through the NAT", BACKEND_TASK, ECR_API, 80, 45678, NAT_A),
        ("task -> internet with a sub-32768 source port", BACKEND_TASK, ECR_API, 443, 2000, NAT_A),
    ],
)
def test_004_R4_refused_flows_fail(
    what: str, src: str, dst: str, port: int, src_port: int, nat: str | None
) -> None:
    assert not flow_allowed(LAYOUT, src, dst, port, src_port=src_port, nat=nat), what


def test_004_R4_traffic_within_one_subnet_crosses_no_acl() -> None:
    locked = AclLayout(subnets=LAYOUT.subnets, rules={"public": (), "private": ()})
    assert flow_allowed(locked, BACKEND_TASK, DB_WRITER, 5432)  # both in 10.0.101.0/24
    assert not flow_allowed(locked, BACKEND_TASK, DB_READER, 5432)


def test_packet_evaluation_is_first_match_by_rule_number_then_implicit_deny() -> None:
    rules = [
        AclRule(200, False, "tcp", "0.0.0.0/0", 0, 65535, "allow all"),
        AclRule(100, False, "tcp", "203.0.113.0/24", 443, 443, "deny one net", action="deny"),
    ]
    assert packet_allowed(rules, False, "203.0.113.9", 443) is False  # rule 100 decides first
    assert packet_allowed(rules, False, "198.51.100.1", 443) is True
    assert packet_allowed(rules, True, "198.51.100.1", 443) is False  # no egress rule: denied
    assert packet_allowed([AclRule(1, True, "-1", "10.0.0.0/16", 0, 0, "all")], True, "10.0.9.9", 5) is True


def test_004_R4_every_acl_allows_ephemeral_returns_in_both_directions() -> None:
    for tier, rules in tier_rules(VPC).items():
        inbound = [r for r in rules if not r.egress and r.cidr == "0.0.0.0/0" and r.to_port == 65535]
        outbound = [r for r in rules if r.egress and (r.protocol == "-1" or r.to_port == 65535)]
        assert inbound and outbound, tier
    public = tier_rules(VPC)["public"]
    assert packet_allowed(public, True, VIEWER, 50000)  # ALB's reply to a viewer port


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="numbers are 1-32766"):
        AclRule(0, False, "tcp", VPC, 1, 2, "x")
    with pytest.raises(ValueError, match="ports"):
        AclRule(1, False, "tcp", VPC, 10, 2, "x")
    with pytest.raises(ValueError):
        AclRule(1, False, "tcp", "not-a-cidr", 1, 2, "x")
    with pytest.raises(ValueError, match="not in a subnet"):
        flow_allowed(LAYOUT, BACKEND_TASK, ECR_API, 443, nat="192.0.2.1")


@pytest.fixture(scope="module")
def graph() -> Graph:
    def program() -> None:
        NetworkAcls(
            "acls",
            NetworkAclsArgs(
                scope=Scope("dev", "123456789012", "us-west-2"),
                vpc_id="vpc-1",
                vpc_cidr=VPC,
                subnet_ids={"public": ["subnet-a", "subnet-b"], "private": ["subnet-c", "subnet-d"]},
            ),
        )

    return capture_fn(program)


def test_004_R4_the_component_writes_exactly_the_rules_the_judge_evaluates(graph: Graph) -> None:
    acls = {a.inputs["tags"]["Name"]: a for a in graph.by_type("aws:ec2/networkAcl:NetworkAcl")}
    assert sorted(acls) == ["private-acl-dev", "public-acl-dev"]
    assert acls["public-acl-dev"].inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    written = {
        (r.name.split("-")[1], r.inputs["egress"], r.inputs["ruleNumber"]): r.inputs
        for r in graph.by_type("aws:ec2/networkAclRule:NetworkAclRule")
    }
    expected = {
        (tier, rule.egress, rule.number): rule for tier, rules in tier_rules(VPC).items() for rule in rules
    }
    assert written.keys() == expected.keys()
    assert len(written) == 13  # public 5 in + 4 out, private 2 in + 2 out
    public_ephemeral = written[("public", False, 131)]
    assert (public_ephemeral["fromPort"], public_ephemeral["toPort"]) == (3390, 65535)
    private_return = written[("private", False, 130)]
    assert (private_return["cidrBlock"], private_return["fromPort"]) == ("0.0.0.0/0", 32768)


def test_duplicate_rule_numbers_are_refused() -> None:
    rule = AclRule(100, False, "tcp", VPC, 1, 2, "x")
    with pytest.raises(ValueError, match="repeat"):
        NetworkAclsArgs(
            scope=Scope("dev", "123456789012", "us-west-2"),
            vpc_id="vpc-1",
            vpc_cidr=VPC,
            subnet_ids={"public": [], "private": []},
            rules={"public": (rule, rule)},
        )
