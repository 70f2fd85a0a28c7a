"""Runtime family (advisory): code runs on supported, patched and locked-down platforms.

Lambda functions use a runtime AWS still supports; Fargate services take the LATEST platform
version; ECS containers run with a read-only root filesystem and never privileged; Lambda target
groups carry no stickiness (002-R11: AWS rejects the attribute on a lambda target group).

Lambda@Edge functions (a CloudFront cache behaviour associates them, read from property
dependencies) are created in us-east-1 and published, and behaviours name a numbered version:
CloudFront accepts nothing else (CloudFront developer guide, "Restrictions on Lambda@Edge"). The
function's region is its provider's `region`, else the stack's `aws:region`. Regional functions
reserve their concurrency, so one function cannot starve the account's pool (checkov CKV_AWS_115).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pulumi
from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ._base import ADVISORY, Anchors, as_list, of_type, resource_policy, stack_policy
from ._relations import (
    CACHE_BEHAVIOURS,
    DISTRIBUTION,
    ECS_SERVICE,
    FUNCTION,
    TARGET_GROUPS,
    TASK_DEFINITION,
    containers,
    decide_each,
    dig,
    edge_functions,
    state_of,
)

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
EDGE_REGION = "us-east-1"  # CloudFront replicates Lambda@Edge functions from N. Virginia only
VERSIONED_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[^:]+:(\d+)$")
UNRESERVED = -1  # reservedConcurrentExecutions: the provider's "no reservation"


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


def _function_region(function: PolicyResource) -> str | None:
    provider = function.provider
    if provider is not None and provider.props.get("region"):
        return str(provider.props.get("region"))
    return pulumi.Config("aws").get("region")


def _association_arns(distribution: PolicyResource) -> Iterator[tuple[str, str]]:
    """(where, lambdaArn) of every Lambda@Edge association whose ARN is known (a literal).

    A function's qualified_arn is unknown in preview; the function-side checks (region, publish)
    decide from known values then, so an unknown ARN is skipped rather than raised.
    """
    default, ordered = CACHE_BEHAVIOURS
    behaviours = [(default, distribution.props.get(default))] + [
        (f"{ordered}[{i}]", b) for i, b in enumerate(as_list(distribution.props.get(ordered)))
    ]
    for where, behaviour in behaviours:
        for index, association in enumerate(as_list(dig(behaviour, "lambdaFunctionAssociations"))):
            try:
                lambda_arn = dig(association, "lambdaArn")
            except UnknownValueError:
                continue
            yield f"{where}.lambdaFunctionAssociations[{index}]", str(lambda_arn)


def _check_lambda_edge(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    edge = edge_functions(args.resources)

    def decide(function: PolicyResource) -> Iterator[tuple[str, str]]:
        if function.urn not in edge:
            return
        region = _function_region(function)
        if region != EDGE_REGION:
            yield (
                function.urn,
                "is associated with CloudFront (Lambda@Edge) but is created in "
                f"{region or 'no known region'}; CloudFront accepts only functions in {EDGE_REGION}. "
                "Create it with an aws.Provider "
                f"(region='{EDGE_REGION}') in its ResourceOptions.",
            )
        if function.props.get("publish") is not True:  # absent: false, only $LATEST exists
            yield (
                function.urn,
                "is associated with CloudFront (Lambda@Edge) but publish is not true, so it has no "
                "numbered version for CloudFront to replicate. Set publish=True and associate "
                "function.qualified_arn.",
            )

    def decide_distribution(distribution: PolicyResource) -> Iterator[tuple[str, str]]:
        for where, lambda_arn in _association_arns(distribution):
            match = VERSIONED_ARN.match(lambda_arn)
            if match is None or match.group(1) != EDGE_REGION:
                yield (
                    distribution.urn,
                    f"{where}.lambdaArn {lambda_arn!r} is not a numbered version of a function in "
                    f"{EDGE_REGION} ($LATEST and aliases are refused). Use the function's qualified_arn.",
                )

    yield from decide_each(of_type(args.resources, FUNCTION), decide)
    yield from decide_each(of_type(args.resources, DISTRIBUTION), decide_distribution)


def _check_reserved_concurrency(args: ResourceValidationArgs) -> Iterator[str]:
    reserved = args.props.get("reservedConcurrentExecutions")
    if reserved is None or reserved == UNRESERVED:
        yield (
            f"reservedConcurrentExecutions is {state_of(reserved)} (unreserved), so a burst can take "
            "the account's whole concurrency pool from every other function (and this one can be "
            "starved). Set reservedConcurrentExecutions to the function's expected peak."
        )
    elif reserved == 0:
        yield (
            "reservedConcurrentExecutions is 0, which throttles every invocation. Set it to the "
            "function's expected peak (or remove it to share the unreserved pool)."
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

lambda_edge = stack_policy(
    "runtime-lambda-edge",
    "Lambda@Edge functions are created in us-east-1 and published, and CloudFront associates a "
    "numbered version of them.",
    _check_lambda_edge,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Create the function with an us-east-1 aws.Provider and publish=True; set each "
    "lambdaFunctionAssociations[].lambdaArn to function.qualified_arn.",
    anchors=Anchors(note="webstack: CloudFront's Lambda@Edge restrictions (no tool has this rule)"),
)

lambda_reserved_concurrency = resource_policy(
    "runtime-lambda-reserved-concurrency",
    "Lambda functions reserve concurrency (reservedConcurrentExecutions set, not 0).",
    _check_reserved_concurrency,
    types=[FUNCTION],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set reserved_concurrent_executions to the function's expected peak concurrency.",
    anchors=Anchors(checkov=("CKV_AWS_115",)),
)

POLICIES = [
    supported_lambda_runtime,
    fargate_platform_latest,
    ecs_readonly_root,
    ecs_non_privileged,
    lambda_target_group_stickiness,
    lambda_edge,
    lambda_reserved_concurrency,
]
