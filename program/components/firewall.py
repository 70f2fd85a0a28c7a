"""Firewall: a security group and its rules, each rule a port (or range) from or to one peer.

A peer is another security group, a managed prefix list (a gateway endpoint's) or a CIDR block.
Every rule says why it exists (its description). Rules are separate ``aws.vpc`` rule resources,
never inline blocks, so a rule added later does not rewrite the group. ``connect`` writes the pair
a tier-to-tier hop needs (egress on the source, ingress on the target), so "Lambda -> proxy :5432"
is one call. Blueprints create their tier groups first and pass them to the tiers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from program.scope import Scope

_LABEL = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")  # fullmatch: no trailing newline


@dataclass(frozen=True)
class Peer:
    """The other end of a rule: exactly one of a group, a prefix list or a CIDR; ``label`` names it."""

    label: str
    security_group_id: pulumi.Input[str] | None = None
    prefix_list_id: pulumi.Input[str] | None = None
    cidr_ipv4: str | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.security_group_id, self.prefix_list_id, self.cidr_ipv4) if v is not None]
        if len(given) != 1:
            raise ValueError(f"Peer {self.label!r}: give exactly one of a group, a prefix list, a CIDR")
        if not _LABEL.fullmatch(self.label):
            raise ValueError(f"Peer label {self.label!r}: lowercase letters, digits and single hyphens")

    @staticmethod
    def group(label: str, group_id: pulumi.Input[str]) -> Peer:
        return Peer(label, security_group_id=group_id)

    @staticmethod
    def prefix_list(label: str, prefix_list_id: pulumi.Input[str]) -> Peer:
        return Peer(label, prefix_list_id=prefix_list_id)

    @staticmethod
    def cidr(block: str, label: str = "vpc") -> Peer:
        return Peer(label, cidr_ipv4=block)


@dataclass(frozen=True)
class Rule:
    """TCP ``port`` (to ``to_port`` for a range) from or to ``peer``, for ``reason``."""

    peer: Peer
    port: int
    reason: str
    to_port: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= self.last_port <= 65535:
            raise ValueError(f"Rule {self.peer.label}: ports {self.port}-{self.last_port} are not 0-65535")
        if not self.reason:
            raise ValueError(f"Rule {self.peer.label}: say why it exists (the rule's description)")

    @property
    def last_port(self) -> int:
        return self.port if self.to_port is None else self.to_port


def security_group(
    name: str, group_name: str, description: str, vpc_id: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """A group with no rules of its own (AWS's default allow-all egress is not written either)."""
    return aws.ec2.SecurityGroup(name, name=group_name, description=description, vpc_id=vpc_id, opts=opts)


def _rule(
    kind: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
    name: str,
    group_id: pulumi.Input[str],
    rule: Rule,
    opts: pulumi.ResourceOptions,
) -> aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule:
    peer = rule.peer
    return kind(
        name,
        security_group_id=group_id,
        ip_protocol="tcp",
        from_port=rule.port,
        to_port=rule.last_port,
        referenced_security_group_id=peer.security_group_id,
        prefix_list_id=peer.prefix_list_id,
        cidr_ipv4=peer.cidr_ipv4,
        description=rule.reason,
        opts=opts,
    )


def ingress(
    name: str, group_id: pulumi.Input[str], rule: Rule, opts: pulumi.ResourceOptions
) -> pulumi.Resource:
    """Traffic from ``rule.peer`` into the group."""
    return _rule(aws.vpc.SecurityGroupIngressRule, name, group_id, rule, opts)


def egress(
    name: str, group_id: pulumi.Input[str], rule: Rule, opts: pulumi.ResourceOptions
) -> pulumi.Resource:
    """Traffic from the group out to ``rule.peer``."""
    return _rule(aws.vpc.SecurityGroupEgressRule, name, group_id, rule, opts)


@dataclass(frozen=True)
class FirewallArgs:
    purpose: str  # the group is named <purpose>-<suffix>
    scope: Scope
    description: str
    vpc_id: pulumi.Input[str]
    ingress: Sequence[Rule] = field(default_factory=tuple)
    egress: Sequence[Rule] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for direction, rules in (("ingress", self.ingress), ("egress", self.egress)):
            labels = [rule.peer.label for rule in rules]
            if len(set(labels)) != len(labels):
                raise ValueError(
                    f"Firewall {self.purpose}: {direction} peer labels must be unique, got {labels}"
                )


class Firewall(pulumi.ComponentResource):
    """One security group (named after the component) and the rules on it.

    Rules are ``<name>-in-<label>`` and ``<name>-out-<label>``; ``allow_in``/``allow_out`` add more
    after construction (``connect`` uses them for the two ends of a hop).
    """

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:firewall:Firewall", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self.group = security_group(
            name, args.scope.name(args.purpose, "security-group"), args.description, args.vpc_id, self._child
        )
        self.id = self.group.id
        for rule in args.ingress:
            self.allow_in(rule)
        for rule in args.egress:
            self.allow_out(rule)
        self.register_outputs({"id": self.id})

    def allow_in(self, rule: Rule) -> pulumi.Resource:
        return ingress(f"{self._name}-in-{rule.peer.label}", self.id, rule, self._child)

    def allow_out(self, rule: Rule) -> pulumi.Resource:
        return egress(f"{self._name}-out-{rule.peer.label}", self.id, rule, self._child)


def connect(
    source: Firewall, source_label: str, target: Firewall, target_label: str, port: int, reason: str
) -> None:
    """``source`` may open TCP ``port`` to ``target``: egress on one, ingress on the other."""
    source.allow_out(Rule(Peer.group(target_label, target.id), port, reason))
    target.allow_in(Rule(Peer.group(source_label, source.id), port, reason))
