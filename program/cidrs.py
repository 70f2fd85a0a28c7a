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
