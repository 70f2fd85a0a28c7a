"""ItemsApi, asserted on the captured graph (000-R4/R5/R7/R15-R17/R21, 001-R5/R7-R10/R16-R18)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from plan.capture import CapturedResource, Graph, ProgramError
from policy_pack.policies.iam import supports_resource_scoping
from program.components.items_api import ItemsApi, ItemsApiArgs
from program.components.rest_routes import ITEM_ROUTES, Route
from program.scope import Scope
from unit.conftest import capture_fn, vpc_placement

ACCOUNT = "123456789012"
LOGS_KEY = "arn:aws:kms:us-west-2:123456789012:key/logs"
STREAM_KEY = "arn:aws:kms:us-west-2:123456789012:key/stream"
STREAM_ARN = "arn:aws:kinesis:us-west-2:123456789012:stream/events-dev"
SUBNETS = ["subnet-0aaa", "subnet-0bbb"]
PREFIX_LIST = "pl-00ddb"
ENDPOINT_SG = "sg-0endpoints"

API = "aws:apigateway/restApi:RestApi"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def make_args(**changes: Any) -> ItemsApiArgs:
    """Inside a captured program only (the tier's Firewall is a resource)."""
    args = ItemsApiArgs(
        scope=Scope("dev", ACCOUNT, "us-west-2"),
        vpc=vpc_placement("api-fn", {"dynamodb": PREFIX_LIST}, ENDPOINT_SG, SUBNETS),
        log_kms_key_arn=LOGS_KEY,
        stream_name="events-dev",
        stream_arn=STREAM_ARN,
    )
    return replace(args, **changes)


def api_graph(preview: bool = False, **changes: Any) -> Graph:
    def program() -> None:
        import pulumi

        api = ItemsApi("api", make_args(**changes))
        pulumi.export("originDomain", api.origin_domain)
        pulumi.export("originPath", api.origin_path)
        pulumi.export("originVerifyHeader", api.origin_verify_header)
        pulumi.export("invokeUrl", api.invoke_url)
        pulumi.export("tableName", api.table_name)
        pulumi.export("functionName", api.function_name)
        pulumi.export("alarms", [spec.purpose for spec in api.alarms])
        pulumi.export("metrics", [(m.namespace, m.metric_name) for m in api.metrics])

    return capture_fn(program, preview=preview)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return api_graph()


def policy(resource: CapturedResource) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(resource.inputs["policy"])["Statement"]
    return statements


def by_sid(statements: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements}


def function_statements(graph: Graph) -> dict[str, dict[str, Any]]:
    return by_sid(policy(graph.one(ROLE_POLICY, "api-fn-policy")))


def methods(graph: Graph) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) -> method inputs, with paths rebuilt from the captured resources."""
    api = graph.one(API)
    resources = graph.by_type("aws:apigateway/resource:Resource")
    paths = {api.outputs["rootResourceId"]: ""}
    for resource in sorted(resources, key=lambda r: len(r.name)):
        paths[resource.outputs["id"]] = paths[resource.inputs["parentId"]] + "/" + resource.inputs["pathPart"]
    return {(m.inputs["httpMethod"], paths[m.inputs["resourceId"]]): m.inputs for m in graph.by_type(METHOD)}


def waf_rules(graph: Graph) -> dict[str, dict[str, Any]]:
    return {rule["name"]: rule for rule in graph.one(WEB_ACL).inputs["rules"]}


# -- argument validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"stage_name": "v 1"},
        {"routes": ()},
        {"routes": (Route("GET", "/items"), Route("GET", "/items"))},
        {"throttle_burst_limit": 0},
        {"waf_rate_limit": 5},
        {"function_timeout_s": 30},
    ],
)
def test_args_reject_invalid_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ProgramError, match="ValueError"):
        capture_fn(lambda: make_args(**changes))


# -- API Gateway ------------------------------------------------------------------------------------


def test_000_R4_regional_rest_api_with_the_item_routes(graph: Graph) -> None:
    api = graph.one(API).inputs
    assert api["endpointConfiguration"]["types"] == "REGIONAL"
    assert api["name"] == "api-dev" and api["disableExecuteApiEndpoint"] is False
    assert set(methods(graph)) == {("POST", "/items"), ("GET", "/items/{id}"), ("PATCH", "/items/{id}")}


def test_000_R4_every_method_is_an_aws_proxy_integration_to_the_function(graph: Graph) -> None:
    invoke_arn = graph.one("aws:lambda/function:Function").outputs["invokeArn"]
    integrations = graph.by_type(INTEGRATION)
    assert len(integrations) == 3
    wired = {(i.inputs["resourceId"], i.inputs["httpMethod"]) for i in integrations}
    assert wired == {(m.inputs["resourceId"], m.inputs["httpMethod"]) for m in graph.by_type(METHOD)}
    for integration in integrations:
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["integrationHttpMethod"] == "POST"
        assert integration.inputs["uri"] == invoke_arn
        # Issue 9 C: the API Lambda's retry budget is sized to fit this (lambdas/api/handler.py).
        assert integration.inputs["timeoutMilliseconds"] == 29000


def test_request_validation_on_bodies_and_path_parameters(graph: Graph) -> None:
    validator = graph.one("aws:apigateway/requestValidator:RequestValidator")
    assert validator.inputs["validateRequestBody"] is True
    assert validator.inputs["validateRequestParameters"] is True
    model = graph.one("aws:apigateway/model:Model")
    assert model.inputs["contentType"] == "application/json"
    assert json.loads(model.inputs["schema"])["type"] == "object"
    found = methods(graph)
    for key in found:
        assert found[key]["requestValidatorId"] == validator.outputs["id"]
    for key in [("POST", "/items"), ("PATCH", "/items/{id}")]:
        assert found[key]["requestModels"] == {"application/json": model.outputs["name"]}
    assert "requestModels" not in found[("GET", "/items/{id}")]
    for key in [("GET", "/items/{id}"), ("PATCH", "/items/{id}")]:
        assert found[key]["requestParameters"] == {"method.request.path.id": True}
    assert "requestParameters" not in found[("POST", "/items")]


def test_gateway_errors_answer_json(graph: Graph) -> None:
    responses = {
        r.inputs["responseType"]: r.inputs for r in graph.by_type("aws:apigateway/response:Response")
    }
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for response in responses.values():
        (template,) = response["responseTemplates"].values()
        assert list(response["responseTemplates"]) == ["application/json"]
        assert template.startswith('{"error":')
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"])


def test_deployment_waits_for_every_method_integration_and_response(graph: Graph) -> None:
    deployment = graph.one("aws:apigateway/deployment:Deployment")
    wired = (
        graph.by_type(METHOD) + graph.by_type(INTEGRATION) + graph.by_type("aws:apigateway/response:Response")
    )
    assert {r.urn for r in wired} <= set(deployment.options["dependencies"])
    stage = graph.one("aws:apigateway/stage:Stage").inputs
    assert stage["deployment"] == deployment.outputs["id"] and stage["stageName"] == "v1-dev"


def test_deployment_triggers_change_when_a_method_is_added(graph: Graph) -> None:
    more = api_graph(routes=(*ITEM_ROUTES, Route("DELETE", "/items/{id}")))
    assert len(more.by_type(METHOD)) == 4

    def triggers(g: Graph) -> dict[str, str]:
        result: dict[str, str] = g.one("aws:apigateway/deployment:Deployment").inputs["triggers"]
        return result

    assert triggers(more) != triggers(graph)
    assert triggers(api_graph()) == triggers(graph)


def test_000_R17_stage_access_logs_go_to_an_encrypted_log_group_with_retention(graph: Graph) -> None:
    group = graph.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs")
    assert group.inputs["name"] == "api-access-dev"
    assert group.inputs["kmsKeyId"] == LOGS_KEY and group.inputs["retentionInDays"] == 30
    settings = graph.one("aws:apigateway/stage:Stage").inputs["accessLogSettings"]
    assert settings["destinationArn"] == group.outputs["arn"]
    fields = json.loads(settings["format"])
    assert fields["requestId"] == "$context.requestId" and "status" in fields


def test_000_R17_method_settings_log_info_with_metrics_and_throttle(graph: Graph) -> None:
    method_settings = graph.one("aws:apigateway/methodSettings:MethodSettings").inputs
    assert method_settings["methodPath"] == "*/*" and method_settings["stageName"] == "v1-dev"
    settings = method_settings["settings"]
    assert settings["loggingLevel"] == "INFO" and settings["metricsEnabled"] is True
    assert settings["dataTraceEnabled"] is False
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (100, 50)


def test_002_R32_throttle_is_an_argument() -> None:
    settings = api_graph(throttle_rate_limit=10000.0, throttle_burst_limit=5000).one(
        "aws:apigateway/methodSettings:MethodSettings"
    )
    assert (
        settings.inputs["settings"]["throttlingRateLimit"],
        settings.inputs["settings"]["throttlingBurstLimit"],
    ) == (
        10000,
        5000,
    )


# -- account logging role (001-R18) -----------------------------------------------------------------


def test_001_R18_account_logging_role_is_trusted_by_api_gateway_and_set_before_logging(graph: Graph) -> None:
    role = graph.one("aws:iam/role:Role", "api-logging-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert (
        trust["Principal"] == {"Service": "apigateway.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    )
    account = graph.one("aws:apigateway/account:Account")
    assert account.inputs["cloudwatchRoleArn"] == role.outputs["arn"]
    for token in ("aws:apigateway/stage:Stage", "aws:apigateway/methodSettings:MethodSettings"):
        assert account.urn in graph.one(token).options["dependencies"]


def test_001_R18_logging_role_policy_has_no_wildcard_action_and_no_managed_policy(graph: Graph) -> None:
    assert not graph.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert all("managedPolicyArns" not in role.inputs for role in graph.by_type("aws:iam/role:Role"))
    statements = by_sid(policy(graph.one(ROLE_POLICY, "api-logging-policy")))
    for statement in statements.values():
        assert all("*" not in action for action in statement["Action"])
        if statement["Resource"] == ["*"]:
            assert not any(supports_resource_scoping(a) for a in statement["Action"])
    assert statements["ListLogGroups"]["Action"] == ["logs:DescribeLogGroups"]
    execution = "arn:aws:logs:us-west-2:123456789012:log-group:API-Gateway-Execution-Logs_*"
    # Issue 9 A2: every stack's access logs (ItemsApi's api-access-*, KeyedApi's catalog-access-*,
    # LinkedApi's media-access-*), since the stacks that do not own the setting use this role.
    access = "arn:aws:logs:us-west-2:123456789012:log-group:*-access-*"
    assert statements["WriteApiLogs"]["Resource"] == [
        execution,
        f"{execution}:log-stream:*",
        access,
        f"{access}:log-stream:*",
    ]
    assert "logs:PutLogEvents" in statements["WriteApiLogs"]["Action"]


def test_account_logging_role_can_be_left_to_its_owner() -> None:
    graph = api_graph(manage_account_logging_role=False)
    assert not graph.by_type("aws:apigateway/account:Account")
    assert [r.name for r in graph.by_type("aws:iam/role:Role")] == ["api-fn-role"]


def test_account_logging_and_waf_are_components_whose_children_keep_their_names(graph: Graph) -> None:
    api = graph.one("webstack:items_api:ItemsApi").urn
    account = graph.one("webstack:api_account:ApiGatewayAccount", "api")
    waf = graph.one("webstack:waf:WebAcl", "api-waf")
    assert account.parent == waf.parent == api
    assert {r.name for r in graph.children(account.urn)} == {
        "api-logging-role",
        "api-logging-policy",
        "api-account",
    }
    assert {r.name for r in graph.children(waf.urn)} == {
        "api-waf",
        "api-waf-stage",
        "api-waf-logs",
        "api-waf-logs-policy",
        "api-waf-logging",
    }


# -- Lambda ------------------------------------------------------------------------------------------


def test_function_runs_the_api_handler_with_table_and_stream(graph: Graph) -> None:
    function = graph.one("aws:lambda/function:Function").inputs
    assert function["name"] == "api-dev" and function["runtime"] == "python3.13"
    assert function["architectures"] == ["arm64"] and function["timeout"] == 10
    table = graph.one("aws:dynamodb/table:Table").outputs["name"]
    assert function["environment"]["variables"] == {"TABLE_NAME": table, "STREAM_NAME": "events-dev"}


def test_000_R5_001_R7_function_sits_in_the_private_subnets_with_eni_permissions(graph: Graph) -> None:
    function = graph.one("aws:lambda/function:Function").inputs
    assert function["vpcConfig"]["subnetIds"] == SUBNETS
    statements = by_sid(policy(graph.one(ROLE_POLICY, "api-fn-vpc-policy")))  # Function keeps them apart
    assert "ec2:CreateNetworkInterface" in statements["ManageVpcEnis"]["Action"]
    assert statements["DescribeVpcEnis"]["Action"] == ["ec2:DescribeNetworkInterfaces"]


def test_000_R7_001_R8_dynamodb_grant_is_exactly_three_actions_on_the_table(graph: Graph) -> None:
    table_arn = graph.one("aws:dynamodb/table:Table").outputs["arn"]
    dynamodb = [
        s for s in function_statements(graph).values() if any(a.startswith("dynamodb:") for a in s["Action"])
    ]
    (statement,) = dynamodb
    assert set(statement["Action"]) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert statement["Resource"] == [table_arn]


def test_001_R8_R10_kinesis_grant_is_put_records_on_the_stream_only(graph: Graph) -> None:
    statements = function_statements(graph)
    kinesis = [s for s in statements.values() if any(a.startswith("kinesis:") for a in s["Action"])]
    (statement,) = kinesis
    assert set(statement["Action"]) == {"kinesis:PutRecord", "kinesis:PutRecords"}
    assert statement["Resource"] == [STREAM_ARN]
    # alias/aws/kinesis: no key statement at all.
    assert not [s for s in statements.values() if any(a.startswith("kms:") for a in s["Action"])]


def test_001_R8_a_stream_cmk_adds_generate_data_key_on_that_key_only() -> None:
    statements = function_statements(api_graph(stream_kms_key_arn=STREAM_KEY))
    assert statements["EncryptStreamRecords"]["Action"] == ["kms:GenerateDataKey"]
    assert statements["EncryptStreamRecords"]["Resource"] == [STREAM_KEY]


def test_000_R15_001_R16_function_security_group_has_no_ingress(graph: Graph) -> None:
    group = graph.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs.get("ingress", []) == []
    assert not graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    function = graph.one("aws:lambda/function:Function").inputs
    assert function["vpcConfig"]["securityGroupIds"] == [group.outputs["id"]]


def test_000_R15_001_R16_only_this_api_may_invoke_the_function(graph: Graph) -> None:
    permission = graph.one("aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["function"] == graph.one("aws:lambda/function:Function").outputs["name"]
    execution_arn = graph.one(API).outputs["executionArn"]
    assert permission["sourceArn"] == f"{execution_arn}/*/*"


def test_000_R16_001_R17_egress_is_https_to_the_endpoints_only(graph: Graph) -> None:
    rules = [r.inputs for r in graph.by_type(EGRESS)]
    assert {(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in rules} == {("tcp", 443, 443)}
    assert {r.get("prefixListId") or r.get("referencedSecurityGroupId") for r in rules} == {
        PREFIX_LIST,
        ENDPOINT_SG,
    }
    assert not any("cidrIpv4" in r or "cidrIpv6" in r for r in rules)
    assert graph.one("aws:ec2/securityGroup:SecurityGroup").inputs.get("egress", []) == []


# -- DynamoDB ----------------------------------------------------------------------------------------


def test_001_R9_000_R21_table_is_on_demand_encrypted_recoverable_and_destroyable(graph: Graph) -> None:
    table = graph.one("aws:dynamodb/table:Table").inputs
    assert table["name"] == "items-dev" and table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == "id" and table["attributes"] == [{"name": "id", "type": "S"}]
    assert table["serverSideEncryption"]["enabled"] is True
    assert table["pointInTimeRecovery"]["enabled"] is True
    assert table["deletionProtectionEnabled"] is False


# -- WAF (001-R5) ------------------------------------------------------------------------------------


def test_001_R5_web_acl_is_associated_with_the_stage(graph: Graph) -> None:
    association = graph.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["resourceArn"] == graph.one("aws:apigateway/stage:Stage").outputs["arn"]
    acl = graph.one(WEB_ACL)
    assert association["webAclArn"] == acl.outputs["arn"]
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["name"] == "api-dev"
    assert "allow" in acl.inputs["defaultAction"]


def test_001_R5_requests_without_the_origin_header_are_blocked_first(graph: Graph) -> None:
    rules = waf_rules(graph)
    rule = rules["origin-verify"]
    assert rule["priority"] == 0 == min(r["priority"] for r in rules.values())
    assert "block" in rule["action"]
    match = rule["statement"]["notStatement"]["statement"]["byteMatchStatement"]
    assert match["fieldToMatch"] == {"singleHeader": {"name": "x-origin-verify"}}
    secret = graph.one("random:index/randomPassword:RandomPassword", "api-origin-verify")
    assert secret.parent == graph.one("webstack:items_api:ItemsApi").urn  # no parentless resource
    assert secret.inputs["length"] == 48 and secret.inputs["special"] is False
    assert match["positionalConstraint"] == "EXACTLY" and match["searchString"] == secret.outputs["result"]
    assert match["textTransformations"] == [{"priority": 0, "type": "NONE"}]


def test_001_R5_managed_rule_groups_and_a_rate_limit_per_client_ip(graph: Graph) -> None:
    rules = waf_rules(graph)
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        assert (statement["name"], statement["vendorName"]) == (group, "AWS")
        assert "none" in rules[group]["overrideAction"]
    rate = rules["rate-per-ip"]
    assert "block" in rate["action"]
    statement = rate["statement"]["rateBasedStatement"]
    assert statement["limit"] == 1000 and statement["evaluationWindowSec"] == 300
    # Behind CloudFront the client is in X-Forwarded-For, not the source address.
    assert statement["aggregateKeyType"] == "FORWARDED_IP"
    assert statement["forwardedIpConfig"]["headerName"] == "X-Forwarded-For"
    assert len({r["priority"] for r in rules.values()}) == len(rules) == 4


def test_web_acl_logs_to_an_encrypted_group_without_the_origin_secret(graph: Graph) -> None:
    group = graph.one("aws:cloudwatch/logGroup:LogGroup", "api-waf-logs")
    assert group.inputs["name"] == "aws-waf-logs-api-dev"
    assert group.inputs["kmsKeyId"] == LOGS_KEY and group.inputs["retentionInDays"] == 30
    logging = graph.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.inputs["resourceArn"] == graph.one(WEB_ACL).outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "x-origin-verify"}}]
    resource_policy = graph.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert resource_policy.urn in logging.options["dependencies"]
    (statement,) = json.loads(resource_policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == [group.outputs["arn"] + ":*"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_web_acl_description_uses_only_characters_waf_accepts(graph: Graph) -> None:
    description = graph.one(WEB_ACL).inputs["description"]
    assert re.fullmatch(r"[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]", description)


def test_web_acl_logging_can_be_turned_off() -> None:
    graph = api_graph(waf_logging=False)
    assert not graph.by_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert not graph.by_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")


# -- what the component exposes ---------------------------------------------------------------------


def test_exposes_the_cloudfront_origin_and_alarm_specs(graph: Graph) -> None:
    outputs = graph.stack_outputs
    api_id = graph.one(API).outputs["id"]
    assert outputs["originDomain"] == f"{api_id}.execute-api.us-west-2.amazonaws.com"
    assert outputs["originPath"] == "/v1-dev" and outputs["originVerifyHeader"] == "x-origin-verify"
    assert outputs["invokeUrl"] == graph.one("aws:apigateway/stage:Stage").outputs["invokeUrl"]
    assert (outputs["tableName"], outputs["functionName"]) == ("items-dev", "api-dev")
    assert set(outputs["alarms"]) == {
        "api-errors",
        "api-throttles",
        "api-5xx",
        "api-p99-latency",
        "api-publish-failed",
    }
    assert ["AWS/ApiGateway", "Count"] in outputs["metrics"] and ["AWS/Lambda", "Invocations"] in outputs[
        "metrics"
    ]


def test_builds_in_preview_with_unknown_outputs() -> None:
    graph = api_graph(preview=True)
    assert len(graph.by_type(METHOD)) == 3
    assert graph.one("aws:wafv2/webAclAssociation:WebAclAssociation")


def test_logged_publish_failures_are_counted_and_alarmed(graph: Graph) -> None:
    metric_filter = graph.one("aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs
    assert metric_filter["logGroupName"] == "/aws/lambda/api-dev"
    assert metric_filter["pattern"] == '{ $.event = "publish_failed" }'
    transformation = metric_filter["metricTransformation"]
    assert (transformation["namespace"], transformation["name"]) == ("webstack", "ItemEventPublishFailed")


def test_000_R17_execution_logs_go_to_a_precreated_encrypted_group_named_with_the_suffix(
    graph: Graph,
) -> None:
    """Issue 9 A4: API Gateway would create API-Gateway-Execution-Logs_<api-id>/<stage> itself, with
    no KMS or retention, and destroy would leave it; the stage name carries the suffix, so the
    group is pre-created under a name the naming policy accepts."""
    api_id = graph.one(API).outputs["id"]
    group = graph.one("aws:cloudwatch/logGroup:LogGroup", "api-execution-logs")
    assert group.inputs["name"] == f"API-Gateway-Execution-Logs_{api_id}/v1-dev"
    assert group.inputs["name"].endswith("-dev")
    assert group.inputs["kmsKeyId"] == LOGS_KEY
    assert group.inputs["retentionInDays"] == 30
    for token in ("aws:apigateway/stage:Stage", "aws:apigateway/methodSettings:MethodSettings"):
        assert group.urn in graph.one(token).options["dependencies"], token


def test_001_R18_left_to_its_owner_the_stage_still_logs_without_waiting_for_an_account() -> None:
    """Issue 9 A2: with manage_account_logging_role=False the stack assumes the region's setting
    already names a role (the owner's) and still sends access and execution logs."""
    graph = api_graph(manage_account_logging_role=False)
    assert not graph.by_type("aws:apigateway/account:Account")
    stage = graph.one("aws:apigateway/stage:Stage")
    access = graph.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.outputs["arn"]
    settings = graph.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["loggingLevel"] == "INFO"
    execution = graph.one("aws:cloudwatch/logGroup:LogGroup", "api-execution-logs").urn
    assert execution in stage.options["dependencies"]
    assert not [urn for urn in stage.options["dependencies"] if "apigateway/account" in urn]
