"""Network exposure family: compliant baselines and one-field changes, over the stack graph."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import network_exposure as net
from unit.policy_pack import baselines as base
from unit.policy_pack.baselines import assert_sdk_input
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

LB = base.LOAD_BALANCER


@pytest.mark.parametrize("policy", net.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("network-exposure-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


# -- network-exposure-no-open-ingress -----------------------------------------------------------------


def inline(
    port: int = 443, cidr: str = "0.0.0.0/0", protocol: str = "tcp", to_port: int | None = None
) -> dict:
    return {
        "protocol": protocol,
        "fromPort": port,
        "toPort": port if to_port is None else to_port,
        "cidrBlocks": [cidr],
    }


def group(name: str, *ingress: dict[str, Any]) -> PolicyResource:
    return resource(net.SECURITY_GROUP, {"name": f"{name}-dev", "ingress": list(ingress)}, name)


def balancer(*groups: PolicyResource, resource_type: str = LB) -> PolicyResource:
    props = {"name": "api-dev", "securityGroups": [f"sg-{g.name}" for g in groups]}
    return resource(resource_type, props, "alb", deps={"securityGroups": list(groups)})


def vpc_rule(target: PolicyResource, name: str = "rule", **props: Any) -> PolicyResource:
    base = {"securityGroupId": f"sg-{target.name}", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    return resource(net.INGRESS_RULE, base | props, name, deps={"securityGroupId": [target]})


def test_web_ports_on_a_load_balancer_group_and_vpc_sources_pass() -> None:
    alb_sg = group("alb", inline(443), inline(80))
    fn_sg = group("fn")
    resources = [alb_sg, balancer(alb_sg), fn_sg, vpc_rule(fn_sg, cidrIpv4="10.0.0.0/16")]
    assert run_stack(net.no_open_ingress, resources).ok


def test_alb_module_load_balancer_also_counts() -> None:
    alb_sg = group("alb", inline(443))
    assert run_stack(net.no_open_ingress, [alb_sg, balancer(alb_sg, resource_type=net.LOAD_BALANCERS[1])]).ok


def test_web_port_open_on_a_group_no_load_balancer_uses_is_a_finding() -> None:
    sg = group("web", inline(443))
    outcome = run_stack(net.no_open_ingress, [sg])
    assert outcome.urns == [sg.urn]
    assert "ingress[0] allows ingress from 0.0.0.0/0 on tcp port 443" in outcome.messages[0]


@pytest.mark.parametrize(
    ("rule", "shown"),
    [
        (inline(22), "tcp port 22"),
        (inline(3389), "tcp port 3389"),
        (inline(80, to_port=443), "tcp ports 80-443"),
        (inline(0, protocol="-1", to_port=0), "all ports"),
        (
            inline(443, cidr="::/0", protocol="udp") | {"cidrBlocks": [], "ipv6CidrBlocks": ["::/0"]},
            "udp port 443",
        ),
    ],
)
def test_non_web_ingress_from_anywhere_on_a_load_balancer_group_is_a_finding(rule: dict, shown: str) -> None:
    alb_sg = group("alb", inline(443), rule)
    outcome = run_stack(net.no_open_ingress, [alb_sg, balancer(alb_sg)])
    assert len(outcome.messages) == 1
    assert "ingress[1] allows ingress from" in outcome.messages[0] and shown in outcome.messages[0]


def test_standalone_rules_in_both_styles_are_checked() -> None:
    alb_sg = group("alb")
    ipv6 = vpc_rule(alb_sg, "v6", cidrIpv6="::/0", fromPort=8080, toPort=8080)
    web = vpc_rule(alb_sg, "web", cidrIpv4="0.0.0.0/0")
    ssh_props = {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22}
    ssh = resource(
        net.GROUP_RULE,
        ssh_props | {"cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]},
        "ssh",
        deps={"securityGroupId": [alb_sg]},
    )
    egress = resource(
        net.GROUP_RULE, ssh_props | {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]}, "out", deps={}
    )
    outcome = run_stack(net.no_open_ingress, [alb_sg, balancer(alb_sg), ipv6, web, ssh, egress])
    assert outcome.urns == [ipv6.urn, ssh.urn]
    assert "from ::/0 on tcp port 8080" in outcome.messages[0]
    assert "from 0.0.0.0/0 on tcp port 22" in outcome.messages[1]


def test_rule_without_a_known_group_gets_no_web_port_exemption() -> None:
    rule = resource(
        net.INGRESS_RULE,
        {
            "securityGroupId": "sg-123",
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": "0.0.0.0/0",
        },
        "hardcoded",
    )
    assert run_stack(net.no_open_ingress, [rule]).urns == [rule.urn]


def test_web_ports_come_from_config() -> None:
    alb_sg = group("alb", inline(80))
    resources = [alb_sg, balancer(alb_sg)]
    assert run_stack(net.no_open_ingress, resources).ok
    outcome = run_stack(net.no_open_ingress, resources, config={"webPortsAllowed": [443]})
    assert len(outcome.messages) == 1 and "tcp port 80" in outcome.messages[0]


def test_unknown_cidr_in_preview_is_unknown() -> None:
    sg = group("fn")
    assert run_stack(net.no_open_ingress, [sg, vpc_rule(sg, cidrIpv4=UNKNOWN)]).unknown


def test_open_ingress_is_caught_when_an_unrelated_prop_is_unknown() -> None:
    sg = group("fn")
    outcome = run_stack(
        net.no_open_ingress,
        [sg, vpc_rule(sg, cidrIpv4="0.0.0.0/0", securityGroupId=UNKNOWN, fromPort=22, toPort=22)],
    )
    assert len(outcome.messages) == 1 and not outcome.unknown


def test_exemption_of_a_stack_finding_by_name() -> None:
    sg = group("bastion", inline(22))
    config = {"exemptions": [{"resource": "bastion", "reason": "break-glass bastion, removed after cutover"}]}
    assert run_stack(net.no_open_ingress, [sg], config=config).ok
    assert run_stack(net.no_open_ingress, [sg]).messages


# -- network-exposure-default-sg-closed ---------------------------------------------------------------


def vpc() -> PolicyResource:
    return resource(net.VPC, {"cidrBlock": "10.0.0.0/16"}, "vpc")


def default_group(target: PolicyResource, **props: Any) -> PolicyResource:
    base = {"vpcId": "vpc-1", "ingress": [], "egress": []}
    return resource(net.DEFAULT_SECURITY_GROUP, base | props, "default-sg", deps={"vpcId": [target]})


def test_adopted_and_stripped_default_group_passes() -> None:
    v = vpc()
    assert run_stack(net.default_group_closed, [v, default_group(v)]).ok


def test_absent_rule_lists_mean_the_provider_strips_them() -> None:
    v = vpc()
    stripped = resource(net.DEFAULT_SECURITY_GROUP, {"vpcId": "vpc-1"}, "default-sg", deps={"vpcId": [v]})
    assert run_stack(net.default_group_closed, [v, stripped]).ok


def test_vpc_without_an_adopted_default_group_is_a_finding() -> None:
    v = vpc()
    outcome = run_stack(net.default_group_closed, [v])
    assert outcome.urns == [v.urn] and "keeps its default security group" in outcome.messages[0]


def test_default_group_with_rules_is_a_finding() -> None:
    v = vpc()
    sg = default_group(
        v, egress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]
    )
    outcome = run_stack(net.default_group_closed, [v, sg])
    assert outcome.urns == [sg.urn] and "declares egress rules" in outcome.messages[0]


def test_standalone_rule_on_the_default_group_is_a_finding() -> None:
    v = vpc()
    sg = default_group(v)
    rule = vpc_rule(sg, cidrIpv4="10.0.0.0/16")
    outcome = run_stack(net.default_group_closed, [v, sg, rule])
    assert outcome.urns == [rule.urn] and "default security group" in outcome.messages[0]


def test_default_group_rules_are_caught_when_their_sources_are_unknown() -> None:
    v = vpc()
    sg = default_group(
        v, ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "securityGroups": [UNKNOWN]}]
    )
    outcome = run_stack(net.default_group_closed, [v, sg])
    assert outcome.urns == [sg.urn] and not outcome.unknown


def test_unknown_default_group_rules_in_preview_are_unknown() -> None:
    v = vpc()
    assert run_stack(net.default_group_closed, [v, default_group(v, ingress=UNKNOWN)]).unknown


# -- network-exposure-lambda-in-vpc -------------------------------------------------------------------


def function(name: str = "api", **props: Any) -> PolicyResource:
    base = {
        "name": f"{name}-dev",
        "runtime": "python3.13",
        "vpcConfig": {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
    }
    return resource(net.FUNCTION, base | props, name)


def test_000_R5_function_in_private_subnets_passes() -> None:
    assert run_stack(net.lambda_in_vpc, [function()]).ok


def test_subnet_ids_unknown_in_preview_still_decide() -> None:
    fn = function(vpcConfig={"subnetIds": [UNKNOWN, UNKNOWN], "securityGroupIds": [UNKNOWN]})
    assert run_stack(net.lambda_in_vpc, [fn]).ok


@pytest.mark.parametrize("vpc_config", [None, {"subnetIds": [], "securityGroupIds": []}])
def test_function_outside_a_vpc_is_a_finding(vpc_config: Any) -> None:
    fn = function(vpcConfig=vpc_config)
    outcome = run_stack(net.lambda_in_vpc, [fn])
    assert outcome.urns == [fn.urn] and "runs outside any VPC" in outcome.messages[0]


@pytest.mark.parametrize("behaviour", ["defaultCacheBehavior", "orderedCacheBehaviors"])
def test_000_R3_lambda_at_edge_is_exempt(behaviour: str) -> None:
    edge = function("edge-auth", vpcConfig=None, region="us-east-1", publish=True)
    regional = function("api", vpcConfig=None)
    cdn = resource(base.DISTRIBUTION, {"enabled": True}, "cdn", deps={behaviour: [edge]})
    assert run_stack(net.lambda_in_vpc, [edge, regional, cdn]).urns == [regional.urn]


def test_unknown_vpc_config_in_preview_is_unknown() -> None:
    assert run_stack(net.lambda_in_vpc, [function(vpcConfig=UNKNOWN)]).unknown


# -- network-exposure-subnet-no-public-ip -------------------------------------------------------------


def test_subnet_without_public_ips_passes() -> None:
    baseline = {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": False}
    assert run_resource(net.subnet_no_public_ip, net.SUBNET, baseline).ok
    del baseline["mapPublicIpOnLaunch"]
    assert run_resource(net.subnet_no_public_ip, net.SUBNET, baseline).ok


def test_subnet_mapping_public_ips_is_a_finding() -> None:
    props = {"vpcId": UNKNOWN, "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": True}
    outcome = run_resource(net.subnet_no_public_ip, net.SUBNET, props)
    assert len(outcome.messages) == 1 and "mapPublicIpOnLaunch is true" in outcome.messages[0]


def test_unknown_map_public_ip_in_preview_is_unknown() -> None:
    assert run_resource(net.subnet_no_public_ip, net.SUBNET, {"mapPublicIpOnLaunch": UNKNOWN}).unknown


# -- network-exposure-nacl-admin-ports -------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "prop"),
    [
        (base.NETWORK_ACL, "ingress"),
        (base.DEFAULT_NETWORK_ACL, "ingress"),
        (base.NETWORK_ACL_RULE, "ruleAction"),
    ],
)
def test_the_nacl_properties_are_sdk_inputs(token: str, prop: str) -> None:
    assert_sdk_input(token, prop)


@pytest.mark.parametrize("token", [base.NETWORK_ACL, base.DEFAULT_NETWORK_ACL])
def test_nacl_with_https_and_ephemeral_ports_passes(token: str) -> None:
    assert run_resource(net.nacl_admin_ports, token, base.network_acl_props()).ok


@pytest.mark.parametrize(
    ("entry", "opening"),
    [
        ({"fromPort": 22, "toPort": 22}, "port 22 (SSH) from 0.0.0.0/0"),
        ({"fromPort": 1024, "toPort": 65535}, "port 3389 (RDP) from 0.0.0.0/0"),
        ({"protocol": "-1", "fromPort": 0, "toPort": 0}, "port 22 (SSH) from 0.0.0.0/0"),
        (
            {"cidrBlock": None, "ipv6CidrBlock": "::/0", "fromPort": 3389, "toPort": 3389},
            "port 3389 (RDP) from ::/0",
        ),
    ],
)
def test_nacl_entry_opening_an_admin_port_to_the_internet_is_a_finding(
    entry: dict[str, Any], opening: str
) -> None:
    props = base.network_acl_props()
    rule = {k: v for k, v in (props["ingress"][1] | entry).items() if v is not None}
    props["ingress"][1] = rule
    messages = run_resource(net.nacl_admin_ports, base.NETWORK_ACL, props).messages
    assert any(m.startswith(f"ingress[1] allows {opening}") for m in messages), messages


@pytest.mark.parametrize("entry", [{"action": "deny"}, {"cidrBlock": "10.0.0.0/16"}, {"protocol": "udp"}])
def test_denied_narrow_or_udp_entries_pass(entry: dict[str, Any]) -> None:
    props = base.network_acl_props({"ingress.1.fromPort": 22, "ingress.1.toPort": 22})
    props["ingress"][1] |= entry
    assert run_resource(net.nacl_admin_ports, base.NETWORK_ACL, props).ok


def standalone(**change: Any) -> dict[str, Any]:
    rule = {"networkAclId": "acl-0a1b2c3d", "ruleNumber": 120, "egress": False, "protocol": "tcp"}
    return rule | {"ruleAction": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 22, "toPort": 22} | change


def test_standalone_nacl_rule_opening_ssh_is_a_finding() -> None:
    (message,) = run_resource(net.nacl_admin_ports, base.NETWORK_ACL_RULE, standalone()).messages
    assert message.startswith("rule allows port 22 (SSH) from 0.0.0.0/0")


def test_standalone_egress_rule_is_not_ingress() -> None:
    assert run_resource(net.nacl_admin_ports, base.NETWORK_ACL_RULE, standalone(egress=True)).ok


def test_unknown_nacl_cidr_in_preview_is_unknown() -> None:
    assert run_resource(net.nacl_admin_ports, base.NETWORK_ACL_RULE, standalone(cidrBlock=UNKNOWN)).unknown


# -- network-exposure-alb-drop-invalid-headers -----------------------------------------------

LB = base.LOAD_BALANCER
LB_PROPS = {"name": "web-dev", "loadBalancerType": "application", "dropInvalidHeaderFields": True}


def test_alb_dropping_invalid_headers_passes() -> None:
    assert_sdk_input(LB, "dropInvalidHeaderFields")
    assert run_resource(net.alb_drop_invalid_headers, LB, LB_PROPS).ok


@pytest.mark.parametrize("flag", [False, None])
def test_alb_forwarding_invalid_headers_is_a_finding(flag: Any) -> None:
    props = {k: v for k, v in (LB_PROPS | {"dropInvalidHeaderFields": flag}).items() if v is not None}
    (message,) = run_resource(net.alb_drop_invalid_headers, LB, props).messages
    assert "dropInvalidHeaderFields=True" in message


def test_network_load_balancers_parse_no_http() -> None:
    props = {"name": "nlb-dev", "loadBalancerType": "network"}
    assert run_resource(net.alb_drop_invalid_headers, LB, props).ok


def test_unknown_header_flag_in_preview_is_unknown() -> None:
    props = LB_PROPS | {"dropInvalidHeaderFields": UNKNOWN}
    assert run_resource(net.alb_drop_invalid_headers, LB, props).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # network-exposure-no-open-ingress: SSH open to the internet inline, Postgres by a standalone rule
    cat.add(
        base.SECURITY_GROUP,
        "ssh-open",
        {
            "name": base.physical("ssh-open"),
            "vpcId": base.VPC_ID,
            "description": "ssh",
            "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}],
        },
        deps={"vpcId": [base.MAIN_VPC_URN]},
        violates=["network-exposure-no-open-ingress"],
    )
    cat.add(
        base.INGRESS_RULE,
        "postgres-open",
        {
            "securityGroupId": base.APP_SG_ID,
            "ipProtocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
            "cidrIpv4": "0.0.0.0/0",
        },
        deps={"securityGroupId": [base.APP_SG_URN]},
        violates=["network-exposure-no-open-ingress"],
    )
    # network-exposure-default-sg-closed: a VPC whose default security group is not adopted
    unadopted = base.vpc(cat, "unadopted", without=["default-sg"])
    cat.expect("network-exposure-default-sg-closed", unadopted, "keeps its default security group")
    # network-exposure-lambda-in-vpc: a regional function outside any VPC
    base.function(cat, "outside-vpc", change={"vpcConfig": None}, violates=["network-exposure-lambda-in-vpc"])
    # network-exposure-subnet-no-public-ip: public IPs on launch
    cat.add(
        base.SUBNET,
        "public-a",
        {
            "vpcId": base.VPC_ID,
            "cidrBlock": "10.0.101.0/24",
            "availabilityZone": f"{base.REGION}a",
            "mapPublicIpOnLaunch": True,
        },
        deps={"vpcId": [base.MAIN_VPC_URN]},
        violates=["network-exposure-subnet-no-public-ip"],
    )
    # network-exposure-nacl-admin-ports: SSH from anywhere on a NACL
    cat.add(base.NETWORK_ACL, "public", base.network_acl_props())  # control
    cat.add(
        base.NETWORK_ACL,
        "ssh-acl",
        base.network_acl_props({"ingress.0.fromPort": 22, "ingress.0.toPort": 22}),
        violates=["network-exposure-nacl-admin-ports"],
    )
    # network-exposure-alb-drop-invalid-headers: invalid headers forwarded
    base.load_balancer(
        cat,
        "lax-headers",
        change={"dropInvalidHeaderFields": False},
        violates=["network-exposure-alb-drop-invalid-headers"],
    )
