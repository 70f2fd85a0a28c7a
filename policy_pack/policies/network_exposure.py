"""Network exposure family (advisory): what the internet can reach, and what sits outside the VPC.

No security group admits 0.0.0.0/0 or ::/0, except the web ports (80/443, policy config
`webPortsAllowed`) on a security group a load balancer uses; the default security group carries no
rules; regional Lambda functions run in a VPC (Lambda@Edge cannot, 000-R3); subnets do not hand out
public IPs. Which security group belongs to a load balancer, and which function is Lambda@Edge,
is read from property dependencies, so the rules decide in preview too. Network ACLs do not allow
the remote administration ports (22 SSH, 3389 RDP) from the internet (FSBP EC2.21), and
application load balancers drop HTTP headers that are not valid (request smuggling; FSBP ELB.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, of_type, referenced, resource_policy, stack_policy
from ._relations import FUNCTION, LOAD_BALANCERS, VPC, dig, edge_functions, referrers

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SUBNET = "aws:ec2/subnet:Subnet"
ANYWHERE = frozenset({"0.0.0.0/0", "::/0"})
ALL_PROTOCOLS = frozenset({"-1", "all"})
TCP = frozenset({"tcp", "6"})
WEB_PORTS = [80, 443]
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


@dataclass(frozen=True)
class Ingress:
    """One ingress permission open to the internet, and the security groups it applies to."""

    where: PolicyResource
    label: str
    cidr: str
    protocol: str
    from_port: int | None
    to_port: int | None
    groups: frozenset[str]

    def ports(self) -> str:
        if self.protocol in ALL_PROTOCOLS:
            return "all ports"
        if self.from_port == self.to_port:
            return f"{self.protocol} port {self.from_port}"
        return f"{self.protocol} ports {self.from_port}-{self.to_port}"

    def only_port_in(self, allowed: Iterable[int]) -> bool:
        return self.protocol in TCP and self.from_port == self.to_port and self.from_port in set(allowed)


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def _open(
    where: PolicyResource, label: str, rule: Mapping[str, Any], cidr_props: Iterable[str], groups: set[str]
) -> Iterator[Ingress]:
    protocol = str(rule.get("protocol") or rule.get("ipProtocol") or "-1").lower()
    for prop in cidr_props:
        for cidr in as_list(rule.get(prop)):
            if cidr in ANYWHERE:
                yield Ingress(
                    where,
                    label,
                    str(cidr),
                    protocol,
                    _port(rule.get("fromPort")),
                    _port(rule.get("toPort")),
                    frozenset(groups),
                )


def open_ingress(resources: list[PolicyResource]) -> Iterator[Ingress]:
    """Every ingress permission from 0.0.0.0/0 or ::/0: inline, standalone (vpc and ec2 styles)."""
    for group in of_type(resources, SECURITY_GROUP):
        for index, rule in enumerate(as_list(group.props.get("ingress"))):
            yield from _open(group, f"ingress[{index}]", rule, ("cidrBlocks", "ipv6CidrBlocks"), {group.urn})
    for rule in of_type(resources, INGRESS_RULE):
        yield from _open(rule, "", rule.props, ("cidrIpv4", "cidrIpv6"), referenced(rule, "securityGroupId"))
    for rule in of_type(resources, GROUP_RULE):
        if rule.props.get("type") == "ingress":
            groups = referenced(rule, "securityGroupId")
            yield from _open(rule, "", rule.props, ("cidrBlocks", "ipv6CidrBlocks"), groups)


def _check_open_ingress(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    allowed = (args.get_config() or {}).get("webPortsAllowed", WEB_PORTS)
    balancer_groups: set[str] = set()
    for balancer in of_type(args.resources, *LOAD_BALANCERS):
        balancer_groups |= referenced(balancer, "securityGroups")
    for ingress in open_ingress(args.resources):
        if ingress.only_port_in(allowed) and ingress.groups and ingress.groups <= balancer_groups:
            continue
        where = f"{ingress.label} " if ingress.label else ""
        yield (
            ingress.where.urn,
            f"{where}allows ingress from {ingress.cidr} on {ingress.ports()}. Open the internet only to "
            f"ports {sorted(allowed)} of a load balancer's security group; otherwise narrow the source to a "
            "VPC CIDR, a prefix list (e.g. CloudFront's origin-facing list) or a referenced security group.",
        )


def _check_default_group(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    adopted = referrers(args.resources, [DEFAULT_SECURITY_GROUP], "vpcId")
    for vpc in of_type(args.resources, VPC):
        if vpc.urn not in adopted:
            yield (
                vpc.urn,
                "keeps its default security group with AWS's rules (all traffic from itself, all egress). "
                "Adopt it with aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], egress=[]).",
            )
    default_groups = {group.urn for group in of_type(args.resources, DEFAULT_SECURITY_GROUP)}
    for group in of_type(args.resources, DEFAULT_SECURITY_GROUP):
        # Absent ingress/egress: the provider removes every rule when it adopts the group.
        rules = [d for d in ("ingress", "egress") if group.props.get(d)]
        if rules:
            yield group.urn, f"declares {' and '.join(rules)} rules: set ingress=[] and egress=[]."
    for rule in of_type(args.resources, INGRESS_RULE, EGRESS_RULE, GROUP_RULE):
        if referenced(rule, "securityGroupId") & default_groups:
            yield (
                rule.urn,
                "adds a rule to the default security group. Give the workload its own security group.",
            )


def _check_lambda_vpc(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    edge = edge_functions(args.resources)
    for function in of_type(args.resources, FUNCTION):
        # Only the list's length is read: subnet ids are unknown in preview, the list is not.
        if function.urn not in edge and not dig(function.props, "vpcConfig", "subnetIds"):
            yield (
                function.urn,
                "runs outside any VPC. Set vpcConfig.subnetIds (private subnets) and securityGroupIds; "
                "reach AWS services through VPC endpoints (000-R5).",
            )


def _nacl_admin_ports(rule: Mapping[str, Any], action_prop: str, cidr_props: Iterable[str]) -> list[str]:
    """The admin ports an allow entry opens to the internet: 'port 22 (SSH) from 0.0.0.0/0'..."""
    if str(rule.get(action_prop) or "").lower() != "allow":
        return []
    protocol = str(rule.get("protocol") or "").lower()
    if protocol not in TCP | ALL_PROTOCOLS:
        return []
    cidrs = [str(c) for prop in cidr_props for c in as_list(rule.get(prop)) if c in ANYWHERE]
    if not cidrs:
        return []
    # All protocols means all ports, whatever fromPort/toPort say (AWS ignores them then).
    low, high = (0, 65535) if protocol in ALL_PROTOCOLS else (rule.get("fromPort"), rule.get("toPort"))
    return [
        f"port {port} ({name}) from {cidr}"
        for port, name in ADMIN_PORTS.items()
        for cidr in cidrs
        if low is not None and high is not None and int(low) <= port <= int(high)
    ]


def _check_nacl(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == NETWORK_ACL_RULE:
        if args.props.get("egress") is True:
            return
        entries = [("rule", args.props, "ruleAction", ("cidrBlock", "ipv6CidrBlock"))]
    else:
        entries = [
            (f"ingress[{index}]", rule, "action", ("cidrBlock", "ipv6CidrBlock"))
            for index, rule in enumerate(as_list(args.props.get("ingress")))
        ]
    for label, rule, action_prop, cidr_props in entries:
        for opening in _nacl_admin_ports(rule, action_prop, cidr_props):
            yield (
                f"{label} allows {opening}. Remove the entry, or narrow its cidrBlock to the admin "
                "network; reach instances through SSM Session Manager instead of open admin ports."
            )


def _check_alb_headers(args: ResourceValidationArgs) -> Iterator[str]:
    # Network and gateway load balancers do not parse HTTP; absent means application.
    kind = args.props.get("loadBalancerType") or "application"
    if kind == "application" and args.props.get("dropInvalidHeaderFields") is not True:
        yield (
            "forwards HTTP headers that are not valid (dropInvalidHeaderFields is not true), which "
            "request-smuggling attacks rely on. Set dropInvalidHeaderFields=True."
        )


def _check_subnet(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: mapPublicIpOnLaunch defaults to false.
    if args.props.get("mapPublicIpOnLaunch") is True:
        yield (
            "mapPublicIpOnLaunch is true: every network interface launched here gets a public IP. Set it "
            "to false; NAT gateways use Elastic IPs and internet-facing load balancers get their own."
        )


no_open_ingress = stack_policy(
    "network-exposure-no-open-ingress",
    "No security group allows ingress from 0.0.0.0/0 or ::/0, except the web ports on a load "
    "balancer's security group.",
    _check_open_ingress,
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Narrow the rule's source to a CIDR, prefix list or security group; keep 80/443 for ALBs.",
    anchors=Anchors(
        cdk_nag=("AwsSolutions-EC23",),
        checkov=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"),
        fsbp=("EC2.18", "EC2.19"),
    ),
    config={
        "webPortsAllowed": {
            "type": "array",
            "items": {"type": "integer"},
            "default": WEB_PORTS,
            "description": "TCP ports that may be open to the internet on a load balancer's security group",
        }
    },
)

default_group_closed = stack_policy(
    "network-exposure-default-sg-closed",
    "Every VPC's default security group is adopted and has no rules.",
    _check_default_group,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id, ingress=[], egress=[]) for each VPC.",
    anchors=Anchors(
        cdk_nag=("NIST.800.53.R5-VPCDefaultSecurityGroupClosed",), checkov=("CKV2_AWS_12",), fsbp=("EC2.2",)
    ),
)

lambda_in_vpc = stack_policy(
    "network-exposure-lambda-in-vpc",
    "Regional Lambda functions run in a VPC (Lambda@Edge functions, which cannot, are exempt).",
    _check_lambda_vpc,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set vpcConfig with private subnetIds and a securityGroupId; add VPC endpoints it needs.",
    anchors=Anchors(
        cdk_nag=("NIST.800.53.R5-LambdaInsideVPC",), checkov=("CKV_AWS_117",), fsbp=("Lambda.3",)
    ),
)

subnet_no_public_ip = resource_policy(
    "network-exposure-subnet-no-public-ip",
    "Subnets do not assign public IPs on launch.",
    _check_subnet,
    types=[SUBNET],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set mapPublicIpOnLaunch=False.",
    anchors=Anchors(checkov=("CKV_AWS_130",), fsbp=("EC2.15",)),
)

nacl_admin_ports = resource_policy(
    "network-exposure-nacl-admin-ports",
    "Network ACLs do not allow SSH (22) or RDP (3389) from 0.0.0.0/0 or ::/0.",
    _check_nacl,
    types=[NETWORK_ACL, DEFAULT_NETWORK_ACL, NETWORK_ACL_RULE],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Remove NACL ingress entries that allow 22 or 3389 from the internet; use SSM Session "
    "Manager for administration.",
    anchors=Anchors(checkov=("CKV_AWS_232", "CKV_AWS_231"), fsbp=("EC2.21",)),
)

alb_drop_invalid_headers = resource_policy(
    "network-exposure-alb-drop-invalid-headers",
    "Application load balancers drop invalid HTTP header fields (dropInvalidHeaderFields).",
    _check_alb_headers,
    types=LOAD_BALANCERS,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set dropInvalidHeaderFields=True (drop_invalid_header_fields=True) on the lb.LoadBalancer.",
    anchors=Anchors(checkov=("CKV_AWS_131",), fsbp=("ELB.4",)),
)

POLICIES = [
    no_open_ingress,
    default_group_closed,
    lambda_in_vpc,
    subnet_no_public_ip,
    nacl_admin_ports,
    alb_drop_invalid_headers,
]
