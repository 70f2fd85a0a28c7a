"""Monitoring component on the captured graph (000-R18, 001-R20/R21, 002-R34/R39), and its dashboard body."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from plan.capture import CapturedResource, Graph
from program.alarms import (
    AlarmSpec,
    MetricRef,
    api_alarms,
    api_metrics,
    lambda_alarms,
    lambda_metrics,
    queue_depth_alarm,
    stream_alarms,
    stream_metrics,
)
from program.components.monitoring import Monitoring, MonitoringArgs, dashboard_body
from program.scope import Scope
from unit.conftest import capture_fn

ACCOUNT = "123456789012"
REGION = "us-west-2"
TOPIC = "aws:sns/topic:Topic"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def serverless_specs(stream: pulumi.Input[str] = "ingest-dev") -> tuple[list[AlarmSpec], list[MetricRef]]:
    alarms = [
        *lambda_alarms("backend", "backend-dev"),
        *lambda_alarms("consumer", "consumer-dev"),
        *api_alarms("api", "api-dev", "prod"),
        *stream_alarms("ingest", stream),
        queue_depth_alarm("consumer-dlq", "consumer-dlq-dev"),
    ]
    metrics = [
        *lambda_metrics("backend", "backend-dev"),
        *api_metrics("api", "api-dev", "prod"),
        *stream_metrics("ingest", stream),
    ]
    return alarms, metrics


def monitoring_graph(alert_email: str | None = "ops@example.com", preview: bool = False) -> Graph:
    def program() -> None:
        # The stream name arrives as an Output, as it does from a real Stream.
        alarms, metrics = serverless_specs(pulumi.Output.from_input("ingest-dev"))
        Monitoring(
            "monitoring",
            MonitoringArgs(
                scope=Scope("dev", ACCOUNT, REGION),
                alarms=alarms,
                metrics=metrics,
                alert_email=alert_email,
            ),
        )

    return capture_fn(program, preview=preview)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return monitoring_graph()


def statements_by_sid(resource: CapturedResource) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(resource.inputs["policy"])["Statement"]}


def topic_arn(graph: Graph) -> str:
    return str(graph.one(TOPIC).outputs["arn"])


def dashboard(graph: Graph) -> dict[str, Any]:
    body = json.loads(graph.one(DASHBOARD).inputs["dashboardBody"])
    assert isinstance(body, dict)
    return body


def test_000_R18_001_R21_every_alarm_notifies_the_topic(graph: Graph) -> None:
    alarms = graph.by_type(ALARM)
    assert len(alarms) >= 3
    assert len(alarms) == len(serverless_specs()[0])
    for alarm in alarms:
        assert topic_arn(graph) in alarm.inputs["alarmActions"], alarm.name
        assert alarm.inputs["okActions"] == [topic_arn(graph)], alarm.name


def test_000_R18_alarms_watch_lambda_errors_api_5xx_and_kinesis_throughput(graph: Graph) -> None:
    watched = {(a.inputs["namespace"], a.inputs["metricName"]) for a in graph.by_type(ALARM)}
    assert {
        ("AWS/Lambda", "Errors"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/Kinesis", "WriteProvisionedThroughputExceeded"),
        ("AWS/Kinesis", "ReadProvisionedThroughputExceeded"),
    } <= watched
    age = graph.one(ALARM, "monitoring-ingest-iterator-age").inputs
    # The Output dimension resolved to the stream's name.
    assert age["dimensions"] == {"StreamName": "ingest-dev"}
    assert age["statistic"] == "Maximum" and age["threshold"] == 300_000
    assert age["treatMissingData"] == "notBreaching"
    assert (age["period"], age["evaluationPeriods"], age["datapointsToAlarm"]) == (60, 5, 3)


def test_000_R18_p99_latency_alarm_uses_extended_statistic_only(graph: Graph) -> None:
    latency = graph.one(ALARM, "monitoring-api-p99-latency").inputs
    assert latency["extendedStatistic"] == "p99"
    assert "statistic" not in latency
    assert latency["comparisonOperator"] == "GreaterThanThreshold" and latency["threshold"] == 2000


def test_000_R18_topic_is_encrypted_with_a_cmk_cloudwatch_may_use(graph: Graph) -> None:
    key = graph.one("aws:kms/key:Key")
    kms_key_id = graph.one(TOPIC).inputs["kmsMasterKeyId"]
    assert kms_key_id == key.outputs["arn"]
    assert not kms_key_id.startswith("alias/aws/")
    grants = [
        s
        for s in json.loads(key.inputs["policy"])["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert len(grants) == 1
    assert grants[0]["Effect"] == "Allow"
    assert sorted(grants[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "Condition" not in grants[0]
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 7


def test_000_R18_key_policy_names_only_the_account_and_cloudwatch(graph: Graph) -> None:
    statements = json.loads(graph.one("aws:kms/key:Key").inputs["policy"])["Statement"]
    assert [s["Principal"] for s in statements] == [
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},  # administers
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},  # IAM policies may grant use via services (issue 9 A6)
        {"Service": "cloudwatch.amazonaws.com"},
    ]
    assert all("*" not in action for s in statements for action in s["Action"])


def test_topic_policy_lets_only_this_accounts_alarms_publish(graph: Graph) -> None:
    policy = graph.one("aws:sns/topicPolicy:TopicPolicy")
    assert policy.inputs["arn"] == topic_arn(graph)
    publish = statements_by_sid(policy)["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == ["sns:Publish"] and publish["Resource"] == [topic_arn(graph)]
    assert publish["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*-dev"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }


def test_000_R19_topic_policy_denies_requests_without_tls(graph: Graph) -> None:
    deny = statements_by_sid(graph.one("aws:sns/topicPolicy:TopicPolicy"))["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert {"sns:Publish", "sns:Subscribe"} <= set(deny["Action"])
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [topic_arn(graph)]


def test_topic_policy_keeps_the_owners_rights_without_wildcards(graph: Graph) -> None:
    statements = statements_by_sid(graph.one("aws:sns/topicPolicy:TopicPolicy"))
    owner = statements["AccountManagesTopic"]
    assert owner["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert {"sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe"} <= set(owner["Action"])
    for statement in statements.values():
        assert all("*" not in action for action in statement["Action"])


def test_001_R21_email_subscription_only_with_alert_email(graph: Graph) -> None:
    subscription = graph.one(SUBSCRIPTION).inputs
    assert subscription["protocol"] == "email" and subscription["endpoint"] == "ops@example.com"
    assert subscription["topic"] == topic_arn(graph)
    assert monitoring_graph(alert_email=None).by_type(SUBSCRIPTION) == []


def test_001_R20_dashboard_graphs_the_metrics_given(graph: Graph) -> None:
    _, metrics = serverless_specs()
    graphs = [w["properties"] for w in dashboard(graph)["widgets"] if w["type"] == "metric"]
    graphed = {(p["metrics"][0][0], p["metrics"][0][1]) for p in graphs}
    assert graphed == {(m.namespace, m.metric_name) for m in metrics}
    assert {
        ("AWS/Lambda", "Invocations"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/Kinesis", "IncomingRecords"),
    } <= (graphed)
    records = next(p for p in graphs if p["metrics"][0][1] == "IncomingRecords")
    assert records["metrics"] == [["AWS/Kinesis", "IncomingRecords", "StreamName", "ingest-dev"]]
    assert records["region"] == REGION and records["period"] == 60


def test_001_R20_dashboard_lists_every_alarm_arn(graph: Graph) -> None:
    widgets = [w for w in dashboard(graph)["widgets"] if w["type"] == "alarm"]
    assert len(widgets) == 1
    alarms = graph.by_type(ALARM)
    assert sorted(widgets[0]["properties"]["alarms"]) == sorted(a.outputs["arn"] for a in alarms)
    # Built from the alarms' own ARNs, so the dashboard is written after the alarms exist.
    assert set(graph.one(DASHBOARD).options["propertyDependencies"]["dashboardBody"]) == {
        a.urn for a in alarms
    }


def test_physical_names_end_with_the_suffix(graph: Graph) -> None:
    names = [a.inputs["name"] for a in graph.by_type(ALARM)]
    assert all(name.endswith("-dev") for name in names)
    assert "backend-errors-dev" in names
    assert graph.one(TOPIC).inputs["name"] == "alerts-dev"
    assert graph.one(DASHBOARD).inputs["dashboardName"] == "overview-dev"
    assert graph.one("aws:kms/alias:Alias").inputs["name"] == "alias/alerts-dev"


def test_children_are_parented_and_outputs_registered(graph: Graph) -> None:
    component = graph.one("webstack:monitoring:Monitoring")
    direct = {r.type for r in graph.children(component.urn)}
    assert {"webstack:kms:ServiceKey", TOPIC, ALARM, DASHBOARD, SUBSCRIPTION} <= direct
    assert all(r.options.get("protect") in (None, False) for r in graph.resources)


def test_preview_leaves_the_dashboard_unknown_without_failing() -> None:
    graph = monitoring_graph(preview=True)
    assert len(graph.by_type(ALARM)) == len(serverless_specs()[0])
    assert graph.one(DASHBOARD).inputs["dashboardName"] == "overview-dev"
    # The topic policy is known in preview, so the IAM guardrails can judge it there.
    statements = json.loads(graph.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])["Statement"]
    assert {tuple(s["Resource"]) for s in statements} == {(f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-dev",)}


# -- args ------------------------------------------------------------------------------------------


def args(alarms: list[AlarmSpec], **overrides: Any) -> MonitoringArgs:
    values: dict[str, Any] = {
        "scope": Scope("dev", ACCOUNT, REGION),
        "alarms": alarms,
        "metrics": [],
        **overrides,
    }
    return MonitoringArgs(**values)


def test_duplicate_alarm_purposes_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique, repeated: backend-errors"):
        args([*lambda_alarms("backend", "f"), *lambda_alarms("backend", "g")])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"statistic": None}, "exactly one of statistic and extended_statistic"),
        ({"extended_statistic": "p99"}, "exactly one of statistic and extended_statistic"),
        ({"period_s": 90}, "period 90s"),
        ({"datapoints_to_alarm": 6}, "between 1 and evaluation_periods 5"),
        ({"treat_missing_data": "NotBreaching"}, "treat_missing_data"),
        ({"purpose": "Bad_Name"}, "purpose"),
    ],
)
def test_args_reject_alarms_cloudwatch_would_not_accept(change: dict[str, Any], message: str) -> None:
    spec = AlarmSpec("errors", "d", "AWS/Lambda", "Errors", {"FunctionName": "f"}, 1)
    values = {**spec.__dict__, **change}
    with pytest.raises(ValueError, match=message):
        args([AlarmSpec(**values)])


def test_args_reject_bad_email_account_and_nothing_to_watch() -> None:
    spec = lambda_alarms("backend", "f")
    with pytest.raises(ValueError, match="alert_email"):
        args(spec, alert_email="ops at example")
    with pytest.raises(ValueError, match="12-digit"):
        args(spec, scope=Scope("dev", "1234", REGION))
    with pytest.raises(ValueError, match="at least one alarm or metric"):
        args([])
    with pytest.raises(ValueError, match="suffix"):
        args(spec, scope=Scope("Dev", ACCOUNT, REGION))
    # Issue 9 B: a final newline, a 300-character local part, non-ASCII digits.
    for email in ("ops@example.com\n", "a" * 300 + "@example.com"):
        with pytest.raises(ValueError, match="alert_email"):
            args(spec, alert_email=email)
    for account in (f"{ACCOUNT}\n", "\u0661" * 12):
        with pytest.raises(ValueError, match="12-digit"):
            args(spec, scope=Scope("dev", account, REGION))


# -- dashboard_body (pure) -------------------------------------------------------------------------


def test_dashboard_body_groups_graphs_by_namespace_below_the_alarm_widget() -> None:
    metrics = [
        MetricRef("fn invocations", "AWS/Lambda", "Invocations", {"FunctionName": "fn-dev"}),
        MetricRef("api 5XX", "AWS/ApiGateway", "5XXError", {"ApiName": "api-dev", "Stage": "prod"}),
        MetricRef("fn errors", "AWS/Lambda", "Errors", {"FunctionName": "fn-dev"}),
        MetricRef("fn p99", "AWS/Lambda", "Duration", {"FunctionName": "fn-dev"}, stat="p99"),
    ]
    arns = ["arn:aws:cloudwatch:us-west-2:123456789012:alarm:a-dev"]
    body = json.loads(json.dumps(dashboard_body(metrics, arns, "us-west-2")))
    alarm, *graphs = body["widgets"]
    assert alarm["type"] == "alarm" and alarm["properties"]["alarms"] == arns
    assert (alarm["x"], alarm["y"], alarm["width"]) == (0, 0, 24)
    placed = [(w["properties"]["title"], w["x"], w["y"], w["width"], w["height"]) for w in graphs]
    assert placed == [
        ("fn invocations", 0, 6, 12, 6),
        ("fn errors", 12, 6, 12, 6),
        ("fn p99", 0, 12, 12, 6),
        ("api 5XX", 0, 18, 12, 6),  # a new namespace starts a new row
    ]
    api = graphs[3]["properties"]
    assert api["metrics"] == [["AWS/ApiGateway", "5XXError", "ApiName", "api-dev", "Stage", "prod"]]
    assert (api["stat"], api["period"], api["region"], api["view"]) == ("Sum", 60, "us-west-2", "timeSeries")
    assert graphs[2]["properties"]["stat"] == "p99"


def test_dashboard_body_without_alarms_starts_with_the_graphs() -> None:
    metric = MetricRef("records", "AWS/Kinesis", "IncomingRecords", {"StreamName": "s-dev"})
    body = dashboard_body([metric], [], "us-east-1")
    assert [(w["type"], w["y"]) for w in body["widgets"]] == [("metric", 0)]
    assert dashboard_body([], [], "us-east-1") == {"widgets": []}
