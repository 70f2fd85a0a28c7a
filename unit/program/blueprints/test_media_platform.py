"""media-platform blueprint (seed 004), asserted on the captured graph of media-dev (rows 004-R*)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import CapturedResource, Graph
from program.blueprints import media_platform
from program.config import ConfigError
from unit.conftest import capture_stack
from unit.program.blueprints.rows import unaccounted_rows

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_stack("media-dev")


@pytest.fixture(scope="module")
def tls_graph() -> Graph:
    return capture_stack(
        "media-dev",
        **{
            "webstack:certificateArn": f"arn:aws:acm:ap-southeast-1:{ACCOUNT}:certificate/1234abcd-0000",
            "webstack:albDomainName": "media.example.com",
        },
    )


def named(graph: Graph, type_token: str, name: str) -> dict[str, Any]:
    return graph.one(type_token, name).inputs


def containers(graph: Graph, service: str) -> dict[str, Any]:
    task = named(graph, "aws:ecs/taskDefinition:TaskDefinition", f"{service}-task")
    (container,) = json.loads(task["containerDefinitions"])
    return dict(container)


def policy(graph: Graph, name: str) -> list[dict[str, Any]]:
    return list(json.loads(named(graph, "aws:iam/rolePolicy:RolePolicy", name)["policy"])["Statement"])


def ingress_from(graph: Graph, group: CapturedResource) -> list[dict[str, Any]]:
    return [
        r.inputs
        for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == group.outputs["id"]
    ]


def group(graph: Graph, name: str) -> CapturedResource:
    return next(g for g in graph.by_type("aws:ec2/securityGroup:SecurityGroup") if g.inputs["name"] == name)


def test_004_R40_one_ap_southeast_1_provider(graph: Graph) -> None:
    (provider,) = graph.by_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "ap-southeast-1"


def test_004_R1_six_subnets_over_exactly_three_azs_and_004_R2_a_nat_per_az(graph: Graph) -> None:
    subnets = graph.by_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6
    tiers = {s.inputs["tags"]["Tier"] for s in subnets}
    assert tiers == {"public", "private"}
    assert {s.inputs["availabilityZone"] for s in subnets} == {
        "ap-southeast-1a",
        "ap-southeast-1b",
        "ap-southeast-1c",
    }
    assert len(graph.by_type("aws:ec2/natGateway:NatGateway")) == 3


def test_004_R4_every_subnet_has_a_tier_acl_with_ephemeral_returns(graph: Graph) -> None:
    acls = graph.by_type("aws:ec2/networkAcl:NetworkAcl")
    assert len(acls) == 2
    associated = [s for acl in acls for s in acl.inputs["subnetIds"]]
    assert sorted(associated) == sorted(s.outputs["id"] for s in graph.by_type("aws:ec2/subnet:Subnet"))
    for acl in acls:
        rules = [
            r.inputs
            for r in graph.by_type("aws:ec2/networkAclRule:NetworkAclRule")
            if r.inputs["networkAclId"] == acl.outputs["id"]
        ]
        assert any(not r["egress"] and r["cidrBlock"] == "0.0.0.0/0" and r["toPort"] == 65535 for r in rules)
        assert any(r["egress"] and r["toPort"] in (0, 65535) for r in rules)


def test_004_R3_tier_groups_chain_alb_tasks_database(graph: Graph) -> None:
    alb, db = group(graph, "media-alb-dev"), group(graph, "media-db-dev")
    backend, frontend = group(graph, "media-backend-dev"), group(graph, "media-frontend-dev")
    link = group(graph, "media-api-link-dev")
    alb_in = ingress_from(graph, alb)
    assert {r["fromPort"] for r in alb_in} == {80}
    assert sorted(bool(r.get("prefixListId")) for r in alb_in) == [False, True]
    assert [r["referencedSecurityGroupId"] for r in alb_in if r.get("referencedSecurityGroupId")] == [
        link.outputs["id"]
    ]
    (db_in,) = ingress_from(graph, db)
    assert (db_in["fromPort"], db_in["referencedSecurityGroupId"]) == (5432, backend.outputs["id"])
    for task, port in ((backend, 8000), (frontend, 8080)):
        (rule,) = ingress_from(graph, task)
        assert (rule["fromPort"], rule["toPort"], rule["referencedSecurityGroupId"]) == (
            port,
            port,
            alb.outputs["id"],
        )


def test_004_R5_fargate_cluster_with_container_insights(graph: Graph) -> None:
    cluster = named(graph, "aws:ecs/cluster:Cluster", "ecs-cluster")
    assert cluster["name"] == "media-dev"
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]


@pytest.mark.parametrize(
    ("service", "cpu", "memory", "port", "user"),
    [("backend", "512", "1024", 8000, "10001:10001"), ("frontend", "256", "512", 8080, "1000:1000")],
)
def test_004_R6_task_definitions_fargate_sizes_non_root_read_only_awslogs(
    graph: Graph, service: str, cpu: str, memory: str, port: int, user: str
) -> None:
    task = named(graph, "aws:ecs/taskDefinition:TaskDefinition", f"{service}-task")
    assert (task["cpu"], task["memory"]) == (cpu, memory)
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    container = containers(graph, service)
    assert container["user"] == user and container["readonlyRootFilesystem"] is True
    assert container["portMappings"] == [{"containerPort": port, "protocol": "tcp"}]
    logs = container["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"]["awslogs-group"] == f"media-{service}-ecs-dev"
    assert logs["options"]["awslogs-region"] == "ap-southeast-1"
    group_ = named(graph, "aws:cloudwatch/logGroup:LogGroup", f"{service}-logs")
    assert group_["retentionInDays"] == 30 and group_["kmsKeyId"].startswith("arn:aws:kms:")


def test_004_R6_backend_gets_a_writable_tmp_and_its_config_pointers(graph: Graph) -> None:
    task = named(graph, "aws:ecs/taskDefinition:TaskDefinition", "backend-task")
    assert task["volumes"] == [{"name": "scratch0"}]
    container = containers(graph, "backend")
    assert container["mountPoints"] == [{"sourceVolume": "scratch0", "containerPath": "/tmp"}]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["SSM_PREFIX"] == "/webstack/media-dev/backend/"
    assert set(env) == {"DB_SECRET_ARN", "SSM_PREFIX", "AWS_REGION", "PORT"}
    assert "secrets" not in container  # 004-R28: no credential is injected or written anywhere
    assert not any("password" in key.lower() for key in env)
    assert containers(graph, "frontend")["mountPoints"] == []


def test_004_R8_container_and_target_group_health_checks_every_30_s_on_health(graph: Graph) -> None:
    for service in ("backend", "frontend"):
        check = containers(graph, service)["healthCheck"]
        assert check["interval"] == 30 and check["command"][0] == "CMD"
        assert "/health" in check["command"][-1]
    groups = graph.by_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) == 4
    for tg in groups:
        health = tg.inputs["healthCheck"]
        assert (health["path"], health["interval"], health["matcher"]) == ("/health", 30, "200")
        assert tg.inputs["targetType"] == "ip"
    ports = sorted(int(tg.inputs["port"]) for tg in groups)
    assert ports == [8000, 8000, 8080, 8080]


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_004_R7_native_blue_green_with_two_target_groups_and_both_rules(graph: Graph, service: str) -> None:
    ecs = graph.one("aws:ecs/service:Service", f"{service}-service")
    inputs = ecs.inputs
    assert inputs["deploymentController"] == {"type": "ECS"}
    assert inputs["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "5"}
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    (lb,) = inputs["loadBalancers"]
    blue = graph.one("aws:lb/targetGroup:TargetGroup", f"alb-{service}-blue").outputs["arn"]
    green = graph.one("aws:lb/targetGroup:TargetGroup", f"alb-{service}-green").outputs["arn"]
    advanced = lb["advancedConfiguration"]
    assert (lb["targetGroupArn"], advanced["alternateTargetGroupArn"]) == (blue, green)
    production = {"backend": "alb-rule-10", "frontend": "alb-rule-100"}[service]
    test = {"backend": "alb-rule-1", "frontend": "alb-rule-2"}[service]
    assert (
        advanced["productionListenerRule"]
        == graph.one("aws:lb/listenerRule:ListenerRule", production).outputs["arn"]
    )
    assert advanced["testListenerRule"] == graph.one("aws:lb/listenerRule:ListenerRule", test).outputs["arn"]
    role = graph.one("aws:iam/role:Role", "ecs-infrastructure-role")
    assert advanced["roleArn"] == role.outputs["arn"]
    # AWS's documented trust for the infrastructure role, with no condition ECS might not meet.
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert "desiredCount" in ecs.options["ignoreChanges"]


def test_004_R7_rules_forward_to_blue_and_green_and_ecs_owns_their_weights(graph: Graph) -> None:
    for rule in graph.by_type("aws:lb/listenerRule:ListenerRule"):
        (action,) = rule.inputs["actions"]
        weights = [g["weight"] for g in action["forward"]["targetGroups"]]
        assert action["type"] == "forward" and weights == [100, 0]
        assert rule.options["ignoreChanges"] == ["actions"]
    listener = graph.one("aws:lb/listener:Listener").inputs
    # ECS blue/green refuses a listener that mixes forward with fixed-response actions.
    assert [a["type"] for a in listener["defaultActions"]] == ["forward"]


def test_004_R7_test_rules_need_the_secret_header(graph: Graph) -> None:
    for name in ("alb-rule-1", "alb-rule-2"):
        conditions = named(graph, "aws:lb/listenerRule:ListenerRule", name)["conditions"]
        (header,) = [c["httpHeader"] for c in conditions if "httpHeader" in c]
        assert header["httpHeaderName"] == "x-blue-green-test"
        assert header["values"] == [graph.stack_outputs["blueGreenTestValue"]]


def test_004_R28_infrastructure_role_may_change_only_this_stacks_alb_resources(graph: Graph) -> None:
    statements = {s["Sid"]: s for s in policy(graph, "ecs-infrastructure-policy")}
    assert statements["ElbRead"]["Resource"] == ["*"]
    assert all(
        action.startswith("elasticloadbalancing:Describe") for action in statements["ElbRead"]["Action"]
    )
    assert len(statements["SwapTargets"]["Resource"]) == 4
    assert statements["ModifyListeners"]["Resource"] == [graph.one("aws:lb/listener:Listener").outputs["arn"]]
    assert len(statements["ShiftRuleWeights"]["Resource"]) == 4
    assert not graph.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")


def test_004_R28_execution_roles_pull_their_own_image_and_write_their_own_logs(graph: Graph) -> None:
    for service in ("backend", "frontend"):
        statements = {s["Sid"]: s for s in policy(graph, f"{service}-execution-policy")}
        repo = graph.one("aws:ecr/repository:Repository", f"{service}-image-repo").outputs["arn"]
        assert statements["PullOwnImage"]["Resource"] == [repo]
        assert statements["WriteOwnLogs"]["Resource"] == [
            f"arn:aws:logs:ap-southeast-1:{ACCOUNT}:log-group:media-{service}-ecs-dev:*"
        ]
        assert set(statements) == {"EcrToken", "PullOwnImage", "WriteOwnLogs"}


def test_004_R28_task_roles_hold_only_what_the_app_calls(graph: Graph) -> None:
    backend = {s["Sid"]: s for s in policy(graph, "backend-task-policy")}
    assert set(backend) == {"ReadOwnConfig", "ReadDatabaseSecret", "DecryptDatabaseSecret"}
    assert backend["ReadOwnConfig"]["Resource"] == [
        f"arn:aws:ssm:ap-southeast-1:{ACCOUNT}:parameter/webstack/media-dev/backend",
        f"arn:aws:ssm:ap-southeast-1:{ACCOUNT}:parameter/webstack/media-dev/backend/*",
    ]
    assert backend["ReadDatabaseSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    # The frontend calls no AWS API: its task role has no policy at all.
    assert [
        p.name for p in graph.by_type("aws:iam/rolePolicy:RolePolicy") if p.name.startswith("frontend-task")
    ] == []
    graph.one("aws:iam/role:Role", "frontend-task-role")


def test_004_R6_R32_R39_services_run_in_private_subnets_without_public_ips(graph: Graph) -> None:
    private = sorted(
        s.outputs["id"]
        for s in graph.by_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["Tier"] == "private"
    )
    for name in ("backend-service", "frontend-service"):
        service = named(graph, "aws:ecs/service:Service", name)
        network = service["networkConfiguration"]
        assert network["assignPublicIp"] is False and sorted(network["subnets"]) == private
        assert service["launchType"] == "FARGATE" and service["forceDelete"] is True  # 004-R32
        assert service["desiredCount"] == 2


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_004_R25_R26_scaling_2_to_10_out_above_70_in_below_30_with_cooldowns(
    graph: Graph, service: str
) -> None:
    target = named(graph, "aws:appautoscaling/target:Target", f"{service}-scaling")
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 10)
    assert target["resourceId"] == f"service/media-dev/media-{service}-dev"
    tracking = named(graph, "aws:appautoscaling/policy:Policy", f"{service}-cpu-target")
    config = tracking["targetTrackingScalingPolicyConfiguration"]
    assert config["targetValue"] == 70 and config["disableScaleIn"] is True
    assert (
        config["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    )
    assert (config["scaleOutCooldown"], config["scaleInCooldown"]) == (60, 300)
    step = named(graph, "aws:appautoscaling/policy:Policy", f"{service}-cpu-scale-in")
    step_config = step["stepScalingPolicyConfiguration"]
    assert step_config["cooldown"] == 300 and step_config["adjustmentType"] == "ChangeInCapacity"
    assert step_config["stepAdjustments"] == [{"metricIntervalUpperBound": "0", "scalingAdjustment": -1}]
    alarm = named(graph, "aws:cloudwatch/metricAlarm:MetricAlarm", f"{service}-cpu-low")
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (30, "LessThanThreshold")
    assert alarm["alarmActions"] == [
        graph.one("aws:appautoscaling/policy:Policy", f"{service}-cpu-scale-in").outputs["arn"]
    ]


def test_004_R9_R10_public_alb_with_api_and_frontend_rules(graph: Graph) -> None:
    alb = named(graph, "aws:lb/loadBalancer:LoadBalancer", "alb-alb")
    public = sorted(
        s.outputs["id"]
        for s in graph.by_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["Tier"] == "public"
    )
    assert alb["internal"] is False and sorted(alb["subnets"]) == public
    rules = {r.inputs["priority"]: r.inputs for r in graph.by_type("aws:lb/listenerRule:ListenerRule")}
    paths = {
        p: next(c["pathPattern"]["values"] for c in r["conditions"] if "pathPattern" in c)
        for p, r in rules.items()
    }
    assert paths == {1: ["/api/*"], 2: ["/*"], 10: ["/api/*"], 100: ["/*"]}
    backend_blue = graph.one("aws:lb/targetGroup:TargetGroup", "alb-backend-blue").outputs["arn"]
    frontend_blue = graph.one("aws:lb/targetGroup:TargetGroup", "alb-frontend-blue").outputs["arn"]
    assert rules[10]["actions"][0]["forward"]["targetGroups"][0]["arn"] == backend_blue
    assert rules[100]["actions"][0]["forward"]["targetGroups"][0]["arn"] == frontend_blue


def test_004_R11_http_without_a_certificate_https_with_one(graph: Graph, tls_graph: Graph) -> None:
    (plain,) = graph.by_type("aws:lb/listener:Listener")
    assert (plain.inputs["port"], plain.inputs["protocol"]) == (80, "HTTP")
    listeners = {r.inputs["port"]: r.inputs for r in tls_graph.by_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS" and listeners[443]["certificateArn"].startswith(
        "arn:aws:acm:"
    )
    assert listeners[80]["defaultActions"][0]["type"] == "redirect"
    origins = tls_graph.one("aws:cloudfront/distribution:Distribution").inputs["origins"]
    alb_origins = [o for o in origins if o["originId"] in ("frontend", "api")]
    assert {o["domainName"] for o in alb_origins} == {"media.example.com"}
    assert {o["customOriginConfig"]["originProtocolPolicy"] for o in alb_origins} == {"https-only"}


def test_004_R12_aurora_writer_and_reader_in_distinct_azs(graph: Graph) -> None:
    instances = graph.by_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2
    assert len({i.inputs["availabilityZone"] for i in instances}) == 2
    assert sorted(i.inputs["promotionTier"] for i in instances) == [0, 1]
    assert all(i.inputs["publiclyAccessible"] is False for i in instances)


def test_004_R13_R15_R35_managed_secret_encryption_backups_tls(graph: Graph) -> None:
    cluster = named(graph, "aws:rds/cluster:Cluster", "database-cluster")
    assert cluster["manageMasterUserPassword"] is True and "masterPassword" not in cluster
    assert cluster["storageEncrypted"] is True and cluster["backupRetentionPeriod"] == 7
    assert cluster["deletionProtection"] is False and cluster["skipFinalSnapshot"] is True
    params = named(graph, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "database-parameters")
    assert {"name": "rds.force_ssl", "value": "1"} in [
        {"name": p["name"], "value": p["value"]} for p in params["parameters"]
    ]
    assert not graph.by_type("aws:secretsmanager/secret:Secret")  # RDS owns the secret


def test_004_R14_the_managed_secret_rotates_every_7_days(graph: Graph) -> None:
    rotation = named(graph, "aws:secretsmanager/secretRotation:SecretRotation", "database-secret-rotation")
    assert rotation["rotationRules"] == {"automaticallyAfterDays": 7}
    assert "rotationLambdaArn" not in rotation  # RDS rotates its managed secret itself
    assert rotation["rotateImmediately"] is False  # a deploy sets the schedule, it does not rotate


def test_004_R16_rest_api_reaches_the_alb_through_a_vpc_link_v2(graph: Graph) -> None:
    link = named(graph, "aws:apigatewayv2/vpcLink:VpcLink", "api-link")
    private = sorted(
        s.outputs["id"]
        for s in graph.by_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["Tier"] == "private"
    )
    assert sorted(link["subnetIds"]) == private
    alb = graph.one("aws:lb/loadBalancer:LoadBalancer")
    integrations = [
        i.inputs
        for i in graph.by_type("aws:apigateway/integration:Integration")
        if i.inputs["type"] == "HTTP_PROXY"
    ]
    assert len(integrations) == 2
    for integration in integrations:
        assert integration["connectionType"] == "VPC_LINK"
        assert integration["connectionId"] == graph.one("aws:apigatewayv2/vpcLink:VpcLink").outputs["id"]
        assert integration["integrationTarget"] == alb.outputs["arn"]
        assert integration["uri"].startswith(f"http://{alb.outputs['dnsName']}/api")


def test_004_R17_waf_1000_per_minute_per_ip_on_the_stage_and_on_cloudfront(graph: Graph) -> None:
    stage = graph.one("aws:apigateway/stage:Stage")
    acls = {a.inputs["scope"]: a for a in graph.by_type("aws:wafv2/webAcl:WebAcl")}
    for scope in ("REGIONAL", "CLOUDFRONT"):
        rates = [r for r in acls[scope].inputs["rules"] if "rateBasedStatement" in r["statement"]]
        for rate in rates:
            statement = rate["statement"]["rateBasedStatement"]
            assert (statement["limit"], statement["evaluationWindowSec"], statement["aggregateKeyType"]) == (
                1000,
                60,
                "IP",
            )
        assert rates and all("block" in rate["action"] for rate in rates)
    first = min(acls["REGIONAL"].inputs["rules"], key=lambda r: r["priority"])
    custom = first["action"]["block"]["customResponse"]
    assert first["name"] == "rate-per-ip-429" and custom["responseCode"] == 429
    assert custom["responseHeaders"] == [{"name": "rate-limit", "value": "per-ip"}]
    association = graph.one("aws:wafv2/webAclAssociation:WebAclAssociation", "api-waf-stage").inputs
    assert association["resourceArn"] == stage.outputs["arn"]
    assert association["webAclArn"] == acls["REGIONAL"].outputs["arn"]


def test_004_R18_preflight_needs_no_key_and_errors_carry_cors(graph: Graph) -> None:
    methods = {(m.name): m.inputs for m in graph.by_type("aws:apigateway/method:Method")}
    assert {name: m["apiKeyRequired"] for name, m in methods.items()} == {
        "api-api-any": True,
        "api-api-options": False,
        "api-api-proxy-any": True,
        "api-api-proxy-options": False,
    }
    mocks = [
        i.inputs
        for i in graph.by_type("aws:apigateway/integration:Integration")
        if i.inputs["type"] == "MOCK"
    ]
    assert len(mocks) == 2
    origin = graph.stack_outputs["cloudfrontUrl"]
    for response in graph.by_type("aws:apigateway/integrationResponse:IntegrationResponse"):
        headers = response.inputs["responseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        assert "OPTIONS" in headers["method.response.header.Access-Control-Allow-Methods"]
    gateway = {r.inputs["responseType"]: r.inputs for r in graph.by_type("aws:apigateway/response:Response")}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert (
            gateway[kind]["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
            == f"'{origin}'"
        )
    ssm = named(graph, "aws:ssm/parameter:Parameter", "backend-cors-allow-origin")
    assert ssm["value"]["value"] == origin  # the provider marks SSM values secret


def test_004_R19_api_key_and_usage_plan_at_1000_per_minute(graph: Graph) -> None:
    plan = named(graph, "aws:apigateway/usagePlan:UsagePlan", "api-plan")
    assert plan["throttleSettings"] == {"rateLimit": 16.67, "burstLimit": 50}
    key = graph.one("aws:apigateway/usagePlanKey:UsagePlanKey").inputs
    assert key["keyType"] == "API_KEY"


def test_004_R20_R24_cloudfront_alb_origins_shield_compression_cache_policies(graph: Graph) -> None:
    distribution = graph.one("aws:cloudfront/distribution:Distribution").inputs
    origins = {o["originId"]: o for o in distribution["origins"]}
    alb_dns = graph.one("aws:lb/loadBalancer:LoadBalancer").outputs["dnsName"]
    for origin_id in ("frontend", "api"):
        origin = origins[origin_id]
        assert origin["domainName"] == alb_dns
        assert origin["originShield"] == {"enabled": True, "originShieldRegion": "ap-southeast-1"}  # R23
        assert origin["customOriginConfig"]["originProtocolPolicy"] == "http-only"
    default = distribution["defaultCacheBehavior"]
    assert default["targetOriginId"] == "frontend" and default["compress"] is True  # R24
    assert (
        default["cachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    )  # Managed-CachingOptimized (R21)
    ordered = {b["pathPattern"]: b for b in distribution["orderedCacheBehaviors"]}
    assert ordered["/api/*"]["targetOriginId"] == "api"
    assert ordered["/api/*"]["cachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert all(b["compress"] for b in ordered.values())


def test_004_R22_error_pages_come_from_the_s3_origin(graph: Graph) -> None:
    distribution = graph.one("aws:cloudfront/distribution:Distribution").inputs
    ordered = {b["pathPattern"]: b for b in distribution["orderedCacheBehaviors"]}
    assert ordered["/errors/*"]["targetOriginId"] == "site"
    pages = {e["errorCode"]: e["responsePagePath"] for e in distribution["customErrorResponses"]}
    assert (
        pages[403] == "/errors/4xx.html"
        and pages[502] == "/errors/5xx.html"
        and pages[504] == "/errors/5xx.html"
    )
    assert 503 not in pages and 404 not in pages  # the API's own JSON answers stay JSON
    keys = {o.inputs["key"] for o in graph.by_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert {"errors/4xx.html", "errors/5xx.html"} <= keys


def test_004_R27_an_ecr_repository_per_service(graph: Graph) -> None:
    repos = {r.name: r.inputs for r in graph.by_type("aws:ecr/repository:Repository")}
    assert sorted(repos) == ["backend-image-repo", "frontend-image-repo"]
    for repo in repos.values():
        assert repo["imageTagMutability"] == "IMMUTABLE" and repo["forceDelete"] is True
        assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    for lifecycle in graph.by_type("aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        (rule,) = json.loads(lifecycle.inputs["policy"])["rules"]
        assert (
            rule["selection"]["countNumber"] == 10 and rule["selection"]["countType"] == "imageCountMoreThan"
        )
    tags = [t for image in graph.by_type("docker-build:index:Image") for t in image.inputs["tags"]]
    assert len(tags) == 2 and all(":c-" in tag and not tag.endswith(":latest") for tag in tags)


def test_004_R31_config_in_ssm_string_parameters(graph: Graph) -> None:
    params = {p.inputs["name"]: p.inputs for p in graph.by_type("aws:ssm/parameter:Parameter")}
    prefix = "/webstack/media-dev/backend/"
    assert sorted(params) == sorted(
        prefix + leaf for leaf in ("db-host", "db-port", "db-name", "db-sslmode", "cors-allow-origin")
    )
    assert {p["type"] for p in params.values()} == {"String"}
    # The provider marks every SSM value secret (even a String one): the captured value is wrapped.
    assert (
        params[prefix + "db-host"]["value"]["value"]
        == graph.one("aws:rds/cluster:Cluster").outputs["endpoint"]
    )
    assert params[prefix + "db-port"]["value"]["value"] == "5432"


def test_004_R29_dashboard_widgets_cover_every_required_metric(graph: Graph) -> None:
    body = json.loads(graph.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    graphs = [w["properties"] for w in body["widgets"] if w["type"] == "metric"]
    seen = {(p["metrics"][0][0], p["metrics"][0][1], p["stat"]) for p in graphs}
    for wanted in [
        ("AWS/ApplicationELB", "TargetResponseTime", "p50"),
        ("AWS/ApplicationELB", "TargetResponseTime", "p95"),
        ("AWS/ApplicationELB", "TargetResponseTime", "p99"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"),
        ("AWS/ApplicationELB", "RequestCount", "Sum"),
        ("AWS/ApplicationELB", "HealthyHostCount", "Minimum"),
        ("AWS/RDS", "DatabaseConnections", "Maximum"),
        ("AWS/RDS", "ReadLatency", "Average"),
        ("AWS/RDS", "CommitLatency", "Average"),
        ("ECS/ContainerInsights", "RunningTaskCount", "Average"),
        ("AWS/ECS", "CPUUtilization", "Average"),
        ("AWS/ECS", "MemoryUtilization", "Average"),
    ]:
        assert wanted in seen, wanted
    titles = {p["title"] for p in graphs}
    assert {"backend (blue) 5xx errors", "frontend (blue) 5xx errors"} <= titles  # error rate by service


def test_004_R29_alarms_notify_the_topic(graph: Graph) -> None:
    topic = graph.one("aws:sns/topic:Topic").outputs["arn"]
    paging = [
        a for a in graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm") if not a.name.endswith("cpu-low")
    ]
    assert len(paging) >= 10
    assert all(a.inputs["alarmActions"] == [topic] for a in paging)
    names = {a.inputs["name"] for a in paging}
    assert {"media-alb-p99-dev", "media-backend-5xx-dev", "media-backend-ecs-tasks-low-dev"} <= names


def test_004_R30_every_log_group_keeps_30_days(graph: Graph) -> None:
    groups = graph.by_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) >= 5
    assert {g.inputs["retentionInDays"] for g in groups} == {30}


def test_004_R36_outputs_and_what_the_probes_read(graph: Graph) -> None:
    outputs = graph.stack_outputs
    assert outputs["cloudfrontUrl"].startswith("https://") and outputs["cloudfrontUrl"].endswith(
        ".cloudfront.net"
    )
    assert outputs["apiEndpoint"] == graph.one("aws:apigateway/stage:Stage").outputs["invokeUrl"]
    assert outputs["rdsEndpoint"] == graph.one("aws:rds/cluster:Cluster").outputs["endpoint"]
    assert outputs["desiredCount"] == 2 and len(outputs["serviceNames"]) == 2
    task_definitions = {
        t.name: t.outputs["arn"] for t in graph.by_type("aws:ecs/taskDefinition:TaskDefinition")
    }
    assert outputs["taskDefinitionArns"] == [
        task_definitions["backend-task"],
        task_definitions["frontend-task"],
    ]
    import re

    from unit.conftest import REPO_ROOT

    source = (REPO_ROOT / "integration" / "media_probes.py").read_text()
    read = set(re.findall(r'outputs\["(\w+)"\]', source))
    assert len(read) >= 8 and read <= set(outputs)


def test_004_R33_names_carry_the_suffix(graph: Graph) -> None:
    names = [
        graph.one("aws:ecs/cluster:Cluster").inputs["name"],
        *(s.inputs["name"] for s in graph.by_type("aws:ecs/service:Service")),
        *(t.inputs["family"] for t in graph.by_type("aws:ecs/taskDefinition:TaskDefinition")),
        *(r.inputs["name"] for r in graph.by_type("aws:ecr/repository:Repository")),
        *(t.inputs["name"] for t in graph.by_type("aws:lb/targetGroup:TargetGroup")),
    ]
    assert all(name.endswith("-dev") for name in names)
    assert max(len(t.inputs["name"]) for t in graph.by_type("aws:lb/targetGroup:TargetGroup")) <= 32


def test_config_certificate_and_domain_go_together() -> None:
    with pytest.raises(ConfigError, match="set both"):
        media_platform.parse(
            {"webstack:certificateArn": f"arn:aws:acm:ap-southeast-1:{ACCOUNT}:certificate/ab-12"}
        )
    with pytest.raises(ConfigError, match="certificateArn"):
        media_platform.parse({"webstack:certificateArn": "nope", "webstack:albDomainName": "a.example.com"})
    with pytest.raises(ConfigError, match="albDomainName"):
        media_platform.parse(
            {
                "webstack:certificateArn": f"arn:aws:acm:ap-southeast-1:{ACCOUNT}:certificate/ab",
                "webstack:albDomainName": "UP",
            }
        )
    assert media_platform.parse({}) == media_platform.Settings()


def test_every_004_row_is_asserted_by_a_named_test_or_listed_as_a_deviation() -> None:
    """Each 004-R1..R41 appears in a unit test's name or docstring, or in docs/DEVIATIONS.md."""
    assert unaccounted_rows("004", 41) == []


def test_004_R30_alb_access_logs_go_to_the_aes256_bucket_after_its_policy(graph: Graph) -> None:
    alb = graph.one("aws:lb/loadBalancer:LoadBalancer")
    logs = next(
        b for b in graph.by_type("aws:s3/bucket:Bucket") if b.inputs["bucket"].startswith("media-logs")
    )
    assert alb.inputs["accessLogs"] == {"bucket": logs.outputs["id"], "prefix": "alb", "enabled": True}
    bucket_policy = graph.one("aws:s3/bucketPolicy:BucketPolicy", "logs-policy")
    assert bucket_policy.urn in alb.options["propertyDependencies"]["accessLogs"]
    (elb,) = [
        s for s in json.loads(bucket_policy.inputs["policy"])["Statement"] if s.get("Sid") == "AlbAccessLogs"
    ]
    assert elb["Principal"] == {"AWS": "arn:aws:iam::114774131450:root"}  # ELB's ap-southeast-1 account
