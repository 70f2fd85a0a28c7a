"""catalog-api blueprint (seed 002), asserted on the captured graph of catalog-dev."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import CapturedResource, Graph
from program.blueprints import catalog_api, parse_config
from program.config import ConfigError
from unit.conftest import capture_stack
from unit.program.blueprints.rows import unaccounted_rows

BASE = {"webstack:blueprint": "catalog-api", "webstack:environmentSuffix": "dev"}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_stack("catalog-dev")


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # the SDK's signature key of a secret value


def _plain(value: Any) -> Any:
    """A secret's value (the wire form wraps it in a signed object)."""
    return value["value"] if isinstance(value, dict) and SECRET_SIG in value else value


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def _doc(resource: CapturedResource, key: str = "policy") -> dict[str, Any]:
    value = resource.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def test_002_R1_R51_three_public_and_three_private_subnets_in_three_us_east_1_azs(graph: Graph) -> None:
    (provider,) = graph.by_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    subnets = graph.by_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6
    assert {s.inputs["availabilityZone"] for s in subnets} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    public = [s for s in subnets if s.inputs.get("mapPublicIpOnLaunch")]
    assert len(public) in (0, 3)


def test_002_R2_R3_a_nat_per_az_and_each_private_route_table_on_its_own_az_nat(graph: Graph) -> None:
    nats = graph.by_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    nat_subnet = {n.outputs["id"]: n.inputs["subnetId"] for n in nats}
    subnet_az = {
        s.outputs["id"]: s.inputs["availabilityZone"] for s in graph.by_type("aws:ec2/subnet:Subnet")
    }
    routes = [r for r in graph.by_type("aws:ec2/route:Route") if r.inputs.get("natGatewayId")]
    assert len(routes) == 3
    tables = {t.outputs["id"]: t for t in graph.by_type("aws:ec2/routeTable:RouteTable")}
    associations = graph.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    table_subnets = {a.inputs["routeTableId"]: a.inputs["subnetId"] for a in associations}
    for route in routes:
        private_subnet = table_subnets[route.inputs["routeTableId"]]
        assert route.inputs["routeTableId"] in tables
        assert subnet_az[private_subnet] == subnet_az[nat_subnet[route.inputs["natGatewayId"]]]


def test_002_R4_dns_support_and_hostnames(graph: Graph) -> None:
    vpc = graph.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True


def test_002_R5_R6_R7_R48_container_lambda_arm64_3072_mb_from_the_stacks_ecr_repository(graph: Graph) -> None:
    fn = graph.one("aws:lambda/function:Function", "catalog-fn")
    repo = graph.one("aws:ecr/repository:Repository")
    assert fn.inputs["packageType"] == "Image"
    assert fn.inputs["imageUri"].startswith(repo.outputs["repositoryUrl"] + ":c-")
    assert fn.inputs["architectures"] == ["arm64"]
    assert fn.inputs["memorySize"] == 3072
    dockerfile = (catalog_api.APP_DIR / "Dockerfile").read_text()
    assert "FROM public.ecr.aws/lambda/nodejs:22" in dockerfile


def test_002_R5_ecr_scans_on_push_keeps_tags_immutable_and_is_force_deleted(graph: Graph) -> None:
    repo = graph.one("aws:ecr/repository:Repository")
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["forceDelete"] is True
    image = graph.one("docker-build:index:Image")
    assert image.inputs["platforms"] == ["linux/arm64"] and image.inputs["push"] is True
    assert image.inputs["tags"] == [
        graph.one("aws:lambda/function:Function", "catalog-fn").inputs["imageUri"]
    ]


def test_002_R8_R40_alias_with_provisioned_concurrency_autoscaled_2_to_10_at_0_7(graph: Graph) -> None:
    config = graph.one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert config.inputs["qualifier"] == "live" and config.inputs["provisionedConcurrentExecutions"] == 2
    assert config.options["ignoreChanges"] == ["provisionedConcurrentExecutions"]
    target = graph.one("aws:appautoscaling/target:Target")
    assert target.inputs["minCapacity"] == 2 and target.inputs["maxCapacity"] == 10
    assert target.inputs["resourceId"] == "function:catalog-dev:live"
    assert target.inputs["scalableDimension"] == "lambda:function:ProvisionedConcurrency"
    policy = graph.one("aws:appautoscaling/policy:Policy")
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 0.7
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == (
        "LambdaProvisionedConcurrencyUtilization"
    )
    fn = graph.one("aws:lambda/function:Function", "catalog-fn")
    assert "reservedConcurrentExecutions" not in fn.inputs  # no cap (002-R8)


def _rules(graph: Graph, group_name: str, kind: str) -> list[CapturedResource]:
    (group,) = [
        g for g in graph.by_type("aws:ec2/securityGroup:SecurityGroup") if g.inputs["name"] == group_name
    ]
    token = f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule"
    return [r for r in graph.by_type(token) if r.inputs["securityGroupId"] == group.outputs["id"]]


def _group_id(graph: Graph, group_name: str) -> str:
    (group,) = [
        g for g in graph.by_type("aws:ec2/securityGroup:SecurityGroup") if g.inputs["name"] == group_name
    ]
    return str(group.outputs["id"])


def test_002_R9_R22_R26_security_groups_chain_function_to_proxy_to_cluster_on_5432_only(graph: Graph) -> None:
    fn, proxy, db = (_group_id(graph, n) for n in ("catalog-fn-dev", "catalog-proxy-dev", "catalog-db-dev"))
    db_in = _rules(graph, "catalog-db-dev", "Ingress")
    assert [
        (r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in db_in
    ] == [(proxy, 5432, 5432)]
    proxy_in = _rules(graph, "catalog-proxy-dev", "Ingress")
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"]) for r in proxy_in] == [(fn, 5432)]
    assert _rules(graph, "catalog-fn-dev", "Ingress") == []
    fn_out = {
        (r.inputs.get("referencedSecurityGroupId"), r.inputs["fromPort"])
        for r in _rules(graph, "catalog-fn-dev", "Egress")
    }
    assert (proxy, 5432) in fn_out and (db, 5432) not in fn_out
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["vpcSecurityGroupIds"] == [db]
    private = set(graph.stack_outputs["privateSubnetIds"])
    assert set(graph.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"]) == private
    assert set(graph.one("aws:rds/proxy:Proxy").inputs["vpcSubnetIds"]) == private
    fn_vpc = graph.one("aws:lambda/function:Function", "catalog-fn").inputs["vpcConfig"]
    assert set(fn_vpc["subnetIds"]) == private and fn_vpc["securityGroupIds"] == [fn]


def test_002_R10_R14_alb_public_only_from_cloudfront_prefix_list_drops_invalid_headers(graph: Graph) -> None:
    alb = graph.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["internal"] is False
    assert alb.inputs["dropInvalidHeaderFields"] is True and alb.inputs["enableDeletionProtection"] is False
    public = {s.outputs["id"] for s in graph.by_type("aws:ec2/subnet:Subnet") if "public" in s.name}
    assert set(alb.inputs["subnets"]) == public and len(public) == 3
    ingress = _rules(graph, "catalog-alb-dev", "Ingress")
    assert [(r.inputs["prefixListId"], r.inputs["fromPort"]) for r in ingress] == [
        (
            graph.one("aws:lb/loadBalancer:LoadBalancer").inputs["securityGroups"]
            and ingress[0].inputs["prefixListId"],
            80,
        )
    ]
    assert ingress[0].inputs["prefixListId"].startswith("pl-")
    assert "cidrIpv4" not in ingress[0].inputs


def test_002_R10_path_rule_requires_the_origin_verify_header_else_403(graph: Graph) -> None:
    listener = graph.one("aws:lb/listener:Listener")
    assert listener.inputs["port"] == 80 and listener.inputs["protocol"] == "HTTP"
    (default,) = listener.inputs["defaultActions"]
    assert default["type"] == "fixed-response" and default["fixedResponse"]["statusCode"] == "403"
    (rule,) = graph.by_type("aws:lb/listenerRule:ListenerRule")
    paths = [c["pathPattern"]["values"] for c in rule.inputs["conditions"] if "pathPattern" in c]
    headers = [c["httpHeader"] for c in rule.inputs["conditions"] if "httpHeader" in c]
    assert paths == [["/api/*", "/health"]]
    assert headers[0]["httpHeaderName"] == "x-origin-verify"
    secret = graph.one("random:index/randomPassword:RandomPassword", "origin-verify").outputs["result"]
    assert [_plain(v) for v in headers[0]["values"]] == [secret]
    distribution = graph.one("aws:cloudfront/distribution:Distribution")
    (alb_origin,) = [o for o in distribution.inputs["origins"] if o["originId"] == "alb"]
    (header,) = alb_origin["customHeaders"]
    assert header["name"] == "x-origin-verify" and _plain(header["value"]) == secret


def test_002_R11_R12_lambda_target_group_health_checked_every_5_s_with_2_s_timeout_no_stickiness(
    graph: Graph,
) -> None:
    group = graph.one("aws:lb/targetGroup:TargetGroup")
    assert group.inputs["targetType"] == "lambda"
    check = group.inputs["healthCheck"]
    assert (check["enabled"], check["interval"], check["timeout"], check["path"]) == (True, 5, 2, "/health")
    assert "protocol" not in check and "stickiness" not in group.inputs


def test_002_R13_alias_is_registered_after_elb_may_invoke_it(graph: Graph) -> None:
    permission = graph.one("aws:lambda/permission:Permission", "alb-api-permission")
    assert permission.inputs["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission.inputs["qualifier"] == "live"
    group = graph.one("aws:lb/targetGroup:TargetGroup")
    assert permission.inputs["sourceArn"] == group.outputs["arn"]
    attachment = graph.one("aws:lb/targetGroupAttachment:TargetGroupAttachment")
    assert permission.urn in attachment.options["dependencies"]
    alias = graph.one("aws:lambda/alias:Alias")
    assert attachment.inputs["targetId"] == alias.outputs["arn"]


def test_002_R15_R16_R18_R19_s3_by_oac_and_alb_behind_api_without_caching(graph: Graph) -> None:
    distribution = graph.one("aws:cloudfront/distribution:Distribution")
    assert graph.by_type("aws:cloudfront/originAccessIdentity:OriginAccessIdentity") == []
    site = next(o for o in distribution.inputs["origins"] if o["originId"] == "site")
    assert site["originAccessControlId"]
    alb = next(o for o in distribution.inputs["origins"] if o["originId"] == "alb")
    assert alb["domainName"] == graph.one("aws:lb/loadBalancer:LoadBalancer").outputs["dnsName"]
    assert alb["customOriginConfig"]["originProtocolPolicy"] == "http-only"
    api = next(b for b in distribution.inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/api/*")
    assert api["targetOriginId"] == "alb"
    assert api["cachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert distribution.inputs["defaultCacheBehavior"]["targetOriginId"] == "site"


def test_002_R17_error_pages_4xx_and_5xx_from_s3_under_their_own_behaviour(graph: Graph) -> None:
    distribution = graph.one("aws:cloudfront/distribution:Distribution")
    pages = {r["errorCode"]: r["responsePagePath"] for r in distribution.inputs["customErrorResponses"]}
    assert pages == {
        403: "/errors/4xx.html",
        414: "/errors/4xx.html",
        416: "/errors/4xx.html",
        500: "/errors/5xx.html",
        501: "/errors/5xx.html",
        502: "/errors/5xx.html",
        504: "/errors/5xx.html",
    }
    # The service's own JSON answers stay JSON: 400, 404, 405 and 503 are not replaced.
    assert not {400, 404, 405, 503} & set(pages)
    errors = next(b for b in distribution.inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/errors/*")
    assert errors["targetOriginId"] == "site"
    keys = {o.inputs["key"] for o in graph.by_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert {"errors/4xx.html", "errors/5xx.html", "index.html"} <= keys


def test_002_R20_R47_aurora_serverless_v2_encrypted_iam_auth_destroyable(graph: Graph) -> None:
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["engine"] == "aurora-postgresql" and cluster.inputs["engineMode"] == "provisioned"
    assert cluster.inputs["serverlessv2ScalingConfiguration"]["minCapacity"] == 0.5
    assert cluster.inputs["storageEncrypted"] is True
    assert cluster.inputs["kmsKeyId"] == graph.one("aws:kms/key:Key", "data-key").outputs["arn"]
    assert cluster.inputs["iamDatabaseAuthenticationEnabled"] is True
    assert cluster.inputs["skipFinalSnapshot"] is True and cluster.inputs["deletionProtection"] is False
    assert cluster.inputs["backupRetentionPeriod"] == 7


def test_002_R21_one_writer_and_two_readers_in_distinct_azs_on_promotion_tiers(graph: Graph) -> None:
    instances = graph.by_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 3
    assert {i.inputs["instanceClass"] for i in instances} == {"db.serverless"}
    assert len({i.inputs["availabilityZone"] for i in instances}) == 3
    tiers = sorted(i.inputs["promotionTier"] for i in instances)
    assert tiers == [0, 1, 1]
    assert all(i.inputs["publiclyAccessible"] is False for i in instances)
    writer = graph.one("aws:rds/clusterInstance:ClusterInstance", "database-writer")
    for reader in instances:
        if reader is not writer:
            assert writer.urn in reader.options["dependencies"]


def test_002_R23_R24_R25_proxy_iam_tls_and_100_of_the_pinned_200_connections(graph: Graph) -> None:
    proxy = graph.one("aws:rds/proxy:Proxy")
    assert proxy.inputs["requireTls"] is True
    (auth,) = proxy.inputs["auths"]
    assert auth["iamAuth"] == "REQUIRED" and auth["authScheme"] == "SECRETS"
    params = {
        p["name"]: p["value"]
        for p in graph.one("aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs["parameters"]
    }
    assert params == {"rds.force_ssl": "1", "max_connections": "200"}
    instance_params = graph.one("aws:rds/parameterGroup:ParameterGroup")
    assert [(p["name"], p["value"]) for p in instance_params.inputs["parameters"]] == [
        ("max_connections", "200")
    ]
    instances = graph.by_type("aws:rds/clusterInstance:ClusterInstance")
    assert {i.inputs["dbParameterGroupName"] for i in instances} == {"catalog-db-instance-dev"}
    pool = graph.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup").inputs["connectionPoolConfig"]
    assert pool["maxConnectionsPercent"] * 200 / 100 == 100
    reader = graph.one("aws:rds/proxyEndpoint:ProxyEndpoint")
    assert reader.inputs["targetRole"] == "READ_ONLY"


def test_002_R23_proxy_role_reads_only_its_secret_and_decrypts_only_through_secrets_manager(
    graph: Graph,
) -> None:
    policy = _doc(graph.one("aws:iam/rolePolicy:RolePolicy", "database-proxy-policy"))
    secret = graph.one("aws:secretsmanager/secret:Secret").outputs["arn"]
    key = graph.one("aws:kms/key:Key", "data-key").outputs["arn"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ReadMasterSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["ReadMasterSecret"]["Resource"] == [secret]
    assert by_sid["DecryptMasterSecret"]["Resource"] == [key]
    assert by_sid["DecryptMasterSecret"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }


def test_002_R25_function_may_connect_as_its_user_through_the_proxy_only(graph: Graph) -> None:
    policy = _doc(graph.one("aws:iam/rolePolicy:RolePolicy", "catalog-fn-data-policy"))
    (connect,) = [s for s in policy["Statement"] if s["Action"] == ["rds-db:connect"]]
    proxy_id = graph.one("aws:rds/proxy:Proxy").outputs["arn"].rsplit(":", 1)[-1]
    assert proxy_id.startswith("prx-")
    assert connect["Resource"] == [f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{proxy_id}/catalog_admin"]
    env = graph.one("aws:lambda/function:Function", "catalog-fn").inputs["environment"]["variables"]
    assert env["DB_HOST"] == graph.one("aws:rds/proxy:Proxy").outputs["endpoint"]
    assert env["DB_USER"] == "catalog_admin" and "DATABASE_URL" not in env


def test_002_R27_R29_edge_function_us_east_1_x86_64_zip_published_128_mb_5_s_viewer_request(
    graph: Graph,
) -> None:
    edge = graph.one("aws:lambda/function:Function", "edge-auth")
    assert edge.inputs["region"] == "us-east-1" and edge.inputs["architectures"] == ["x86_64"]
    assert edge.inputs["publish"] is True and "packageType" not in edge.inputs
    assert (edge.inputs["memorySize"], edge.inputs["timeout"], edge.inputs["runtime"]) == (
        128,
        5,
        "nodejs22.x",
    )
    assert edge.options["customTimeouts"]["delete"] == "90m"
    role = graph.one("aws:iam/role:Role", "edge-auth-role")
    (trust,) = _doc(role, "assumeRolePolicy")["Statement"]
    assert sorted(trust["Principal"]["Service"]) == ["edgelambda.amazonaws.com", "lambda.amazonaws.com"]
    distribution = graph.one("aws:cloudfront/distribution:Distribution")
    api = next(b for b in distribution.inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/api/*")
    (association,) = api["lambdaFunctionAssociations"]
    assert association["eventType"] == "viewer-request"
    assert association["lambdaArn"] == edge.outputs["qualifiedArn"]


def test_002_R28_security_headers_policy_on_every_behaviour(graph: Graph) -> None:
    distribution = graph.one("aws:cloudfront/distribution:Distribution")
    policy = graph.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").outputs["id"]
    behaviours = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    assert {b["responseHeadersPolicyId"] for b in behaviours} == {policy}


def test_002_R30_sessions_and_cache_tables_on_demand_with_ttl_pitr_sse(graph: Graph) -> None:
    tables = {t.inputs["name"]: t.inputs for t in graph.by_type("aws:dynamodb/table:Table")}
    assert set(tables) == {"catalog-sessions-dev", "catalog-cache-dev"}
    for table in tables.values():
        assert table["billingMode"] == "PAY_PER_REQUEST"
        assert table["ttl"] == {"attributeName": "expiresAt", "enabled": True}
        assert table["pointInTimeRecovery"]["enabled"] is True
        assert table["serverSideEncryption"]["enabled"] is True
    (gsi,) = tables["catalog-sessions-dev"]["globalSecondaryIndexes"]
    assert gsi["name"] == "byUser" and "hashKey" not in gsi
    assert gsi["keySchemas"] == [
        {"attributeName": "userId", "keyType": "HASH"},
        {"attributeName": "expiresAt", "keyType": "RANGE"},
    ]


def test_002_R31_R32_R33_api_keys_usage_plan_and_10000_5000_throttling_on_the_alias(graph: Graph) -> None:
    methods = graph.by_type("aws:apigateway/method:Method")
    assert len(methods) == 6 and all(m.inputs["apiKeyRequired"] is True for m in methods)
    alias = graph.one("aws:lambda/alias:Alias")
    integrations = graph.by_type("aws:apigateway/integration:Integration")
    assert {i.inputs["type"] for i in integrations} == {"AWS_PROXY"}
    # The offline mock gives an alias no invokeArn, so the uri is checked in test_keyed_api.py.
    assert alias.inputs["name"] == "live"
    plan = graph.one("aws:apigateway/usagePlan:UsagePlan")
    assert plan.inputs["throttleSettings"] == {"rateLimit": 10000, "burstLimit": 5000}
    settings = graph.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (10000, 5000)
    key = graph.one("aws:apigateway/usagePlanKey:UsagePlanKey")
    assert key.inputs["keyType"] == "API_KEY"
    assert graph.one("aws:apigateway/apiKey:ApiKey").options["additionalSecretOutputs"] == ["value"]
    assert _is_secret(graph.stack_outputs["apiKeyValue"]) and _is_secret(
        graph.stack_outputs["edgeAuthSecret"]
    )
    stage = graph.one("aws:apigateway/stage:Stage")
    assert stage.inputs["accessLogSettings"]["destinationArn"]
    permission = graph.one("aws:lambda/permission:Permission", "partner-api-invoke")
    assert permission.inputs["qualifier"] == "live"


def test_002_R34_R36_R37_R38_R39_dashboard_and_alarms_cover_the_service_alb_lambda_and_rds(
    graph: Graph,
) -> None:
    body = json.loads(graph.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    metrics = {
        (w["properties"]["metrics"][0][0], w["properties"]["metrics"][0][1])
        for w in body["widgets"]
        if w["type"] == "metric"
    }
    assert {
        ("Webstack/CatalogApi", "Latency"),
        ("Webstack/CatalogApi", "Requests"),
        ("Webstack/CatalogApi", "ServerErrors"),
        ("AWS/ApplicationELB", "HealthyHostCount"),
        ("AWS/Lambda", "ConcurrentExecutions"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "ClientConnections"),
    } <= metrics
    alarms = {
        (a.inputs["namespace"], a.inputs["metricName"])
        for a in graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert {
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/Lambda", "ConcurrentExecutions"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("Webstack/CatalogApi", "Unavailable"),
    } <= alarms
    topic = graph.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"]
    assert all(
        a.inputs["alarmActions"] == [topic.outputs["arn"]]
        for a in graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    )


def test_002_R35_every_log_group_keeps_30_days_under_the_logs_key(graph: Graph) -> None:
    key = graph.one("aws:kms/key:Key", "logs-key").outputs["arn"]
    groups = graph.by_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups and all(g.inputs["retentionInDays"] > 0 and g.inputs["kmsKeyId"] == key for g in groups)


def test_002_R41_R42_R43_R44_buckets_versioned_logs_sse_s3_and_30_day_expiry_but_not_the_site(
    graph: Graph,
) -> None:
    buckets = {b.name: b for b in graph.by_type("aws:s3/bucket:Bucket")}
    assert set(buckets) == {"logs", "artifacts", "cdn-bucket"}
    assert all(b.inputs["forceDestroy"] is True for b in buckets.values())
    versioning = graph.by_type("aws:s3/bucketVersioning:BucketVersioning")
    assert len(versioning) == 3 and all(
        v.inputs["versioningConfiguration"]["status"] == "Enabled" for v in versioning
    )
    sse = {
        s.name: s.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        for s in graph.by_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
    }
    assert sse["logs-sse"] == "AES256" and sse["cdn-bucket-sse"] == "AES256"
    lifecycle = {
        cfg.name: cfg.inputs["rules"]
        for cfg in graph.by_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    for name in ("logs-lifecycle", "artifacts-lifecycle"):
        assert any(r.get("expiration", {}).get("days") == 30 for r in lifecycle[name])
    site = lifecycle["cdn-bucket-lifecycle"]
    assert all("expiration" not in r for r in site)
    assert any(r["noncurrentVersionExpiration"]["noncurrentDays"] == 30 for r in site)
    alb = graph.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["accessLogs"] == {
        "bucket": buckets["logs"].outputs["bucket"],
        "prefix": "alb",
        "enabled": True,
    }
    bucket_policy = graph.one("aws:s3/bucketPolicy:BucketPolicy", "logs-policy")
    assert bucket_policy.urn in alb.options["propertyDependencies"]["accessLogs"]
    policy = _doc(graph.one("aws:s3/bucketPolicy:BucketPolicy", "logs-policy"))
    (elb,) = [s for s in policy["Statement"] if s.get("Sid") == "AlbAccessLogs"]
    assert elb["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}


def test_002_R45_every_bucket_blocks_public_access(graph: Graph) -> None:
    blocks = graph.by_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert len(blocks) == 3
    assert all(
        all(
            b.inputs[k] is True
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        for b in blocks
    )


def test_002_R46_names_carry_the_suffix_within_their_limits(graph: Graph) -> None:
    alb = graph.one("aws:lb/loadBalancer:LoadBalancer").inputs["name"]
    group = graph.one("aws:lb/targetGroup:TargetGroup").inputs["name"]
    assert alb == "catalog-dev" and group == "catalog-api-dev"
    assert graph.one("aws:rds/proxy:Proxy").inputs["name"] == "catalog-proxy-dev"
    assert graph.one("aws:ecr/repository:Repository").inputs["name"] == "catalog-api-dev"


def test_002_R49_db_password_from_secret_config_or_generated_never_echoed() -> None:
    settings = parse_config({**BASE, "webstack:dbPassword": "s3cret-Pass-1234"}).settings
    assert isinstance(settings, catalog_api.Settings)
    assert settings.db_password == "s3cret-Pass-1234"
    assert "s3cret" not in repr(settings)
    with pytest.raises(ConfigError) as error:
        parse_config({**BASE, "webstack:dbPassword": "has space@"})
    assert str(error.value) == (
        "webstack:dbPassword: not allowed; use printable ASCII without spaces, /, ', \" or @"
    )
    assert "has space" not in str(error.value)
    with pytest.raises(ConfigError, match=r"^webstack:dbPassword: not allowed; it has 5 characters"):
        parse_config({**BASE, "webstack:dbPassword": "short"})


def test_002_R49_the_default_password_is_generated_and_the_secret_version_is_secret(graph: Graph) -> None:
    generated = graph.one("random:index/randomPassword:RandomPassword", "db-password")
    assert generated.inputs["length"] == 32 and generated.inputs["special"] is False
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert _is_secret(cluster.inputs["masterPassword"])
    assert _plain(cluster.inputs["masterPassword"]) == generated.outputs["result"]
    version = graph.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert _is_secret(version.inputs["secretString"])
    assert json.loads(_plain(version.inputs["secretString"])) == {
        "username": "catalog_admin",
        "password": generated.outputs["result"],
    }
    assert cluster.inputs["masterUsername"] == "catalog_admin"


def test_config_needs_certificate_and_domain_together_and_rejects_a_bad_edge_secret() -> None:
    with pytest.raises(ConfigError, match=r"^webstack:certificateArn/webstack:albDomainName: set both"):
        parse_config(
            {**BASE, "webstack:certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-1"}
        )
    with pytest.raises(ConfigError, match=r"^webstack:edgeAuthSecret: not allowed; give base64url"):
        parse_config({**BASE, "webstack:edgeAuthSecret": "too-short"})


def test_with_a_certificate_the_alb_listens_https_and_port_80_only_redirects() -> None:
    graph = capture_stack(
        "catalog-dev",
        **{
            "webstack:certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000",
            "webstack:albDomainName": "api.example.com",
        },
    )
    listeners = {lis.inputs["port"]: lis.inputs for lis in graph.by_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[80]["defaultActions"][0]["type"] == "redirect"
    (rule,) = graph.by_type("aws:lb/listenerRule:ListenerRule")
    https = next(lis for lis in graph.by_type("aws:lb/listener:Listener") if lis.inputs["port"] == 443)
    assert rule.inputs["listenerArn"] == https.outputs["arn"]
    distribution = graph.one("aws:cloudfront/distribution:Distribution")
    (alb,) = [o for o in distribution.inputs["origins"] if o["originId"] == "alb"]
    assert alb["domainName"] == "api.example.com"
    assert alb["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    ingress = _rules(graph, "catalog-alb-dev", "Ingress")
    assert [r.inputs["fromPort"] for r in ingress] == [443]


def test_migrations_run_once_per_deploy_on_the_alias_after_the_proxy_target(graph: Graph) -> None:
    invocation = graph.one("aws:lambda/invocation:Invocation")
    assert json.loads(invocation.inputs["input"]) == {"action": "migrate"}
    assert invocation.inputs["qualifier"] == "live"
    assert set(invocation.inputs["triggers"]) == {"migrations", "image"}
    assert len(invocation.inputs["triggers"]["migrations"]) == 64
    target = graph.one("aws:rds/proxyTarget:ProxyTarget")
    assert target.urn in invocation.options["dependencies"]
    firewalls = {r.name for r in graph.resources if r.urn in invocation.options["dependencies"]}
    assert {"catalog-fn-sg", "catalog-proxy-sg", "catalog-db-sg"} <= firewalls


def test_every_output_the_probes_read_is_exported(graph: Graph) -> None:
    import re

    from unit.conftest import REPO_ROOT

    source = (REPO_ROOT / "integration" / "test_catalog_api.py").read_text()
    read = set(re.findall(r'outputs\["([A-Za-z]+)"\]', source))
    assert read and read <= set(graph.stack_outputs)


def test_every_002_row_is_asserted_by_a_named_test_or_listed_as_a_deviation() -> None:
    """Each 002-R1..R53 appears in a unit test's name or docstring, or in docs/DEVIATIONS.md."""
    assert unaccounted_rows("002", 53) == []


def test_002_R27_edge_config_is_baked_into_a_secret_zip_with_the_stacks_key(graph: Graph) -> None:
    edge = graph.one("aws:lambda/function:Function", "edge-auth")
    assert _is_secret(edge.inputs["code"]) and "environment" not in edge.inputs
    assets = _plain(edge.inputs["code"])["assets"]
    assert set(assets) == {"index.js", "config.json"}
    assert assets["index.js"]["path"].endswith("lambdas/catalog_edge/index.js")
    config = json.loads(assets["config.json"]["text"])
    secret = graph.one("random:index/randomPassword:RandomPassword", "edge-auth-secret")
    assert secret.inputs["length"] == 64 and secret.inputs["special"] is False
    assert config == {"secret": secret.outputs["result"], "issuer": "catalog-auth", "leewaySeconds": 30}
    assert _plain(graph.stack_outputs["edgeAuthSecret"]) == secret.outputs["result"]
