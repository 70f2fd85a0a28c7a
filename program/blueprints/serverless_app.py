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
from dataclasses import dataclass

import pulumi

from program import config
from program.blueprints import common
from program.blueprints.common import functions_key, platform
from program.components import cdn_functions
from program.components.bucket import (
    PrivateBucket,
    PrivateBucketArgs,
    known_bucket_arn,
)
from program.components.cdn import Cdn, CdnArgs, CdnOrigin
from program.components.function import ZipCode
from program.components.items_api import ItemsApi, ItemsApiArgs
from program.components.monitoring import Monitoring, MonitoringArgs
from program.components.network import endpoint_placement
from program.components.results import results_lifecycle, results_writer_statements
from program.components.stream import Stream, StreamArgs
from program.components.stream_consumer import StreamConsumer, StreamConsumerArgs
from program.components.waf import LogGroupTarget
from program.config import Key, StackConfig
from program.scope import EDGE_REGION

KEYS = (
    Key("alertEmail", False, "an e-mail address for alarm notifications", "none"),
    common.API_GATEWAY_ACCOUNT_KEY,
)
# The API Lambda writes to Kinesis through the SDK; with egress limited to VPC endpoints (000-R16)
# it needs the kinesis-streams interface endpoint (001-R10).
# Egress is endpoints only: Kinesis for the API's events, X-Ray for the functions' active tracing.
INTERFACE_ENDPOINTS = ("kinesis-streams", "xray")
ACCESS_LOG_DAYS = 90
API_PATH = "/api"
RESULTS_DATA_DAYS, RESULTS_ERRORS_DAYS = 90, 30
# Reserved concurrency (CKV_AWS_115): the API's stage allows 100 rps (burst 50) at ~0.1 s each, so
# 50 leaves room; the consumer runs one batch per shard. Lambda keeps 100 of the account's quota
# unreserved, so the account needs a concurrency quota of 170 or more (the default is 1,000).
API_RESERVED_CONCURRENCY, CONSUMER_RESERVED_CONCURRENCY = 50, 20


@dataclass(frozen=True)
class Settings:
    alert_email: str | None = None
    # The region-wide apigateway.Account (api_account.py): one stack per region owns it.
    manage_api_gateway_account: bool = True


def parse(values: Mapping[str, str]) -> Settings:
    return Settings(
        alert_email=config.email(values, "alertEmail"),
        manage_api_gateway_account=common.manages_api_gateway_account(values),
    )


def build(stack: StackConfig, settings: Settings) -> Mapping[str, pulumi.Input[object]]:
    base = platform(stack)
    scope = base.scope

    network = common.network(base, interface_endpoints=INTERFACE_ENDPOINTS)

    # Server access logs of every other bucket (a log bucket does not log itself).
    access_logs = common.server_access_logs_bucket(base, ACCESS_LOG_DAYS)
    # CloudFront's web ACL lives in us-east-1, so its logs do too, under a key of that region.
    edge = scope.at(EDGE_REGION)
    edge_logs_key = common.edge_logs_key(base)

    env_key = functions_key(base, scope)

    stream = Stream("streaming-stream", StreamArgs(scope=scope), opts=base.opts)
    results = PrivateBucket(
        "streaming-results",
        PrivateBucketArgs(
            purpose="results",
            scope=scope,
            lifecycle=results_lifecycle(RESULTS_DATA_DAYS, RESULTS_ERRORS_DAYS),
            access_log_bucket=access_logs.name,
        ),
        opts=base.opts,
    )
    consumer = StreamConsumer(
        "streaming-consumer",
        StreamConsumerArgs(
            purpose="stream-consumer",
            scope=scope,
            stream=stream,
            code=ZipCode("stream_consumer"),
            log_kms_key_arn=base.logs_key.arn,
            # It writes to S3 through the gateway endpoint (000-R11).
            vpc=endpoint_placement("stream-consumer", network, ["s3"], scope, base.opts),
            statements=results_writer_statements(scope.region, known_bucket_arn("results", scope)),
            environment={"RESULTS_BUCKET": results.name},
            environment_kms_key_arn=env_key.arn,
            # One concurrent batch per shard (parallelization factor 1); on-demand streams start at
            # 4 shards and grow with the write rate, this caps what a surge may take.
            reserved_concurrency=CONSUMER_RESERVED_CONCURRENCY,
            tracing=True,
        ),
        opts=base.opts,
    )

    api = ItemsApi(
        "api",
        ItemsApiArgs(
            scope=scope,
            vpc=endpoint_placement("api", network, ["dynamodb"], scope, base.opts),
            log_kms_key_arn=base.logs_key.arn,
            stream_name=stream.name,
            stream_arn=stream.known_arn,
            environment_kms_key_arn=env_key.arn,
            function_reserved_concurrency=API_RESERVED_CONCURRENCY,
            manage_account_logging_role=settings.manage_api_gateway_account,
        ),
        opts=base.opts,
    )

    edge_logs = LogGroupTarget(edge_logs_key.arn, edge)
    cdn = Cdn(
        "cdn",
        CdnArgs(
            scope=scope,
            origins=[
                CdnOrigin(
                    id="api",
                    domain_name=api.origin_domain,
                    path_pattern=f"{API_PATH}/*",
                    origin_path=api.origin_path,
                    custom_headers=[(api.origin_verify_header, api.origin_verify_secret)],
                    viewer_request_code=cdn_functions.strip_prefix(API_PATH),
                )
            ],
            # CloudFront's custom error responses apply to every origin: a 404 page would replace
            # the API's JSON 404s under /api/* with HTML. The site answers S3's own 404 instead.
            error_pages=(),
            waf_logging=edge_logs,
            access_logging=edge_logs,
            access_log_bucket=access_logs.name,
        ),
        opts=base.opts,
    )

    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            scope=scope,
            alarms=[*api.alarms, *stream.alarms, *consumer.alarms],
            metrics=[*api.metrics, *stream.metrics, *consumer.metrics, *cdn.metrics],
            alert_email=settings.alert_email,
        ),
        opts=base.opts,
    )

    return {
        "region": scope.region,
        "environmentSuffix": scope.suffix,
        "cloudfrontUrl": cdn.url,
        "cloudfrontDistributionId": cdn.distribution_id,
        "cdnWebAclArn": cdn.web_acl_arn,
        "siteBucketName": cdn.bucket_name,
        "apiUrl": pulumi.Output.concat(cdn.url, API_PATH),
        "apiStageArn": api.stage_arn,
        "apiWebAclArn": api.web_acl_arn,
        "apiFunctionName": api.function_name,
        "tableName": api.table_name,
        "streamName": stream.name,
        "resultsBucketName": results.name,
        "consumerFunctionName": consumer.function_name,
        "snsTopicArn": monitoring.topic_arn,
        "alarmNames": monitoring.alarm_names,
        "dashboardName": monitoring.dashboard_name,
        "vpcId": network.vpc_id,
        "privateSubnetIds": network.private_subnet_ids,
    }
