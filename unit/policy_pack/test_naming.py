"""Naming family: the name table against the SDK, a compliant name per type, and one change each."""

from __future__ import annotations

import contextvars
import importlib
import inspect
import json
import re
from typing import Any

import pulumi
import pytest

from policy_pack.policies import naming
from policy_pack.policies.name_limits import RULES
from program.naming import physical_name
from unit.policy_pack import baselines as base
from unit.policy_pack.baselines import engine_props, sdk_class
from unit.policy_pack.conftest import UNKNOWN, run_resource

POLICY = naming.naming_suffix
DEV = {"suffix": "dev"}
BUCKET = base.BUCKET
ALB = base.LOAD_BALANCER
TARGET_GROUP = base.TARGET_GROUP
ROLE_POLICY = base.ROLE_POLICY
VPC_ORIGIN = base.VPC_ORIGIN

# A valid name per kind for suffix "dev" (most kinds accept the plain one).
SAMPLE_NAMES = {
    "kms-alias": "alias/logs-dev",
    "ssm-parameter": "/webstack/app/db-host-dev",
    "log-group": "/aws/lambda/api-dev",
    "ecr": "catalog/api-dev",
}


def sample(kind: str) -> str:
    return SAMPLE_NAMES.get(kind, "orders-dev")


def props_with(prop: str, value: Any) -> dict[str, Any]:
    """Props holding ``value`` at the (possibly dotted) ``prop``, beside an unrelated prop."""
    *path, last = prop.split(".")
    props: dict[str, Any] = {"tags": {"Project": "webstack"}}
    node = props
    for step in path:
        node = node.setdefault(step, {"arn": "arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/x"})
    node[last] = value
    return props


# -- the table against the SDK ---------------------------------------------------------------


@pytest.mark.parametrize("token", sorted(naming.NAME_PROPERTIES))
def test_name_property_exists_in_the_sdk(token: str) -> None:
    cls = sdk_class(token)
    assert cls.pulumi_type == token
    prop, kind = naming.NAME_PROPERTIES[token]
    first, *rest = prop.split(".")
    python_name = engine_props(cls).get(first)
    assert python_name, f"{cls.__name__} has no property {first}"
    assert python_name in inspect.signature(cls._internal_init).parameters  # an input, not only an output
    owner, owner_name = cls, cls.__name__
    for step in rest:  # a nested name: the Args class of the enclosing object has the field
        owner_name = owner_name + first[0].upper() + first[1:]
        owner = getattr(importlib.import_module(cls.__module__.rsplit(".", 1)[0]), f"{owner_name}Args")
        assert step in engine_props(owner)
        first = step
    assert naming.rule_for(kind)


@pytest.mark.parametrize("token", sorted(naming.NAME_PROPERTIES))
def test_prefix_twin_is_the_sdk_prefix_property_when_the_type_has_one(token: str) -> None:
    cls = sdk_class(token)
    prop, _ = naming.NAME_PROPERTIES[token]
    prefixes = {name for name in engine_props(cls) if name.endswith("Prefix")}
    if "." not in prop:
        assert prefixes <= {naming.prefix_property(prop)}, f"{token} has another prefix: {prefixes}"


def test_prefix_twins_of_the_main_types() -> None:
    assert naming.prefix_property("bucket") == "bucketPrefix"
    assert naming.prefix_property("clusterIdentifier") == "clusterIdentifierPrefix"
    for token in (BUCKET, "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance", ROLE_POLICY):
        prop, _ = naming.NAME_PROPERTIES[token]
        assert naming.prefix_property(prop) in engine_props(sdk_class(token))


def test_tag_named_types_are_not_in_the_table() -> None:
    for token in (
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
    ):
        assert token not in naming.NAME_PROPERTIES
    assert run_resource(POLICY, "aws:ec2/vpc:Vpc", {"tags": {"Name": "vpc"}}, config=DEV).ok


def test_every_kind_in_the_table_comes_from_the_shared_limits() -> None:
    kinds = {kind for _prop, kind in naming.NAME_PROPERTIES.values()}
    assert "kms-alias" in kinds and kinds <= set(RULES)


# -- compliant names -------------------------------------------------------------------------


@pytest.mark.parametrize("token", sorted(naming.NAME_PROPERTIES))
def test_compliant_name_passes_for_every_type(token: str) -> None:
    prop, kind = naming.NAME_PROPERTIES[token]
    outcome = run_resource(POLICY, token, props_with(prop, sample(kind)), config=DEV)
    assert outcome.ok, outcome.messages


@pytest.mark.parametrize("kind", sorted(RULES))
def test_names_built_by_the_program_pass_even_when_shortened(kind: str) -> None:
    # program/naming.py and this policy share name_limits: whatever it builds, the policy accepts.
    long_purpose = "-".join(["catalog"] * 40)
    for purpose in ("api", long_purpose):
        assert list(naming.name_problems(physical_name(purpose, "dev", kind), kind, "dev")) == []


# -- auto-naming -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", sorted(naming.NAME_PROPERTIES))
def test_absent_name_is_left_to_auto_naming(token: str) -> None:
    prop, kind = naming.NAME_PROPERTIES[token]
    (message,) = run_resource(POLICY, token, {"tags": {"Project": "webstack"}}, config=DEV).messages
    assert f"{prop} is not set, so the resource is left to auto-naming" in message
    assert f"Set {prop} to '<purpose>-dev'" in message
    assert f"kind={kind!r}" in message


def test_empty_name_is_left_to_auto_naming() -> None:
    (message,) = run_resource(POLICY, BUCKET, {"bucket": ""}, config=DEV).messages
    assert "bucket is not set" in message


@pytest.mark.parametrize(
    ("token", "prefix"),
    [
        (BUCKET, "bucketPrefix"),
        (ROLE_POLICY, "namePrefix"),
        ("aws:rds/cluster:Cluster", "clusterIdentifierPrefix"),
        (TARGET_GROUP, "namePrefix"),
    ],
)
def test_name_prefix_is_auto_naming(token: str, prefix: str) -> None:
    (message,) = run_resource(POLICY, token, {prefix: "web-dev"}, config=DEV).messages
    assert f"{prefix} leaves" in message
    assert "to auto-naming" in message


def test_prefix_wins_even_when_the_engine_left_the_name_unknown() -> None:
    # With a prefix the provider computes the name: a known violation, not an unknown.
    outcome = run_resource(POLICY, ROLE_POLICY, {"namePrefix": "x", "name": UNKNOWN}, config=DEV)
    assert not outcome.unknown
    assert len(outcome.messages) == 1


def test_engine_auto_name_is_caught_and_explained() -> None:
    # Under the engine the provider's Check fills `<logical name>-<7 hex>` before the policy runs.
    outcome = run_resource(
        POLICY, ROLE_POLICY, {"name": "flow-logs-policy-1a2b3c4"}, name="flow-logs-policy", config=DEV
    )
    (message,) = outcome.messages
    assert "an engine auto-name" in message
    assert "does not end with '-dev'" in message


# -- one change from the compliant name ------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "value", "finding"),
    [
        (BUCKET, "assets-prod", "does not end with '-dev'"),
        (BUCKET, "assets-dev-x", "does not end with '-dev'"),
        (BUCKET, "assetsdev", "does not end with '-dev'"),
        (BUCKET, "a" * 60 + "-dev", "has 64 characters; s3-bucket names allow at most 63"),
        (BUCKET, "Assets-dev", "is not a valid s3-bucket name"),
        (BUCKET, "assets_x-dev", "is not a valid s3-bucket name"),
        ("aws:lambda/function:Function", "f" * 61 + "-dev", "at most 64"),
        ("aws:iam/role:Role", "r" * 61 + "-dev", "iam-role names allow at most 64"),
        ("aws:rds/cluster:Cluster", "1catalog-dev", "is not a valid rds name"),
        ("aws:rds/cluster:Cluster", "catalog--db-dev", "is not a valid rds name"),
        ("aws:rds/proxy:Proxy", "p" * 57 + "-dev", "rds-proxy names allow at most 60"),
        (ALB, "internal-web-dev", "starts with 'internal-'"),
        ("aws:ec2/securityGroup:SecurityGroup", "sg-web-dev", "starts with 'sg-'"),
        ("aws:dynamodb/table:Table", "items/x-dev", "is not a valid dynamodb name"),
        ("aws:kms/alias:Alias", "logs-dev", "is not a valid kms-alias name"),
        ("aws:kms/alias:Alias", "alias/aws/logs-dev", "is not a valid kms-alias name"),
        ("aws:cloudwatch/dashboard:Dashboard", "ops.board-dev", "is not a valid dashboard name"),
    ],
)
def test_each_bad_name_is_one_finding(token: str, value: str, finding: str) -> None:
    prop, _ = naming.NAME_PROPERTIES[token]
    (message,) = run_resource(POLICY, token, props_with(prop, value), config=DEV).messages
    assert message.startswith(f"{prop} '{value}' ")
    assert finding in message


def test_a_name_can_break_several_rules_at_once() -> None:
    outcome = run_resource(POLICY, ALB, {"name": "Internal_" + "x" * 30}, config=DEV)
    assert len(outcome.messages) == 3  # suffix, length, characters
    assert all("Set name to '<purpose>-dev'" in m for m in outcome.messages)


@pytest.mark.parametrize(
    ("token", "value", "ok"),
    [
        ("aws:sqs/queue:Queue", "orders-dev.fifo", True),
        ("aws:sqs/queue:Queue", "orders.fifo", False),
        ("aws:sqs/queue:Queue", "o" * 72 + "-dev.fifo", False),  # 81 characters with .fifo
        ("aws:sns/topic:Topic", "alarms-dev.fifo", True),
        ("aws:sns/topic:Topic", "alarms-dev.fifo.fifo", False),
    ],
)
def test_fifo_names_put_the_suffix_before_dot_fifo(token: str, value: str, ok: bool) -> None:
    assert run_resource(POLICY, token, {"name": value}, config=DEV).ok is ok


def test_ssm_parameter_suffix_ends_the_name_not_a_path_segment() -> None:
    # 004-R31 sketches /app/<suffix>/...: under the naming rule the suffix ends the last segment.
    assert run_resource(POLICY, "aws:ssm/parameter:Parameter", {"name": "/app/db-host-dev"}, config=DEV).ok
    (message,) = run_resource(
        POLICY, "aws:ssm/parameter:Parameter", {"name": "/app/dev/db-host"}, config=DEV
    ).messages
    assert "does not end with '-dev'" in message


def test_nested_vpc_origin_name() -> None:
    assert run_resource(
        POLICY, VPC_ORIGIN, props_with("vpcOriginEndpointConfig.name", "alb-dev"), config=DEV
    ).ok
    (message,) = run_resource(
        POLICY, VPC_ORIGIN, props_with("vpcOriginEndpointConfig.arn", "arn:x"), config=DEV
    ).messages
    assert "vpcOriginEndpointConfig.name is not set" in message


# -- preview ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "props"),
    [
        (BUCKET, {"bucket": UNKNOWN}),
        (ROLE_POLICY, {"name": UNKNOWN, "policy": "{}"}),
        (VPC_ORIGIN, {"vpcOriginEndpointConfig": {"name": UNKNOWN}}),
        (VPC_ORIGIN, {"vpcOriginEndpointConfig": UNKNOWN}),
    ],
)
def test_unknown_name_is_unknown_not_a_pass(token: str, props: dict[str, Any]) -> None:
    outcome = run_resource(POLICY, token, props, config=DEV)
    assert outcome.unknown
    assert not outcome.ok


def test_known_bad_name_is_caught_when_an_unrelated_prop_is_unknown() -> None:
    outcome = run_resource(POLICY, BUCKET, {"bucket": "assets-prod", "tags": UNKNOWN}, config=DEV)
    assert not outcome.unknown
    assert len(outcome.messages) == 1
    outcome = run_resource(POLICY, ROLE_POLICY, {"role": UNKNOWN, "policy": UNKNOWN}, config=DEV)
    assert not outcome.unknown
    assert "left to auto-naming" in outcome.messages[0]


# -- where the suffix comes from -------------------------------------------------------------


def test_no_suffix_configured_is_not_applicable() -> None:
    outcome = contextvars.copy_context().run(
        lambda: (pulumi.runtime.set_all_config({}), run_resource(POLICY, BUCKET, {}))[1]
    )
    assert outcome.not_applicable is not None
    assert "no environment suffix configured" in outcome.not_applicable
    assert not outcome.messages


def _with_stack_config(suffix: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> Any:
    def run() -> Any:
        pulumi.runtime.set_all_config({"webstack:environmentSuffix": suffix})
        return run_resource(POLICY, BUCKET, props, config=config)

    return contextvars.copy_context().run(run)  # the stack config never leaks into other tests


def test_suffix_comes_from_the_stack_config_the_engine_passes() -> None:
    assert _with_stack_config("qa", {"bucket": "assets-qa"}).ok
    (message,) = _with_stack_config("qa", {"bucket": "assets-dev"}).messages
    assert "does not end with '-qa'" in message


def test_policy_config_suffix_overrides_the_stack_config() -> None:
    assert _with_stack_config("qa", {"bucket": "assets-dev"}, config=DEV).ok
    assert not _with_stack_config("qa", {"bucket": "assets-qa"}, config=DEV).ok


# -- seeds and metadata ----------------------------------------------------------------------


def test_002_R46_alb_target_group_s3_lambda_role_limits() -> None:
    at_limit = {
        ALB: 32,
        TARGET_GROUP: 32,
        BUCKET: 63,
        "aws:lambda/function:Function": 64,
        "aws:iam/role:Role": 64,
    }
    for token, limit in at_limit.items():
        prop, _ = naming.NAME_PROPERTIES[token]
        fits = "a" * (limit - 4) + "-dev"
        assert run_resource(POLICY, token, {prop: fits}, config=DEV).ok
        (message,) = run_resource(POLICY, token, {prop: "a" + fits}, config=DEV).messages
        assert f"at most {limit}" in message


def test_003_R31_every_resource_name_carries_the_suffix() -> None:
    for token in ("aws:kinesis/stream:Stream", "aws:dynamodb/table:Table", "aws:sqs/queue:Queue"):
        assert run_resource(POLICY, token, {"name": "events-dev"}, config=DEV).ok
        assert not run_resource(POLICY, token, {"name": "events"}, config=DEV).ok


def test_004_R33_ecs_and_rds_names_carry_the_suffix() -> None:
    assert run_resource(POLICY, "aws:ecs/taskDefinition:TaskDefinition", {"family": "api-dev"}, config=DEV).ok
    assert not run_resource(POLICY, "aws:ecs/taskDefinition:TaskDefinition", {"family": "api"}, config=DEV).ok
    assert not run_resource(POLICY, "aws:rds/cluster:Cluster", {}, config=DEV).ok


def test_metadata() -> None:
    assert naming.POLICIES == [POLICY]
    assert POLICY.name == "naming-suffix"
    assert POLICY.enforcement_level.value == "mandatory"
    assert "No anchor tool has this rule" in POLICY.description
    for seed in ("002-R46", "003-R31", "004-R33"):
        assert seed in POLICY.description
    assert POLICY.framework.name == "webstack"
    assert POLICY.tags == []
    assert POLICY.config_schema.properties["suffix"] == {
        "type": "string",
        "description": "the environment suffix; defaults to the stack config webstack:environmentSuffix",
    }
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", POLICY.name)


# -- names of the types the next blueprints bring (002/003/004) ------------------------------


@pytest.mark.parametrize(
    ("token", "props"),
    [
        ("aws:rds/proxy:Proxy", {"name": "catalog-proxy-dev"}),
        ("aws:rds/clusterEndpoint:ClusterEndpoint", {"clusterEndpointIdentifier": "catalog-reader-dev"}),
        ("aws:ecr/repository:Repository", {"name": "catalog-api-dev"}),
        ("aws:lb/targetGroup:TargetGroup", {"name": "catalog-api-dev"}),
        ("aws:appautoscaling/policy:Policy", {"name": "web-cpu-dev"}),
        ("aws:appautoscaling/scheduledAction:ScheduledAction", {"name": "sale-warmup-dev"}),
        ("aws:apigateway/usagePlan:UsagePlan", {"name": "partners-dev"}),
        ("aws:apigateway/apiKey:ApiKey", {"name": "partner-a-dev"}),
        ("aws:ecs/cluster:Cluster", {"name": "media-dev"}),
        ("aws:ecs/service:Service", {"name": "media-web-dev"}),
        ("aws:ecs/taskDefinition:TaskDefinition", {"family": "media-web-dev"}),
        ("aws:cloudwatch/eventBus:EventBus", {"name": "orders-dev"}),
        ("aws:cloudwatch/eventRule:EventRule", {"name": "nightly-dev"}),
        ("aws:kinesis/streamConsumer:StreamConsumer", {"name": "enrich-dev"}),
        ("aws:secretsmanager/secret:Secret", {"name": "catalog-db-dev"}),
        ("aws:ssm/parameter:Parameter", {"name": "/webstack/catalog-api-url-dev"}),
    ],
)
def test_new_blueprint_types_pass_with_the_suffix_and_fail_without(token: str, props: dict[str, str]) -> None:
    assert run_resource(naming.naming_suffix, token, props, config={"suffix": "dev"}).ok
    (prop, value), *_ = props.items()
    bare = {prop: value.removesuffix("-dev")}
    (message,) = run_resource(naming.naming_suffix, token, bare, config={"suffix": "dev"}).messages
    assert "does not end with '-dev'" in message


@pytest.mark.parametrize(
    ("token", "prop", "limit"),
    [
        ("aws:lb/targetGroup:TargetGroup", "name", 32),
        ("aws:rds/proxy:Proxy", "name", 60),
        ("aws:cloudwatch/eventBus:EventBus", "name", 256),
    ],
)
def test_name_limits_of_the_new_types(token: str, prop: str, limit: int) -> None:
    fits = "a" * (limit - 4) + "-dev"
    assert run_resource(naming.naming_suffix, token, {prop: fits}, config={"suffix": "dev"}).ok
    (message,) = run_resource(
        naming.naming_suffix, token, {prop: "a" + fits}, config={"suffix": "dev"}
    ).messages
    assert f"has {limit + 1} characters" in message and f"at most {limit}" in message


def test_autoscaling_targets_have_no_name_to_check() -> None:
    assert "aws:appautoscaling/target:Target" not in naming.NAME_PROPERTIES


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # naming-suffix: a name without the suffix, and an IAM policy left to auto-naming
    cat.add(
        base.DASHBOARD,
        "ops",
        {"dashboardName": "ops", "dashboardBody": json.dumps({"widgets": []})},
        violates=["naming-suffix"],
    )
    scoped = base.document(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": base.arn("sqs", base.physical("jobs"))}
    )
    cat.add(base.IAM_POLICY, "auto-named", {"policy": scoped}, violates=["naming-suffix"])
    # naming-suffix: an event bus without the suffix
    cat.add(base.EVENT_BUS, "orders", {"name": "orders"}, violates=["naming-suffix"])
    # the next blueprints' types: autoscaling (the target has no name), usage plans and API keys
    service_id = f"service/{base.physical('media')}/{base.physical('media-web')}"
    cat.add(
        "aws:appautoscaling/target:Target",
        "web-scaling",
        {
            "serviceNamespace": "ecs",
            "resourceId": service_id,
            "scalableDimension": "ecs:service:DesiredCount",
            "minCapacity": 2,
            "maxCapacity": 10,
        },
    )
    scaling = {"policyType": "TargetTrackingScaling", "resourceId": service_id, "serviceNamespace": "ecs"}
    cat.add("aws:appautoscaling/policy:Policy", "web-cpu", {"name": base.physical("web-cpu"), **scaling})
    cat.add(
        "aws:appautoscaling/policy:Policy",
        "web-mem",
        {"name": "web-mem", **scaling},
        violates=["naming-suffix"],
    )
    cat.add("aws:apigateway/usagePlan:UsagePlan", "partners", {"name": base.physical("partners")})
    cat.add("aws:apigateway/apiKey:ApiKey", "partner-a", {"name": "partner-a"}, violates=["naming-suffix"])
