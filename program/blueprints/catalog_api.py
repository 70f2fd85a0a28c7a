"""catalog-api (seed 002), us-east-1 over 3 AZs.

    browser -> CloudFront (WAF, OAC, security headers) -> private S3 site bucket (/errors/* too)
                        \\-> /api/* (Lambda@Edge viewer-request auth, + x-origin-verify)
                             -> ALB (CloudFront prefix list only; rule needs the header, else 403)
                             -> lambda target group -> catalog Lambda alias (container, arm64, 3 GB)
    partners -> API Gateway REST (API key + usage plan) -> the same alias (AWS_PROXY)
    catalog Lambda (private subnets) -> RDS Proxy :5432 (IAM auth, TLS) -> Aurora Serverless v2 :5432
                                     -> DynamoDB sessions + cache (gateway endpoint)
    alarms -> CMK-encrypted SNS topic; one dashboard (EMF service metrics, ALB, Lambda, RDS)

Schema migrations run once per deploy: an ``aws.lambda_.Invocation`` of ``{"action": "migrate"}``
on the alias, re-run when the migrations or the image change (lambdas/catalog_api/README.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from program import config, iam_docs
from program.alarms import AlarmSpec, MetricRef, lambda_alarms
from program.blueprints import common
from program.components.bucket import LifecycleRule, PrivateBucket, PrivateBucketArgs
from program.components.cdn import Cdn, CdnArgs, CdnOrigin
from program.components.cdn_origins import ORIGIN_VERIFY_HEADER, ErrorPage
from program.components.concurrency_scaling import ConcurrencyScaling, ConcurrencyScalingArgs
from program.components.container_image import ContainerImage, ContainerImageArgs, context_digest
from program.components.database import Database, DatabaseArgs, ProxySpec, password_problem
from program.components.edge_function import EdgeFunction, EdgeFunctionArgs
from program.components.firewall import Peer, Rule, connect
from program.components.function import LAMBDAS_DIR, Function, FunctionArgs, ImageCode, VpcPlacement
from program.components.keyed_api import KeyedApi, KeyedApiArgs
from program.components.load_balancer import (
    HealthCheck,
    LoadBalancer,
    LoadBalancerArgs,
    OriginVerify,
    RouteSpec,
    TargetGroupSpec,
    cloudfront_origin_facing,
)
from program.components.monitoring import Monitoring, MonitoringArgs
from program.components.rest_routes import Route
from program.components.tables import Index, KeyValueTable, KeyValueTableArgs
from program.components.waf import LogGroupTarget, WebAcl, WebAclArgs
from program.config import ConfigError, Key, StackConfig

KEYS = (
    Key("alertEmail", False, "an e-mail address for alarm notifications", "none"),
    Key(
        "dbPassword",
        False,
        "secret (`pulumi config set --secret`): Aurora master password, 8-128 printable ASCII "
        "without space / ' \" @",
        "a generated test password",
    ),
    Key(
        "edgeAuthSecret",
        False,
        "secret: the edge authenticator's HS256 key, base64url of 32+ bytes",
        "a generated key (stack output `edgeAuthSecret`)",
    ),
    *common.CERTIFICATE_KEYS,
    common.API_GATEWAY_ACCOUNT_KEY,
)
SECRET_KEYS = ("dbPassword", "edgeAuthSecret")
EDGE_SECRET = re.compile(r"^[A-Za-z0-9_-]{43,}$")

SITE_DIR = Path(__file__).resolve().parents[2] / "sites" / "catalog"
APP_DIR = LAMBDAS_DIR / "catalog_api"
IMAGE_FILES = ("Dockerfile", "package.json", "package-lock.json", "src", "migrations")
FUNCTION_PURPOSE = "catalog"
ALIAS = "live"
DB_NAME, DB_USER = "catalog", "catalog_admin"
MEMORY_MB = 3072  # 002-R6
TIMEOUT_S = 15
PROVISIONED_MIN, PROVISIONED_MAX, PROVISIONED_TARGET = 2, 10, 0.7  # 002-R8/R40
MAX_CONNECTIONS, PROXY_CONNECTIONS = 200, 100  # 002-R24: the proxy takes 50 % of 200
DB_PORT, HTTPS = 5432, 443
LOG_DAYS = 30  # 002-R43: logs and artifacts expire after 30 days
METRICS_NAMESPACE, SERVICE = "Webstack/CatalogApi", "catalog-api"
EDGE_ISSUER = "catalog-auth"
PARTNER_WAF_RATE = 3_000_000  # per IP per 5 minutes: 10,000 rps, the usage plan's rate (002-R32)
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
# The service's routes (lambdas/catalog_api/README.md), the same behind API Gateway.
ROUTES = (
    Route("GET", "/api/products"),
    Route("GET", "/api/products/{sku}"),
    Route("PUT", "/api/products/{sku}"),
    Route("POST", "/api/products/{sku}/reservations"),
    Route("POST", "/api/sessions"),
    Route("GET", "/api/sessions/{sessionId}"),
)
# CloudFront's custom error responses apply to every behaviour. The service's own JSON answers
# (400, 404, 405, 503) are left alone so /api/* errors stay JSON; the pages cover what only S3,
# WAF, CloudFront or the ALB produce (403, 414, 416, 500, 501, 502, 504).
ERROR_PAGES = (
    *(ErrorPage(code, "/errors/4xx.html", code) for code in (403, 414, 416)),
    *(ErrorPage(code, "/errors/5xx.html", code) for code in (500, 501, 502, 504)),
)


@dataclass(frozen=True)
class Settings:
    alert_email: str | None = None
    # Secrets: never in repr, logs or error messages.
    db_password: str | None = field(default=None, repr=False)
    edge_auth_secret: str | None = field(default=None, repr=False)
    certificate_arn: str | None = None
    alb_domain_name: str | None = None
    manage_api_gateway_account: bool = True


def parse(values: Mapping[str, str]) -> Settings:
    ns = config.NAMESPACE
    password = values.get(f"{ns}:dbPassword")
    if password is not None:
        problem = password_problem(password)
        if problem:
            # The value is a secret: the message says what is wrong, never what it is.
            raise ConfigError(f"{ns}:dbPassword: not allowed; {problem}")
    edge_secret = values.get(f"{ns}:edgeAuthSecret")
    if edge_secret is not None and not EDGE_SECRET.match(edge_secret):
        raise ConfigError(f"{ns}:edgeAuthSecret: not allowed; give base64url of 32 or more random bytes")
    certificate, domain = common.alb_certificate(values, "api.example.com", "CloudFront reaches")
    return Settings(
        alert_email=config.email(values, "alertEmail"),
        db_password=password,
        edge_auth_secret=edge_secret,
        certificate_arn=certificate,
        alb_domain_name=domain,
        manage_api_gateway_account=common.manages_api_gateway_account(values),
    )


def _secret(name: str, given: str | None, length: int, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """The configured secret, or a generated one kept (secret) in the stack's state."""
    if given is not None:
        return pulumi.Output.secret(given)
    return pulumi.Output.secret(random.RandomPassword(name, length=length, special=False, opts=opts).result)


def build(stack: StackConfig, settings: Settings) -> Mapping[str, pulumi.Input[object]]:
    base = common.platform(stack)
    scope = base.scope
    opts = base.opts

    network = common.network(base)  # a NAT per AZ (002-R2): the stack's natGateways is per-az
    data_key = common.data_key(
        base, "catalog-data", f"Aurora, its secret, Performance Insights and ECR of catalog ({scope.suffix})"
    )

    # Tier groups first, then the chain function -> proxy :5432 -> cluster :5432 (002-R9).
    tier = common.tier_groups(base, network)
    function_sg = tier("catalog-fn", "catalog Lambda: no ingress; the proxy and DynamoDB only")
    proxy_sg = tier("catalog-proxy", "RDS Proxy: 5432 from the catalog Lambda only")
    db_sg = tier("catalog-db", "Aurora: 5432 from the RDS Proxy only")
    connect(function_sg, "catalog-fn", proxy_sg, "catalog-proxy", DB_PORT, "catalog Lambda to RDS Proxy")
    connect(proxy_sg, "catalog-proxy", db_sg, "catalog-db", DB_PORT, "RDS Proxy to Aurora")

    database = Database(
        "database",
        DatabaseArgs(
            purpose="catalog",
            scope=scope,
            subnet_ids=network.private_subnet_ids,
            availability_zones=base.availability_zones,
            security_group=db_sg,
            kms_key_arn=data_key.arn,
            database_name=DB_NAME,
            master_username=DB_USER,
            password=_secret("db-password", settings.db_password, 32, opts),  # 002-R49
            readers=2,
            max_connections=MAX_CONNECTIONS,
            proxy=ProxySpec(security_group=proxy_sg, connections=PROXY_CONNECTIONS),
        ),
        opts=opts,
    )

    sessions = KeyValueTable(
        "sessions",
        KeyValueTableArgs(
            purpose="catalog-sessions",
            scope=scope,
            hash_key="sessionId",
            attributes={"sessionId": "S", "userId": "S", "expiresAt": "N"},
            ttl_attribute="expiresAt",
            indexes=(Index("byUser", "userId", "expiresAt"),),
        ),
        opts=opts,
    )
    cache = KeyValueTable(
        "cache",
        KeyValueTableArgs(
            purpose="catalog-cache",
            scope=scope,
            hash_key="cacheKey",
            attributes={"cacheKey": "S"},
            ttl_attribute="expiresAt",
        ),
        opts=opts,
    )

    logs = common.access_logs_bucket(base, "catalog-logs", LOG_DAYS)  # SSE-S3 for the ALB (002-R41)
    artifacts = PrivateBucket(
        "artifacts",
        PrivateBucketArgs(
            purpose="catalog-artifacts",
            scope=scope,
            lifecycle=(LifecycleRule("expire-artifacts", expire_days=LOG_DAYS),),
            access_log_bucket=logs.name,
        ),
        opts=opts,
    )

    image = ContainerImage(
        "catalog-image",
        ContainerImageArgs(
            purpose="catalog-api",
            scope=scope,
            context_dir=str(APP_DIR),
            include=IMAGE_FILES,
            kms_key_arn=data_key.arn,
            architecture="arm64",
        ),
        opts=opts,
    )
    function = Function(
        "catalog-fn",
        FunctionArgs(
            purpose=FUNCTION_PURPOSE,
            scope=scope,
            code=ImageCode(image.image_uri),  # 002-R5
            log_kms_key_arn=base.logs_key.arn,
            statements=[],
            environment={
                "DB_HOST": database.proxy_endpoint or "",
                "DB_READER_HOST": database.proxy_reader_endpoint or "",
                "DB_PORT": str(DB_PORT),
                "DB_NAME": DB_NAME,
                "DB_USER": DB_USER,
                "SESSIONS_TABLE": sessions.name,
                "CACHE_TABLE": cache.name,
                "METRICS_NAMESPACE": METRICS_NAMESPACE,
                "SERVICE_NAME": SERVICE,
            },
            vpc=VpcPlacement(
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                security_group=function_sg,
                egress=[
                    Rule(
                        Peer.prefix_list("dynamodb", network.prefix_list_ids["dynamodb"]),
                        HTTPS,
                        "HTTPS to the DynamoDB gateway endpoint",
                    )
                ],
            ),
            architecture="arm64",  # 002-R7
            memory_mb=MEMORY_MB,
            timeout_s=TIMEOUT_S,
            alias=ALIAS,
            provisioned_concurrency=PROVISIONED_MIN,
            provisioned_concurrency_autoscaled=True,
        ),
        opts=opts,
    )
    aws.iam.RolePolicy(
        "catalog-fn-data-policy",
        name=scope.name("catalog-fn-data", "iam-policy"),
        role=function.role.id,
        policy=pulumi.Output.json_dumps(
            iam_docs.document(
                iam_docs.statement(
                    TABLE_ACTIONS, [sessions.known_arn, cache.known_arn], sid="SessionsAndCache"
                ),
                iam_docs.statement(
                    ["dynamodb:Query"], [f"{sessions.known_arn}/index/byUser"], sid="SessionsByUser"
                ),
                database.connect_statement(DB_USER),  # 002-R25
            )
        ),
        opts=pulumi.ResourceOptions(providers=[base.provider], parent=function),
    )
    ConcurrencyScaling(
        "catalog-concurrency",
        ConcurrencyScalingArgs(
            purpose=FUNCTION_PURPOSE,
            scope=scope,
            function_name=function.name,
            alias_name=ALIAS,
            min_capacity=PROVISIONED_MIN,
            max_capacity=PROVISIONED_MAX,
            target_utilization=PROVISIONED_TARGET,
        ),
        opts=pulumi.ResourceOptions(providers=[base.provider], depends_on=[function]),
    )
    assert function.alias is not None
    # Once per deploy (and again when the migrations or the image change): schema migrations.
    aws.lambda_.Invocation(
        "catalog-migrate",
        function_name=function.name,
        qualifier=ALIAS,
        input=json.dumps({"action": "migrate"}),
        triggers={
            "migrations": context_digest(APP_DIR, ("migrations",)),
            "image": image.tag,
        },
        # The tier groups too: their rules are the path function -> proxy -> cluster.
        opts=pulumi.ResourceOptions(
            providers=[base.provider], depends_on=[function, function_sg, proxy_sg, db_sg, *database.ready]
        ),
    )

    origin_secret = _secret("origin-verify", None, 48, opts)
    alb = LoadBalancer(
        "alb",
        LoadBalancerArgs(
            purpose="catalog",
            scope=scope,
            vpc_id=network.vpc_id,
            subnet_ids=network.public_subnet_ids,
            ingress=[cloudfront_origin_facing(pulumi.InvokeOptions(provider=base.provider))],  # 002-R14
            access_log_bucket=common.after_policy(logs),
            target_groups=[
                TargetGroupSpec("api", "lambda", HealthCheck(path="/health", interval_s=5, timeout_s=2))
            ],
            routes=[RouteSpec(10, ["/api/*", "/health"], "api")],
            certificate_arn=settings.certificate_arn,
            origin_verify=OriginVerify(ORIGIN_VERIFY_HEADER, origin_secret),
        ),
        opts=opts,
    )
    alb.attach_lambda("api", function.name, ALIAS, function.alias.arn)

    api = KeyedApi(
        "partner-api",
        KeyedApiArgs(
            purpose="catalog",
            scope=scope,
            routes=ROUTES,
            function_name=function.name,
            alias_name=ALIAS,
            alias_invoke_arn=function.alias.invoke_arn,
            log_kms_key_arn=base.logs_key.arn,
            manage_account_logging_role=settings.manage_api_gateway_account,
        ),
        opts=opts,
    )

    # The partner channel's own web ACL: managed rules and a per-IP ceiling at the plan's rate.
    WebAcl(
        "partner-api-waf",
        WebAclArgs(
            purpose="catalog-api",
            scope=scope,
            description="catalog partner API stage: AWS managed rules and a per-IP rate ceiling",
            acl_scope="REGIONAL",
            rate_limit=PARTNER_WAF_RATE,
            rate_window_s=300,
            logging=LogGroupTarget(base.logs_key.arn, scope),
            resource_arn=api.stage_arn,
            resource_label="stage",
        ),
        opts=opts,
    )

    edge_secret = _secret("edge-auth-secret", settings.edge_auth_secret, 64, opts)
    edge = EdgeFunction(
        "edge-auth",
        EdgeFunctionArgs(
            purpose="catalog-edge-auth",
            scope=scope,
            folder="catalog_edge",
            config={"secret": edge_secret, "issuer": EDGE_ISSUER, "leewaySeconds": 30},
        ),
        opts=opts,
    )
    cdn_logs = LogGroupTarget(base.logs_key.arn, scope)  # the stack is in us-east-1 already
    cdn = Cdn(
        "cdn",
        CdnArgs(
            scope=scope,
            purpose="catalog-site",
            site_dir=str(SITE_DIR),
            origins=[
                CdnOrigin(
                    id="alb",
                    domain_name=settings.alb_domain_name or alb.dns_name,
                    path_pattern="/api/*",
                    custom_headers=[(ORIGIN_VERIFY_HEADER, origin_secret)],
                    # *.elb.amazonaws.com cannot carry a certificate (002-R16).
                    protocol_policy="https-only" if settings.certificate_arn else "http-only",
                    viewer_request_lambda_arn=edge.qualified_arn,
                )
            ],
            site_path_patterns=("/errors/*",),
            error_pages=ERROR_PAGES,
            directory_index_function=False,
            waf_logging=cdn_logs,
            access_logging=cdn_logs,
            access_log_bucket=logs.name,
        ),
        opts=opts,
    )

    dims = {"FunctionName": function.name}
    service = {"Service": SERVICE}
    alarms: list[AlarmSpec] = [
        *lambda_alarms("catalog-fn", function.name),  # 002-R39
        AlarmSpec(
            "catalog-fn-concurrency",
            "Catalog Lambda concurrency near the provisioned maximum (002-R37: no EC2 tasks here)",
            "AWS/Lambda",
            "ConcurrentExecutions",
            dims,
            threshold=PROVISIONED_MAX * 8,
            statistic="Maximum",
        ),
        AlarmSpec(
            "catalog-unavailable",
            "The catalog answers 503: PostgreSQL or DynamoDB unreachable (EMF Unavailable)",
            METRICS_NAMESPACE,
            "Unavailable",
            service,
            threshold=5,
        ),
        *alb.alarms,
        *database.alarms,
        *api.alarms,
    ]
    metrics: list[MetricRef] = [
        MetricRef("catalog requests", METRICS_NAMESPACE, "Requests", service),
        MetricRef("catalog latency p99", METRICS_NAMESPACE, "Latency", service, "p99"),
        MetricRef("catalog latency p50", METRICS_NAMESPACE, "Latency", service, "p50"),
        MetricRef("catalog server errors", METRICS_NAMESPACE, "ServerErrors", service),
        MetricRef("catalog client errors", METRICS_NAMESPACE, "ClientErrors", service),
        MetricRef("catalog reservations", METRICS_NAMESPACE, "Reservations", service),
        MetricRef("catalog Lambda concurrency", "AWS/Lambda", "ConcurrentExecutions", dims, "Maximum"),
        MetricRef(
            "catalog provisioned concurrency utilization",
            "AWS/Lambda",
            "ProvisionedConcurrencyUtilization",
            {"FunctionName": function.name, "Resource": pulumi.Output.concat(function.name, f":{ALIAS}")},
            "Maximum",
        ),
        MetricRef("catalog Lambda errors", "AWS/Lambda", "Errors", dims),
        MetricRef("catalog Lambda throttles", "AWS/Lambda", "Throttles", dims),
        *alb.metrics,
        *database.metrics,
        *api.metrics,
        *cdn.metrics,
    ]
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(scope=scope, alarms=alarms, metrics=metrics, alert_email=settings.alert_email),
        opts=opts,
    )

    return {
        "region": scope.region,
        "environmentSuffix": scope.suffix,
        "cloudfrontUrl": cdn.url,
        "cloudfrontDistributionId": cdn.distribution_id,
        "siteBucketName": cdn.bucket_name,
        "logsBucketName": logs.name,
        "artifactsBucketName": artifacts.name,
        "albDnsName": alb.dns_name,
        "albUrl": pulumi.Output.concat("https://" if settings.certificate_arn else "http://", alb.dns_name),
        "apiUrl": api.invoke_url,
        "apiKeyId": api.api_key_id,
        "apiKeyValue": api.api_key_value,
        "functionName": function.name,
        "functionAlias": ALIAS,
        "imageUri": image.image_uri,
        "edgeFunctionArn": edge.qualified_arn,
        "edgeAuthSecret": edge_secret,
        "edgeAuthIssuer": EDGE_ISSUER,
        "clusterEndpoint": database.endpoint,
        "clusterReaderEndpoint": database.reader_endpoint,
        "proxyEndpoint": database.proxy_endpoint,
        "proxyReaderEndpoint": database.proxy_reader_endpoint,
        "sessionsTableName": sessions.name,
        "cacheTableName": cache.name,
        "snsTopicArn": monitoring.topic_arn,
        "alarmNames": monitoring.alarm_names,
        "dashboardName": monitoring.dashboard_name,
        "vpcId": network.vpc_id,
        "privateSubnetIds": network.private_subnet_ids,
        "dbSecurityGroupId": db_sg.id,
        "proxySecurityGroupId": proxy_sg.id,
        "functionSecurityGroupId": function_sg.id,
    }
