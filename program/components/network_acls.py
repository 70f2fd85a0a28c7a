"""NetworkAcls: stateless subnet ACLs for a public/private VPC, with the rules as data and a judge.

Network ACLs do not track connections: every reply is a packet of its own that must be allowed
on the way back, to the sender's ephemeral port (004-R4). The rules here are coarse, per tier
(seed 004's layout: ALB and NAT gateways in the public subnets; tasks, the database and the VPC
link's interfaces in the private ones):

- public in: HTTP/HTTPS from anywhere (CloudFront's edges reach the ALB; an ACL cannot name a
  prefix list, the ALB's security group narrows it), everything from the VPC (tasks' traffic the
  NAT forwards, replies of tasks to the ALB), ephemeral TCP from anywhere except 3389 (replies to
  the NAT and to the ALB's connections; no admin port open to the internet); public out:
  ephemeral TCP to anywhere (replies to viewers), HTTP and HTTPS to anywhere (the NAT forwarding
  the tasks' calls), everything to the VPC.
- private in: everything from the VPC, and from anywhere only TCP 32768-65535, the Linux
  ephemeral range the tasks' own connections use (``ip_local_port_range`` 32768-60999), which is
  where replies through the NAT land; so the internet cannot open the container or database ports
  even if a security group were wrong. private out: everything to the VPC, HTTPS to anywhere
  (ECR, Secrets Manager, SSM, CloudWatch Logs through the NAT).

:func:`packet_allowed` evaluates one ACL the way EC2 does (lowest rule number first, first match
decides, implicit deny); :func:`flow_allowed` follows a TCP conversation, request and reply,
across the subnets it crosses (optionally through a NAT gateway). Both are pure and unit-tested
on every flow the system needs and on flows it must refuse.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from program.scope import Scope

ANYWHERE = "0.0.0.0/0"
ALL_PORTS = (0, 65535)
# What ELB, NAT gateways and most clients pick from (EC2 docs, "Ephemeral ports").
EPHEMERAL = (1024, 65535)
# Linux's default ip_local_port_range (32768-60999), rounded up to the top: the tasks' own sockets.
LINUX_EPHEMERAL = (32768, 65535)
RDP = 3389
Protocol = Literal["tcp", "-1"]
Tier = Literal["public", "private"]


@dataclass(frozen=True)
class AclRule:
    number: int
    egress: bool
    protocol: Protocol
    cidr: str
    from_port: int
    to_port: int
    reason: str
    action: Literal["allow", "deny"] = "allow"

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 32766:
            raise ValueError(f"ACL rule {self.number}: numbers are 1-32766")
        if not 0 <= self.from_port <= self.to_port <= 65535:
            raise ValueError(f"ACL rule {self.number}: ports {self.from_port}-{self.to_port}")
        ipaddress.ip_network(self.cidr)  # raises on a bad block

    def matches(self, egress: bool, peer: str, protocol: str, port: int) -> bool:
        """Does this rule apply to a packet to/from ``peer`` (the other end) with destination ``port``?"""
        if self.egress != egress or ipaddress.ip_address(peer) not in ipaddress.ip_network(self.cidr):
            return False
        if self.protocol == "-1":
            return True
        return self.protocol == protocol and self.from_port <= port <= self.to_port


def tier_rules(vpc_cidr: str) -> dict[Tier, tuple[AclRule, ...]]:
    """The rules of each tier's ACL (see the module docstring for why each exists)."""
    low, high = EPHEMERAL
    linux_low, linux_high = LINUX_EPHEMERAL
    public = (
        AclRule(100, False, "tcp", ANYWHERE, 80, 80, "HTTP to the ALB (CloudFront, no certificate)"),
        AclRule(110, False, "tcp", ANYWHERE, 443, 443, "HTTPS to the ALB"),
        AclRule(120, False, "-1", vpc_cidr, 0, 0, "the VPC: tasks via the NAT, replies to the ALB"),
        # Replies to the NAT's and the ALB's own connections, around RDP's 3389 (FSBP EC2.21): a
        # NAT translation that picks 3389 (1 in 64,511) fails and the client retries.
        AclRule(130, False, "tcp", ANYWHERE, low, RDP - 1, "replies to the NAT and the ALB (below 3389)"),
        AclRule(131, False, "tcp", ANYWHERE, RDP + 1, high, "replies to the NAT and the ALB (above 3389)"),
        AclRule(100, True, "tcp", ANYWHERE, low, high, "replies to viewers and CloudFront"),
        AclRule(110, True, "tcp", ANYWHERE, 443, 443, "the NAT forwards the tasks' HTTPS calls"),
        AclRule(115, True, "tcp", ANYWHERE, 80, 80, "the NAT forwards HTTP (package mirrors)"),
        AclRule(120, True, "-1", vpc_cidr, 0, 0, "the VPC: ALB to tasks, NAT replies to tasks"),
    )
    private = (
        AclRule(100, False, "-1", vpc_cidr, 0, 0, "the VPC: ALB and VPC link to tasks, tasks to the DB"),
        AclRule(
            130, False, "tcp", ANYWHERE, linux_low, linux_high, "replies through the NAT to tasks' sockets"
        ),
        AclRule(100, True, "-1", vpc_cidr, 0, 0, "the VPC: replies, tasks to the DB and to the ALB"),
        AclRule(110, True, "tcp", ANYWHERE, 443, 443, "tasks' HTTPS calls to AWS APIs through the NAT"),
    )
    return {"public": public, "private": private}


def packet_allowed(
    rules: Sequence[AclRule], egress: bool, peer: str, port: int, protocol: str = "tcp"
) -> bool:
    """EC2's evaluation: rules by number, the first that matches decides; none matching denies."""
    for rule in sorted((r for r in rules if r.egress == egress), key=lambda r: r.number):
        if rule.matches(egress, peer, protocol, port):
            return rule.action == "allow"
    return False


@dataclass(frozen=True)
class AclLayout:
    """Which subnet CIDRs belong to which tier, and each tier's rules."""

    subnets: Mapping[Tier, Sequence[str]]
    rules: Mapping[Tier, Sequence[AclRule]]

    def subnet_of(self, ip: str) -> tuple[Tier, str] | None:
        address = ipaddress.ip_address(ip)
        for tier, cidrs in self.subnets.items():
            for cidr in cidrs:
                if address in ipaddress.ip_network(cidr):
                    return tier, cidr
        return None  # outside the VPC's subnets: the internet

    def _crosses(self, src: str, dst: str, port: int) -> bool:
        """One packet src -> dst:port; ACLs apply only where it leaves or enters a subnet."""
        source, target = self.subnet_of(src), self.subnet_of(dst)
        if source is not None and source == target:
            return True  # within one subnet no ACL is evaluated
        out_ok = source is None or packet_allowed(self.rules[source[0]], True, dst, port)
        in_ok = target is None or packet_allowed(self.rules[target[0]], False, src, port)
        return out_ok and in_ok


def flow_allowed(
    layout: AclLayout,
    src: str,
    dst: str,
    port: int,
    src_port: int = 49152,
    nat: str | None = None,
    nat_port: int = 1024,
) -> bool:
    """A TCP conversation src:src_port -> dst:port and its replies, through ``nat`` when given.

    Through a NAT gateway the request crosses src's subnet out, the NAT subnet in and out; the
    reply arrives at the NAT on ``nat_port`` (its own pick, 1024-65535) and is forwarded to
    src:src_port with the internet address as its source.
    """
    if nat is None:
        return layout._crosses(src, dst, port) and layout._crosses(dst, src, src_port)
    nat_subnet = layout.subnet_of(nat)
    if nat_subnet is None:
        raise ValueError(f"NAT {nat} is not in a subnet of the layout")
    nat_rules = layout.rules[nat_subnet[0]]
    # Within the NAT's own subnet the hop to the NAT crosses no ACL.
    same_subnet = layout.subnet_of(src) == nat_subnet
    request = (
        same_subnet or (_out(layout, src, dst, port) and packet_allowed(nat_rules, False, src, port))
    ) and packet_allowed(nat_rules, True, dst, port)
    reply = packet_allowed(nat_rules, False, dst, nat_port) and (
        same_subnet or (packet_allowed(nat_rules, True, src, src_port) and _in(layout, dst, src, src_port))
    )
    return request and reply


def _out(layout: AclLayout, src: str, peer: str, port: int) -> bool:
    source = layout.subnet_of(src)
    return source is None or packet_allowed(layout.rules[source[0]], True, peer, port)


def _in(layout: AclLayout, peer: str, dst: str, port: int) -> bool:
    target = layout.subnet_of(dst)
    return target is None or packet_allowed(layout.rules[target[0]], False, peer, port)


@dataclass(frozen=True)
class NetworkAclsArgs:
    scope: Scope
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Mapping[Tier, Sequence[pulumi.Input[str]]]
    rules: Mapping[Tier, Sequence[AclRule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tier, rules in self.effective_rules.items():
            keys = [(rule.egress, rule.number) for rule in rules]
            if len(set(keys)) != len(keys):
                raise ValueError(f"NetworkAcls {tier}: rule numbers repeat within a direction")

    @property
    def effective_rules(self) -> Mapping[Tier, Sequence[AclRule]]:
        return self.rules or tier_rules(self.vpc_cidr)


class NetworkAcls(pulumi.ComponentResource):
    """One ACL per tier, associated with that tier's subnets, and its rules as separate resources."""

    def __init__(self, name: str, args: NetworkAclsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:network_acls:NetworkAcls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.acls: dict[str, aws.ec2.NetworkAcl] = {}
        for tier, rules in args.effective_rules.items():
            acl = aws.ec2.NetworkAcl(
                f"{name}-{tier}",
                vpc_id=args.vpc_id,
                subnet_ids=list(args.subnet_ids[tier]),
                tags={"Name": args.scope.name(f"{tier}-acl")},
                opts=child,
            )
            self.acls[tier] = acl
            for rule in rules:
                aws.ec2.NetworkAclRule(
                    f"{name}-{tier}-{'out' if rule.egress else 'in'}-{rule.number}",
                    network_acl_id=acl.id,
                    rule_number=rule.number,
                    egress=rule.egress,
                    protocol=rule.protocol,
                    rule_action=rule.action,
                    cidr_block=rule.cidr,
                    from_port=rule.from_port,
                    to_port=rule.to_port,
                    opts=child,
                )
        self.register_outputs({tier: acl.id for tier, acl in self.acls.items()})
