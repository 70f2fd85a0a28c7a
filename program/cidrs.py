"""Subnet plans for the VPC: pure CIDR arithmetic, no Pulumi."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# How private subnets reach the internet: a NAT per AZ, one NAT, or none (VPC endpoints only).
NatMode = Literal["per-az", "single", "none"]
NAT_MODES: tuple[NatMode, ...] = ("per-az", "single", "none")
# AWS accepts VPC blocks from /16 to /28; six subnets of at least /28 need /24 or larger.
MIN_VPC_PREFIX, MAX_VPC_PREFIX = 16, 24
# Each subnet is 1/16 of the VPC: room for up to 8 AZs of public and private subnets.
SUBNET_BITS = 4
# AWS subnets are /16 to /28 (VPC docs, "Subnet CIDR blocks").
MIN_SUBNET_PREFIX, MAX_SUBNET_PREFIX = 16, 28
THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")


def not_a_vpc_range(network: ipaddress.IPv4Network) -> str | None:
    """Why ``network`` cannot be a VPC (or subnet) block, or None: loopback, link-local,
    multicast, reserved (240/4) and 0.0.0.0/8 are refused by CreateVpc (VPC docs, "VPC CIDR blocks")."""
    kinds = (
        ("loopback", network.is_loopback),
        ("link-local", network.is_link_local),
        ("multicast", network.is_multicast),
        ("reserved", network.is_reserved),
        ("'this network' (0.0.0.0/8)", network.subnet_of(THIS_NETWORK)),
    )
    return next((kind for kind, hit in kinds if hit), None)


@dataclass(frozen=True)
class SubnetPlan:
    public: tuple[str, ...]
    private: tuple[str, ...]


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Public subnets from the bottom of the VPC block, private ones from its middle."""
    network = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(network.subnets(prefixlen_diff=SUBNET_BITS))
    half = len(blocks) // 2
    return SubnetPlan(
        public=tuple(str(b) for b in blocks[:az_count]),
        private=tuple(str(b) for b in blocks[half : half + az_count]),
    )


def overlaps(cidrs: Sequence[str]) -> tuple[str, str] | None:
    """The first pair of overlapping blocks, or None."""
    networks = [ipaddress.IPv4Network(c) for c in cidrs]
    for i, first in enumerate(networks):
        for second in networks[i + 1 :]:
            if first.overlaps(second):
                return str(first), str(second)
    return None
