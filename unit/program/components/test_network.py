"""Network component, asserted on the captured graph (000-R13/R14/R22, 002-R1..R4, 003-R6, 004-R1/R4)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import CapturedResource, Graph
from program.cidrs import NatMode
from program.components.network import Network, NetworkArgs
from program.scope import Scope
from unit.conftest import capture_fn

KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/0000"


def network_graph(
    azs: int = 2,
    nat: NatMode = "per-az",
    interface: tuple[str, ...] = ("kinesis-streams",),
    acls: bool = False,
) -> Graph:
    zones = [f"us-west-2{letter}" for letter in "abc"[:azs]]

    def program() -> None:
        Network(
            "net",
            NetworkArgs(
                scope=Scope("dev", "123456789012", "us-west-2"),
                cidr="10.0.0.0/16",
                availability_zones=zones,
                public_subnet_cidrs=[f"10.0.{i}.0/24" for i in range(azs)],
                private_subnet_cidrs=[f"10.0.{100 + i}.0/24" for i in range(azs)],
                nat_gateways=nat,
                flow_log_kms_key_arn=KEY_ARN,
                interface_endpoints=interface,
                network_acls=acls,
            ),
        )

    return capture_fn(program)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return network_graph()


def subnets(graph: Graph, tier: str) -> list[CapturedResource]:
    return [s for s in graph.by_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == tier]


def ids(resources: list[CapturedResource]) -> set[str]:
    return {r.outputs["id"] for r in resources}


def routes_of(graph: Graph, table: CapturedResource) -> list[dict[str, Any]]:
    return [
        r.inputs
        for r in graph.by_type("aws:ec2/route:Route")
        if r.inputs["routeTableId"] == table.outputs["id"]
    ]


def test_000_R13_002_R4_vpc_resolves_and_names_dns(graph: Graph) -> None:
    vpc = graph.one("aws:ec2/vpc:Vpc").inputs
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True
    assert vpc["cidrBlock"] == "10.0.0.0/16"


def test_000_R13_public_and_private_subnets_in_two_distinct_azs(graph: Graph) -> None:
    for tier in ("public", "private"):
        zones = [s.inputs["availabilityZone"] for s in subnets(graph, tier)]
        assert len(zones) == 2 and len(set(zones)) == 2


def test_no_subnet_maps_public_ips(graph: Graph) -> None:
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in graph.by_type("aws:ec2/subnet:Subnet"))


def test_000_R14_a_nat_gateway_per_az_in_the_public_subnets(graph: Graph) -> None:
    nats = graph.by_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 2
    assert {n.inputs["subnetId"] for n in nats} == ids(subnets(graph, "public"))
    eips = ids(graph.by_type("aws:ec2/eip:Eip"))
    assert {n.inputs["allocationId"] for n in nats} == eips


def test_002_R2_each_private_route_table_leaves_through_its_own_azs_nat(graph: Graph) -> None:
    nat_by_subnet = {
        n.inputs["subnetId"]: n.outputs["id"] for n in graph.by_type("aws:ec2/natGateway:NatGateway")
    }
    zone_of = {s.outputs["id"]: s.inputs["availabilityZone"] for s in graph.by_type("aws:ec2/subnet:Subnet")}
    nat_zone = {nat: zone_of[subnet] for subnet, nat in nat_by_subnet.items()}
    associations = {
        a.inputs["routeTableId"]: a.inputs["subnetId"]
        for a in graph.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    for subnet in subnets(graph, "private"):
        table = next(t for t, s in associations.items() if s == subnet.outputs["id"])
        (route,) = [r for r in graph.by_type("aws:ec2/route:Route") if r.inputs["routeTableId"] == table]
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert nat_zone[route.inputs["natGatewayId"]] == subnet.inputs["availabilityZone"]


def test_000_R22_private_route_tables_have_no_internet_gateway_route(graph: Graph) -> None:
    igw = graph.one("aws:ec2/internetGateway:InternetGateway").outputs["id"]
    public_table = graph.one("aws:ec2/routeTable:RouteTable", "net-public-rt")
    assert [r["gatewayId"] for r in routes_of(graph, public_table)] == [igw]
    for table in graph.by_type("aws:ec2/routeTable:RouteTable"):
        if table is not public_table:
            assert all("gatewayId" not in r for r in routes_of(graph, table))


def test_000_R6_000_R11_gateway_endpoints_on_every_private_route_table(graph: Graph) -> None:
    private_tables = {
        t.outputs["id"] for t in graph.by_type("aws:ec2/routeTable:RouteTable") if "private" in t.name
    }
    gateways = {
        e.inputs["serviceName"]: e.inputs
        for e in graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Gateway"
    }
    assert set(gateways) == {"com.amazonaws.us-west-2.s3", "com.amazonaws.us-west-2.dynamodb"}
    for endpoint in gateways.values():
        assert set(endpoint["routeTableIds"]) == private_tables and len(private_tables) == 2


def test_001_R10_interface_endpoints_sit_in_private_subnets_behind_https_from_the_vpc(graph: Graph) -> None:
    endpoint = graph.one("aws:ec2/vpcEndpoint:VpcEndpoint", "net-kinesis-streams-endpoint").inputs
    assert endpoint["vpcEndpointType"] == "Interface" and endpoint["privateDnsEnabled"] is True
    assert set(endpoint["subnetIds"]) == ids(subnets(graph, "private"))
    group = graph.one("aws:ec2/securityGroup:SecurityGroup", "net-endpoints-sg")
    assert endpoint["securityGroupIds"] == [group.outputs["id"]]
    (rule,) = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == group.outputs["id"]
    assert (rule.inputs["cidrIpv4"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
        "10.0.0.0/16",
        443,
        443,
    )


def test_default_security_group_is_stripped_of_all_rules(graph: Graph) -> None:
    default = graph.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["vpcId"] == graph.one("aws:ec2/vpc:Vpc").outputs["id"]
    assert default.get("ingress", []) == [] and default.get("egress", []) == []


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(graph: Graph) -> None:
    group = graph.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == KEY_ARN
    assert group.inputs["retentionInDays"] == 30
    assert group.inputs["name"] == "vpc-flow-logs-dev"
    flow = graph.one("aws:ec2/flowLog:FlowLog").inputs
    assert flow["logDestination"] == group.outputs["arn"] and flow["trafficType"] == "ALL"
    role = graph.one("aws:iam/role:Role")
    assert flow["iamRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = json.loads(graph.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":log-stream:*"]
    assert all("*" not in action for action in statement["Action"])


@pytest.mark.parametrize(("nat", "expected"), [("single", 1), ("none", 0)])
def test_003_R6_nat_layouts(nat: NatMode, expected: int) -> None:
    graph = network_graph(nat=nat)
    nats = graph.by_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == expected
    nat_routes = [r for r in graph.by_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(nat_routes) == (2 if expected else 0)
    assert {r.inputs["natGatewayId"] for r in nat_routes} == ids(nats)


def test_002_R1_004_R1_three_azs_give_six_subnets_in_three_zones() -> None:
    graph = network_graph(azs=3)
    subnet_list = graph.by_type("aws:ec2/subnet:Subnet")
    assert len(subnet_list) == 6
    assert len({s.inputs["availabilityZone"] for s in subnet_list}) == 3
    assert len(graph.by_type("aws:ec2/natGateway:NatGateway")) == 3


def test_004_R4_network_acls_allow_ephemeral_return_traffic_both_ways() -> None:
    graph = network_graph(acls=True)
    acls = graph.by_type("aws:ec2/networkAcl:NetworkAcl")
    assert len(acls) == 2
    rules = graph.by_type("aws:ec2/networkAclRule:NetworkAclRule")
    for acl in acls:
        mine = [r.inputs for r in rules if r.inputs["networkAclId"] == acl.outputs["id"]]
        inbound_ephemeral = [
            r for r in mine if not r["egress"] and (r["fromPort"], r["toPort"]) == (1024, 65535)
        ]
        outbound = [r for r in mine if r["egress"] and r["protocol"] == "-1"]
        assert inbound_ephemeral and outbound


def test_no_network_acls_unless_asked(graph: Graph) -> None:
    assert graph.by_type("aws:ec2/networkAcl:NetworkAcl") == []


def test_args_reject_one_az_and_mismatched_subnets() -> None:
    with pytest.raises(ValueError, match="2 or more distinct AZs"):
        NetworkArgs(Scope("dev", "1", "us-west-2"), "10.0.0.0/16", ["a"], ["x"], ["y"], "none", KEY_ARN)
    with pytest.raises(ValueError, match="one public and one private"):
        NetworkArgs(
            Scope("dev", "1", "us-west-2"), "10.0.0.0/16", ["a", "b"], ["x"], ["y", "z"], "none", KEY_ARN
        )


def test_component_children_are_parented_and_outputs_registered(graph: Graph) -> None:
    component = graph.one("webstack:network:Network")
    children = graph.children(component.urn)
    assert len(children) == len(graph.resources) - 2  # all but the default provider and the component
    assert component.custom is False


def test_flow_log_waits_for_its_roles_policy(graph: Graph) -> None:
    """Issue 9 A5: the flow log is created only once its role may write (no race with the policy)."""
    policy = graph.one("aws:iam/rolePolicy:RolePolicy", "net-flow-logs-policy")
    assert policy.urn in graph.one("aws:ec2/flowLog:FlowLog").options["dependencies"]


def test_000_R14_eips_and_nat_gateways_depend_on_the_internet_gateway(graph: Graph) -> None:
    """Issue 9 A5: the provider docs for aws_eip / aws_nat_gateway recommend an explicit depends_on
    the internet gateway; it also makes destroy remove the NATs before the gateway."""
    igw = graph.one("aws:ec2/internetGateway:InternetGateway").urn
    resources = [*graph.by_type("aws:ec2/eip:Eip"), *graph.by_type("aws:ec2/natGateway:NatGateway")]
    assert len(resources) == 4
    for resource in resources:
        assert igw in resource.options["dependencies"], resource.name
