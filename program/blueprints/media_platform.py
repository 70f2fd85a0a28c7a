"""media-platform (seed 004), ap-southeast-1 over exactly 3 AZs.

    browser -> CloudFront (WAF 1000/min/IP, Origin Shield in the stack's region, compression)
                 /*        -> ALB (cached: CachingOptimized)       -> frontend tasks :8080
                 /api/*    -> ALB (CachingDisabled)                -> backend tasks :8000
                 /errors/* -> private S3 bucket (OAC): the custom 4xx/5xx pages
    clients -> API Gateway REST (API key, usage plan, WAF 1000/min/IP, CORS preflight without key)
                 -> VPC link V2 (private subnets) -> the same ALB -> backend tasks :8000
    backend tasks -> Aurora PostgreSQL Serverless v2 :5432 (writer + reader, TLS forced)
                  -> Secrets Manager (the RDS-managed master secret, rotated) and SSM (its config)
    ALB listener: /api/* and /* are blue/green production rules (weights moved by ECS), header-keyed
    test rules in front of them; the default action forwards (ECS blue/green needs all-forward).
    alarms -> CMK-encrypted SNS topic; one dashboard (ALB percentiles, per-service errors, ECS, RDS)

The ALB has no origin-verify header: its security group admits only CloudFront's origin-facing
prefix list and the VPC link's group, and the listener default must be a forward (004-R7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from program import config, iam_docs
from program.alarms import AlarmSpec, MetricRef
from program.blueprints import common
from program.components.cdn import Cdn, CdnArgs, CdnOrigin
from program.components.cdn_origins import CACHING_DISABLED, CACHING_OPTIMIZED, ErrorPage
from program.components.container_image import ContainerImage, ContainerImageArgs
from program.components.container_service import (
    BlueGreen,
    ContainerCluster,
    ContainerClusterArgs,
    ContainerService,
    ContainerServiceArgs,
    LoadBalancerGrant,
)
from program.components.database import Database, DatabaseArgs
from program.components.firewall import Firewall, Peer, Rule, connect
from program.components.linked_api import LinkedApi, LinkedApiArgs
from program.components.load_balancer import (
    HealthCheck,
    LoadBalancer,
    LoadBalancerArgs,
    RouteSpec,
    TargetGroupSpec,
    cloudfront_origin_facing,
)
from program.components.monitoring import Monitoring, MonitoringArgs
from program.components.network_acls import NetworkAcls, NetworkAclsArgs
from program.components.waf import LogGroupTarget
from program.config import Key, StackConfig
from program.scope import EDGE_REGION

KEYS = (
    Key("alertEmail", False, "an e-mail address for alarm notifications", "none"),
    *common.CERTIFICATE_KEYS,
    common.API_GATEWAY_ACCOUNT_KEY,
)

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
SITE_DIR = Path(__file__).resolve().parents[2] / "sites" / "media"
DB_NAME, DB_USER, DB_PORT = "media", "media_admin", 5432
BACKEND_PORT, FRONTEND_PORT, HTTPS = 8000, 8080, 443
MIN_TASKS, MAX_TASKS = 2, 10  # 004-R25
SCALE_OUT_CPU, SCALE_IN_CPU = 70.0, 30.0  # 004-R26
HEALTH_INTERVAL_S = 30  # 004-R8
LOG_DAYS = 30  # 004-R30
SECRET_ROTATION_DAYS = 7  # 004-R14: RDS's own default schedule, set explicitly
IP_LIMIT_PER_MINUTE = 1000  # 004-R17
BLUE_GREEN_TEST_HEADER = "x-blue-green-test"
SSM_ACTIONS = ("ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter")
SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
# CloudFront's error responses apply to every behaviour: the API's own JSON answers (400, 404,
# 405, 409, 422, 503) stay; the pages cover what only WAF, CloudFront or the ALB produce.
ERROR_PAGES = (
    *(ErrorPage(code, "/errors/4xx.html", code) for code in (403, 414, 416)),
    *(ErrorPage(code, "/errors/5xx.html", code) for code in (500, 501, 502, 504)),
)


@dataclass(frozen=True)
class App:
    """One of the two container apps (services/<name>): what its image, tasks and rules differ in."""

    name: Literal["backend", "frontend"]
    port: int
    files: tuple[str, ...]  # the image's build context under services/<name>
    # The Dockerfile's HEALTHCHECK command (ECS ignores HEALTHCHECK; the task definition runs it).
    health_command: tuple[str, ...]
    user: str
    cpu: int
    memory: int
    # The priorities of its test and production listener rules (the ALB's routes in build).
    test_rule: int
    production_rule: int


BACKEND = App(
    name="backend",
    port=BACKEND_PORT,
    files=("Dockerfile", "requirements.txt", "media_api", "migrations", "manage.py"),
    health_command=(
        "python",
        "-c",
        "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % "
        "os.environ.get('PORT', '8000'), timeout=4)",
    ),
    user="10001:10001",
    cpu=512,
    memory=1024,
    test_rule=1,
    production_rule=10,
)
FRONTEND = App(
    name="frontend",
    port=FRONTEND_PORT,
    files=(
        "Dockerfile",
        "package.json",
        "package-lock.json",
        "index.html",
        "vite.config.js",
        "src",
        "server/server.mjs",
    ),
    health_command=(
        "node",
        "-e",
        "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
    ),
    user="1000:1000",
    cpu=256,
    memory=512,
    test_rule=2,
    production_rule=100,
)


@dataclass(frozen=True)
class Settings:
    alert_email: str | None = None
    certificate_arn: str | None = None
    alb_domain_name: str | None = None
    manage_api_gateway_account: bool = True


def parse(values: Mapping[str, str]) -> Settings:
    certificate, domain = common.alb_certificate(
        values, "media.example.com", "CloudFront and API Gateway reach"
    )
    return Settings(
        alert_email=config.email(values, "alertEmail"),
        certificate_arn=certificate,
        alb_domain_name=domain,
        manage_api_gateway_account=common.manages_api_gateway_account(values),
    )


def ssm_prefix(suffix: str) -> str:
    """Where the backend's String parameters live (it reads everything directly under it)."""
    return f"/webstack/media-{suffix}/backend/"


def build(stack: StackConfig, settings: Settings) -> Mapping[str, pulumi.Input[object]]:
    base = common.platform(stack)
    scope = base.scope
    opts = base.opts
    invoke = pulumi.InvokeOptions(provider=base.provider)

    # Exactly 3 AZs (004-R1) and a NAT per AZ (004-R2): the stack's azCount and natGateways.
    network = common.network(base, gateway_endpoints=("s3",))  # ECR's layers come from S3
    NetworkAcls(
        "acls",
        NetworkAclsArgs(
            scope=scope,
            vpc_id=network.vpc_id,
            vpc_cidr=stack.vpc_cidr,
            subnet_ids={"public": network.public_subnet_ids, "private": network.private_subnet_ids},
        ),
        opts=opts,
    )
    data_key = common.data_key(
        base, "media-data", f"Aurora, its managed secret and ECR of media ({scope.suffix})"
    )

    tier = common.tier_groups(base, network)
    # 004-R3: CloudFront prefix list / VPC link -> ALB -> tasks on their port -> DB :5432 (backend only).
    link_sg = tier("media-api-link", "API Gateway VPC link: to the ALB listener only")
    frontend_sg = tier("media-frontend", "frontend tasks: 8080 from the ALB; HTTPS out (ECR, logs)")
    backend_sg = tier("media-backend", "backend tasks: 8000 from the ALB; PostgreSQL; HTTPS out")
    db_sg = tier("media-db", "Aurora: 5432 from the backend tasks only")
    connect(backend_sg, "media-backend", db_sg, "media-db", DB_PORT, "backend tasks to Aurora")
    internet = Peer.cidr("0.0.0.0/0", "internet")
    for task_sg in (frontend_sg, backend_sg):
        task_sg.allow_out(Rule(internet, HTTPS, "ECR, CloudWatch Logs, Secrets Manager, SSM through the NAT"))

    logs = common.access_logs_bucket(base, "media-logs", LOG_DAYS)

    check = HealthCheck(path="/health", interval_s=HEALTH_INTERVAL_S, timeout_s=5, unhealthy_threshold=3)
    groups = [
        TargetGroupSpec(f"{service}-{color}", "ip", check, port=port)
        for service, port in (("frontend", FRONTEND_PORT), ("backend", BACKEND_PORT))
        for color in ("blue", "green")
    ]
    test_secret = random.RandomPassword("blue-green-test", length=24, special=False, opts=opts).result
    alb = LoadBalancer(
        "alb",
        LoadBalancerArgs(
            purpose="media",
            scope=scope,
            vpc_id=network.vpc_id,
            subnet_ids=network.public_subnet_ids,  # 004-R9
            ingress=[cloudfront_origin_facing(invoke), Peer.group("media-api-link", link_sg.id)],
            access_log_bucket=common.after_policy(logs),
            target_groups=groups,
            routes=[
                # Test rules first: only requests with the secret header reach green (004-R7).
                RouteSpec(
                    1, ["/api/*"], "backend-blue", "backend-green", (BLUE_GREEN_TEST_HEADER, test_secret)
                ),
                RouteSpec(
                    2, ["/*"], "frontend-blue", "frontend-green", (BLUE_GREEN_TEST_HEADER, test_secret)
                ),
                RouteSpec(10, ["/api/*"], "backend-blue", "backend-green"),  # 004-R10
                RouteSpec(100, ["/*"], "frontend-blue", "frontend-green"),
            ],
            certificate_arn=settings.certificate_arn,  # 004-R11
            default_target="frontend-blue",
        ),
        opts=opts,
    )
    link_sg.allow_out(
        Rule(Peer.group("media-alb", alb.security_group_id), alb.listener_port, "VPC link to the ALB")
    )
    connect(alb.firewall, "media-alb", frontend_sg, "media-frontend", FRONTEND_PORT, "ALB to frontend tasks")
    connect(alb.firewall, "media-alb", backend_sg, "media-backend", BACKEND_PORT, "ALB to backend tasks")

    database = Database(
        "database",
        DatabaseArgs(
            purpose="media",
            scope=scope,
            subnet_ids=network.private_subnet_ids,
            availability_zones=base.availability_zones,
            security_group=db_sg,
            kms_key_arn=data_key.arn,
            database_name=DB_NAME,
            master_username=DB_USER,
            password=None,  # RDS manages the master secret in Secrets Manager (004-R13)
            readers=1,  # 004-R12: one writer, one reader in another AZ
        ),
        opts=opts,
    )
    aws.secretsmanager.SecretRotation(
        "database-secret-rotation",
        secret_id=database.secret_arn,
        rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
            automatically_after_days=SECRET_ROTATION_DAYS
        ),
        # Set the schedule only: the provider's default (true) would rotate the master password at
        # once on create and on every schedule change.
        rotate_immediately=False,
        opts=pulumi.ResourceOptions(providers=[base.provider], depends_on=[database.cluster]),
    )

    edge_logs_key = common.edge_logs_key(base)
    edge_logs = LogGroupTarget(edge_logs_key.arn, scope.at(EDGE_REGION))
    alb_host = settings.alb_domain_name or alb.dns_name
    protocol: Literal["https-only", "http-only"] = "https-only" if settings.certificate_arn else "http-only"
    cdn = Cdn(
        "cdn",
        CdnArgs(
            scope=scope,
            purpose="media-site",
            site_dir=str(SITE_DIR),
            origins=[
                CdnOrigin(
                    id="frontend",
                    domain_name=alb_host,
                    path_pattern=None,  # the default behaviour (004-R20)
                    protocol_policy=protocol,
                    cache_policy=CACHING_OPTIMIZED,  # static assets (004-R21)
                    origin_request_policy=None,
                    origin_shield_region=scope.region,  # 004-R23
                ),
                CdnOrigin(
                    id="api",
                    domain_name=alb_host,
                    path_pattern="/api/*",
                    protocol_policy=protocol,
                    cache_policy=CACHING_DISABLED,  # the API is never cached
                    origin_shield_region=scope.region,
                ),
            ],
            default_origin="frontend",
            site_path_patterns=("/errors/*",),  # 004-R22
            error_pages=ERROR_PAGES,
            directory_index_function=False,
            waf_rate_limit=IP_LIMIT_PER_MINUTE,  # the viewer's IP: CloudFront's ACL sees it directly
            waf_rate_window_s=60,
            waf_logging=edge_logs,
            access_logging=edge_logs,
            access_log_bucket=logs.name,
        ),
        opts=opts,
    )

    prefix = ssm_prefix(scope.suffix)
    parameters: dict[str, pulumi.Input[str]] = {
        "db-host": database.endpoint,
        "db-port": str(DB_PORT),
        "db-name": DB_NAME,
        "db-sslmode": "require",
        "cors-allow-origin": cdn.url,
    }
    for leaf, value in parameters.items():
        aws.ssm.Parameter(
            f"backend-{leaf}",
            name=f"{prefix}{leaf}",
            type="String",  # 004-R31: non-sensitive config; the password stays in Secrets Manager
            value=value,
            description=f"media backend setting {leaf}",
            opts=opts,
        )

    cluster = ContainerCluster(
        "ecs",
        ContainerClusterArgs(
            purpose="media",
            scope=scope,
            load_balancer=LoadBalancerGrant(
                target_group_arns=[group.arn for group in alb.target_groups.values()],
                listener_arns=[alb.listener.arn],
                rule_arns=[rule.arn for rule in alb.rules],
            ),
        ),
        opts=opts,
    )
    parameter_path = f"arn:aws:ssm:{scope.region}:{scope.account_id}:parameter{prefix.rstrip('/')}"
    backend_statements = [
        iam_docs.statement(SSM_ACTIONS, [parameter_path, f"{parameter_path}/*"], sid="ReadOwnConfig"),
        iam_docs.statement(SECRET_ACTIONS, [database.secret_arn], sid="ReadDatabaseSecret"),
        iam_docs.statement(
            ["kms:Decrypt"],
            [data_key.arn],
            sid="DecryptDatabaseSecret",
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{scope.region}.amazonaws.com"}},
        ),
    ]

    def app_service(
        app: App,
        security_group: Firewall,
        environment: Mapping[str, pulumi.Input[str]],
        writable_paths: Sequence[str] = (),
        task_statements: Sequence[Mapping[str, Any]] = (),
        after: Sequence[pulumi.Resource] = (),
    ) -> tuple[ContainerImage, ContainerService]:
        """The app's image and its ECS service; both services scale alike (004-R25/R26)."""
        image = ContainerImage(
            f"{app.name}-image",
            ContainerImageArgs(
                purpose=f"media-{app.name}",
                scope=scope,
                context_dir=str(SERVICES_DIR / app.name),
                include=app.files,
                kms_key_arn=data_key.arn,
                architecture="arm64",
            ),
            opts=opts,
        )
        service = ContainerService(
            app.name,
            ContainerServiceArgs(
                purpose=f"media-{app.name}",
                scope=scope,
                cluster=cluster,
                image_uri=image.image_uri,
                repository_arn=image.repository.arn,
                container_port=app.port,
                health_command=app.health_command,
                user=app.user,
                subnet_ids=network.private_subnet_ids,
                security_group=security_group,
                log_kms_key_arn=base.logs_key.arn,
                blue_green=BlueGreen(
                    target_group_arn=alb.target_groups[f"{app.name}-blue"].arn,
                    alternate_target_group_arn=alb.target_groups[f"{app.name}-green"].arn,
                    production_listener_rule_arn=alb.rules_by_priority[app.production_rule].arn,
                    test_listener_rule_arn=alb.rules_by_priority[app.test_rule].arn,
                ),
                cpu=app.cpu,
                memory=app.memory,
                environment={**environment, "PORT": str(app.port)},
                writable_paths=writable_paths,
                task_statements=task_statements,
                min_tasks=MIN_TASKS,
                max_tasks=MAX_TASKS,
                scale_out_cpu=SCALE_OUT_CPU,
                scale_in_cpu=SCALE_IN_CPU,
            ),
            opts=pulumi.ResourceOptions(providers=[base.provider], depends_on=[*after]),
        )
        return image, service

    backend_image, backend = app_service(
        BACKEND,
        backend_sg,
        {"DB_SECRET_ARN": database.secret_arn, "SSM_PREFIX": prefix, "AWS_REGION": scope.region},
        writable_paths=("/tmp",),  # gunicorn's heartbeat files; the root stays read-only
        task_statements=backend_statements,
        after=database.ready,
    )
    frontend_image, frontend = app_service(FRONTEND, frontend_sg, {})

    api = LinkedApi(
        "api",
        LinkedApiArgs(
            purpose="media",
            scope=scope,
            load_balancer_arn=alb.arn,
            load_balancer_dns_name=alb_host,
            subnet_ids=network.private_subnet_ids,
            link_security_group=link_sg,
            allow_origin=cdn.url,
            log_kms_key_arn=base.logs_key.arn,
            listener_protocol="https" if settings.certificate_arn else "http",
            ip_limit=IP_LIMIT_PER_MINUTE,
            ip_window_s=60,
            manage_account_logging_role=settings.manage_api_gateway_account,
        ),
        opts=opts,
    )

    alarms, metrics = _observability(alb, database, backend, frontend, api)
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            scope=scope,
            alarms=alarms,
            metrics=[*metrics, *cdn.metrics],
            alert_email=settings.alert_email,
        ),
        opts=opts,
    )

    return {
        "region": scope.region,
        "environmentSuffix": scope.suffix,
        "cloudfrontUrl": cdn.url,  # 004-R36
        "apiEndpoint": api.invoke_url,  # 004-R36
        "rdsEndpoint": database.endpoint,  # 004-R36
        "rdsReaderEndpoint": database.reader_endpoint,
        "cloudfrontDistributionId": cdn.distribution_id,
        "cdnWebAclArn": cdn.web_acl_arn,
        "apiWebAclArn": api.web_acl_arn,
        "apiKeyId": api.api_key_id,
        "apiKeyValue": api.api_key_value,
        "apiStageArn": api.stage_arn,
        "albDnsName": alb.dns_name,
        "errorPagesBucketName": cdn.bucket_name,
        "logsBucketName": logs.name,
        "clusterName": cluster.name,
        "serviceNames": [backend.name, frontend.name],
        "desiredCount": MIN_TASKS,
        # What each service must run once its rollout is done (a circuit-breaker rollback runs the old one).
        "taskDefinitionArns": [backend.task_definition.arn, frontend.task_definition.arn],
        "repositoryNames": [backend_image.repository.name, frontend_image.repository.name],
        "imageUris": [backend_image.image_uri, frontend_image.image_uri],
        "dbSecretArn": database.secret_arn,
        "ssmPrefix": prefix,
        "blueGreenTestHeader": BLUE_GREEN_TEST_HEADER,
        "blueGreenTestValue": test_secret,  # RandomPassword.result is a secret output
        "snsTopicArn": monitoring.topic_arn,
        "alarmNames": monitoring.alarm_names,
        "dashboardName": monitoring.dashboard_name,
        "vpcId": network.vpc_id,
        "privateSubnetIds": network.private_subnet_ids,
        "dbSecurityGroupId": db_sg.id,
        "backendSecurityGroupId": backend_sg.id,
    }


def _observability(
    alb: LoadBalancer,
    database: Database,
    backend: ContainerService,
    frontend: ContainerService,
    api: LinkedApi,
) -> tuple[list[AlarmSpec], list[MetricRef]]:
    """004-R29: ALB percentiles, errors and requests per service, target health, ECS, RDS."""
    lb = {"LoadBalancer": alb.arn_suffix}
    elb = "AWS/ApplicationELB"
    cluster_dim = {"DBClusterIdentifier": database.cluster_identifier}
    metrics: list[MetricRef] = [
        *(
            MetricRef(f"ALB response time {p}", elb, "TargetResponseTime", lb, p)
            for p in ("p50", "p95", "p99")
        ),
        MetricRef("ALB requests", elb, "RequestCount", lb),
    ]
    for service in ("backend", "frontend"):
        for color in ("blue", "green"):
            dims = {"TargetGroup": alb.target_groups[f"{service}-{color}"].arn_suffix, **lb}
            metrics += [
                MetricRef(f"{service} ({color}) requests", elb, "RequestCount", dims),
                MetricRef(f"{service} ({color}) 5xx errors", elb, "HTTPCode_Target_5XX_Count", dims),
                MetricRef(f"{service} ({color}) 4xx errors", elb, "HTTPCode_Target_4XX_Count", dims),
                MetricRef(f"{service} ({color}) healthy targets", elb, "HealthyHostCount", dims, "Minimum"),
            ]
    metrics += [
        MetricRef("DB connections", "AWS/RDS", "DatabaseConnections", cluster_dim, "Maximum"),
        MetricRef("DB read latency", "AWS/RDS", "ReadLatency", cluster_dim, "Average"),
        MetricRef("DB write latency", "AWS/RDS", "WriteLatency", cluster_dim, "Average"),
        MetricRef("DB commit latency", "AWS/RDS", "CommitLatency", cluster_dim, "Average"),
        *backend.metrics,
        *frontend.metrics,
        *api.metrics,
    ]
    alarms: list[AlarmSpec] = [
        AlarmSpec(
            "media-alb-p99",
            "ALB p99 target response time above 1 s (the sub-second API goal)",
            elb,
            "TargetResponseTime",
            lb,
            threshold=1.0,
            statistic=None,
            extended_statistic="p99",
        ),
        AlarmSpec(
            "media-backend-5xx",
            "The backend answers 5xx (503: database unreachable)",
            elb,
            "HTTPCode_Target_5XX_Count",
            {"TargetGroup": alb.target_groups["backend-blue"].arn_suffix, **lb},
            threshold=5,
        ),
        *alb.alarms,
        *database.alarms,
        *backend.alarms,
        *frontend.alarms,
        *api.alarms,
    ]
    return alarms, metrics
