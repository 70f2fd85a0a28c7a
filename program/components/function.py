"""Function: a Python Lambda with its own role, encrypted log group and (optionally) VPC placement.

Every regional Lambda in webstack is built here, so each gets the same guarantees: arm64, a
pre-created `/aws/lambda/<name>` log group with retention and KMS (so destroy removes it and the
function never creates its own), JSON logs, a role that can do only what the owner lists plus
writing its own logs, and, in a VPC, a security group with no ingress (000-R15: API Gateway and
event source mappings invoke through the Lambda API, never through the ENI) whose egress reaches
only the VPC endpoints (000-R16).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs, naming

LAMBDAS_DIR = Path(__file__).resolve().parents[2] / "lambdas"
HTTPS = 443
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


@dataclass(frozen=True)
class VpcPlacement:
    """Where a function's ENIs go, and the only places its traffic may reach."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    # The stripped default security group: Lambda swaps it in on destroy to free the ENIs fast.
    replacement_security_group_id: pulumi.Input[str]
    egress_prefix_list_ids: Sequence[pulumi.Input[str]] = ()
    egress_security_group_ids: Sequence[pulumi.Input[str]] = ()


@dataclass(frozen=True)
class FunctionArgs:
    purpose: str
    suffix: str
    account_id: str
    region: str
    code: str  # folder under lambdas/, zipped as the function's code
    log_kms_key_arn: pulumi.Input[str]
    statements: Sequence[dict[str, Any]] = field(default_factory=tuple)
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    vpc: VpcPlacement | None = None
    handler: str = "handler.handler"
    runtime: str = "python3.13"
    architecture: str = "arm64"
    memory_mb: int = 256
    timeout_s: int = 10
    reserved_concurrency: int | None = None
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        if not (LAMBDAS_DIR / self.code / "handler.py").is_file():
            raise ValueError(f"Function code {self.code!r}: no lambdas/{self.code}/handler.py")


def code_files(code: str, lambdas_dir: Path = LAMBDAS_DIR) -> dict[str, Path]:
    """The files of lambdas/<code>/ that ship: sources, not caches (__pycache__, *.pyc)."""
    root = lambdas_dir / code
    return {
        str(path.relative_to(root)): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def code_archive(code: str) -> pulumi.AssetArchive:
    """The function's zip, built from code_files (a FileArchive would ship local caches too)."""
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in code_files(code).items()})


class Function(pulumi.ComponentResource):
    """A Lambda function and everything it alone owns."""

    def __init__(self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:compute:Function", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = self._function_name = naming.physical_name(args.purpose, args.suffix, "lambda")
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=naming.physical_name(f"{args.purpose}-fn", args.suffix, "iam-role"),
            assume_role_policy=pulumi.Output.json_dumps(
                iam_docs.assume_role_policy("lambda.amazonaws.com", args.account_id)
            ),
            opts=child,
        )
        self.security_group = self._security_group(name, args) if args.vpc else None
        policies = [
            aws.iam.RolePolicy(
                f"{name}-policy",
                name=naming.physical_name(f"{args.purpose}-fn", args.suffix, "iam-policy"),
                role=self.role.id,
                policy=pulumi.Output.json_dumps(iam_docs.document(*self._statements(args))),
                opts=child,
            )
        ]
        if args.vpc and self.security_group:
            # Apart from the rest: it names subnet and group ids AWS assigns, unknown in preview,
            # and the owner's grants above should not wait for them to be judged.
            policies.append(
                aws.iam.RolePolicy(
                    f"{name}-vpc-policy",
                    name=naming.physical_name(f"{args.purpose}-fn-vpc", args.suffix, "iam-policy"),
                    role=self.role.id,
                    policy=pulumi.Output.json_dumps(
                        iam_docs.document(*self._vpc_statements(args.vpc, self.security_group, args))
                    ),
                    opts=child,
                )
            )
        vpc_config = None
        if args.vpc and self.security_group:
            vpc_config = aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.vpc.subnet_ids), security_group_ids=[self.security_group.id]
            )
        self.function = aws.lambda_.Function(
            name,
            name=function_name,
            role=self.role.arn,
            runtime=args.runtime,
            handler=args.handler,
            architectures=[args.architecture],
            memory_size=args.memory_mb,
            timeout=args.timeout_s,
            code=code_archive(args.code),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name
            ),
            vpc_config=vpc_config,
            replace_security_groups_on_destroy=True if args.vpc else None,
            replacement_security_group_ids=[args.vpc.replacement_security_group_id] if args.vpc else None,
            reserved_concurrent_executions=args.reserved_concurrency,
            # The role's policy must exist before Lambda validates the ENI permissions (003-R19).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*policies, self.log_group]),
        )
        self.arn = self.function.arn
        self.name = self.function.name
        self.invoke_arn = self.function.invoke_arn
        self.register_outputs({"arn": self.arn, "name": self.name})

    def _security_group(self, name: str, args: FunctionArgs) -> aws.ec2.SecurityGroup:
        assert args.vpc is not None
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=naming.physical_name(f"{args.purpose}-fn", args.suffix, "security-group"),
            description=f"Lambda {args.purpose}: no ingress; HTTPS to the VPC endpoints only",
            vpc_id=args.vpc.vpc_id,
            opts=child,
        )
        for index, prefix_list in enumerate(args.vpc.egress_prefix_list_ids):
            self._https_egress(f"{name}-egress-pl{index}", group, prefix_list_id=prefix_list)
        for index, target_group in enumerate(args.vpc.egress_security_group_ids):
            self._https_egress(f"{name}-egress-sg{index}", group, referenced_security_group_id=target_group)
        return group

    def _https_egress(
        self,
        name: str,
        group: aws.ec2.SecurityGroup,
        prefix_list_id: pulumi.Input[str] | None = None,
        referenced_security_group_id: pulumi.Input[str] | None = None,
    ) -> None:
        aws.vpc.SecurityGroupEgressRule(
            name,
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            prefix_list_id=prefix_list_id,
            referenced_security_group_id=referenced_security_group_id,
            description="HTTPS to a VPC endpoint",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _statements(self, args: FunctionArgs) -> list[dict[str, Any]]:
        log_group_arn = arns.log_group(args.region, args.account_id, f"/aws/lambda/{self._function_name}")
        return [
            iam_docs.statement(
                LOG_ACTIONS, [log_group_arn, f"{log_group_arn}:log-stream:*"], sid="WriteOwnLogs"
            ),
            *args.statements,
        ]

    @staticmethod
    def _vpc_statements(
        vpc: VpcPlacement, group: aws.ec2.SecurityGroup, args: FunctionArgs
    ) -> list[dict[str, Any]]:
        """What Lambda needs to attach the function's ENIs in its subnets (000-R5)."""
        ec2 = f"arn:aws:ec2:{args.region}:{args.account_id}"
        return [
            iam_docs.statement(
                ENI_SCOPED_ACTIONS,
                [
                    f"{ec2}:network-interface/*",
                    pulumi.Output.concat(f"{ec2}:security-group/", group.id),
                    *[pulumi.Output.concat(f"{ec2}:subnet/", subnet) for subnet in vpc.subnet_ids],
                ],
                sid="ManageVpcEnis",
            ),
            iam_docs.statement(ENI_DESCRIBE_ACTIONS, ["*"], sid="DescribeVpcEnis"),
        ]
