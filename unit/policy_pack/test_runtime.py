"""Runtime family: supported Lambda runtimes, Fargate LATEST, locked-down containers, lambda TGs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import runtime
from unit.policy_pack import baselines as base
from unit.policy_pack.baselines import assert_sdk_input
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack


@pytest.mark.parametrize("policy", runtime.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("runtime-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


# -- runtime-supported-lambda-runtime --------------------------------------------------------


def function(**props: Any) -> dict[str, Any]:
    return {
        "name": "api-dev",
        "runtime": "python3.13",
        "handler": "handler.handler",
        "packageType": "Zip",
    } | props


@pytest.mark.parametrize("current", ["python3.13", "python3.12", "nodejs22.x", "java21", "provided.al2023"])
def test_supported_runtime_passes(current: str) -> None:
    assert run_resource(runtime.supported_lambda_runtime, runtime.FUNCTION, function(runtime=current)).ok


@pytest.mark.parametrize(
    ("old", "since"),
    [
        ("nodejs18.x", "2025-09-01"),
        ("python3.9", "2025-12-15"),
        ("go1.x", "2024-01-08"),
        ("dotnetcore3.1", "2023"),
    ],
)
def test_002_R48_deprecated_runtime_is_a_finding(old: str, since: str) -> None:
    (message,) = run_resource(
        runtime.supported_lambda_runtime, runtime.FUNCTION, function(runtime=old)
    ).messages
    assert f"runtime {old} is deprecated since {since}" in message


def test_container_image_functions_have_no_runtime_to_check() -> None:
    image = {"name": "api-dev", "packageType": "Image", "imageUri": "repo/api:abc"}
    assert run_resource(runtime.supported_lambda_runtime, runtime.FUNCTION, image).ok


def test_unknown_runtime_in_preview_is_unknown() -> None:
    assert run_resource(runtime.supported_lambda_runtime, runtime.FUNCTION, function(runtime=UNKNOWN)).unknown


def test_deprecated_runtime_is_caught_when_the_role_is_unknown() -> None:
    outcome = run_resource(
        runtime.supported_lambda_runtime, runtime.FUNCTION, function(runtime="nodejs16.x", role=UNKNOWN)
    )
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- runtime-fargate-platform-latest ---------------------------------------------------------


@pytest.mark.parametrize("version", [{"platformVersion": "LATEST"}, {}], ids=["latest", "absent"])
def test_fargate_service_on_latest_passes(version: dict[str, Any]) -> None:
    props = {"name": "web-dev", "launchType": "FARGATE"} | version
    assert run_resource(runtime.fargate_platform_latest, runtime.ECS_SERVICE, props).ok


@pytest.mark.parametrize(
    "placement",
    [
        {"launchType": "FARGATE"},
        {"capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
    ],
    ids=["launch-type", "capacity-provider"],
)
def test_pinned_fargate_platform_is_a_finding(placement: dict[str, Any]) -> None:
    props = {"name": "web-dev", "platformVersion": "1.3.0"} | placement
    (message,) = run_resource(runtime.fargate_platform_latest, runtime.ECS_SERVICE, props).messages
    assert "pins platformVersion 1.3.0" in message


def test_ec2_services_are_not_fargate() -> None:
    props = {"name": "web-dev", "launchType": "EC2", "platformVersion": "1.3.0"}
    assert run_resource(runtime.fargate_platform_latest, runtime.ECS_SERVICE, props).ok


def test_unknown_platform_version_in_preview_is_unknown() -> None:
    props = {"launchType": "FARGATE", "platformVersion": UNKNOWN}
    assert run_resource(runtime.fargate_platform_latest, runtime.ECS_SERVICE, props).unknown


# -- runtime-ecs-readonly-root / runtime-ecs-non-privileged ----------------------------------

WEB = {"name": "web", "image": "repo/web:abc", "readonlyRootFilesystem": True, "privileged": False}


def task(*containers: dict[str, Any], as_string: bool = True) -> dict[str, Any]:
    definitions = [WEB, *containers]
    return {
        "family": "web-dev",
        "containerDefinitions": json.dumps(definitions) if as_string else definitions,
    }


@pytest.mark.parametrize("as_string", [True, False], ids=["json-string", "list"])
def test_locked_down_containers_pass_both_rules(as_string: bool) -> None:
    sidecar = {"name": "proxy", "image": "envoy:1", "readonlyRootFilesystem": True}
    props = task(sidecar, as_string=as_string)
    assert run_resource(runtime.ecs_readonly_root, runtime.TASK_DEFINITION, props).ok
    assert run_resource(runtime.ecs_non_privileged, runtime.TASK_DEFINITION, props).ok


@pytest.mark.parametrize("sidecar", [{"name": "proxy"}, {"name": "proxy", "readonlyRootFilesystem": False}])
def test_writable_root_filesystem_is_a_finding(sidecar: dict[str, Any]) -> None:
    (message,) = run_resource(runtime.ecs_readonly_root, runtime.TASK_DEFINITION, task(sidecar)).messages
    assert message.startswith("container proxy can write its root filesystem")


def test_privileged_container_is_a_finding() -> None:
    props = task({"name": "agent", "privileged": True, "readonlyRootFilesystem": True}, as_string=False)
    (message,) = run_resource(runtime.ecs_non_privileged, runtime.TASK_DEFINITION, props).messages
    assert message.startswith("container agent runs privileged")


def test_unknown_container_definitions_in_preview_are_unknown() -> None:
    props = {"family": "web-dev", "containerDefinitions": UNKNOWN}
    for policy in (runtime.ecs_readonly_root, runtime.ecs_non_privileged):
        assert run_resource(policy, runtime.TASK_DEFINITION, props).unknown


# -- runtime-lambda-tg-no-stickiness ---------------------------------------------------------


@pytest.mark.parametrize("tg_type", runtime.TARGET_GROUPS)
@pytest.mark.parametrize(
    ("props", "flagged"),
    [
        ({"targetType": "lambda"}, False),
        ({"targetType": "lambda", "stickiness": {"type": "lb_cookie", "enabled": False}}, False),
        ({"targetType": "lambda", "stickiness": {"type": "lb_cookie", "enabled": True}}, True),
        ({"targetType": "lambda", "stickiness": {"type": "lb_cookie"}}, True),
        ({"targetType": "ip", "stickiness": {"type": "lb_cookie", "enabled": True}}, False),
    ],
    ids=["none", "disabled", "enabled", "enabled-by-default", "ip-target-group"],
)
def test_002_R11_stickiness_on_a_lambda_target_group(
    tg_type: str, props: dict[str, Any], flagged: bool
) -> None:
    outcome = run_resource(runtime.lambda_target_group_stickiness, tg_type, {"name": "api-dev"} | props)
    assert len(outcome.messages) == int(flagged)
    if flagged:
        assert "AWS rejects at deploy (002-R11)" in outcome.messages[0]


def test_unknown_stickiness_flag_in_preview_is_unknown() -> None:
    props = {"targetType": "lambda", "stickiness": {"type": "lb_cookie", "enabled": UNKNOWN}}
    assert run_resource(runtime.lambda_target_group_stickiness, runtime.TARGET_GROUPS[0], props).unknown


# -- runtime-lambda-edge ---------------------------------------------------------------------

EDGE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:edge-auth-dev:1"


def edge_pair(
    region: str | None = "us-east-1", lambda_arn: Any = EDGE_ARN, **function: Any
) -> list[PolicyResource]:
    props = base.function_props(
        "edge-auth", {"vpcConfig": None, "environment": None, "publish": True} | function
    )
    fn = resource(
        base.FUNCTION, {k: v for k, v in props.items() if v is not None}, "edge-auth", region=region
    )
    cdn_props = base.distribution_props(
        {"defaultCacheBehavior.lambdaFunctionAssociations.0.lambdaArn": lambda_arn}
    )
    cdn = resource(base.DISTRIBUTION, cdn_props, "cdn", deps={"defaultCacheBehavior": [fn]})
    return [fn, cdn]


def test_published_us_east_1_edge_function_passes() -> None:
    assert run_stack(runtime.lambda_edge, edge_pair()).ok


def test_edge_function_in_another_region_is_a_finding() -> None:
    resources = edge_pair(region="us-west-2")
    outcome = run_stack(runtime.lambda_edge, resources)
    assert outcome.urns == [resources[0].urn]
    assert "is created in us-west-2; CloudFront accepts only functions in us-east-1" in outcome.messages[0]


@pytest.mark.parametrize("publish", [False, None])
def test_unpublished_edge_function_is_a_finding(publish: Any) -> None:
    resources = edge_pair(publish=publish)
    outcome = run_stack(runtime.lambda_edge, resources)
    assert outcome.urns == [resources[0].urn] and "publish is not true" in outcome.messages[0]


@pytest.mark.parametrize(
    "lambda_arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:edge-auth-dev",
        "arn:aws:lambda:us-east-1:123456789012:function:edge-auth-dev:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:edge-auth-dev:live",
        "arn:aws:lambda:us-west-2:123456789012:function:edge-auth-dev:1",
    ],
)
def test_association_without_a_numbered_us_east_1_version_is_a_finding(lambda_arn: str) -> None:
    resources = edge_pair(lambda_arn=lambda_arn)
    outcome = run_stack(runtime.lambda_edge, resources)
    assert outcome.urns == [resources[1].urn]
    assert outcome.messages[0].startswith("defaultCacheBehavior.lambdaFunctionAssociations[0].lambdaArn")


def test_qualified_arn_unknown_in_preview_leaves_the_function_checks_to_decide() -> None:
    assert run_stack(runtime.lambda_edge, edge_pair(lambda_arn=UNKNOWN)).ok
    outcome = run_stack(runtime.lambda_edge, edge_pair(lambda_arn=UNKNOWN, publish=False))
    assert len(outcome.messages) == 1 and not outcome.unknown


def test_unknown_publish_flag_in_preview_is_unknown() -> None:
    assert run_stack(runtime.lambda_edge, edge_pair(publish=UNKNOWN)).unknown


def test_a_regional_function_is_not_judged_as_edge() -> None:
    fn = resource(base.FUNCTION, base.function_props("api"), "api", region="us-west-2")
    assert run_stack(runtime.lambda_edge, [fn]).ok


# -- runtime-lambda-reserved-concurrency -----------------------------------------------------


def test_function_with_reserved_concurrency_passes() -> None:
    assert_sdk_input(base.FUNCTION, "reservedConcurrentExecutions")
    assert run_resource(runtime.lambda_reserved_concurrency, base.FUNCTION, base.function_props("api")).ok


@pytest.mark.parametrize(
    ("reserved", "phrase"), [(None, "not set (unreserved)"), (-1, "-1 (unreserved)"), (0, "throttles every")]
)
def test_unreserved_or_zero_concurrency_is_a_finding(reserved: Any, phrase: str) -> None:
    props = base.function_props("api", {"reservedConcurrentExecutions": reserved})
    (message,) = run_resource(runtime.lambda_reserved_concurrency, base.FUNCTION, props).messages
    assert phrase in message


def test_unknown_reserved_concurrency_in_preview_is_unknown() -> None:
    props = base.function_props("api", {"reservedConcurrentExecutions": UNKNOWN})
    assert run_resource(runtime.lambda_reserved_concurrency, base.FUNCTION, props).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # runtime-supported-lambda-runtime: nodejs18.x (deprecated 2025-09-01)
    base.function(
        cat,
        "legacy",
        change={"runtime": "nodejs18.x", "handler": "index.handler"},
        violates=["runtime-supported-lambda-runtime"],
    )
    base.ecs_service(cat, "app")  # control
    # runtime-fargate-platform-latest: a pinned platform version
    base.ecs_service(
        cat, "pinned", change={"platformVersion": "1.3.0"}, violates=["runtime-fargate-platform-latest"]
    )
    # runtime-ecs-readonly-root: a writable root filesystem
    base.task_definition(
        cat, "writable", container={"readonlyRootFilesystem": False}, violates=["runtime-ecs-readonly-root"]
    )
    # runtime-ecs-non-privileged: a privileged container
    base.task_definition(
        cat, "privileged", container={"privileged": True}, violates=["runtime-ecs-non-privileged"]
    )
    # runtime-lambda-tg-no-stickiness: stickiness on a lambda target group
    cat.add(
        base.TARGET_GROUP,
        "api-fn",
        {
            "name": base.physical("api-fn"),
            "targetType": "lambda",
            "stickiness": {"type": "lb_cookie", "enabled": True},
        },
        violates=["runtime-lambda-tg-no-stickiness"],
    )
    # runtime-lambda-edge: an unpublished function in us-west-2 behind a distribution, and a
    # distribution that associates an unqualified ARN
    regional_edge = base.function(
        cat,
        "regional-edge",
        change={"vpcConfig": None, "environment": None, "runtime": "nodejs22.x", "handler": "index.handler"},
    )
    cat.expect("runtime-lambda-edge", regional_edge, "is created in us-west-2")
    cat.add(
        base.DISTRIBUTION,
        "regional-edge-cdn",
        base.distribution_props(
            {
                "defaultCacheBehavior.lambdaFunctionAssociations.0.lambdaArn": base.arn(
                    "lambda", f"function:{base.physical('regional-edge')}"
                )
            }
        ),
        deps={"defaultCacheBehavior": [regional_edge]},
        violates=["runtime-lambda-edge"],
    )
    # runtime-lambda-reserved-concurrency: the unreserved pool
    base.function(
        cat,
        "unreserved",
        change={"reservedConcurrentExecutions": None},
        violates=["runtime-lambda-reserved-concurrency"],
    )
