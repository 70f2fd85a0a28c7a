"""serverless-app blueprint (seeds 000/001), asserted on the captured graph of serverless-dev."""

from __future__ import annotations

import json

from plan.capture import Graph


def test_000_R24_001_R25_everything_runs_through_one_us_west_2_provider(serverless_graph: Graph) -> None:
    (provider,) = serverless_graph.by_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-west-2"
    custom = [r for r in serverless_graph.resources if r.custom and r.type.startswith("aws:")]
    assert custom and all(r.provider.startswith(provider.urn + "::") for r in custom)


def test_003_R21_default_tags_sit_on_the_provider(serverless_graph: Graph) -> None:
    (provider,) = serverless_graph.by_type("pulumi:providers:aws")
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags == {
        "Project": "webstack",
        "Environment": "dev",
        "Blueprint": "serverless-app",
        "ManagedBy": "pulumi",
    }


def test_000_R13_two_azs_and_001_R10_kinesis_interface_endpoint(serverless_graph: Graph) -> None:
    zones = {s.inputs["availabilityZone"] for s in serverless_graph.by_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-west-2a", "us-west-2b"}
    services = {e.inputs["serviceName"] for e in serverless_graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert "com.amazonaws.us-west-2.kinesis-streams" in services


def test_logs_key_rotates_and_lets_cloudwatch_logs_use_it_for_this_stack_only(
    serverless_graph: Graph,
) -> None:
    key = serverless_graph.one("aws:kms/key:Key", "logs-key")
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 7
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    logs = statements["LogsUsesKey"]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(":log-group:*-dev")
    assert all("*" not in action for s in statements.values() for action in s["Action"])
    flow_logs = serverless_graph.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert flow_logs.inputs["kmsKeyId"] == key.outputs["arn"]


def test_stack_outputs_name_the_network(serverless_graph: Graph) -> None:
    outputs = serverless_graph.stack_outputs
    assert outputs["vpcId"] == serverless_graph.one("aws:ec2/vpc:Vpc").outputs["id"]
    assert len(outputs["privateSubnetIds"]) == 2


def test_every_output_the_probes_read_is_exported(serverless_graph: Graph) -> None:
    import re

    from unit.conftest import REPO_ROOT

    probe_source = (REPO_ROOT / "integration" / "test_serverless_app.py").read_text()
    read = set(re.findall(r'outputs\["(\w+)"\]', probe_source))
    assert len(read) >= 10
    assert read <= set(serverless_graph.stack_outputs)


def test_000_R1_001_R5_the_api_is_reached_through_the_cdn_with_the_origin_secret(
    serverless_graph: Graph,
) -> None:
    distribution = serverless_graph.one("aws:cloudfront/distribution:Distribution").inputs
    api_origin = next(o for o in distribution["origins"] if o["originId"] == "api")
    rest_api = serverless_graph.one("aws:apigateway/restApi:RestApi").outputs["id"]
    assert api_origin["domainName"] == f"{rest_api}.execute-api.us-west-2.amazonaws.com"
    (header,) = api_origin["customHeaders"]
    assert header["name"] == "x-origin-verify"
    acl = next(
        a for a in serverless_graph.by_type("aws:wafv2/webAcl:WebAcl") if a.inputs["scope"] == "REGIONAL"
    )
    verify = next(rule for rule in acl.inputs["rules"] if rule["priority"] == 0)
    match = verify["statement"]["notStatement"]["statement"]["byteMatchStatement"]
    assert match["searchString"] == header["value"]
    assert (
        serverless_graph.stack_outputs["apiUrl"] == serverless_graph.stack_outputs["cloudfrontUrl"] + "/api"
    )


def test_000_R18_every_component_alarm_notifies_the_topic(serverless_graph: Graph) -> None:
    topic = serverless_graph.one("aws:sns/topic:Topic").outputs["arn"]
    alarms = serverless_graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    namespaces = {a.inputs["namespace"] for a in alarms}
    assert {"AWS/Lambda", "AWS/ApiGateway", "AWS/Kinesis", "AWS/SQS"} <= namespaces
    assert all(a.inputs["alarmActions"] == [topic] for a in alarms)
    assert sorted(serverless_graph.stack_outputs["alarmNames"]) == sorted(a.inputs["name"] for a in alarms)


def test_000_R6_000_R16_lambdas_reach_only_their_endpoints(serverless_graph: Graph) -> None:
    prefix = {
        e.inputs["serviceName"].rsplit(".", 1)[-1]: e.outputs["prefixListId"]
        for e in serverless_graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Gateway"
    }
    groups = {
        g.name: g.outputs["id"] for g in serverless_graph.by_type("aws:ec2/securityGroup:SecurityGroup")
    }
    egress = serverless_graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    targets = {
        name: {
            r.inputs.get("prefixListId") or r.inputs.get("referencedSecurityGroupId")
            for r in egress
            if r.inputs["securityGroupId"] == groups[name]
        }
        for name in ("api-fn-sg", "stream-consumer-fn-sg")
    }
    # Each tier group (created by the blueprint, passed to its Lambda) reaches one gateway endpoint
    # and the interface endpoints' group, and nothing else.
    assert targets == {
        "api-fn-sg": {prefix["dynamodb"], groups["network-endpoints-sg"]},
        "stream-consumer-fn-sg": {prefix["s3"], groups["network-endpoints-sg"]},
    }
    assert all(
        r.inputs["fromPort"] == r.inputs["toPort"] == 443 and "cidrIpv4" not in r.inputs for r in egress
    )
    for name in ("api-fn-sg", "stream-consumer-fn-sg"):
        group = serverless_graph.one("aws:ec2/securityGroup:SecurityGroup", name)
        assert serverless_graph.get(group.parent).type == "webstack:firewall:Firewall"


def test_000_R1_001_R1_the_site_is_served_by_cloudfront_from_the_private_bucket(
    serverless_graph: Graph,
) -> None:
    distribution = serverless_graph.one("aws:cloudfront/distribution:Distribution").inputs
    bucket = serverless_graph.one("aws:s3/bucket:Bucket", "cdn-bucket").outputs
    default = distribution["defaultCacheBehavior"]["targetOriginId"]
    origin = next(o for o in distribution["origins"] if o["originId"] == default)
    assert origin["domainName"] == bucket["bucketRegionalDomainName"]
    assert origin["originAccessControlId"]


def test_000_R14_001_R15_two_azs_each_with_its_own_nat(serverless_graph: Graph) -> None:
    public = {
        s.outputs["id"] for s in serverless_graph.by_type("aws:ec2/subnet:Subnet") if "public" in s.name
    }
    nats = serverless_graph.by_type("aws:ec2/natGateway:NatGateway")
    assert len(public) == 2 and len(nats) == 2  # one NAT per AZ, never a second in one
    assert {n.inputs["subnetId"] for n in nats} == public


def test_000_R21_001_R22_pay_per_use_managed_services(serverless_graph: Graph) -> None:
    assert serverless_graph.one("aws:dynamodb/table:Table").inputs["billingMode"] == "PAY_PER_REQUEST"
    stream = serverless_graph.one("aws:kinesis/stream:Stream").inputs
    assert stream["streamModeDetails"]["streamMode"] == "ON_DEMAND" and "shardCount" not in stream
    functions = serverless_graph.by_type("aws:lambda/function:Function")
    # Pay per request: nothing kept warm (provisioned concurrency bills by the hour). Reserved
    # concurrency costs nothing; it caps a surge (CKV_AWS_115) and needs a quota of 170 or more.
    assert not serverless_graph.by_type(
        "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
    )
    assert {f.name: f.inputs["reservedConcurrentExecutions"] for f in functions} == {
        "api-fn": 50,
        "streaming-consumer-fn": 20,
    }


def test_every_function_traces_and_keeps_its_environment_under_the_stacks_key(
    serverless_graph: Graph,
) -> None:
    """CKV_AWS_50/73 and CKV_AWS_173: active X-Ray on functions and the stage, environment under a CMK."""
    keys = {k.name: k.outputs["arn"] for k in serverless_graph.by_type("aws:kms/key:Key")}
    for function in serverless_graph.by_type("aws:lambda/function:Function"):
        assert function.inputs["tracingConfig"] == {"mode": "Active"}
        assert function.inputs["kmsKeyArn"] == keys["functions-key"]
        grant = serverless_graph.one("aws:iam/rolePolicy:RolePolicy", f"{function.name}-env-key-policy")
        assert json.loads(grant.inputs["policy"])["Statement"] == [
            {
                "Sid": "DecryptEnvironment",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [keys["functions-key"]],
            }
        ]
    assert serverless_graph.one("aws:apigateway/stage:Stage").inputs["xrayTracingEnabled"] is True


def test_000_R23_001_R24_every_aws_resource_belongs_to_a_component(serverless_graph: Graph) -> None:
    components = {r.urn for r in serverless_graph.resources if r.type.startswith("webstack:")}
    loose = [
        r.name for r in serverless_graph.resources if r.type.startswith("aws:") and r.parent not in components
    ]
    assert loose == []
    assert {r.type for r in serverless_graph.resources if r.type.startswith("webstack:")} >= {
        "webstack:network:Network",
        "webstack:cdn:Cdn",
        "webstack:items_api:ItemsApi",
        "webstack:stream:Stream",
        "webstack:stream_consumer:StreamConsumer",
        "webstack:firewall:Firewall",
        "webstack:monitoring:Monitoring",
    }
    # Not only AWS resources: the generated origin secret has a component parent too.
    secret = serverless_graph.one("random:index/randomPassword:RandomPassword")
    assert secret.parent in components


def test_the_publish_failure_alarm_watches_the_filter_metric(serverless_graph: Graph) -> None:
    alarm = next(
        a
        for a in serverless_graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["name"] == "api-publish-failed-dev"
    ).inputs
    metric_filter = serverless_graph.one("aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs[
        "metricTransformation"
    ]
    assert (alarm["namespace"], alarm["metricName"]) == (metric_filter["namespace"], metric_filter["name"])
    assert alarm["threshold"] == 1 and alarm["alarmActions"] == [
        serverless_graph.one("aws:sns/topic:Topic").outputs["arn"]
    ]


def test_000_R17_buckets_log_access_to_the_log_bucket(serverless_graph: Graph) -> None:
    log_bucket = serverless_graph.one("aws:s3/bucket:Bucket", "access-logs")
    loggings = serverless_graph.by_type("aws:s3/bucketLogging:BucketLogging")
    logged = {
        serverless_graph.get(item.options["propertyDependencies"]["bucket"][0]).name for item in loggings
    }
    assert logged == {"cdn-bucket", "streaming-results"}
    assert {item.inputs["targetBucket"] for item in loggings} == {log_bucket.inputs["bucket"]}
    policy = json.loads(
        serverless_graph.one("aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy").inputs["policy"]
    )
    grant = next(s for s in policy["Statement"] if s.get("Sid") == "S3ServerAccessLogs")
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"} and grant["Action"] == [
        "s3:PutObject"
    ]
    assert grant["Resource"] == [f"arn:aws:s3:::{log_bucket.inputs['bucket']}/*"]
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_000_R17_cdn_waf_logs_in_us_east_1_under_a_key_there(serverless_graph: Graph) -> None:
    key = serverless_graph.one("aws:kms/key:Key", "edge-logs-key")
    assert key.inputs["region"] == "us-east-1"
    assert serverless_graph.one("aws:kms/alias:Alias", "edge-logs-alias").inputs["region"] == "us-east-1"
    group = serverless_graph.one("aws:cloudwatch/logGroup:LogGroup", "cdn-waf-logs")
    assert group.inputs["region"] == "us-east-1" and group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert group.inputs["name"].startswith("aws-waf-logs-")
    logging = serverless_graph.one(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "cdn-waf-logging"
    )
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]


def test_000_R17_cloudfront_access_logs_are_delivered_to_an_encrypted_group(serverless_graph: Graph) -> None:
    distribution = serverless_graph.one("aws:cloudfront/distribution:Distribution")
    source = serverless_graph.one("aws:cloudwatch/logDeliverySource:LogDeliverySource").inputs
    assert (source["logType"], source["resourceArn"], source["region"]) == (
        "ACCESS_LOGS",
        distribution.outputs["arn"],
        "us-east-1",
    )
    group = serverless_graph.one("aws:cloudwatch/logGroup:LogGroup", "cdn-access-logs")
    destination = serverless_graph.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    assert (
        destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
        == group.outputs["arn"]
    )
    delivery = serverless_graph.one("aws:cloudwatch/logDelivery:LogDelivery").inputs
    assert delivery["deliverySourceName"] == source["name"]
    assert delivery["deliveryDestinationArn"] == destination.outputs["arn"]
    assert group.inputs["kmsKeyId"] == serverless_graph.one("aws:kms/key:Key", "edge-logs-key").outputs["arn"]


def test_the_whole_blueprint_passes_every_policy_offline() -> None:
    from plan.gate import analyze
    from unit.conftest import REPO_ROOT, capture_stack, stack_spec

    verdict = analyze(
        capture_stack("serverless-dev"), stack_spec("serverless-dev"), REPO_ROOT / "policy_pack"
    )
    assert verdict.diagnostics == []


def test_api_errors_reach_clients_as_json(serverless_graph: Graph) -> None:
    # Custom error responses are distribution-wide; any would rewrite the API's JSON errors.
    assert not serverless_graph.one("aws:cloudfront/distribution:Distribution").inputs.get(
        "customErrorResponses"
    )


def test_001_R18_the_seed_stack_owns_the_api_gateway_account_setting_by_default(
    serverless_graph: Graph,
) -> None:
    """Issue 9 A2: webstack:manageApiGatewayAccount defaults to true: one Account, its role."""
    account = serverless_graph.one("aws:apigateway/account:Account")
    role = serverless_graph.one("aws:iam/role:Role", "api-logging-role")
    assert account.inputs["cloudwatchRoleArn"] == role.outputs["arn"]


def test_a_throwaway_copy_leaves_the_account_setting_and_runs_without_nat() -> None:
    """Issue 9 A2/A7, the config tools/pipeline.py gives copies: no apigateway.Account (the seed
    stack owns it), no NAT gateway or EIP (000-R14 stays on the seed stack), every Lambda's egress
    still only to VPC endpoints (so nothing needed a NAT), and the whole graph passes every policy."""
    from plan.gate import analyze
    from unit.conftest import REPO_ROOT, capture_stack, stack_spec

    copy = {"webstack:manageApiGatewayAccount": "false", "webstack:natGateways": "none"}
    graph = capture_stack("serverless-dev", **copy)
    assert not graph.by_type("aws:apigateway/account:Account")
    assert not [r for r in graph.by_type("aws:iam/role:Role") if r.name == "api-logging-role"]
    assert not graph.by_type("aws:ec2/natGateway:NatGateway") and not graph.by_type("aws:ec2/eip:Eip")
    assert [r for r in graph.by_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs] == []
    settings = graph.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["loggingLevel"] == "INFO"  # logs with the owner's role
    egress = graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    lambda_egress = [r for r in egress if "-fn-sg" in r.name]
    assert len(lambda_egress) == 4
    for rule in lambda_egress:
        assert rule.inputs.get("prefixListId") or rule.inputs.get("referencedSecurityGroupId"), rule.name
        assert "cidrIpv4" not in rule.inputs, rule.name
    verdict = analyze(graph, stack_spec("serverless-dev", **copy), REPO_ROOT / "policy_pack")
    assert verdict.diagnostics == []


def test_one_log_delivery_resource_policy_per_region(serverless_graph: Graph) -> None:
    """Issue 9 A7: CloudWatch Logs resource policies count against a per-region account quota.
    The API's WAF logs in us-west-2 need one; CloudFront's WAF logs and access logs, both written
    by delivery.logs.amazonaws.com in us-east-1, share one: two per stack, not three."""
    policies = serverless_graph.by_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    by_region = {p.inputs.get("region", "us-west-2"): p for p in policies}
    assert len(policies) == 2 and set(by_region) == {"us-west-2", "us-east-1"}
    edge = json.loads(by_region["us-east-1"].inputs["policyDocument"])["Statement"]
    assert len(edge) == 1 and edge[0]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert edge[0]["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-site-edge-dev:*",
        "arn:aws:logs:us-east-1:123456789012:log-group:site-cloudfront-dev:*",
    ]
    shared = by_region["us-east-1"].urn
    for token in (
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "aws:cloudwatch/logDelivery:LogDelivery",
    ):
        users = [r for r in serverless_graph.by_type(token) if r.inputs.get("region") == "us-east-1"]
        assert len(users) == 1 and shared in users[0].options["dependencies"], token
    groups = {g.inputs["name"] for g in serverless_graph.by_type("aws:cloudwatch/logGroup:LogGroup")}
    assert {"aws-waf-logs-site-edge-dev", "site-cloudfront-dev"} <= groups
