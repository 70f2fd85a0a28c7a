"""Runtime family: supported Lambda runtimes, Fargate LATEST, locked-down containers, lambda TGs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from policy_pack.policies import runtime
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, run_resource


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
