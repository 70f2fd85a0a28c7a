"""Runtime family (advisory): code runs on supported, patched and locked-down platforms.

Lambda functions use a runtime AWS still supports; Fargate services take the LATEST platform
version; ECS containers run with a read-only root filesystem and never privileged; Lambda target
groups carry no stickiness (002-R11: AWS rejects the attribute on a lambda target group).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import ADVISORY, Anchors, as_list, resource_policy
from ._relations import ECS_SERVICE, FUNCTION, TARGET_GROUPS, TASK_DEFINITION, containers, dig

# Lambda runtimes whose deprecation (end of support phase 1: no new functions, no patches) has
# started, with its date. Source: the AWS Lambda developer guide, "Lambda runtimes" (deprecated and
# supported tables), as mirrored by tflint-ruleset-aws's aws_lambda_function_deprecated_runtime
# (Nov 2025). nodejs18.x: 2025-09-01 (002-R48). nodejs20.x, ruby3.2 and dotnet8 were projected dates
# that match their upstream end of life. Left out although that table projected 2026-06-30: the
# Amazon Linux 2 based python3.10, python3.11, java8.al2, java11, java17 and provided.al2, whose
# Lambda dates the guide later tied to continued patching past AL2's end of life (not confirmed:
# re-check the table, then add them).
DEPRECATED_RUNTIMES: dict[str, str] = {
    "nodejs": "2016-10-31",
    "nodejs4.3": "2020-03-05",
    "nodejs4.3-edge": "2020-03-05",
    "nodejs6.10": "2019-08-12",
    "nodejs8.10": "2020-03-06",
    "nodejs10.x": "2021-07-30",
    "nodejs12.x": "2023-03-31",
    "nodejs14.x": "2023-12-04",
    "nodejs16.x": "2024-06-12",
    "nodejs18.x": "2025-09-01",
    "nodejs20.x": "2026-04-30",
    "python2.7": "2021-07-15",
    "python3.6": "2022-07-18",
    "python3.7": "2023-12-04",
    "python3.8": "2024-10-14",
    "python3.9": "2025-12-15",
    "ruby2.5": "2021-07-30",
    "ruby2.7": "2023-11-27",
    "ruby3.2": "2026-03-31",
    "java8": "2024-01-08",
    "go1.x": "2024-01-08",
    "provided": "2024-01-08",
    "dotnetcore1.0": "2019-07-27",
    "dotnetcore2.0": "2019-05-30",
    "dotnetcore2.1": "2022-01-05",
    "dotnetcore3.1": "2023-04-03",
    "dotnet5.0": "2022-05-10",
    "dotnet6": "2024-11-12",
    "dotnet7": "2024-05-14",
    "dotnet8": "2026-11-10",
}
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def _check_lambda_runtime(args: ResourceValidationArgs) -> Iterator[str]:
    # Container images (packageType Image) carry their runtime in the image: nothing to check here.
    if args.props.get("packageType") == "Image":
        return
    runtime = args.props.get("runtime")
    if runtime in DEPRECATED_RUNTIMES:
        yield (
            f"runtime {runtime} is deprecated since {DEPRECATED_RUNTIMES[runtime]}: AWS no longer patches it "
            "and blocks creating (then updating) functions on it. Move to a supported runtime "
            "(python3.13, nodejs22.x, java21...; 002-R48)."
        )


def _is_fargate(args: ResourceValidationArgs) -> bool:
    if args.props.get("launchType") == "FARGATE":
        return True
    strategies = as_list(args.props.get("capacityProviderStrategies"))
    return any(s.get("capacityProvider") in FARGATE_PROVIDERS for s in strategies)


def _check_platform(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: Fargate uses LATEST.
    version = args.props.get("platformVersion")
    if _is_fargate(args) and version not in (None, "LATEST"):
        yield (
            f"pins platformVersion {version}: tasks miss platform security fixes. Set platformVersion "
            "'LATEST' (or leave it unset)."
        )


def _check_readonly_root(args: ResourceValidationArgs) -> Iterator[str]:
    for name, container in containers(args.props):
        # Absent: the root filesystem is writable.
        if container.get("readonlyRootFilesystem") is not True:
            yield (
                f"container {name} can write its root filesystem. Set readonlyRootFilesystem=true and "
                "mount a volume (or use /tmp on ephemeral storage) for what it must write."
            )


def _check_privileged(args: ResourceValidationArgs) -> Iterator[str]:
    for name, container in containers(args.props):
        if container.get("privileged") is True:
            yield (
                f"container {name} runs privileged (root on the host). Remove privileged (Fargate rejects "
                "it) and grant only the Linux capabilities it needs."
            )


def _check_lambda_stickiness(args: ResourceValidationArgs) -> Iterator[str]:
    # A stickiness block without `enabled` is enabled: the provider defaults it to true.
    stickiness = args.props.get("stickiness")
    if args.props.get("targetType") == "lambda" and stickiness and dig(stickiness, "enabled") is not False:
        yield (
            "enables stickiness on a lambda target group, which AWS rejects at deploy (002-R11). Remove "
            "stickiness; keep session state in DynamoDB, or put group-level stickiness on the listener "
            "rule's forward action."
        )


supported_lambda_runtime = resource_policy(
    "runtime-supported-lambda-runtime",
    "Lambda functions (zip packages) use a runtime AWS has not deprecated.",
    _check_lambda_runtime,
    types=[FUNCTION],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set runtime to a supported identifier (python3.13, nodejs22.x, ...).",
    anchors=Anchors(cdk_nag=("AwsSolutions-L1",), checkov=("CKV_AWS_363",), fsbp=("Lambda.2",)),
)

fargate_platform_latest = resource_policy(
    "runtime-fargate-platform-latest",
    "Fargate services run on the LATEST platform version (or leave platformVersion unset).",
    _check_platform,
    types=[ECS_SERVICE],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set platformVersion='LATEST' or remove it.",
    anchors=Anchors(checkov=("CKV_AWS_332",), fsbp=("ECS.10",)),
)

ecs_readonly_root = resource_policy(
    "runtime-ecs-readonly-root",
    "ECS containers run with a read-only root filesystem.",
    _check_readonly_root,
    types=[TASK_DEFINITION],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set readonlyRootFilesystem=true in each container definition.",
    anchors=Anchors(checkov=("CKV_AWS_336",), fsbp=("ECS.5",)),
)

ecs_non_privileged = resource_policy(
    "runtime-ecs-non-privileged",
    "ECS containers do not run privileged.",
    _check_privileged,
    types=[TASK_DEFINITION],
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Remove privileged=true from each container definition.",
    anchors=Anchors(checkov=("CKV_AWS_334",), fsbp=("ECS.4",)),
)

lambda_target_group_stickiness = resource_policy(
    "runtime-lambda-tg-no-stickiness",
    "Lambda target groups do not enable stickiness (002-R11: AWS rejects it).",
    _check_lambda_stickiness,
    types=TARGET_GROUPS,
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Remove stickiness from the lambda target group; keep sessions in DynamoDB.",
    anchors=Anchors(note="002-R11"),
)

POLICIES = [
    supported_lambda_runtime,
    fargate_platform_latest,
    ecs_readonly_root,
    ecs_non_privileged,
    lambda_target_group_stickiness,
]
