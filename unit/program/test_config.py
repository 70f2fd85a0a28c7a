"""program.config: one validated StackConfig, or one ConfigError line naming the key."""

from __future__ import annotations

import runpy

import pulumi
import pytest

from plan.capture import ProgramError, new_monitor, run_program
from program import config as shared
from program.blueprints import BUILT, keys_table, parse_config
from program.blueprints.serverless_app import Settings
from program.config import ConfigError, StackConfig
from unit.conftest import REPO_ROOT, stack_spec

BASE = {
    "aws:region": "us-west-2",
    "webstack:blueprint": "serverless-app",
    "webstack:environmentSuffix": "dev",
}


def parse(**overrides: str | None) -> StackConfig:
    values = {**BASE, **overrides}
    return parse_config({k: v for k, v in values.items() if v is not None})


def test_defaults_follow_the_blueprint_seed() -> None:
    config = parse(**{"aws:region": None})
    assert config.region == "us-west-2"  # 000-R24
    assert config.az_count == 2  # 000-R13
    assert config.nat_gateways == "per-az"  # 000-R14
    assert config.public_subnet_cidrs == ("10.0.0.0/20", "10.0.16.0/20")
    assert config.private_subnet_cidrs == ("10.0.128.0/20", "10.0.144.0/20")


def test_config_error_is_a_pulumi_run_error() -> None:
    # The engine prints a RunError's message as one line, without a traceback.
    assert issubclass(ConfigError, pulumi.RunError)


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"webstack:blueprint": "serverless"}, "webstack:blueprint", "choose one of serverless-app"),
        ({"webstack:blueprint": None}, "webstack:blueprint", "choose one of"),
        ({"webstack:environmentSuffix": None}, "webstack:environmentSuffix", "required"),
        ({"webstack:environmentSuffix": "Dev"}, "webstack:environmentSuffix", "lowercase"),
        ({"webstack:environmentSuffix": "x" * 17}, "webstack:environmentSuffix", "at most 16"),
        ({"webstack:environmentSufix": "dev"}, "webstack:environmentSufix", "unknown key"),
        ({"aws:region": "Oregon"}, "aws:region", "AWS region"),
        ({"webstack:azCount": "1"}, "webstack:azCount", "2 or 3 AZs"),
        ({"webstack:azCount": "two"}, "webstack:azCount", "2 or 3 AZs"),
        ({"webstack:vpcCidr": "10.0.0.0/33"}, "webstack:vpcCidr", "IPv4 block"),
        ({"webstack:vpcCidr": "10.0.0.1/16"}, "webstack:vpcCidr", "host bits"),
        ({"webstack:vpcCidr": "10.0.0.0/26"}, "webstack:vpcCidr", "/16 to /24"),
        ({"webstack:natGateways": "two"}, "webstack:natGateways", "per-az, single, none"),
        ({"webstack:alertEmail": "ops"}, "webstack:alertEmail", "e-mail"),
        # Issue 9 B: a final newline, YAML null, look-alike regions, non-ASCII digits, non-VPC
        # ranges, subnet sizes AWS refuses, an over-long e-mail local part.
        ({"webstack:environmentSuffix": "dev\n"}, "webstack:environmentSuffix", "lowercase"),
        ({"webstack:environmentSuffix": "null"}, "webstack:environmentSuffix", "YAML's null"),
        ({"webstack:environmentSuffix": "None"}, "webstack:environmentSuffix", "YAML's null"),
        ({"aws:region": "us-west-2\n"}, "aws:region", "AWS region such as us-west-2"),
        ({"aws:region": "xx-fake-9"}, "aws:region", "AWS region such as us-west-2"),
        ({"aws:region": "us-west-\u0662"}, "aws:region", "AWS region such as us-west-2"),
        ({"webstack:azCount": "\u0662"}, "webstack:azCount", "2 or 3 AZs"),
        ({"webstack:azCount": "\uff12"}, "webstack:azCount", "2 or 3 AZs"),
        ({"webstack:azCount": "2\n"}, "webstack:azCount", "2 or 3 AZs"),
        ({"webstack:vpcCidr": "127.0.0.0/16"}, "webstack:vpcCidr", "loopback block cannot be a VPC range"),
        ({"webstack:vpcCidr": "224.0.0.0/16"}, "webstack:vpcCidr", "multicast block cannot be a VPC range"),
        ({"webstack:vpcCidr": "169.254.0.0/16"}, "webstack:vpcCidr", "link-local block"),
        ({"webstack:vpcCidr": "240.0.0.0/16"}, "webstack:vpcCidr", "reserved block"),
        ({"webstack:vpcCidr": "0.0.0.0/16"}, "webstack:vpcCidr", "'this network'"),
        (
            {"webstack:publicSubnetCidrs": '["10.0.0.0/29", "10.0.1.0/24"]'},
            "webstack:publicSubnetCidrs",
            "prefix must be /16 to /28",
        ),
        (
            {
                "webstack:vpcCidr": "10.0.0.0/16",
                "webstack:privateSubnetCidrs": '["10.0.0.0/15", "10.0.1.0/24"]',
            },
            "webstack:privateSubnetCidrs",
            "prefix must be /16 to /28",
        ),
        ({"webstack:alertEmail": "ops@example.com\n"}, "webstack:alertEmail", "e-mail"),
        ({"webstack:alertEmail": "a" * 300 + "@example.com"}, "webstack:alertEmail", "at most 64"),
        ({"webstack:alertEmail": "ops@example"}, "webstack:alertEmail", "e-mail"),
        # Issue 9 A2.
        ({"webstack:manageApiGatewayAccount": "yes"}, "webstack:manageApiGatewayAccount", "true or false"),
        ({"webstack:manageApiGatewayAccount": "True"}, "webstack:manageApiGatewayAccount", "true or false"),
        ({"webstack:publicSubnetCidrs": "10.0.0.0/24"}, "webstack:publicSubnetCidrs", "list"),
        ({"webstack:publicSubnetCidrs": '["10.0.0.0/24"]'}, "webstack:publicSubnetCidrs", "exactly 2"),
        (
            {"webstack:publicSubnetCidrs": '["10.0.0.0/24", "10.9.1.0/24"]'},
            "webstack:publicSubnetCidrs",
            "inside vpcCidr",
        ),
        (
            {
                "webstack:publicSubnetCidrs": '["10.0.0.0/24", "10.0.1.0/24"]',
                "webstack:privateSubnetCidrs": '["10.0.1.0/25", "10.0.2.0/24"]',
            },
            "webstack:publicSubnetCidrs/webstack:privateSubnetCidrs",
            "overlaps",
        ),
    ],
)
def test_bad_config_names_the_key_and_what_is_allowed(
    overrides: dict[str, str | None], key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(**overrides)
    message = str(caught.value)
    assert message.startswith(f"{key}:")
    assert allowed in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "region",
    ["us-west-2", "us-gov-west-1", "cn-northwest-1", "ap-southeast-7", "il-central-1", "mx-central-1"],
)
def test_real_regions_pass(region: str) -> None:
    assert parse(**{"aws:region": region}).region == region


def test_a_plain_address_and_a_64_character_local_part_pass() -> None:
    for email in ("ops@example.com", "a" * 64 + "@mail.example.org"):
        assert parse(**{"webstack:alertEmail": email}).settings.alert_email == email


def test_blueprint_az_counts_follow_their_seeds() -> None:
    catalog = {**BASE, "webstack:blueprint": "catalog-api", "aws:region": "us-east-1"}
    assert parse_config(catalog).az_count == 3  # 002-R1
    with pytest.raises(ConfigError, match="catalog-api runs in 3 AZs"):
        parse_config({**catalog, "webstack:azCount": "2"})
    media = {**BASE, "webstack:blueprint": "media-platform"}
    assert parse_config(media).region == "us-west-2"  # an explicit aws:region wins
    assert parse_config({k: v for k, v in media.items() if k != "aws:region"}).region == "ap-southeast-1"


def test_explicit_subnets_are_used_as_given() -> None:
    config = parse(
        **{
            "webstack:publicSubnetCidrs": '["10.0.0.0/24", "10.0.1.0/24"]',
            "webstack:privateSubnetCidrs": '["10.0.10.0/24", "10.0.11.0/24"]',
        }
    )
    assert config.private_subnet_cidrs == ("10.0.10.0/24", "10.0.11.0/24")


def test_bad_config_stops_the_program_before_any_resource_is_registered() -> None:
    spec = stack_spec("serverless-dev", **{"webstack:natGateways": "some"})
    monitor = new_monitor(spec.project, spec.stack, spec.config)
    with pytest.raises(ConfigError, match="webstack:natGateways"):
        run_program(
            lambda: runpy.run_path(str(spec.main_dir), run_name="__main__"), monitor, config=spec.config
        )
    assert monitor.captured == []


def test_planned_blueprints_say_they_are_not_built_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever is built today: a blueprint missing from the registry is "planned", never a crash.
    from program import blueprints

    monkeypatch.delitem(blueprints.BUILT, "media-platform", raising=False)
    config = blueprints.parse_config(
        {
            "webstack:blueprint": "media-platform",
            "webstack:environmentSuffix": "dev",
            "aws:region": "ap-southeast-1",
        }
    )
    with pytest.raises(ConfigError, match="media-platform is not built yet"):
        blueprints.build(config)


def test_a_program_bug_is_not_mistaken_for_config() -> None:
    spec = stack_spec("serverless-dev")
    monitor = new_monitor(spec.project, spec.stack, spec.config)
    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        run_program(lambda: 1 / 0, monitor, config=spec.config)


def test_a_blueprint_parses_its_own_keys_into_its_settings() -> None:
    assert parse().settings == Settings(alert_email=None)
    assert parse(**{"webstack:alertEmail": "ops@example.com"}).settings == Settings("ops@example.com")
    # Issue 9 A2: the seed stack owns the region's API Gateway account setting unless told not to.
    assert parse().settings.manage_api_gateway_account is True
    off = parse(**{"webstack:manageApiGatewayAccount": "false"}).settings
    assert off == Settings(alert_email=None, manage_api_gateway_account=False)


def test_a_blueprints_keys_are_unknown_to_the_others() -> None:
    serverless = {**BASE, "webstack:blueprint": "serverless-app", "webstack:dbPassword": "catalog-only-1"}
    with pytest.raises(ConfigError, match="webstack:dbPassword: unknown key"):
        parse_config(serverless)


def test_the_registry_maps_each_built_blueprint_to_its_module() -> None:
    assert set(BUILT) >= {"serverless-app", "catalog-api", "stream-pipeline"}
    for module in BUILT.values():
        assert callable(module.parse) and callable(module.build) and module.KEYS


def test_readme_config_table_is_the_one_the_code_declares() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    table = keys_table()
    assert table in readme
    assert "| `webstack:alertEmail` | serverless-app | no |" in table
    assert "| `webstack:environmentSuffix` | all | yes |" in table


@pytest.mark.parametrize(
    ("raw", "ok"), [("3", True), ("0", False), ("11", False), ("x", False), ("\u0663", False), ("3\n", False)]
)
def test_integer_helper_checks_its_range(raw: str, ok: bool) -> None:
    values = {"webstack:shardCount": raw}
    if ok:
        assert shared.integer(values, "shardCount", 1, 1, 10) == 3
    else:
        with pytest.raises(ConfigError, match=r"webstack:shardCount: .* from 1 to 10"):
            shared.integer(values, "shardCount", 1, 1, 10)
