"""Logging family: compliant baselines and one-field changes, per resource type and relation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import logging as lg
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

LOG_GROUP_ARN = "arn:aws:logs:us-west-2:123456789012:log-group:api-access-dev"


@pytest.mark.parametrize("policy", lg.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("logging-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


# -- logging-api-stage-access-logs -----------------------------------------------------------


def stage(**access: Any) -> dict[str, Any]:
    settings = {"destinationArn": LOG_GROUP_ARN, "format": '{"requestId":"$context.requestId"}'} | access
    return {"stageName": "v1", "restApi": "api123", "accessLogSettings": settings}


@pytest.mark.parametrize("stage_type", [lg.REST_STAGE, lg.HTTP_STAGE])
def test_stage_with_access_logs_passes(stage_type: str) -> None:
    assert run_resource(lg.api_stage_access_logs, stage_type, stage()).ok


def test_stage_without_access_logs_is_a_finding() -> None:
    props = stage()
    del props["accessLogSettings"]
    (message,) = run_resource(lg.api_stage_access_logs, lg.REST_STAGE, props).messages
    assert "accessLogSettings.destinationArn" in message
    assert run_resource(lg.api_stage_access_logs, lg.REST_STAGE, stage(destinationArn="")).messages


def test_log_group_arn_unknown_in_preview_counts_as_set() -> None:
    assert run_resource(lg.api_stage_access_logs, lg.REST_STAGE, stage(destinationArn=UNKNOWN)).ok


def test_unknown_access_log_settings_object_in_preview_is_unknown() -> None:
    props = stage() | {"accessLogSettings": UNKNOWN}
    assert run_resource(lg.api_stage_access_logs, lg.REST_STAGE, props).unknown


# -- logging-api-execution-logs --------------------------------------------------------------


def rest_stage() -> PolicyResource:
    return resource(lg.REST_STAGE, stage(), "stage")


def method_settings(target: PolicyResource, level: Any = "INFO", path: str = "*/*") -> PolicyResource:
    props = {"restApi": "api123", "stageName": "v1", "methodPath": path, "settings": {"loggingLevel": level}}
    return resource(lg.METHOD_SETTINGS, props, "settings", deps={"stageName": [target]})


@pytest.mark.parametrize("level", lg.EXECUTION_LOG_LEVELS)
def test_000_R17_stage_with_execution_logs_passes(level: str) -> None:
    s = rest_stage()
    assert run_stack(lg.api_execution_logs, [s, method_settings(s, level)]).ok


@pytest.mark.parametrize(("level", "path"), [("OFF", "*/*"), ("INFO", "items/GET"), (None, "*/*")])
def test_method_settings_that_do_not_log_every_method_are_a_finding(level: Any, path: str) -> None:
    s = rest_stage()
    outcome = run_stack(lg.api_execution_logs, [s, method_settings(s, level, path)])
    assert outcome.urns == [s.urn] and "has no execution logs" in outcome.messages[0]


def test_stage_without_method_settings_is_a_finding() -> None:
    s = rest_stage()
    assert run_stack(lg.api_execution_logs, [s]).urns == [s.urn]


def test_http_api_stages_have_no_execution_logs_to_check() -> None:
    assert run_stack(lg.api_execution_logs, [resource(lg.HTTP_STAGE, stage(), "http")]).ok


def test_unknown_logging_level_in_preview_is_unknown() -> None:
    s = rest_stage()
    assert run_stack(lg.api_execution_logs, [s, method_settings(s, UNKNOWN)]).unknown


# -- logging-alb-access-logs -----------------------------------------------------------------


def balancer(**logs: Any) -> dict[str, Any]:
    return {"name": "api-dev", "loadBalancerType": "application", "accessLogs": {"bucket": "logs-dev"} | logs}


@pytest.mark.parametrize("lb_type", lg.LOAD_BALANCERS)
def test_load_balancer_with_access_logs_passes(lb_type: str) -> None:
    assert run_resource(lg.load_balancer_access_logs, lb_type, balancer(enabled=True)).ok


@pytest.mark.parametrize("props", [balancer(), balancer(enabled=False), {"name": "api-dev"}])
def test_access_logs_off_or_absent_is_a_finding(props: dict[str, Any]) -> None:
    # accessLogs.enabled defaults to false even with a bucket; loadBalancerType defaults to application.
    (message,) = run_resource(lg.load_balancer_access_logs, lg.LOAD_BALANCERS[0], props).messages
    assert "accessLogs.enabled=true" in message


def test_network_load_balancers_are_checked_and_gateway_ones_are_not() -> None:
    nlb = {"name": "nlb-dev", "loadBalancerType": "network"}
    assert run_resource(lg.load_balancer_access_logs, lg.LOAD_BALANCERS[0], nlb).messages
    gwlb = {"name": "gwlb-dev", "loadBalancerType": "gateway"}
    assert run_resource(lg.load_balancer_access_logs, lg.LOAD_BALANCERS[0], gwlb).ok


def test_unknown_access_logs_flag_in_preview_is_unknown() -> None:
    assert run_resource(lg.load_balancer_access_logs, lg.LOAD_BALANCERS[0], balancer(enabled=UNKNOWN)).unknown


def test_access_logs_off_is_caught_when_the_bucket_is_unknown() -> None:
    outcome = run_resource(lg.load_balancer_access_logs, lg.LOAD_BALANCERS[0], balancer(bucket=UNKNOWN))
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- logging-vpc-flow-logs -------------------------------------------------------------------


def vpc() -> PolicyResource:
    return resource(lg.VPC, {"cidrBlock": "10.0.0.0/16"}, "vpc")


def flow_log(prop: str, target: PolicyResource) -> PolicyResource:
    props = {prop: "id-1", "trafficType": "ALL", "logDestination": LOG_GROUP_ARN}
    return resource(lg.FLOW_LOG, props, "flow", deps={prop: [target]})


def test_vpc_with_a_flow_log_passes() -> None:
    v = vpc()
    assert run_stack(lg.vpc_flow_logs, [v, flow_log("vpcId", v)]).ok


def test_vpc_without_a_vpc_flow_log_is_a_finding() -> None:
    v = vpc()
    subnet = resource("aws:ec2/subnet:Subnet", {"vpcId": "vpc-1"}, "subnet", deps={"vpcId": [v]})
    outcome = run_stack(lg.vpc_flow_logs, [v, subnet, flow_log("subnetId", subnet)])
    assert outcome.urns == [v.urn] and "has no flow log" in outcome.messages[0]


# -- logging-log-group-retention -------------------------------------------------------------


def test_002_R35_log_group_with_retention_passes() -> None:
    props = {"name": "/aws/lambda/api-dev", "retentionInDays": 30}
    assert run_resource(lg.log_group_retention, lg.LOG_GROUP, props).ok


@pytest.mark.parametrize("props", [{"name": "/aws/lambda/api-dev"}, {"retentionInDays": 0}])
def test_log_group_kept_forever_is_a_finding(props: dict[str, Any]) -> None:
    (message,) = run_resource(lg.log_group_retention, lg.LOG_GROUP, props).messages
    assert "keeps logs forever" in message


def test_unknown_retention_in_preview_is_unknown() -> None:
    assert run_resource(lg.log_group_retention, lg.LOG_GROUP, {"retentionInDays": UNKNOWN}).unknown


def test_missing_retention_is_caught_when_the_key_is_unknown() -> None:
    outcome = run_resource(lg.log_group_retention, lg.LOG_GROUP, {"name": "x", "kmsKeyId": UNKNOWN})
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- logging-waf-web-acl ---------------------------------------------------------------------


def web_acl() -> PolicyResource:
    return resource(lg.WEB_ACL, {"name": "api-dev", "scope": "REGIONAL"}, "acl")


@pytest.mark.parametrize("logger_type", [lg.WAF_LOGGING, lg.LOG_DELIVERY_SOURCE])
def test_logged_web_acl_passes(logger_type: str) -> None:
    acl = web_acl()
    logger = resource(logger_type, {"resourceArn": UNKNOWN}, "waf-logs", deps={"resourceArn": [acl]})
    assert run_stack(lg.waf_logging, [acl, logger]).ok


def test_web_acl_without_logging_is_a_finding() -> None:
    acl = web_acl()
    outcome = run_stack(lg.waf_logging, [acl])
    assert outcome.urns == [acl.urn] and "WebAclLoggingConfiguration" in outcome.messages[0]


# -- logging-cloudfront ----------------------------------------------------------------------


def cdn(**props: Any) -> PolicyResource:
    return resource(lg.DISTRIBUTION, {"enabled": True} | props, "cdn")


@pytest.mark.parametrize("bucket", ["logs-dev.s3.amazonaws.com", UNKNOWN])
def test_distribution_with_standard_logging_passes(bucket: str) -> None:
    assert run_stack(lg.cloudfront_logging, [cdn(loggingConfig={"bucket": bucket, "prefix": "cdn/"})]).ok


def test_distribution_with_v2_log_delivery_passes() -> None:
    d = cdn()
    source = resource(lg.LOG_DELIVERY_SOURCE, {"logType": "ACCESS_LOGS"}, "src", deps={"resourceArn": [d]})
    assert run_stack(lg.cloudfront_logging, [d, source]).ok


def test_distribution_without_logging_is_a_finding() -> None:
    d = cdn()
    outcome = run_stack(lg.cloudfront_logging, [d])
    assert outcome.urns == [d.urn] and "loggingConfig.bucket" in outcome.messages[0]


def test_unknown_logging_config_in_preview_is_unknown() -> None:
    assert run_stack(lg.cloudfront_logging, [cdn(loggingConfig=UNKNOWN)]).unknown


# -- logging-s3-access-logs ------------------------------------------------------------------


def test_bucket_logging_into_a_log_bucket_passes_and_the_log_bucket_is_exempt() -> None:
    data = resource(lg.BUCKETS[0], {"bucket": "data-dev"}, "data")
    logs = resource(lg.BUCKETS[0], {"bucket": "logs-dev"}, "logs")
    logging = resource(
        lg.BUCKET_LOGGING[0],
        {"bucket": "data-dev", "targetBucket": "logs-dev", "targetPrefix": "data/"},
        "data-logging",
        deps={"bucket": [data], "targetBucket": [logs]},
    )
    assert run_stack(lg.s3_access_logs, [data, logs, logging]).ok


def test_bucket_without_access_logging_is_a_finding() -> None:
    data = resource(lg.BUCKETS[1], {"bucket": "data-dev"}, "data")
    outcome = run_stack(lg.s3_access_logs, [data])
    assert outcome.urns == [data.urn] and "logs no server access" in outcome.messages[0]


# -- logging-ecs-container-insights ----------------------------------------------------------


@pytest.mark.parametrize("value", ["enabled", "enhanced"])
def test_004_R5_cluster_with_container_insights_passes(value: str) -> None:
    props = {"name": "media-dev", "settings": [{"name": "containerInsights", "value": value}]}
    assert run_resource(lg.ecs_container_insights, lg.ECS_CLUSTER, props).ok


@pytest.mark.parametrize("settings", [[{"name": "containerInsights", "value": "disabled"}], [], None])
def test_cluster_without_container_insights_is_a_finding(settings: Any) -> None:
    (message,) = run_resource(lg.ecs_container_insights, lg.ECS_CLUSTER, {"settings": settings}).messages
    assert "Container Insights" in message


def test_unknown_container_insights_value_in_preview_is_unknown() -> None:
    props = {"settings": [{"name": "containerInsights", "value": UNKNOWN}]}
    assert run_resource(lg.ecs_container_insights, lg.ECS_CLUSTER, props).unknown


# -- logging-ecs-container-logs --------------------------------------------------------------

AWSLOGS = {
    "logDriver": "awslogs",
    "options": {"awslogs-group": "/ecs/web-dev", "awslogs-region": "us-west-2"},
}


def task(*containers: dict[str, Any], as_string: bool = True) -> dict[str, Any]:
    definitions = [{"name": "web", "image": "repo:abc123", "logConfiguration": AWSLOGS}, *containers]
    return {
        "family": "web-dev",
        "containerDefinitions": json.dumps(definitions) if as_string else definitions,
    }


@pytest.mark.parametrize("as_string", [True, False], ids=["json-string", "list"])
def test_004_R30_containers_with_a_log_driver_pass(as_string: bool) -> None:
    assert run_resource(lg.ecs_container_logs, lg.TASK_DEFINITION, task(as_string=as_string)).ok


@pytest.mark.parametrize("as_string", [True, False], ids=["json-string", "list"])
def test_container_without_log_configuration_is_a_finding(as_string: bool) -> None:
    props = task({"name": "sidecar", "image": "envoy:1"}, as_string=as_string)
    (message,) = run_resource(lg.ecs_container_logs, lg.TASK_DEFINITION, props).messages
    assert message.startswith("container sidecar has no logConfiguration")


def test_unknown_container_definitions_in_preview_are_unknown() -> None:
    props = {"family": "web-dev", "containerDefinitions": UNKNOWN}
    assert run_resource(lg.ecs_container_logs, lg.TASK_DEFINITION, props).unknown


# -- logging-lambda-tracing / logging-api-stage-tracing -------------------------------------

FUNCTION = base.FUNCTION


def test_function_with_active_tracing_passes() -> None:
    assert run_resource(lg.lambda_tracing, FUNCTION, base.function_props("api")).ok


@pytest.mark.parametrize(("tracing", "shown"), [({"mode": "PassThrough"}, "PassThrough"), (None, "not set")])
def test_function_not_actively_traced_is_a_finding(tracing: Any, shown: str) -> None:
    props = base.function_props("api", {"tracingConfig": tracing})
    (message,) = run_resource(lg.lambda_tracing, FUNCTION, props).messages
    assert shown in message and "Set tracingConfig.mode to 'Active'" in message


def test_unknown_tracing_mode_in_preview_is_unknown() -> None:
    props = base.function_props("api", {"tracingConfig": {"mode": UNKNOWN}})
    assert run_resource(lg.lambda_tracing, FUNCTION, props).unknown


def test_traced_rest_stage_passes() -> None:
    props = stage() | {"xrayTracingEnabled": True}
    assert run_resource(lg.api_stage_tracing, base.STAGE, props).ok


@pytest.mark.parametrize("flag", [False, None])
def test_untraced_rest_stage_is_a_finding(flag: Any) -> None:
    props = {k: v for k, v in (stage() | {"xrayTracingEnabled": flag}).items() if v is not None}
    (message,) = run_resource(lg.api_stage_tracing, base.STAGE, props).messages
    assert "xrayTracingEnabled=True" in message


def test_http_api_stages_are_not_judged_for_tracing() -> None:
    assert run_resource(lg.api_stage_tracing, "aws:apigatewayv2/stage:Stage", stage()).ok


def test_unknown_tracing_flag_in_preview_is_unknown() -> None:
    props = stage() | {"xrayTracingEnabled": UNKNOWN}
    assert run_resource(lg.api_stage_tracing, base.STAGE, props).unknown


def test_access_log_rule_cites_the_terraform_check_only() -> None:
    # CKV_AWS_95 is checkov's CloudFormation twin of CKV_AWS_76.
    assert "checkov:CKV_AWS_76" in lg.api_stage_access_logs.tags
    assert "checkov:CKV_AWS_95" not in lg.api_stage_access_logs.tags


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    base.stage(cat, "v1")  # control: access logs, execution logs and a web ACL
    # logging-api-stage-access-logs: no accessLogSettings
    base.stage(
        cat, "no-access-logs", change={"accessLogSettings": None}, violates=["logging-api-stage-access-logs"]
    )
    # logging-api-execution-logs: MethodSettings with logging OFF
    quiet = base.stage(cat, "quiet", method_settings={"settings.loggingLevel": "OFF"})
    cat.expect("logging-api-execution-logs", quiet, "has no execution logs")
    # logging-alb-access-logs: no access logs
    base.load_balancer(cat, "unlogged-alb", change={"accessLogs": None}, violates=["logging-alb-access-logs"])
    # logging-vpc-flow-logs: no flow log
    unlogged = base.vpc(cat, "unlogged", without=["flow-log"])
    cat.expect("logging-vpc-flow-logs", unlogged, "has no flow log")
    # logging-log-group-retention: logs kept forever
    base.log_group(
        cat,
        "forever-logs",
        f"/webstack/{base.physical('forever')}",
        change={"retentionInDays": None},
        violates=["logging-log-group-retention"],
    )
    # logging-waf-web-acl: no logging configuration
    base.web_acl(cat, "unlogged-acl", logged=False, violates=["logging-waf-web-acl"])
    # logging-cloudfront: no loggingConfig and no log delivery source
    base.distribution(cat, "unlogged-cdn", change={"loggingConfig": None}, violates=["logging-cloudfront"])
    # control: v2 logging, a LogDeliverySource computed from the distribution
    v2 = base.distribution(cat, "v2-logged-cdn", change={"loggingConfig": None})
    cat.add(
        base.LOG_DELIVERY_SOURCE,
        "cdn-access",
        {
            "name": base.physical("cdn-access"),
            "logType": "ACCESS_LOGS",
            "resourceArn": f"arn:aws:cloudfront::{base.ACCOUNT}:distribution/EV2",
        },
        deps={"resourceArn": [v2]},
    )
    # logging-s3-access-logs: no BucketLogging (and not itself a log target)
    base.bucket(cat, "unlogged-bucket", without=["logging"], violates=["logging-s3-access-logs"])
    # logging-ecs-container-insights: no containerInsights setting
    cat.add(
        base.ECS_CLUSTER,
        "app",
        {"name": base.physical("app"), "settings": [{"name": "containerInsights", "value": "enabled"}]},
    )
    cat.add(
        base.ECS_CLUSTER, "dark", {"name": base.physical("dark")}, violates=["logging-ecs-container-insights"]
    )
    # logging-ecs-container-logs: a container without logConfiguration
    base.task_definition(cat, "app")  # control
    base.task_definition(
        cat, "unlogged-task", container={"logConfiguration": None}, violates=["logging-ecs-container-logs"]
    )
    # logging-lambda-tracing: PassThrough tracing
    base.function(
        cat, "untraced-fn", change={"tracingConfig.mode": "PassThrough"}, violates=["logging-lambda-tracing"]
    )
    # logging-api-stage-tracing: X-Ray off on a REST stage
    base.stage(cat, "untraced", change={"xrayTracingEnabled": False}, violates=["logging-api-stage-tracing"])
