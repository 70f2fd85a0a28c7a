"""Logging family (advisory): every entry point and network leaves a record, and records expire.

API Gateway stages write access logs and execution logs; load balancers, CloudFront and WAF web
ACLs log their requests; every VPC has a flow log; S3 buckets log server access; ECS clusters turn
on Container Insights and containers name a log driver; log groups set a retention (000-R17,
002-R35, 004-R30). Lambda functions and REST API stages trace requests with X-Ray (checkov
CKV_AWS_50/73, FSBP APIGateway.3); HTTP API stages have no X-Ray tracing and are not judged.
Relations (flow log to VPC, logging configuration to web ACL) are matched through property
dependencies, so they hold in preview.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, of_type, resource_policy, stack_policy
from ._relations import (
    BUCKETS,
    DISTRIBUTION,
    FUNCTION,
    HTTP_STAGE,
    LOAD_BALANCERS,
    LOG_DELIVERY_SOURCE,
    REST_STAGE,
    TASK_DEFINITION,
    VPC,
    WEB_ACL,
    containers,
    dig,
    is_set,
    referrers,
    unreferenced,
)

METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
EXECUTION_LOG_LEVELS = ("INFO", "ERROR")
# Gateway load balancers write no access logs.
LOGGING_LOAD_BALANCER_TYPES = ("application", "network")


def _check_stage_access_logs(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "accessLogSettings", "destinationArn"):
        yield (
            "writes no access logs. Set accessLogSettings.destinationArn to a CloudWatch log group ARN "
            "(with retention) and accessLogSettings.format to a JSON line."
        )


def _logs_all_methods(settings: PolicyResource) -> bool:
    return settings.props.get("methodPath") == "*/*" and (
        dig(settings.props, "settings", "loggingLevel") in EXECUTION_LOG_LEVELS
    )


def _check_execution_logs(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for stage in unreferenced(
        args.resources, [REST_STAGE], [METHOD_SETTINGS], "stageName", _logs_all_methods
    ):
        yield (
            stage.urn,
            "has no execution logs. Add aws.apigateway.MethodSettings(rest_api, stage_name=stage.stage_name, "
            "method_path='*/*', settings.logging_level='INFO' or 'ERROR'); the region needs an "
            "apigateway.Account with a CloudWatch role (000-R17).",
        )


def _check_load_balancer_logs(args: ResourceValidationArgs) -> Iterator[str]:
    kind = args.props.get("loadBalancerType") or "application"
    # accessLogs.enabled defaults to false, even when a bucket is given.
    if kind in LOGGING_LOAD_BALANCER_TYPES and dig(args.props, "accessLogs", "enabled") is not True:
        yield (
            "writes no access logs. Set accessLogs.enabled=true and accessLogs.bucket to a bucket whose "
            "policy lets the ELB log delivery service write (SSE-S3, 002-R41)."
        )


def _check_flow_logs(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for vpc in unreferenced(args.resources, [VPC], [FLOW_LOG], "vpcId"):
        yield (
            vpc.urn,
            "has no flow log. Add aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL') to a log group with "
            "retention (subnet or ENI flow logs do not cover the VPC).",
        )


def _check_retention(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent or 0: the logs never expire.
    if not args.props.get("retentionInDays"):
        yield "keeps logs forever (no retentionInDays). Set retentionInDays (e.g. 30, 004-R30)."


def _check_waf_logging(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    logged = set(referrers(args.resources, [WAF_LOGGING, LOG_DELIVERY_SOURCE], "resourceArn"))
    for acl in of_type(args.resources, WEB_ACL):
        if acl.urn not in logged:
            yield (
                acl.urn,
                "logs no requests. Add aws.wafv2.WebAclLoggingConfiguration(resource_arn=acl.arn, "
                "log_destination_configs=[<log group ARN starting 'aws-waf-logs-'>]).",
            )


def _check_cloudfront_logging(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    # Standard logging (legacy, loggingConfig.bucket) or v2 logging (a CloudWatch LogDeliverySource).
    delivered = set(referrers(args.resources, [LOG_DELIVERY_SOURCE], "resourceArn"))
    for distribution in of_type(args.resources, DISTRIBUTION):
        if distribution.urn not in delivered and not is_set(distribution.props, "loggingConfig", "bucket"):
            yield (
                distribution.urn,
                "logs no requests. Set loggingConfig.bucket (standard logging), or add a "
                "cloudwatch.LogDeliverySource(resource_arn=distribution.arn, log_type='ACCESS_LOGS') "
                "with a LogDelivery.",
            )


def _check_bucket_logging(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    # A bucket that receives server access logs is exempt: logging it into itself would loop.
    targets = set(referrers(args.resources, BUCKET_LOGGING, "targetBucket"))
    for bucket in unreferenced(args.resources, BUCKETS, BUCKET_LOGGING, "bucket"):
        if bucket.urn not in targets:
            yield (
                bucket.urn,
                "logs no server access. Add aws.s3.BucketLogging(bucket=..., target_bucket=<log bucket>, "
                "target_prefix=...).",
            )


def _check_container_insights(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: the account's containerInsights setting applies, which is disabled unless changed.
    values = [
        s.get("value") for s in as_list(args.props.get("settings")) if s.get("name") == "containerInsights"
    ]
    if not any(value in ("enabled", "enhanced") for value in values):
        yield (
            "does not turn on Container Insights. Add settings=[{name: 'containerInsights', "
            "value: 'enabled'}]."
        )


def _check_container_logs(args: ResourceValidationArgs) -> Iterator[str]:
    for name, container in containers(args.props):
        if not is_set(container, "logConfiguration", "logDriver"):
            yield (
                f"container {name} has no logConfiguration: its output is lost. Set logConfiguration "
                "{logDriver: 'awslogs', options: {awslogs-group, awslogs-region, awslogs-stream-prefix}}."
            )


def _check_lambda_tracing(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: PassThrough, which traces only requests an upstream service already sampled.
    mode = dig(args.props, "tracingConfig", "mode")
    if mode != "Active":
        yield (
            f"tracingConfig.mode is {mode or 'not set (PassThrough)'}, so X-Ray records only requests an "
            "upstream service already sampled. Set tracingConfig.mode to 'Active' and let the role "
            "call xray:PutTraceSegments and xray:PutTelemetryRecords."
        )


def _check_stage_tracing(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("xrayTracingEnabled") is not True:  # absent: false
        yield (
            "does not trace requests with X-Ray (xrayTracingEnabled is not true). Set "
            "xrayTracingEnabled=True on the stage."
        )


api_stage_access_logs = resource_policy(
    "logging-api-stage-access-logs",
    "API Gateway stages (REST and HTTP) write access logs (accessLogSettings.destinationArn).",
    _check_stage_access_logs,
    types=[REST_STAGE, HTTP_STAGE],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set accessLogSettings with a log group ARN and a JSON format.",
    anchors=Anchors(cdk_nag=("AwsSolutions-APIG1", "Serverless-APIGWAccessLogging"), checkov=("CKV_AWS_76",)),
)

api_execution_logs = stack_policy(
    "logging-api-execution-logs",
    "Every REST API stage has MethodSettings for '*/*' with loggingLevel INFO or ERROR.",
    _check_execution_logs,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add apigateway.MethodSettings(method_path='*/*', settings.logging_level='INFO').",
    anchors=Anchors(cdk_nag=("AwsSolutions-APIG6",), checkov=("CKV2_AWS_4",), fsbp=("APIGateway.1",)),
)

load_balancer_access_logs = resource_policy(
    "logging-alb-access-logs",
    "Application and network load balancers write access logs (accessLogs.enabled).",
    _check_load_balancer_logs,
    types=LOAD_BALANCERS,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set accessLogs={enabled: true, bucket: <log bucket>}.",
    anchors=Anchors(cdk_nag=("AwsSolutions-ELB2",), checkov=("CKV_AWS_91",), fsbp=("ELB.5",)),
)

vpc_flow_logs = stack_policy(
    "logging-vpc-flow-logs",
    "Every VPC has a flow log (an ec2.FlowLog whose vpcId is the VPC).",
    _check_flow_logs,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL', log_destination=<log group ARN>).",
    anchors=Anchors(cdk_nag=("AwsSolutions-VPC7",), checkov=("CKV2_AWS_11",), fsbp=("EC2.6",)),
)

log_group_retention = resource_policy(
    "logging-log-group-retention",
    "CloudWatch log groups set retentionInDays (absent or 0 keeps logs forever).",
    _check_retention,
    types=[LOG_GROUP],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set retentionInDays.",
    anchors=Anchors(
        cdk_nag=("Serverless-CloudWatchLogGroupRetentionPeriod",),
        checkov=("CKV_AWS_66",),
        fsbp=("CloudWatch.16",),
    ),
)

waf_logging = stack_policy(
    "logging-waf-web-acl",
    "Every WAFv2 web ACL has a logging configuration (or a CloudWatch log delivery source).",
    _check_waf_logging,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add wafv2.WebAclLoggingConfiguration(resource_arn=acl.arn, log_destination_configs=[...]).",
    anchors=Anchors(checkov=("CKV2_AWS_31", "CKV_AWS_176"), fsbp=("WAF.11",)),
)

cloudfront_logging = stack_policy(
    "logging-cloudfront",
    "CloudFront distributions log requests: loggingConfig.bucket, or a v2 LogDeliverySource.",
    _check_cloudfront_logging,
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set loggingConfig.bucket, or add a cloudwatch.LogDeliverySource and LogDelivery.",
    anchors=Anchors(cdk_nag=("AwsSolutions-CFR3",), checkov=("CKV_AWS_86",), fsbp=("CloudFront.5",)),
)

s3_access_logs = stack_policy(
    "logging-s3-access-logs",
    "Every S3 bucket that is not itself a log target has server access logging (a BucketLogging).",
    _check_bucket_logging,
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Add s3.BucketLogging(bucket=..., target_bucket=<log bucket>).",
    anchors=Anchors(cdk_nag=("AwsSolutions-S1",), checkov=("CKV_AWS_18",), fsbp=("S3.9",)),
)

ecs_container_insights = resource_policy(
    "logging-ecs-container-insights",
    "ECS clusters turn on Container Insights (settings containerInsights enabled or enhanced).",
    _check_container_insights,
    types=[ECS_CLUSTER],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Add settings=[ClusterSettingArgs(name='containerInsights', value='enabled')].",
    anchors=Anchors(cdk_nag=("AwsSolutions-ECS4",), checkov=("CKV_AWS_65",), fsbp=("ECS.12",)),
)

ecs_container_logs = resource_policy(
    "logging-ecs-container-logs",
    "Every container of an ECS task definition has a logConfiguration with a logDriver.",
    _check_container_logs,
    types=[TASK_DEFINITION],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Give each container logConfiguration {logDriver: 'awslogs', options: {...}}.",
    anchors=Anchors(cdk_nag=("AwsSolutions-ECS7",), fsbp=("ECS.9",)),
)

lambda_tracing = resource_policy(
    "logging-lambda-tracing",
    "Lambda functions trace requests with X-Ray (tracingConfig.mode Active).",
    _check_lambda_tracing,
    types=[FUNCTION],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set tracingConfig.mode='Active' (tracing_config=FunctionTracingConfigArgs(mode='Active')) "
    "and allow xray:PutTraceSegments/PutTelemetryRecords on Resource '*' (they take no resource ARN).",
    anchors=Anchors(checkov=("CKV_AWS_50",)),
)

api_stage_tracing = resource_policy(
    "logging-api-stage-tracing",
    "REST API stages trace requests with X-Ray (xrayTracingEnabled).",
    _check_stage_tracing,
    types=[REST_STAGE],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set xrayTracingEnabled=True on the apigateway.Stage.",
    anchors=Anchors(checkov=("CKV_AWS_73",), fsbp=("APIGateway.3",)),
)

POLICIES = [
    api_stage_access_logs,
    api_execution_logs,
    load_balancer_access_logs,
    vpc_flow_logs,
    log_group_retention,
    waf_logging,
    cloudfront_logging,
    s3_access_logs,
    ecs_container_insights,
    ecs_container_logs,
    lambda_tracing,
    api_stage_tracing,
]
