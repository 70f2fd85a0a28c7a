"""The stack's shared configuration and the helpers every blueprint's parser uses.

Shared keys (blueprint, environmentSuffix, aws:region and the network keys) are parsed here; each
blueprint module (program/blueprints/<name>.py) declares its own keys, settings and parser, and
program/blueprints/__init__.py puts the two together. Every problem raises ConfigError (a
``pulumi.RunError``, so the engine prints one line and no traceback) naming the key, the value and
what is allowed. Unknown keys under ``webstack:`` are errors too: a typo must not silently fall
back to a default.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from program import cidrs, naming
from program.alarms import valid_email
from program.cidrs import NAT_MODES, NatMode

NAMESPACE = "webstack"
# AWS region codes: a geography, an optional partition marker, a direction, a number. Matched whole
# (fullmatch, ASCII digits): with ``$`` and ``\d`` "us-west-2\n" and non-ASCII digits would pass,
# and a free ``[a-z]{2}`` took "xx-fake-9".
REGION_PATTERN = re.compile(
    r"(af|ap|ca|cn|eu|eusc|il|me|mx|sa|us)(-gov|-iso|-isob|-isoe|-isof)?"
    r"-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]"
)
DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also takes "²" and "٣"
# What YAML reads as null and the engine may hand over as text: never a suffix.
YAML_NULLS = ("null", "none", "None", "Null", "NULL", "~", "")


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


@dataclass(frozen=True)
class Key:
    """One config key as the README's table shows it (the table is generated from these)."""

    name: str  # under webstack:, or a full "aws:..." key
    required: bool
    allowed: str
    default: str = ""

    @property
    def full(self) -> str:
        return self.name if ":" in self.name else f"{NAMESPACE}:{self.name}"


DEFAULT_VPC_CIDR = "10.0.0.0/16"
SHARED_KEYS = (
    Key("blueprint", True, ", ".join(BLUEPRINTS)),
    Key("environmentSuffix", True, "1-16 lowercase letters, digits, single hyphens"),
    Key("aws:region", False, "an AWS region code such as us-west-2", "the blueprint's seed region"),
    Key("azCount", False, "2 or 3 (serverless-app), 3 (the others)", "lowest allowed"),
    Key(
        "vpcCidr",
        False,
        "an IPv4 block /16 to /24, not loopback, link-local, multicast or reserved",
        f"`{DEFAULT_VPC_CIDR}`",
    ),
    Key(
        "publicSubnetCidrs",
        False,
        "JSON list, one /16 to /28 block per AZ, inside the VPC, not overlapping",
        "1/16 of the VPC each",
    ),
    Key(
        "privateSubnetCidrs",
        False,
        "JSON list, one /16 to /28 block per AZ, inside the VPC, not overlapping",
        "1/16 of the VPC each",
    ),
    Key("natGateways", False, ", ".join(NAT_MODES), "per-az (stream-pipeline: none)"),
)


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
    # The chosen blueprint's own settings (its module's frozen Settings), None until it is parsed.
    settings: object = None


def _key(key: str) -> str:
    return f"{NAMESPACE}:{key}"


def _fail(key: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(f"{key}: {value!r} is not allowed; {allowed}")


def fail(key: str, value: object, allowed: str) -> ConfigError:
    """The one-line error for ``webstack:<key>`` (blueprint parsers raise it)."""
    return _fail(_key(key), value, allowed)


def email(values: Mapping[str, str], key: str) -> str | None:
    """An optional e-mail address under ``webstack:<key>``."""
    value = values.get(_key(key))
    if value is not None and not valid_email(value):
        raise _fail(
            _key(key),
            value,
            "give one e-mail address for alarm notifications (a local part of at most 64 ASCII "
            "characters, @, a host name; 254 characters in all)",
        )
    return value


def boolean(values: Mapping[str, str], key: str, default: bool) -> bool:
    """An optional ``true``/``false`` under ``webstack:<key>`` (as `pulumi config set` stores it)."""
    raw = values.get(_key(key))
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise _fail(_key(key), raw, "give true or false")
    return raw == "true"


def integer(values: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    """An optional whole number under ``webstack:<key>``, from ``low`` to ``high``."""
    raw = values.get(_key(key), str(default))
    if not DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise _fail(_key(key), raw, f"give a whole number from {low} to {high}")
    return int(raw)


def cidr_list(values: Mapping[str, str], key: str, count: int) -> tuple[str, ...] | None:
    """An optional JSON list of ``count`` IPv4 blocks under ``webstack:<key>``."""
    return _cidr_list(values, key, count)


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
        network = _network(_key(key), item)
        if not cidrs.MIN_SUBNET_PREFIX <= network.prefixlen <= cidrs.MAX_SUBNET_PREFIX:
            raise _fail(
                _key(key),
                item,
                f"a subnet's prefix must be /{cidrs.MIN_SUBNET_PREFIX} to /{cidrs.MAX_SUBNET_PREFIX}",
            )
    return tuple(items)


def _network(key: str, value: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as error:
        raise _fail(key, value, f"give an IPv4 block such as 10.0.0.0/16 ({error})") from None
    kind = cidrs.not_a_vpc_range(network)
    if kind:
        raise _fail(
            key, value, f"a {kind} block cannot be a VPC range; give an RFC 1918 block such as 10.0.0.0/16"
        )
    return network


def parse_shared(
    values: Mapping[str, str], project: str = "webstack", blueprint_keys: Sequence[Key] = ()
) -> StackConfig:
    """Validate the shared keys of raw ``namespace:key`` -> string config (as the engine passes it).

    ``blueprint_keys`` are the chosen blueprint's own keys: allowed here, parsed by its module.
    """
    names = [key.name for key in (*SHARED_KEYS, *blueprint_keys) if ":" not in key.name]
    unknown = sorted(
        key for key in values if key.startswith(f"{NAMESPACE}:") and key.split(":", 1)[1] not in names
    )
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key; {NAMESPACE}: takes {', '.join(names)}")

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
    if suffix in YAML_NULLS:
        raise _fail(
            _key("environmentSuffix"), suffix, "it is YAML's null, not a suffix; give one such as dev"
        )
    problem = naming.validate_suffix(suffix)
    if problem:
        raise _fail(_key("environmentSuffix"), suffix, problem)

    region = values.get("aws:region", spec.default_region)
    if not REGION_PATTERN.fullmatch(region):
        raise _fail("aws:region", region, "give an AWS region such as us-west-2")

    raw_azs = values.get(_key("azCount"), str(spec.az_counts[0]))
    allowed_azs = " or ".join(str(n) for n in spec.az_counts)
    if not DIGITS.fullmatch(raw_azs) or int(raw_azs) not in spec.az_counts:
        raise _fail(_key("azCount"), raw_azs, f"{blueprint} runs in {allowed_azs} AZs")
    az_count = int(raw_azs)

    vpc_cidr = values.get(_key("vpcCidr"), DEFAULT_VPC_CIDR)
    vpc = _network(_key("vpcCidr"), vpc_cidr)
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
    )


def stack_values() -> dict[str, str]:
    """Every config value the engine gave this program (the SDK has no public listing)."""
    from pulumi.runtime import config as runtime_config

    values = {key: str(value) for key, value in runtime_config.get_config_env().items()}
    values.update({key: str(value) for key, value in runtime_config.CONFIG.get().items()})
    return values


def keys_table(keys_by_blueprint: Mapping[str, Sequence[Key]]) -> str:
    """The README's config table: the shared keys, then each built blueprint's own."""
    rows = ["| key | blueprint | required | allowed | default |", "|---|---|---|---|---|"]
    for owner, keys in {"all": SHARED_KEYS, **keys_by_blueprint}.items():
        for key in keys:
            required = "yes" if key.required else "no"
            rows.append(f"| `{key.full}` | {owner} | {required} | {key.allowed} | {key.default} |")
    return "\n".join(rows)
