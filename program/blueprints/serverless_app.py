"""serverless-app (seeds 000 and 001), us-west-2 over 2 AZs.

    browser -> CloudFront (WAF, OAC) -> private S3 site bucket
                        \\-> /api/* (+ x-origin-verify) -> regional WAF -> REST API -> VPC Lambda
                                                                   -> DynamoDB (gateway endpoint)
                                                                   -> Kinesis (interface endpoint)
    Kinesis -> event source mapping -> consumer Lambda (VPC) -> results bucket (gateway endpoint)
    alarms of every part -> CMK-encrypted SNS topic (+ e-mail); one dashboard

The backend is "private" (001-R5) in the only way a browser-facing API can be: reachable through
CloudFront alone, which adds a secret header the API's WAF requires.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_random as random

from program import arns, naming
from program.blueprints.common import platform
from program.components import cdn_functions
from program.components.bucket import (
    LifecycleRule,
    PrivateBucket,
    PrivateBucketArgs,
    access_log_delivery_statement,
)
from program.components.cdn import Cdn, CdnArgs, CdnOrigin
from program.components.function import VpcPlacement
from program.components.kms import ServiceKey, ServiceKeyArgs, log_groups_grant
from program.components.monitoring import Monitoring, MonitoringArgs
from program.components.network import Network, NetworkArgs
from program.components.serverless_api import ServerlessApi, ServerlessApiArgs
from program.components.streaming import Streaming, StreamingArgs
from program.components.waf import WebAclLogging
from program.config import StackConfig

# The API Lambda writes to Kinesis through the SDK; with egress limited to VPC endpoints (000-R16)
# it needs the kinesis-streams interface endpoint (001-R10).
INTERFACE_ENDPOINTS = ("kinesis-streams",)
EDGE_REGION = "us-east-1"  # CloudFront's WAF, and so its logs
ACCESS_LOG_DAYS = 90
API_PATH = "/api"


def build(config: StackConfig) -> Mapping[str, pulumi.Input[object]]:
    base = platform(config)
    suffix, account, region = config.environment_suffix, base.account_id, config.region
    access_logs_name = naming.physical_name("access-logs", suffix, "s3-bucket", account_id=account)

    network = Network(
        "network",
        NetworkArgs(
            suffix=suffix,
            account_id=account,
            region=region,
            cidr=config.vpc_cidr,
            availability_zones=base.availability_zones,
            public_subnet_cidrs=config.public_subnet_cidrs,
            private_subnet_cidrs=config.private_subnet_cidrs,
            nat_gateways=config.nat_gateways,
            flow_log_kms_key_arn=base.logs_key.arn,
            interface_endpoints=INTERFACE_ENDPOINTS,
        ),
        opts=base.opts,
    )

    def placement(*prefix_lists: str) -> VpcPlacement:
        """Private subnets; HTTPS egress only to the named gateway endpoints and interface endpoints."""
        return VpcPlacement(
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            replacement_security_group_id=network.default_security_group_id,
            egress_prefix_list_ids=[network.prefix_list_ids[name] for name in prefix_lists],
            egress_security_group_ids=[network.endpoint_security_group.id],
        )

    # Server access logs of every other bucket (a log bucket does not log itself).
    access_logs = PrivateBucket(
        "access-logs",
        PrivateBucketArgs(
            purpose="access-logs",
            suffix=suffix,
            account_id=account,
            lifecycle=(LifecycleRule("expire-logs", expire_days=ACCESS_LOG_DAYS),),
            policy_statements=[access_log_delivery_statement(arns.s3_bucket(access_logs_name), account)],
        ),
        opts=base.opts,
    )
    # CloudFront's web ACL lives in us-east-1, so its logs do too, under a key of that region.
    edge_logs_key = ServiceKey(
        "edge-logs",
        ServiceKeyArgs(
            purpose="edge-logs",
            suffix=suffix,
            account_id=account,
            description=f"Logs of webstack {config.blueprint} ({suffix}) kept in {EDGE_REGION}",
            grants=(log_groups_grant(EDGE_REGION, account, suffix),),
            region=EDGE_REGION,
        ),
        opts=base.opts,
    )

    streaming = Streaming(
        "streaming",
        StreamingArgs(
            suffix=suffix,
            account_id=account,
            region=region,
            log_kms_key_arn=base.logs_key.arn,
            vpc=placement("s3"),
            access_log_bucket=access_logs.name,
        ),
        opts=base.opts,
    )

    # The secret CloudFront sends and the API's WAF requires (001-R5). Rotate by replacing it.
    origin_secret = random.RandomPassword("origin-verify", length=48, special=False)
    api = ServerlessApi(
        "api",
        ServerlessApiArgs(
            suffix=suffix,
            account_id=account,
            region=region,
            vpc=placement("dynamodb"),
            log_kms_key_arn=base.logs_key.arn,
            stream_name=streaming.stream_name,
            stream_arn=streaming.known_stream_arn,
            origin_verify_secret=origin_secret.result,
        ),
        opts=base.opts,
    )

    cdn = Cdn(
        "cdn",
        CdnArgs(
            suffix=suffix,
            account_id=account,
            region=region,
            origins=[
                CdnOrigin(
                    id="api",
                    domain_name=api.origin_domain,
                    path_pattern=f"{API_PATH}/*",
                    origin_path=api.origin_path,
                    custom_headers=[(api.origin_verify_header, origin_secret.result)],
                    viewer_request_code=cdn_functions.strip_prefix(API_PATH),
                )
            ],
            # CloudFront's custom error responses apply to every origin: a 404 page would replace
            # the API's JSON 404s under /api/* with HTML. The site answers S3's own 404 instead.
            error_pages=(),
            waf_logging=WebAclLogging(edge_logs_key.arn, account, EDGE_REGION),
            access_logging=WebAclLogging(edge_logs_key.arn, account, EDGE_REGION),
            access_log_bucket=access_logs.name,
        ),
        opts=base.opts,
    )

    alarms = [*api.alarms, *streaming.alarms]
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            suffix=suffix,
            account_id=account,
            region=region,
            alarms=alarms,
            metrics=[*api.metrics, *streaming.metrics, *cdn.metrics],
            alert_email=config.alert_email,
        ),
        opts=base.opts,
    )

    return {
        "region": region,
        "environmentSuffix": suffix,
        "cloudfrontUrl": cdn.url,
        "cloudfrontDistributionId": cdn.distribution_id,
        "cdnWebAclArn": cdn.web_acl_arn,
        "siteBucketName": cdn.bucket_name,
        "apiUrl": pulumi.Output.concat(cdn.url, API_PATH),
        "apiStageArn": api.stage_arn,
        "apiWebAclArn": api.web_acl_arn,
        "apiFunctionName": api.function_name,
        "tableName": api.table_name,
        "streamName": streaming.stream_name,
        "resultsBucketName": streaming.bucket_name,
        "consumerFunctionName": streaming.function_name,
        "snsTopicArn": monitoring.topic_arn,
        "alarmNames": monitoring.alarm_names,
        "dashboardName": monitoring.dashboard_name,
        "vpcId": network.vpc_id,
        "privateSubnetIds": network.private_subnet_ids,
    }
