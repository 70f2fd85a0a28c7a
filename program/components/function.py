"""Function: a Lambda with its own role, encrypted log group, code variant and (optionally) VPC placement.

Every regional Lambda in webstack is built here, so each gets the same guarantees: a pre-created
`/aws/lambda/<name>` log group with retention and KMS (so destroy removes it and the function
never creates its own), JSON logs, a role that can do only what the owner lists plus writing its
own logs, and, in a VPC, the tier security group its blueprint created (a Firewall, firewall.py:
no ingress for a Lambda, 000-R15: API Gateway and event source mappings invoke through the Lambda
API, never through the ENI) with egress only to the peers the owner lists (000-R16).

Code is a zip of ``lambdas/<folder>`` plus ``lambdas/shared`` (ZipCode) or a container image
(ImageCode, ``package_type="Image"``). An alias, optionally with provisioned concurrency, points at
a published version when asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs, naming
from program.components import renamed_from
from program.components.firewall import Firewall, Rule
from program.components.log_group import encrypted_log_group
from program.scope import Scope

LAMBDAS_DIR = Path(__file__).resolve().parents[2] / "lambdas"
SHARED_CODE = "shared"  # lambdas/shared/: added to every zip as the `shared` package
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# What Lambda needs to attach the function's ENIs (AWSLambdaVPCAccessExecutionRole, scoped).
ENI_SCOPED_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
)
# DescribeNetworkInterfaces takes no resource-level permission: Resource "*" (000-R20).
ENI_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces",)
# Active tracing (CKV_AWS_50): what AWSXRayDaemonWriteAccess grants the function to send segments;
# neither action takes a resource-level permission (Service Authorization Reference), so "*".
TRACE_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")


@dataclass(frozen=True)
class VpcPlacement:
    """Where a function's ENIs go, its tier group, and the only places its traffic may reach.

    network.endpoint_placement builds one whose only way out is the VPC's endpoints."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    # The function's tier group, created by the blueprint before the tier (firewall.py).
    security_group: Firewall
    # Egress rules written on that group: HTTPS to an endpoint's prefix list, 5432 to a proxy group...
    egress: Sequence[Rule] = ()

    def __post_init__(self) -> None:
        labels = [rule.peer.label for rule in self.egress]
        if len(set(labels)) != len(labels):
            raise ValueError(f"VpcPlacement egress peer labels must be unique, got {labels}")


@dataclass(frozen=True)
class ZipCode:
    """``lambdas/<folder>`` zipped (with lambdas/shared as ``shared/``), run by a managed runtime."""

    folder: str
    handler: str = "handler.handler"
    runtime: str = "python3.13"
    # Files under lambdas/ shipped at the zip root beside the folder's (a module several share).
    root_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        module = self.handler.rpartition(".")[0].replace(".", "/")
        if not (LAMBDAS_DIR / self.folder / f"{module}.py").is_file():
            raise ValueError(f"Function code {self.folder!r}: no lambdas/{self.folder}/{module}.py")
        for extra in self.root_files:
            if not (LAMBDAS_DIR / extra).is_file():
                raise ValueError(f"Function code {self.folder!r}: no lambdas/{extra}")


@dataclass(frozen=True)
class ImageCode:
    """A container image (an ECR repository's URI, by digest or immutable tag)."""

    image_uri: pulumi.Input[str]
    command: Sequence[str] = ()
    entry_point: Sequence[str] = ()
    working_directory: str | None = None


@dataclass(frozen=True)
class FunctionArgs:
    purpose: str
    scope: Scope
    code: ZipCode | ImageCode
    log_kms_key_arn: pulumi.Input[str]
    statements: Sequence[dict[str, Any]] = field(default_factory=tuple)
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # A CMK for the environment variables (CKV_AWS_173); the role may decrypt with it, nothing else.
    environment_kms_key_arn: pulumi.Input[str] | None = None
    vpc: VpcPlacement | None = None
    architecture: Literal["arm64", "x86_64"] = "arm64"
    memory_mb: int = 256
    timeout_s: int = 10
    reserved_concurrency: int | None = None
    # An alias on a published version (what callers should invoke), optionally kept warm.
    alias: str | None = None
    provisioned_concurrency: int | None = None
    # Application Auto Scaling owns the figure after creation (concurrency_scaling.py): not reset.
    provisioned_concurrency_autoscaled: bool = False
    log_retention_days: int = 30
    # X-Ray active tracing (CKV_AWS_50): every request sampled at the function, not only those traced
    # upstream. In a VPC whose egress is endpoints only it needs the `xray` interface endpoint.
    tracing: bool = False

    def __post_init__(self) -> None:
        if not 128 <= self.memory_mb <= 10_240:
            raise ValueError(f"memory_mb {self.memory_mb}: Lambda allows 128 to 10240 MB")
        if not 1 <= self.timeout_s <= 900:
            raise ValueError(f"timeout_s {self.timeout_s}: Lambda allows 1 to 900 seconds")
        if self.provisioned_concurrency is not None:
            if self.alias is None:
                raise ValueError("provisioned_concurrency needs an alias (it applies to an alias or version)")
            if self.provisioned_concurrency < 1:
                raise ValueError(f"provisioned_concurrency {self.provisioned_concurrency}: give 1 or more")
            if (
                self.reserved_concurrency is not None
                and self.provisioned_concurrency > self.reserved_concurrency
            ):
                raise ValueError("provisioned_concurrency cannot exceed reserved_concurrency")


def function_name(purpose: str, scope: Scope) -> str:
    """The function's physical name; owners that must know it before deploy call this too."""
    return naming.function_name(purpose, scope.suffix)


def code_files(code: str, lambdas_dir: Path = LAMBDAS_DIR, root_files: Sequence[str] = ()) -> dict[str, Path]:
    """What ships in the zip: lambdas/<code>/ at the root, lambdas/shared/ under shared/ (no caches),
    and each of ``root_files`` (paths under lambdas/) at the root by its file name."""
    files: dict[str, Path] = {}
    for root, prefix in ((lambdas_dir / SHARED_CODE, f"{SHARED_CODE}/"), (lambdas_dir / code, "")):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[prefix + str(path.relative_to(root))] = path
    for extra in root_files:
        path = lambdas_dir / extra
        if path.name in files:
            raise ValueError(f"lambdas/{extra}: {path.name} is already in lambdas/{code}")
        files[path.name] = path
    return files


def code_archive(code: str, root_files: Sequence[str] = ()) -> pulumi.AssetArchive:
    """The function's zip, built from code_files (a FileArchive would ship local caches too)."""
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(str(path)) for name, path in code_files(code, root_files=root_files).items()}
    )


def _code_args(code: ZipCode | ImageCode) -> dict[str, Any]:
    if isinstance(code, ZipCode):
        return {
            "runtime": code.runtime,
            "handler": code.handler,
            "code": code_archive(code.folder, code.root_files),
        }
    image_config = None
    if code.command or code.entry_point or code.working_directory:
        image_config = aws.lambda_.FunctionImageConfigArgs(
            commands=list(code.command) or None,
            entry_points=list(code.entry_point) or None,
            working_directory=code.working_directory,
        )
    return {"package_type": "Image", "image_uri": code.image_uri, "image_config": image_config}


class Function(pulumi.ComponentResource):
    """A Lambda function and everything it alone owns."""

    def __init__(self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None):
        # The type this component had before issue 8: a live stack keeps its resources (no replace).
        super().__init__(
            "webstack:function:Function", name, None, renamed_from("webstack:compute:Function", opts)
        )
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        physical = self._function_name = function_name(args.purpose, scope)
        self.log_group = encrypted_log_group(
            f"{name}-logs", f"/aws/lambda/{physical}", args.log_kms_key_arn, args.log_retention_days, child
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=scope.name(f"{args.purpose}-fn", "iam-role"),
            assume_role_policy=pulumi.Output.json_dumps(
                iam_docs.assume_role_policy("lambda.amazonaws.com", scope.account_id)
            ),
            opts=child,
        )
        policies = [
            aws.iam.RolePolicy(
                f"{name}-policy",
                name=scope.name(f"{args.purpose}-fn", "iam-policy"),
                role=self.role.id,
                policy=pulumi.Output.json_dumps(iam_docs.document(*self._statements(args))),
                opts=child,
            )
        ]
        if args.environment and args.environment_kms_key_arn is not None:
            # Apart from the rest: a key's ARN is unknown in preview, the owner's grants are not.
            policies.append(
                aws.iam.RolePolicy(
                    f"{name}-env-key-policy",
                    name=scope.name(f"{args.purpose}-fn-env-key", "iam-policy"),
                    role=self.role.id,
                    policy=pulumi.Output.json_dumps(
                        iam_docs.document(
                            iam_docs.statement(
                                ("kms:Decrypt",), [args.environment_kms_key_arn], sid="DecryptEnvironment"
                            )
                        )
                    ),
                    opts=child,
                )
            )
        vpc = args.vpc
        self.security_group = vpc.security_group if vpc else None
        if vpc is not None:
            for rule in vpc.egress:
                vpc.security_group.allow_out(rule)
            # Apart from the rest: it names subnet and group ids AWS assigns, unknown in preview,
            # and the owner's grants above should not wait for them to be judged.
            policies.append(
                aws.iam.RolePolicy(
                    f"{name}-vpc-policy",
                    name=scope.name(f"{args.purpose}-fn-vpc", "iam-policy"),
                    role=self.role.id,
                    policy=pulumi.Output.json_dumps(iam_docs.document(*vpc_statements(vpc, scope))),
                    opts=child,
                )
            )
        self.function = aws.lambda_.Function(
            name,
            name=physical,
            role=self.role.arn,
            **_code_args(args.code),
            architectures=[args.architecture],
            memory_size=args.memory_mb,
            timeout=args.timeout_s,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            kms_key_arn=args.environment_kms_key_arn if args.environment else None,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active") if args.tracing else None,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name
            ),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(vpc.subnet_ids), security_group_ids=[vpc.security_group.id]
            )
            if vpc
            else None,
            # No replace_security_groups_on_destroy: that swap is an UpdateFunctionConfiguration, and
            # Lambda then attaches new ENIs with this role, whose ENI grant names only the tier group,
            # so the swap is refused and destroy fails. Destroy deletes the function, then the tier
            # group and the subnets; the provider's delete of each first waits for Lambda's ENIs in
            # it to turn available and deletes them (terraform-provider-aws internal/service/ec2
            # deleteLingeringENIs / deleteLingeringLambdaENI, at least 45 min), with the deployer's
            # credentials, so nothing here needs a grant beyond the function's own group.
            reserved_concurrent_executions=args.reserved_concurrency,
            publish=True if args.alias else None,  # an alias needs a published version
            # The role's policy must exist before Lambda validates the ENI permissions (003-R19).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*policies, self.log_group]),
        )
        self.arn = self.function.arn
        self.name = self.function.name
        self.invoke_arn = self.function.invoke_arn
        self.alias: aws.lambda_.Alias | None = None
        if args.alias is not None:
            self.alias = aws.lambda_.Alias(
                f"{name}-alias",
                name=args.alias,
                function_name=self.function.name,
                function_version=self.function.version,
                opts=child,
            )
            # Callers invoke the alias, so its provisioned environments serve them.
            self.arn, self.invoke_arn = self.alias.arn, self.alias.invoke_arn
            if args.provisioned_concurrency is not None:
                aws.lambda_.ProvisionedConcurrencyConfig(
                    f"{name}-provisioned",
                    function_name=self.function.name,
                    qualifier=self.alias.name,
                    provisioned_concurrent_executions=args.provisioned_concurrency,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        ignore_changes=["provisionedConcurrentExecutions"]
                        if args.provisioned_concurrency_autoscaled
                        else None,
                    ),
                )
        self.register_outputs({"arn": self.arn, "name": self.name})

    def _statements(self, args: FunctionArgs) -> list[dict[str, Any]]:
        scope = args.scope
        log_group_arn = arns.log_group(scope.region, scope.account_id, f"/aws/lambda/{self._function_name}")
        return [
            iam_docs.statement(
                LOG_ACTIONS, [log_group_arn, f"{log_group_arn}:log-stream:*"], sid="WriteOwnLogs"
            ),
            *([iam_docs.statement(TRACE_ACTIONS, ["*"], sid="WriteTraces")] if args.tracing else []),
            *args.statements,
        ]


def vpc_statements(vpc: VpcPlacement, scope: Scope) -> list[dict[str, Any]]:
    """What Lambda needs to attach the function's ENIs in its subnets, with its group (000-R5)."""

    def ec2(kind: str, id_: pulumi.Input[str]) -> pulumi.Input[str]:
        return pulumi.Output.concat(arns.ec2(scope.region, scope.account_id, kind, ""), id_)

    return [
        iam_docs.statement(
            ENI_SCOPED_ACTIONS,
            [
                arns.ec2(scope.region, scope.account_id, "network-interface", "*"),
                ec2("security-group", vpc.security_group.id),
                *[ec2("subnet", subnet) for subnet in vpc.subnet_ids],
            ],
            sid="ManageVpcEnis",
        ),
        iam_docs.statement(ENI_DESCRIBE_ACTIONS, ["*"], sid="DescribeVpcEnis"),
    ]
