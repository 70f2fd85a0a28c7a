"""ItemsApi: the items table, the API Lambda, the REST API in front of it and its regional WAF.

Seeds 000/001: API Gateway (REGIONAL, Lambda proxy) -> a Lambda in the private subnets -> DynamoDB
(PutItem/GetItem/UpdateItem on the one table, 000-R7) and Kinesis (PutRecord(s), 001-R10).

"Private backend API accessible only by the frontend" (001-R5) cannot mean a PRIVATE endpoint: the
frontend runs in browsers. What we build instead: CloudFront serves the API at ``/api/*`` and adds
the header ``x-origin-verify: <secret>`` to every origin request (the CDN component does that with
``origin_domain``/``origin_path``/``origin_verify_header`` from here). The regional web ACL on the
stage blocks, before any other rule, every request whose header does not equal the secret, so a
direct call to ``*.execute-api`` gets 403 and the managed rule groups and the rate limit see only
CloudFront's traffic. Limits: this is a shared secret, not authentication. Anyone who learns it
(it is readable by whoever may read the web ACL or the distribution config) can call the API
directly; rotate it by changing the secret, which updates the ACL and the distribution together
(requests in flight during the CloudFront rollout may see 403 for a few minutes). This component
generates the secret (its child ``<name>-origin-verify``) and hands it out as
``origin_verify_secret``. The Core rule set blocks bodies over 8 KB (SizeRestrictions_BODY), which
is the effective request-size limit of the API (the handler allows 64 KB). The web ACL logs to
``aws-waf-logs-api-<suffix>`` with the origin header redacted (the ACL is a ``WebAcl``, waf.py).

API Gateway logging needs the region-wide CloudWatch role setting: ``ApiGatewayAccount``
(api_account.py), which this component owns unless ``manage_account_logging_role=False``; then
the stack assumes the region's setting already names a role that can write its log groups (the
owner's role does). Access logs go to ``api-access-<suffix>``; execution logs (ERROR and INFO, no
bodies) to ``API-Gateway-Execution-Logs_<api-id>/v1-<suffix>``, pre-created with KMS and retention.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from program import alarms, arns, iam_docs
from program.components import renamed_from, rest_routes, rest_wiring
from program.components.api_account import logged_stage, stage_args
from program.components.function import Function, FunctionArgs, VpcPlacement, ZipCode, function_name
from program.components.waf import LogGroupTarget, WebAcl, WebAclArgs, check_rate, require_header_rule
from program.scope import Scope

TABLE_PURPOSE = "items"
METRICS_NAMESPACE = "webstack"
PUBLISH_FAILED_METRIC = "ItemEventPublishFailed"
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
STREAM_ACTIONS = ("kinesis:PutRecord", "kinesis:PutRecords")
# Kinesis SSE with a CMK: producers need GenerateDataKey on it; the AWS-managed alias/aws/kinesis
# key needs no statement (Kinesis docs, "Permissions to use user-generated KMS keys").
STREAM_KEY_ACTIONS = ("kms:GenerateDataKey",)
ORIGIN_VERIFY_HEADER = "x-origin-verify"
WAF_RATE_WINDOW_S = 300


@dataclass(frozen=True)
class ItemsApiArgs:
    scope: Scope
    vpc: VpcPlacement
    log_kms_key_arn: pulumi.Input[str]
    stream_name: pulumi.Input[str]
    stream_arn: pulumi.Input[str]
    stream_kms_key_arn: pulumi.Input[str] | None = None  # None: the stream uses alias/aws/kinesis
    routes: Sequence[rest_routes.Route] = rest_routes.ITEM_ROUTES
    stage_name: str = "v1"  # the stage's purpose: its physical name is v1-<suffix>
    xray_tracing: bool = True  # the stage (CKV_AWS_73, FSBP APIGateway.3); the function traces too
    # A dev stack's ceiling; 10000/5000 is the account-wide default quota (002-R32).
    throttle_rate_limit: float = 100.0
    throttle_burst_limit: int = 50
    waf_rate_limit: int = 1000  # requests per client IP per 5 minutes
    # Behind CloudFront the source IP is an edge's: count the viewer (see WebAclArgs.rate_key).
    waf_rate_key: Literal["FORWARDED_IP", "IP"] = "FORWARDED_IP"
    manage_account_logging_role: bool = True
    waf_logging: bool = True  # to aws-waf-logs-api-<suffix>, the origin secret redacted
    log_retention_days: int = 30
    function_memory_mb: int = 256
    function_timeout_s: int = 10
    function_reserved_concurrency: int | None = None
    environment_kms_key_arn: pulumi.Input[str] | None = None  # the function's environment CMK

    def __post_init__(self) -> None:
        rest_routes.check_shape(self.routes, self.stage_name)
        if self.throttle_rate_limit <= 0 or self.throttle_burst_limit <= 0:
            raise ValueError("throttle_rate_limit and throttle_burst_limit must be positive")
        check_rate(self.waf_rate_limit, WAF_RATE_WINDOW_S)
        if not 1 <= self.function_timeout_s <= 29:
            raise ValueError("function_timeout_s must fit API Gateway's 29 s integration timeout")


FUNCTION_PURPOSE = "api"
STAGE_PURPOSE = "api"  # its access log group: api-access-<suffix>
ORIGIN_SECRET_LENGTH = 48


class ItemsApi(pulumi.ComponentResource):
    """DynamoDB table + API Lambda + REST API (validation, JSON errors, logs, throttling) + regional WAF."""

    def __init__(self, name: str, args: ItemsApiArgs, opts: pulumi.ResourceOptions | None = None):
        # The type this component had before issue 8: a live stack keeps its resources (no replace).
        super().__init__(
            "webstack:items_api:ItemsApi", name, None, renamed_from("webstack:api:ServerlessApi", opts)
        )
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        # The secret CloudFront sends and the API's WAF requires (001-R5). Rotate by replacing it.
        secret = random.RandomPassword(
            f"{name}-origin-verify", length=ORIGIN_SECRET_LENGTH, special=False, opts=self._child
        )
        self.origin_verify_secret = secret.result

        table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.scope.name(TABLE_PURPOSE, "dynamodb"),
            billing_mode="PAY_PER_REQUEST",  # 000-R21
            hash_key="id",
            attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),  # 001-R9
            deletion_protection_enabled=False,
            opts=self._child,
        )
        self.function = self._function(table)
        self.rest_api = rest_wiring.regional_api(
            name,
            args.scope.name("api", "api"),
            "Items API; reached through CloudFront (x-origin-verify checked by the WAF)",
            self._child,
            # CloudFront's origin is the execute-api endpoint itself; the WAF keeps others out.
            disable_execute_api_endpoint=False,
        )
        deployment = self._routes()
        self.stage = self._stage(deployment)
        rest_wiring.invoke_permission(name, self.rest_api, self.function.name, self._child)
        self.web_acl = self._web_acl()

        self.table_name = table.name
        self.table_arn = table.arn
        self.api_id = self.rest_api.id
        self.stage_name = self.stage.stage_name
        self.invoke_url = self.stage.invoke_url
        self.stage_arn = self.stage.arn
        self.function_name = self.function.name
        self.origin_domain = pulumi.Output.concat(
            self.rest_api.id, f".execute-api.{args.scope.region}.amazonaws.com"
        )
        self.origin_path = f"/{args.scope.name(args.stage_name)}"
        self.origin_verify_header = ORIGIN_VERIFY_HEADER
        self.web_acl_arn = self.web_acl.arn
        self._publish_failures()
        self.alarms = [
            *alarms.lambda_alarms("api", self.function.name),
            *alarms.api_alarms("api", self.rest_api.name, self.stage.stage_name),
            alarms.log_event_alarm(
                "api-publish-failed",
                METRICS_NAMESPACE,
                PUBLISH_FAILED_METRIC,
                "An item was written but its event never reached Kinesis",
            ),
        ]
        self.metrics = [
            *alarms.lambda_metrics("api", self.function.name),
            *alarms.api_metrics("api", self.rest_api.name, self.stage.stage_name),
        ]
        self.register_outputs(
            {"api_id": self.api_id, "invoke_url": self.invoke_url, "table_name": self.table_name}
        )

    def _publish_failures(self) -> None:
        """The handler answers 2xx when DynamoDB took a write but Kinesis refused its event (the table
        is the source of truth) and logs `"event": "publish_failed"`; count those lines."""
        aws.cloudwatch.LogMetricFilter(
            f"{self._name}-publish-failed",
            name=self._args.scope.name("api-publish-failed"),
            log_group_name=self.function.log_group.name,
            pattern='{ $.event = "publish_failed" }',
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=PUBLISH_FAILED_METRIC, namespace=METRICS_NAMESPACE, value="1", unit="Count"
            ),
            opts=self._child,
        )

    def _function(self, table: aws.dynamodb.Table) -> Function:
        args = self._args
        statements = [
            # 000-R7: the table only, no index ARN; built from its name so it is known in preview.
            iam_docs.statement(
                TABLE_ACTIONS,
                [
                    arns.dynamodb_table(
                        args.scope.region, args.scope.account_id, args.scope.name(TABLE_PURPOSE, "dynamodb")
                    )
                ],
                sid="ReadWriteItems",
            ),
            iam_docs.statement(STREAM_ACTIONS, [args.stream_arn], sid="PublishItemEvents"),  # 001-R10
        ]
        if args.stream_kms_key_arn is not None:
            statements.append(
                iam_docs.statement(STREAM_KEY_ACTIONS, [args.stream_kms_key_arn], sid="EncryptStreamRecords")
            )
        return Function(
            f"{self._name}-fn",
            FunctionArgs(
                purpose=FUNCTION_PURPOSE,
                scope=args.scope,
                code=ZipCode("api"),
                log_kms_key_arn=args.log_kms_key_arn,
                statements=statements,
                environment={"TABLE_NAME": table.name, "STREAM_NAME": args.stream_name},
                environment_kms_key_arn=args.environment_kms_key_arn,
                vpc=args.vpc,  # 000-R5: private subnets, egress only to the endpoints
                memory_mb=args.function_memory_mb,
                timeout_s=args.function_timeout_s,
                reserved_concurrency=args.function_reserved_concurrency,
                tracing=args.xray_tracing,
                log_retention_days=args.log_retention_days,
            ),
            opts=self._child,
        )

    def _routes(self) -> aws.apigateway.Deployment:
        """Resources, validated methods with proxy integrations, JSON gateway responses, a deployment."""
        name, api, args = self._name, self.rest_api, self._args
        validator = aws.apigateway.RequestValidator(
            f"{name}-validator",
            rest_api=api.id,
            name=args.scope.name("body-and-parameters"),
            validate_request_body=rest_routes.VALIDATOR["validate_request_body"],
            validate_request_parameters=rest_routes.VALIDATOR["validate_request_parameters"],
            opts=self._child,
        )
        model = aws.apigateway.Model(
            f"{name}-body-model",
            rest_api=api.id,
            # Model names are alphanumeric only (no suffix possible) and local to this API.
            name=rest_routes.BODY_MODEL[0],
            content_type=rest_routes.BODY_MODEL[1],
            schema=json.dumps(rest_routes.BODY_SCHEMA),
            opts=self._child,
        )
        wired = rest_wiring.lambda_routes(
            name,
            api,
            args.routes,
            rest_wiring.lambda_proxy(self.function.invoke_arn, rest_routes.INTEGRATION_TIMEOUT_MS),  # 000-R4
            self._child,
            validator=validator,
            body_model=model,
        )
        wired += rest_wiring.gateway_responses(name, api, rest_routes.GATEWAY_RESPONSES, self._child)
        fingerprint = rest_routes.deployment_fingerprint(
            args.routes, function_name(FUNCTION_PURPOSE, args.scope)
        )
        return rest_wiring.deployment(name, api, fingerprint, wired, self)

    def _stage(self, deployment: aws.apigateway.Deployment) -> aws.apigateway.Stage:
        args = self._args
        # The physical stage name carries the suffix, so the execution log group API Gateway writes,
        # API-Gateway-Execution-Logs_<api-id>/<stage>, ends with it too: pre-created with KMS and
        # retention, it passes the naming policy unexempted.
        stage = stage_args(
            args, STAGE_PURPOSE, args.stage_name, (args.throttle_rate_limit, args.throttle_burst_limit)
        )
        return logged_stage(
            self._name,  # the account's children keep their names (api-logging-role, api-account)
            self,
            self.rest_api.id,
            deployment.id,
            dataclasses.replace(stage, xray_tracing=args.xray_tracing),
        )

    def _web_acl(self) -> WebAcl:
        args = self._args
        return WebAcl(
            f"{self._name}-waf",
            WebAclArgs(
                purpose="api",
                scope=args.scope,
                description=(
                    "Items API stage - CloudFront only via origin header, rate limit, AWS managed rules"
                ),
                acl_scope="REGIONAL",
                rate_limit=args.waf_rate_limit,
                rate_window_s=WAF_RATE_WINDOW_S,
                rate_key=args.waf_rate_key,
                leading_rules=[
                    require_header_rule("origin-verify", ORIGIN_VERIFY_HEADER, self.origin_verify_secret)
                ],
                logging=LogGroupTarget(
                    kms_key_arn=args.log_kms_key_arn,
                    scope=args.scope,
                    redacted_headers=(ORIGIN_VERIFY_HEADER,),  # the origin secret must not land in the logs
                    retention_days=args.log_retention_days,
                )
                if args.waf_logging
                else None,
                resource_arn=self.stage.arn,
                resource_label="stage",
            ),
            opts=self._child,
        )
