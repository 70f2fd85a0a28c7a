"""The stack's configuration: read once, validated before any resource is registered.

Every problem raises ConfigError (a ``pulumi.RunError``, so the engine prints one line and no
traceback) naming the key, the value and what is allowed. Unknown keys under ``webstack:`` are
errors too: a typo must not silently fall back to a default.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi

from program import cidrs, naming

NAMESPACE = "webstack"
NatMode = Literal["per-az", "single", "none"]
NAT_MODES: tuple[NatMode, ...] = ("per-az", "single", "none")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message is one line naming the key and what is allowed."""


@dataclass(frozen=True)
class BlueprintSpec:
    """What a blueprint needs from the stack: its seed's region and AZ counts, its NAT layout."""

    default_region: str
    az_counts: tuple[int, ...]
    nat_gateways: NatMode


BLUEPRINTS: dict[str, BlueprintSpec] = {
    # Seeds 000/001: us-west-2, at least 2 AZs, NAT gateways in the public subnets.
    "serverless-app": BlueprintSpec("us-west-2", (2, 3), "per-az"),
    # Seed 002: us-east-1, 3 AZs, a NAT per AZ.
    "catalog-api": BlueprintSpec("us-east-1", (3,), "per-az"),
    # Seed 003: us-east-1, 3 AZs, VPC endpoints instead of NAT.
    "stream-pipeline": BlueprintSpec("us-east-1", (3,), "none"),
    # Seed 004: ap-southeast-1, exactly 3 AZs, a NAT per AZ.
    "media-platform": BlueprintSpec("ap-southeast-1", (3,), "per-az"),
}

KEYS = (
    "blueprint",
    "environmentSuffix",
    "azCount",
    "vpcCidr",
    "publicSubnetCidrs",
    "privateSubnetCidrs",
    "natGateways",
    "alertEmail",
)
DEFAULT_VPC_CIDR = "10.0.0.0/16"


@dataclass(frozen=True)
class StackConfig:
    project: str
    blueprint: str
    environment_suffix: str
    region: str
    az_count: int
    vpc_cidr: str
    public_subnet_cidrs: tuple[str, ...]
    private_subnet_cidrs: tuple[str, ...]
    nat_gateways: NatMode
    alert_email: str | None = None


def _key(key: str) -> str:
    return f"{NAMESPACE}:{key}"


def _fail(key: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(f"{key}: {value!r} is not allowed; {allowed}")


def _cidr_list(values: Mapping[str, str], key: str, count: int) -> tuple[str, ...] | None:
    raw = values.get(_key(key))
    if raw is None:
        return None
    try:
        items = json.loads(raw)
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise _fail(_key(key), raw, "give a list of CIDR blocks, one per AZ")
    if len(items) != count:
        raise _fail(_key(key), items, f"give exactly {count} blocks, one per AZ")
    for item in items:
        _network(_key(key), item)
    return tuple(items)


def _network(key: str, value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value)
    except ValueError as error:
        raise _fail(key, value, f"give an IPv4 block such as 10.0.0.0/16 ({error})") from None


def parse_config(values: Mapping[str, str], project: str = "webstack") -> StackConfig:
    """Validate raw ``namespace:key`` -> string config (as the engine passes it)."""
    unknown = sorted(
        key for key in values if key.startswith(f"{NAMESPACE}:") and key.split(":", 1)[1] not in KEYS
    )
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key; {NAMESPACE}: takes {', '.join(KEYS)}")

    blueprint = values.get(_key("blueprint"))
    if blueprint not in BLUEPRINTS:
        raise _fail(_key("blueprint"), blueprint, f"choose one of {', '.join(BLUEPRINTS)}")
    spec = BLUEPRINTS[blueprint]

    suffix = values.get(_key("environmentSuffix"))
    if suffix is None:
        raise ConfigError(
            f"{_key('environmentSuffix')}: required; set it with "
            f"`pulumi config set {_key('environmentSuffix')} dev`"
        )
    problem = naming.validate_suffix(suffix)
    if problem:
        raise _fail(_key("environmentSuffix"), suffix, problem)

    region = values.get("aws:region", spec.default_region)
    if not REGION_PATTERN.match(region):
        raise _fail("aws:region", region, "give an AWS region such as us-west-2")

    raw_azs = values.get(_key("azCount"), str(spec.az_counts[0]))
    allowed_azs = " or ".join(str(n) for n in spec.az_counts)
    if not raw_azs.isdigit() or int(raw_azs) not in spec.az_counts:
        raise _fail(_key("azCount"), raw_azs, f"{blueprint} runs in {allowed_azs} AZs")
    az_count = int(raw_azs)

    vpc_cidr = values.get(_key("vpcCidr"), DEFAULT_VPC_CIDR)
    try:
        vpc = ipaddress.IPv4Network(vpc_cidr)
    except ValueError as error:
        raise _fail(_key("vpcCidr"), vpc_cidr, f"give an IPv4 block such as 10.0.0.0/16 ({error})") from None
    if not cidrs.MIN_VPC_PREFIX <= vpc.prefixlen <= cidrs.MAX_VPC_PREFIX:
        raise _fail(
            _key("vpcCidr"),
            vpc_cidr,
            f"the prefix must be /{cidrs.MIN_VPC_PREFIX} to /{cidrs.MAX_VPC_PREFIX}",
        )

    planned = cidrs.plan_subnets(vpc_cidr, az_count)
    public = _cidr_list(values, "publicSubnetCidrs", az_count) or planned.public
    private = _cidr_list(values, "privateSubnetCidrs", az_count) or planned.private
    for key, blocks in (("publicSubnetCidrs", public), ("privateSubnetCidrs", private)):
        for block in blocks:
            if not ipaddress.IPv4Network(block).subnet_of(vpc):
                raise _fail(_key(key), block, f"every subnet must lie inside vpcCidr {vpc_cidr}")
    clash = cidrs.overlaps(public + private)
    if clash:
        raise ConfigError(
            f"{_key('publicSubnetCidrs')}/{_key('privateSubnetCidrs')}: {clash[0]} overlaps "
            f"{clash[1]}; subnets must not overlap"
        )

    nat = values.get(_key("natGateways"), spec.nat_gateways)
    if nat not in NAT_MODES:
        raise _fail(_key("natGateways"), nat, f"choose one of {', '.join(NAT_MODES)}")

    email = values.get(_key("alertEmail"))
    if email is not None and not EMAIL_PATTERN.match(email):
        raise _fail(_key("alertEmail"), email, "give one e-mail address for alarm notifications")

    return StackConfig(
        project=project,
        blueprint=blueprint,
        environment_suffix=suffix,
        region=region,
        az_count=az_count,
        vpc_cidr=vpc_cidr,
        public_subnet_cidrs=public,
        private_subnet_cidrs=private,
        nat_gateways=nat,
        alert_email=email,
    )


def stack_values() -> dict[str, str]:
    """Every config value the engine gave this program (the SDK has no public listing)."""
    from pulumi.runtime import config as runtime_config

    values = {key: str(value) for key, value in runtime_config.get_config_env().items()}
    values.update({key: str(value) for key, value in runtime_config.CONFIG.get().items()})
    return values


def load_config() -> StackConfig:
    """The validated config of the running stack."""
    return parse_config(stack_values(), project=pulumi.get_project())
